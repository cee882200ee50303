"""``WERBPE`` decodes CTC label ids through a tokenizer; ``TokenizerWER`` is the same class under its old name."""

import pytest
import torch

from nemo.collections.asr.metrics.wer_bpe import WERBPE, tokenizer_vocabulary
from nemo.collections.asr.models.ctc_bpe_models import TokenizerWER


class _PieceTokenizer:
    """Word pieces: a leading "▁" starts a new word."""

    vocab = ["▁the", "▁cat", "▁sat", "s", "▁dog"]
    vocab_size = 5

    def ids_to_tokens(self, ids):
        return [self.vocab[i] for i in ids]

    def ids_to_text(self, ids):
        return "".join(self.ids_to_tokens(ids)).replace("▁", " ").strip()


def test_decodes_pieces_into_words_and_counts_word_errors():
    metric = WERBPE(tokenizer=_PieceTokenizer(), ctc_decode=True, log_prediction=False)
    blank = metric.blank_id
    assert blank == 5
    # greedy frames "the the <b> cat s" -> "the cats"; reference "the cat sat"
    predictions = torch.tensor([[0, 0, blank, 1, 3]])
    targets, target_lengths = torch.tensor([[0, 1, 2]]), torch.tensor([3])
    assert metric.ctc_decoder_predictions_tensor(predictions) == ["the cats"]
    metric.update(predictions, targets, target_lengths)
    wer, errors, words = metric.compute()
    assert (errors.item(), words.item()) == (2, 3) and wer.item() == pytest.approx(2 / 3)
    assert TokenizerWER is WERBPE


def test_vocabulary_must_match_the_tokenizer_size():
    tokenizer = _PieceTokenizer()
    assert tokenizer_vocabulary(tokenizer) == tokenizer.vocab
    tokenizer.vocab_size = 6
    with pytest.raises(ValueError, match="vocab_size 6"):
        WERBPE(tokenizer=tokenizer)
