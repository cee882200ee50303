"""Tacotron2Loss: gate targets, padding that adds nothing, predictions of another length."""

import math

import pytest
import torch

from nemo.collections.tts.losses import Tacotron2Loss

PAD = math.log(1e-5)


def _loss(dec, post, gate, target, lengths):
    return Tacotron2Loss()(
        spec_pred_dec=dec, spec_pred_postnet=post, gate_pred=gate, spec_target=target, spec_target_len=lengths,
        pad_value=PAD,
    )  # fmt: skip


def test_gate_target_is_one_from_the_last_frame_on():
    target = torch.zeros(2, 3, 5)
    _, gate_target = _loss(target, target, torch.zeros(2, 5), target, torch.tensor([5, 3]))
    assert gate_target.tolist() == [[0, 0, 0, 0, 1], [0, 0, 1, 1, 1]]


def test_perfect_prediction_costs_only_the_gate_and_padding_is_ignored():
    torch.manual_seed(0)
    target = torch.randn(2, 3, 5)
    lengths = torch.tensor([5, 3])
    gate = torch.tensor([[-30.0, -30, -30, -30, 30], [-30, -30, 30, -5, 7]])  # padded gate logits are ignored
    prediction = target.clone()
    prediction[1, :, 3:] = 100.0  # garbage past the end of utterance 2
    loss, _ = _loss(prediction, prediction, gate, target, lengths)
    assert loss.item() == pytest.approx(0.0, abs=1e-6)
    worse, _ = _loss(prediction + 1.0, prediction, gate, target, lengths)
    assert worse.item() == pytest.approx(24 / 30, rel=1e-5)  # 8 real frames x 3 bins of error 1, mean over 10 x 3


def test_predictions_longer_or_shorter_than_the_target():
    target = torch.zeros(1, 2, 4)
    long_dec = torch.zeros(1, 2, 7)
    gate = torch.tensor([[-30.0, -30, -30, 30, 30, 30, 30]])
    loss, _ = _loss(long_dec, long_dec, gate, target, torch.tensor([4]))
    assert loss.item() == pytest.approx(0.0, abs=1e-6)
    short = torch.zeros(1, 2, 2)
    loss, _ = _loss(short, short, torch.tensor([[-30.0, -30]]), target, torch.tensor([4]))
    assert loss.item() > 1.0  # two missing frames are compared as silence against the target's zeros


def test_gradients_reach_both_predictions():
    dec = torch.zeros(1, 2, 3, requires_grad=True)
    post = torch.zeros(1, 2, 3, requires_grad=True)
    gate = torch.zeros(1, 3, requires_grad=True)
    loss, _ = _loss(dec, post, gate, torch.ones(1, 2, 3), torch.tensor([3]))
    loss.backward()
    assert dec.grad.abs().sum() > 0 and post.grad.abs().sum() > 0 and gate.grad.abs().sum() > 0
