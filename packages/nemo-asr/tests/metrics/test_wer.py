import math

import pytest
import torch

from nemo.collections.asr.metrics import WER, word_error_rate
from nemo.collections.asr.metrics.wer import edit_distance
from nemo.collections.asr.parts.rnnt_utils import Hypothesis

VOCAB = [" ", "a", "b", "c"]  # blank = 4


def _ids(text):
    return [VOCAB.index(c) for c in text]


def test_edit_distance_and_word_error_rate():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance([], ["a"]) == 1
    assert word_error_rate(["a b c"], ["a b d"]) == pytest.approx(1 / 3)
    assert word_error_rate(["abc"], ["abd"], use_cer=True) == pytest.approx(1 / 3)
    assert word_error_rate(["x"], [""]) == math.inf
    with pytest.raises(ValueError, match="same number"):
        word_error_rate(["a"], [])


def test_greedy_ctc_decoding_merges_repeats_drops_blanks_and_keeps_timestamps():
    wer = WER(VOCAB, log_prediction=False)
    frames = torch.tensor([[1, 1, 4, 1, 0, 4, 2, 2, 3], [4, 3, 3, 4, 3, 1, 1, 1, 1]])
    assert wer.ctc_decoder_predictions_tensor(frames) == ["aa bc", "cca"]
    assert wer.ctc_decoder_predictions_tensor(frames, torch.tensor([9, 5])) == ["aa bc", "cc"]
    hyps = wer.ctc_decoder_predictions_tensor(frames, torch.tensor([9, 5]), return_hypotheses=True)
    assert isinstance(hyps[0], Hypothesis)
    assert hyps[0].y_sequence.tolist() == [1, 1, 0, 2, 3] and hyps[0].timestep == [0, 3, 4, 6, 8]
    assert hyps[1].text == "cc" and hyps[1].timestep == [1, 4] and hyps[1].length == 5 and hyps[1].score == -1.0


def test_log_prob_input_is_scored():
    log_probs = torch.full((1, 3, 5), -10.0)
    log_probs[0, 0, 1], log_probs[0, 1, 4], log_probs[0, 2, 2] = -0.1, -0.2, -0.3
    (hyp,) = WER(VOCAB).ctc_decoder_predictions_tensor(log_probs, return_hypotheses=True)
    assert hyp.text == "ab" and hyp.score == pytest.approx(-0.6)


def test_wer_accumulates_until_reset_and_supports_cer():
    wer = WER(VOCAB, log_prediction=True)
    targets = torch.tensor([_ids("ab c"), _ids("c a") + [0]])
    target_lengths = torch.tensor([4, 3])
    predictions = torch.tensor([[1, 2, 0, 3], [3, 0, 2, 4]])  # "ab c" and "c b"
    wer.update(predictions, targets, target_lengths)
    value, errors, words = wer.compute()
    assert (errors.item(), words.item()) == (1.0, 4.0) and value.item() == pytest.approx(0.25)
    wer.update(predictions, targets, target_lengths, predictions_lengths=torch.tensor([4, 1]))
    _, errors, words = wer.compute()
    assert (errors.item(), words.item()) == (2.0, 8.0)  # second pass: "c" vs "c a" is one deletion
    wer.reset()
    cer = WER(VOCAB, use_cer=True, log_prediction=False)
    cer.update(predictions, targets, target_lengths)
    _, errors, words = cer.compute()
    assert (errors.item(), words.item()) == (1.0, 7.0)


def test_batch_dim_index_one():
    wer = WER(VOCAB, batch_dim_index=1, log_prediction=False)
    predictions = torch.tensor([[1, 2, 0, 3]]).t()
    targets = torch.tensor([_ids("ab c")]).t()
    wer.update(predictions, targets, torch.tensor([4]))
    assert wer.compute()[0].item() == 0.0


def test_states_are_summed_across_ranks():
    wer = WER(VOCAB, log_prediction=False, dist_sync_on_step=True)
    wer.update(torch.tensor([[1, 2]]), torch.tensor([_ids("ab")]), torch.tensor([2]))  # 0 errors, 1 word

    def fake_all_gather(tensor, group=None):
        return [tensor, tensor + 2]  # the other rank saw 2 errors in 3 words

    wer.sync(dist_sync_fn=fake_all_gather, distributed_available=lambda: True)
    assert (wer.scores.item(), wer.words.item()) == (2, 4)
    wer.unsync()
    assert (wer.scores.item(), wer.words.item()) == (0, 1)
