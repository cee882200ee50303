import itertools
import math

import pytest
import torch

from nemo.collections.nlp.modules.common.token_classifier import TokenClassifier
from nemo.collections.nlp.modules.common.transformer import (
    BeamSearchSequenceGenerator,
    GreedySequenceGenerator,
    TransformerDecoderNM,
    length_penalty,
)

PAD, BOS, EOS, A, B = 0, 1, 2, 3, 4


# Next-token probabilities given the generated prefix (after BOS). Greedy takes A (0.55) and ends with "A EOS"
# (p = 0.385), although "EOS" alone is more probable (0.45); "A A EOS" is long but needs a length bonus.
TABLE = {
    (): {EOS: 0.45, A: 0.55},
    (A,): {EOS: 0.7, A: 0.3},
    (A, A): {EOS: 1.0},
}


class TableScorer:
    """Mixes into a generator: log-probs from TABLE; the 'cache' is the token prefix itself."""

    def _one_step_forward(self, decoder_input_ids, encoder_hidden_states, encoder_input_mask, decoder_mems_list, pos):
        prefix = (
            decoder_input_ids if decoder_mems_list is None else torch.cat([decoder_mems_list[0], decoder_input_ids], 1)
        )
        log_probs = torch.full((prefix.shape[0], 5), -1e4)
        for row, tokens in enumerate(prefix.tolist()):
            for token, p in TABLE.get(tuple(tokens[1:]), {EOS: 1.0}).items():
                log_probs[row, token] = math.log(p)
        return log_probs, [prefix]


class TableBeam(TableScorer, BeamSearchSequenceGenerator):
    pass


class TableGreedy(TableScorer, GreedySequenceGenerator):
    pass


def _brute_force_best(len_pen):
    best, best_score = None, -math.inf
    for length in range(1, 4):
        for body in itertools.product([A], repeat=length - 1):
            seq = (*body, EOS)
            logp = sum(math.log(TABLE[seq[:i]][seq[i]]) for i in range(len(seq)))
            score = logp / length_penalty(torch.tensor(length), len_pen).item()
            if score > best_score:
                best, best_score = seq, score
    return [BOS, *best]


@pytest.mark.parametrize("len_pen, expected", [(0.0, [BOS, EOS]), (1.0, [BOS, EOS]), (2.0, [BOS, A, EOS])])
def test_beam_search_picks_best_hypothesis_under_length_penalty(len_pen, expected):
    generator = TableBeam(None, None, None, beam_size=3, len_pen=len_pen, max_sequence_length=6)
    best = generator(decoder_input_ids=torch.tensor([[BOS]]))
    assert best[0].tolist()[: len(expected)] == expected
    assert set(best[0].tolist()[len(expected) :]) <= {PAD}
    assert expected == _brute_force_best(len_pen)


def test_beam_scores_are_length_normalised_log_probs():
    generator = TableBeam(None, None, None, beam_size=2, len_pen=2.0, max_sequence_length=6)
    beams, scores, best = generator(decoder_input_ids=torch.tensor([[BOS]]), return_beam_scores=True)
    assert beams.shape[:2] == (1, 2)
    # Both surviving beams and their scores: log-probability / ((5 + length) / 6) ** len_pen.
    by_hypothesis = {tuple(t for t in beam if t != PAD): s for beam, s in zip(beams[0].tolist(), scores[0].tolist())}
    assert by_hypothesis == {
        (BOS, A, EOS): pytest.approx(math.log(0.55 * 0.7) / (7 / 6) ** 2, rel=1e-5),
        (BOS, EOS): pytest.approx(math.log(0.45), rel=1e-5),
    }
    assert best[0].tolist()[:3] == [BOS, A, EOS]


def test_greedy_is_locally_optimal_and_differs_from_beam():
    greedy = TableGreedy(None, None, None, max_sequence_length=6)
    assert greedy(decoder_input_ids=torch.tensor([[BOS]]))[0].tolist() == [BOS, A, EOS]
    beam = TableBeam(None, None, None, beam_size=2, max_sequence_length=6)
    assert beam(decoder_input_ids=torch.tensor([[BOS]]))[0].tolist()[:2] == [BOS, EOS]


def test_max_sequence_length_caps_output():
    generator = TableBeam(None, None, None, beam_size=1, max_sequence_length=2)
    assert generator(decoder_input_ids=torch.tensor([[BOS]])).shape[1] == 2


def _tiny_decoder(vocab=11, hidden=16):
    torch.manual_seed(0)
    decoder = TransformerDecoderNM(vocab, hidden, num_layers=2, inner_size=32, num_attention_heads=2).eval()
    head = TokenClassifier(hidden, vocab).eval()
    return decoder, head


def test_greedy_equals_beam_size_one():
    decoder, head = _tiny_decoder()
    encoder_states = torch.randn(3, 5, 16)
    encoder_mask = torch.tensor([[1] * 5, [1] * 3 + [0] * 2, [1] * 4 + [0]])
    kwargs = dict(pad=0, bos=1, eos=2, max_sequence_length=64, max_delta_length=6)
    greedy = GreedySequenceGenerator(decoder.embedding, decoder.decoder, head, **kwargs)
    beam = BeamSearchSequenceGenerator(decoder.embedding, decoder.decoder, head, beam_size=1, **kwargs)
    out_greedy = greedy(encoder_hidden_states=encoder_states, encoder_input_mask=encoder_mask)
    out_beam = beam(encoder_hidden_states=encoder_states, encoder_input_mask=encoder_mask)
    assert out_greedy.shape[1] <= 5 + 6
    assert torch.equal(out_greedy, out_beam)
    with pytest.raises(ValueError, match="return_beam_scores needs beam search"):
        greedy(encoder_hidden_states=encoder_states, encoder_input_mask=encoder_mask, return_beam_scores=True)


def test_incremental_decoding_matches_full_forward():
    decoder, head = _tiny_decoder()
    encoder_states, encoder_mask = torch.randn(2, 4, 16), torch.ones(2, 4, dtype=torch.long)
    tokens = torch.randint(3, 11, (2, 6))
    full = decoder(
        input_ids=tokens,
        decoder_mask=torch.ones_like(tokens),
        encoder_embeddings=encoder_states,
        encoder_mask=encoder_mask,
    )
    generator = GreedySequenceGenerator(decoder.embedding, decoder.decoder, head)
    mems = None
    for pos in range(tokens.shape[1]):
        log_probs, mems = generator._one_step_forward(tokens[:, pos : pos + 1], encoder_states, encoder_mask, mems, pos)
        expected = head(hidden_states=full[:, pos : pos + 1])[:, 0]
        assert torch.allclose(log_probs, expected, atol=1e-5)
