"""Greedy transducer decoding: a hand-built joint gives the labels worked out by hand, per-item and batched decoding
agree (with each other and with NeMo 3.0's own decoders on its modules' goldens), and alignments are kept."""

import pytest
import torch
from rnnt_testing import nemo_golden_modules, random_transducer
from torch import nn

from nemo.collections.asr.parts.rnnt_utils import Hypothesis
from nemo.collections.asr.parts.submodules.rnnt_greedy_decoding import GreedyBatchedRNNTInfer, GreedyRNNTInfer

BLANK = 3  # labels 0, 1, 2 and the blank
DECODERS = [GreedyRNNTInfer, GreedyBatchedRNNTInfer]


class CountingDecoder(nn.Module):
    """A hand-built prediction network: its output (and state) counts how often each label was emitted so far."""

    vocab_size, blank_idx, blank_as_pad = BLANK, BLANK, True

    def predict(self, y=None, state=None, add_sos=False, batch_size=None):
        if y is None:
            counts = torch.zeros(1, batch_size, BLANK + 1)
        else:
            counts = state[0] + nn.functional.one_hot(y[:, -1], BLANK + 1).float().unsqueeze(0)
        return counts.transpose(0, 1), (counts,)

    def batch_select_state(self, state, idx):
        return [s[:, idx] for s in state]


class PenalizingJoint(nn.Module):
    """A hand-built joint: the frame's own scores, minus 100 for every label already emitted (so each label is
    emitted at most once, and the blank wins once the frame's better labels are used up)."""

    temperature = 1.0

    def project_encoder(self, x):
        return x

    def project_prednet(self, g):
        return g

    def joint_logits_after_projection(self, f, g):
        return f.unsqueeze(2) - 100.0 * g.unsqueeze(1)


# Frame scores over (label 0, label 1, label 2, blank): frame 0 prefers 0, then 1, over the blank; frame 1 the blank;
# frame 2 prefers 2 over the blank (0 and 1 are used up); frame 3 only has used-up labels above the blank (1 is
# still free there when frame 0 could emit only one label).
FRAMES = torch.tensor([[5.0, 4.0, 0.0, 3.0], [0.0, 0.0, 1.0, 2.0], [0.0, 0.0, 6.0, 1.0], [9.0, 2.0, 0.0, 1.0]])


def _decode(infer_cls, encoder_output, lengths, **kwargs):
    infer = infer_cls(CountingDecoder(), PenalizingJoint(), blank_index=BLANK, **kwargs)
    (hyps,) = infer(encoder_output=encoder_output, encoded_lengths=lengths)
    return hyps


@pytest.mark.parametrize("infer_cls", DECODERS)
def test_hand_built_joint_gives_the_labels_worked_out_by_hand(infer_cls):
    batch = FRAMES.T.unsqueeze(0).repeat(3, 1, 1)  # [B, D, T]
    hyps = _decode(infer_cls, batch, torch.tensor([4, 2, 3]), max_symbols_per_step=10)
    assert [h.y_sequence.tolist() for h in hyps] == [[0, 1, 2], [0, 1], [0, 1, 2]]
    assert [h.timestep for h in hyps] == [[0, 0, 2], [0, 0], [0, 0, 2]]
    used = torch.tensor([[0.0, 0, 0, 0], [100.0, 0, 0, 0], [100.0, 100.0, 0, 0]])  # penalties before each label
    steps = [(FRAMES[0] - used[0], 0), (FRAMES[0] - used[1], 1), (FRAMES[2] - used[2], 2)]
    assert hyps[0].score == pytest.approx(sum(float(scores.log_softmax(-1)[label]) for scores, label in steps))
    assert [int(h.length) for h in hyps] == [4, 2, 3]
    assert all(isinstance(h, Hypothesis) and h.y_sequence.dtype == torch.long for h in hyps)
    assert hyps[0].dec_state[0].tolist() == [[1.0, 1.0, 1.0, 0.0]]  # the counts after 0, 1, 2


@pytest.mark.parametrize("infer_cls", DECODERS)
def test_max_symbols_per_step_caps_labels_per_frame(infer_cls):
    hyps = _decode(infer_cls, FRAMES.T.unsqueeze(0), torch.tensor([4]), max_symbols_per_step=1)
    assert hyps[0].y_sequence.tolist() == [0, 2, 1]  # frame 0 stops after one label; 1 then wins at frame 3
    assert hyps[0].timestep == [0, 2, 3]
    with pytest.raises(ValueError, match="max_symbols_per_step"):
        GreedyRNNTInfer(CountingDecoder(), PenalizingJoint(), blank_index=BLANK, max_symbols_per_step=0)


