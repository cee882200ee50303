import math

import pytest
import torch

from nemo.collections.asr.losses import AngularSoftmaxLoss


def _by_hand(cosines, labels, scale, margin):
    """The ArcFace loss written out per utterance, as in the paper and NeMo's loop."""
    total = 0.0
    for row, y in zip(cosines.tolist(), labels.tolist()):
        target = math.acos(min(max(row[y], -1 + 1e-7), 1 - 1e-7))
        numerator = scale * math.cos(target + margin)
        others = sum(math.exp(scale * c) for j, c in enumerate(row) if j != y)
        total += numerator - math.log(math.exp(numerator) + others)
    return -total / len(cosines)


@pytest.mark.parametrize(("scale", "margin"), [(30.0, 0.2), (20.0, 1.35), (1.0, 0.0)])
def test_loss_equals_the_hand_computation(scale, margin):
    torch.manual_seed(0)
    cosines = torch.rand(5, 7) * 2 - 1
    cosines[0, 2] = 1.0  # clamped before acos
    labels = torch.tensor([2, 0, 6, 3, 3])
    loss = AngularSoftmaxLoss(scale=scale, margin=margin)(logits=cosines, labels=labels)
    assert loss.item() == pytest.approx(_by_hand(cosines, labels, scale, margin), rel=1e-5)


def test_defaults_gradients_and_margin():
    loss = AngularSoftmaxLoss()
    assert (loss.scale, loss.margin) == (20.0, 1.35)  # NeMo's defaults
    cosines = torch.tensor([[0.9, 0.1, -0.2], [0.3, 0.8, 0.0]], requires_grad=True)
    labels = torch.tensor([0, 1])
    value = loss(logits=cosines, labels=labels)
    value.backward()
    assert torch.isfinite(cosines.grad).all() and (cosines.grad[[0, 1], [0, 1]] < 0).all()
    no_margin = AngularSoftmaxLoss(scale=20.0, margin=0.0)(logits=cosines.detach(), labels=labels)
    assert value.item() > no_margin.item()  # the margin makes the target harder to reach
    with pytest.raises(Exception, match="labels"):
        loss(logits=cosines)
