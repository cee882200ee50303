"""Dropout and dropout: nn.Dropout's distribution and scaling from raw random bits, its gradient the same mask,
repeatable from the seed, and nn.Dropout's behaviour where the cheap mask does not apply."""

import pytest
import torch
from torch import nn

from nemo.collections.common.parts.dropout import Dropout, dropout, dropout_mask


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_mask_keeps_one_minus_p_and_scales_the_kept(p):
    torch.manual_seed(0)
    mask = dropout_mask(torch.Size([400_000]), p, torch.float32)
    kept = mask > 0
    # 400k draws: the kept fraction's standard deviation is below 8e-4; 5 of them is a failure.
    assert abs(kept.float().mean().item() - (1 - p)) < 4e-3
    assert torch.equal(mask[kept], torch.full_like(mask[kept], 1 / (1 - p)))


@pytest.mark.parametrize("p", [0.003, 1 / 128, 0.3, 1 - 1 / 128, 0.997])  # 32-bit draws below 1/128 and above
def test_both_draw_widths_keep_one_minus_p(p):
    torch.manual_seed(1)
    mask = dropout_mask(torch.Size([1_000_000]), p, torch.float32)
    kept = (mask > 0).double().mean().item()
    # a million draws: the kept fraction's standard deviation is at most 5e-4; 5 of them is a failure.
    assert abs(kept - (1 - p)) < 5 * (p * (1 - p) / 1e6) ** 0.5
    assert torch.equal(mask[mask > 0], torch.full_like(mask[mask > 0], 1 / (1 - p)))


@pytest.mark.parametrize("p", [1e-12, 1e-10, 2e-9])
def test_a_tiny_p_keeps_every_element(p):
    """Below 2**-33 the int32 bound would overflow (and drop everything); just above it nearly all are kept."""
    torch.manual_seed(0)
    mask = dropout_mask(torch.Size([10_000]), p, torch.float32)
    assert (mask > 0).all()
    torch.testing.assert_close(mask, torch.full_like(mask, 1 / (1 - p)))


def test_training_forward_and_backward_share_one_mask_and_follow_the_seed():
    module = Dropout(0.3).train()
    x = torch.randn(5, 7, 9, requires_grad=True)
    torch.manual_seed(3)
    out = module(x)
    (grad,) = torch.autograd.grad(out, x, torch.ones_like(out))
    torch.testing.assert_close(out, x * grad)  # the gradient is the mask, scale included
    values = grad.unique()
    assert values[0] == 0.0 and values[-1] == pytest.approx(1 / 0.7) and len(values) == 2
    torch.manual_seed(3)
    assert torch.equal(module(x), out)
    assert not torch.equal(module(x), out)  # a fresh mask per call


def test_evaluation_zero_p_and_inplace_behave_as_nn_dropout():
    x = torch.randn(4, 6)
    assert Dropout(0.5).eval()(x) is x
    assert Dropout(0.0).train()(x) is x
    assert torch.equal(Dropout(1.0).train()(x), torch.zeros_like(x))
    torch.manual_seed(1)
    expected = nn.Dropout(0.5, inplace=True).train()(x.clone())
    torch.manual_seed(1)
    assert torch.equal(Dropout(0.5, inplace=True).train()(x.clone()), expected)
    assert isinstance(Dropout(0.1), nn.Dropout) and Dropout(0.1).state_dict() == {}


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_add_to_is_residual_plus_scaled_dropout(training):
    """One pass instead of three; the same numbers (the 0.5 scale is exact) and the same mask for the gradient."""
    module = Dropout(0.2).train(training)
    residual, x = torch.randn(3, 8), torch.randn(3, 8, requires_grad=True)
    torch.manual_seed(5)
    fused = module.add_to(residual, x, 0.5)
    torch.manual_seed(5)
    expected = residual + module(x) * 0.5
    torch.testing.assert_close(fused, expected, rtol=1e-6, atol=1e-6)
    (grad,) = torch.autograd.grad(fused, x, torch.ones_like(fused))
    torch.testing.assert_close(fused - residual, x * grad)


def test_the_function_draws_the_modules_mask_and_passes_through_when_nothing_drops():
    x = torch.randn(6, 10)
    torch.manual_seed(7)
    expected = Dropout(0.25).train()(x)
    torch.manual_seed(7)
    assert torch.equal(dropout(x, 0.25), expected)
    assert dropout(x, 0.25, training=False) is x and dropout(x, 0.0) is x
    meta = dropout(torch.empty(2, 3, device="meta"), 0.5)  # other devices: nn.functional.dropout
    assert meta.is_meta and meta.shape == (2, 3)