@pytest.mark.parametrize("infer_cls", DECODERS)
def test_alignments_hold_every_step_of_every_frame(infer_cls):
    hyps = _decode(
        infer_cls, FRAMES.T.unsqueeze(0), torch.tensor([3]), max_symbols_per_step=10, preserve_alignments=True
    )
    steps = [[int(label) for _, label in frame] for frame in hyps[0].alignments]
    assert steps == [[0, 1, BLANK], [BLANK], [2, BLANK]]
    logp, _ = hyps[0].alignments[0][0]
    torch.testing.assert_close(logp, FRAMES[0].log_softmax(-1))


@pytest.mark.parametrize("infer_cls,key", [(GreedyRNNTInfer, "greedy"), (GreedyBatchedRNNTInfer, "greedy_batch")])
def test_matches_nemos_greedy_decoders(infer_cls, key):
    goldens, decoder, joint = nemo_golden_modules()
    decoder.train()  # decoding runs in eval mode and gives every submodule its own mode back
    joint.eval()
    decoder.prediction["embed"].eval()
    infer = infer_cls(decoder, joint, blank_index=5, max_symbols_per_step=3)
    (hyps,) = infer(encoder_output=goldens["greedy_input"], encoded_lengths=goldens["greedy_lengths"])
    expected = goldens["meta"]["decoded"][key]
    assert [h.y_sequence.tolist() for h in hyps] == expected["labels"] and any(expected["labels"])
    assert [h.timestep for h in hyps] == expected["frames"]
    assert decoder.training and not joint.training and not decoder.prediction["embed"].training


def test_batched_and_per_item_decoding_agree_on_a_random_model():
    torch.manual_seed(3)
    decoder, joint = random_transducer(
        6, {"encoder_hidden": 8, "pred_hidden": 16, "joint_hidden": 16, "activation": "tanh"}, sharpen=5.0
    )
    encoder_output, lengths = torch.randn(5, 8, 20), torch.tensor([20, 3, 17, 1, 9])
    results = [
        infer(decoder, joint, blank_index=6, max_symbols_per_step=4)(
            encoder_output=encoder_output, encoded_lengths=lengths
        )[0]
        for infer in DECODERS
    ]
    per_item, batched = results
    assert sum(len(h.y_sequence) for h in per_item) > 10
    for one, other in zip(per_item, batched):
        assert one.y_sequence.tolist() == other.y_sequence.tolist() and one.timestep == other.timestep
        assert one.score == pytest.approx(other.score, abs=1e-4)
        torch.testing.assert_close(one.dec_state[0], other.dec_state[0])
    with pytest.raises(NotImplementedError, match="partial_hypotheses"):
        GreedyRNNTInfer(decoder, joint, blank_index=6)(
            encoder_output=encoder_output, encoded_lengths=lengths, partial_hypotheses=per_item
        )


def test_continued_decoding_over_splits_equals_one_call():
    torch.manual_seed(4)
    decoder, joint = random_transducer(6, {"encoder_hidden": 8, "pred_hidden": 16, "joint_hidden": 16}, sharpen=5.0)
    infer = GreedyRNNTInfer(decoder, joint, blank_index=6, max_symbols_per_step=3)
    frames = torch.randn(1, 8, 30)
    (whole,) = infer(encoder_output=frames, encoded_lengths=torch.tensor([30]))[0]
    hypothesis, carry = None, None
    for start, stop in ((0, 7), (7, 8), (8, 8), (8, 30)):  # a one-frame and an empty piece too
        hypothesis, carry = infer.decode_continued(frames[0, :, start:stop].T, hypothesis, carry, offset=start)
    assert len(whole.y_sequence) > 5
    assert hypothesis.y_sequence == whole.y_sequence.tolist() and hypothesis.timestep == whole.timestep
    assert hypothesis.score == pytest.approx(whole.score, abs=1e-4)
    torch.testing.assert_close(hypothesis.dec_state[0], whole.dec_state[0])
    fresh, _ = infer.decode_continued(frames[0, :, 7:30].T, offset=7)  # no carry: starts from the start token
    assert fresh.timestep[0] >= 7
