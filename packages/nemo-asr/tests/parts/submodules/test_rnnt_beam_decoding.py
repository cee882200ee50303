"""Transducer beam search: on a model small enough to enumerate, it finds the label sequence of highest probability
(summed over alignments, computed independently by the RNN-T loss) and scores it; beam 1 is greedy decoding."""

import itertools

import pytest
import torch
from rnnt_testing import random_transducer

from nemo.collections.asr.losses.rnnt import rnnt_loss
from nemo.collections.asr.parts.rnnt_utils import NBestHypotheses
from nemo.collections.asr.parts.submodules.rnnt_beam_decoding import BeamRNNTInfer
from nemo.collections.asr.parts.submodules.rnnt_greedy_decoding import GreedyRNNTInfer

VOCAB, FRAMES, LONGEST = 2, 3, 5


def _model(seed):
    torch.manual_seed(seed)
    decoder, joint = random_transducer(VOCAB, {"encoder_hidden": 4, "activation": "tanh"}, sharpen=3.0)
    with torch.no_grad():
        joint.pred.weight.mul_(3.0)
        joint.joint_net[-1].bias[VOCAB] += 1.0  # the blank wins often enough to keep the best sequences short
    return decoder.eval(), joint.eval(), torch.randn(1, 4, FRAMES)


def _log_likelihoods(decoder, joint, encoder_output):
    """log P(y | x) of every label sequence up to LONGEST labels: the negated RNN-T loss (all alignments)."""
    scores = {}
    for length in range(LONGEST + 1):
        for labels in itertools.product(range(VOCAB), repeat=length):
            targets = torch.tensor([list(labels) or [0]])
            with torch.no_grad():
                g, _ = decoder.predict(targets[:, :length], add_sos=True)
                logits = joint.joint(encoder_output.transpose(1, 2), g)
            nll = rnnt_loss(logits, targets, torch.tensor([FRAMES]), torch.tensor([length]), blank=VOCAB)
            scores[labels] = -float(nll)
    return scores


@pytest.mark.parametrize("seed", range(4))
def test_wide_beam_finds_the_most_probable_sequence(seed):
    decoder, joint, encoder_output = _model(seed)
    exact = _log_likelihoods(decoder, joint, encoder_output)
    ranked = sorted(exact, key=exact.get, reverse=True)
    beam = BeamRNNTInfer(decoder, joint, beam_size=8, score_norm=False, return_best_hypothesis=False,
                         max_symbols_per_step=None)  # fmt: skip
    (results,) = beam(encoder_output=encoder_output, encoded_lengths=torch.tensor([FRAMES]))
    assert isinstance(results[0], NBestHypotheses)
    nbest = results[0].n_best_hypotheses
    assert tuple(nbest[0].y_sequence.tolist()) == ranked[0]
    # pruned paths are missing from the sums, so beam scores are lower bounds of the exact log-likelihoods
    checked = [tuple(h.y_sequence.tolist()) for h in nbest if tuple(h.y_sequence.tolist()) in exact]
    assert len(checked) >= 4
    for hyp in nbest:
        labels = tuple(hyp.y_sequence.tolist())
        assert labels not in exact or hyp.score <= exact[labels] + 1e-5
    assert nbest[0].score == pytest.approx(exact[ranked[0]], abs=0.05)
    assert [h.score for h in nbest] == sorted((h.score for h in nbest), reverse=True)


def test_beam_of_one_is_greedy_and_options_are_checked():
    decoder, joint, _ = _model(0)
    encoder_output, lengths = torch.randn(3, 4, 9), torch.tensor([9, 4, 7])
    (greedy,) = GreedyRNNTInfer(decoder, joint, blank_index=VOCAB, max_symbols_per_step=5)(
        encoder_output=encoder_output, encoded_lengths=lengths
    )
    (beam,) = BeamRNNTInfer(decoder, joint, beam_size=1, max_symbols_per_step=5)(
        encoder_output=encoder_output, encoded_lengths=lengths
    )
    assert [h.y_sequence.tolist() for h in beam] == [h.y_sequence.tolist() for h in greedy]
    with pytest.raises(ValueError, match="search_type"):
        BeamRNNTInfer(decoder, joint, beam_size=2, search_type="tsd")
    with pytest.raises(ValueError, match="beam_size"):
        BeamRNNTInfer(decoder, joint, beam_size=0)


def test_beam_hypotheses_carry_frames_and_lengths():
    decoder, joint, _ = _model(1)
    encoder_output, lengths = torch.randn(2, 4, 6), torch.tensor([6, 2])
    (hyps,) = BeamRNNTInfer(decoder, joint, beam_size=2)(encoder_output=encoder_output, encoded_lengths=lengths)
    for hyp, length in zip(hyps, lengths.tolist()):
        assert int(hyp.length) == length and len(hyp.timestep) == len(hyp.y_sequence)
        assert all(0 <= t < length for t in hyp.timestep) and hyp.timestep == sorted(hyp.timestep)
