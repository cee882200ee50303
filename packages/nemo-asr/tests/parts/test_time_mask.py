"""time_mask: frames past each length zeroed by a multiply (or in place, the tails only), skipped when every length
covers the batch."""

import pytest
import torch

from nemo.collections.asr.parts import time_mask
from nemo.collections.asr.parts.time_mask import keep_mask, lengths_cover, relu_zero_beyond, zero_beyond, zero_beyond_


def test_zero_beyond_matches_masked_fill_on_any_time_axis():
    x = torch.randn(3, 4, 7, 5)
    lengths = torch.tensor([7, 2, 0])
    expected = x.masked_fill((torch.arange(7)[None, :] >= lengths[:, None])[:, None, :, None], 0.0)
    assert torch.equal(zero_beyond(x, lengths, time_dim=2), expected)
    y = torch.randn(3, 4, 6)
    assert torch.equal(
        zero_beyond(y, torch.tensor([6, 1, 3])), y * keep_mask(torch.tensor([6, 1, 3]), 6, y.dtype, y.device)[:, None]
    )


@pytest.mark.parametrize("capturing", [False, True], ids=["tails", "multiply"])
def test_zero_beyond_in_place_equals_zero_beyond(monkeypatch, capturing):
    """In place: on CPU only the tails are written, under graph capture (as off the CPU) a multiply in place."""
    monkeypatch.setattr(time_mask, "capturing_graph", lambda: capturing)
    x = torch.randn(3, 4, 7, 5)
    lengths = torch.tensor([7, 2, 0])
    expected = zero_beyond(x, lengths, time_dim=2)
    assert zero_beyond_(x, lengths, time_dim=2) is x
    assert torch.equal(x, expected)
    y = torch.randn(2, 3, 5)
    before = y.clone()
    assert zero_beyond_(y, torch.tensor([5, 6])) is y and torch.equal(y, before)


def test_full_lengths_skip_the_mask():
    x = torch.randn(2, 3, 5)
    assert zero_beyond(x, torch.tensor([5, 9])) is x
    assert zero_beyond(x, None) is x
    assert lengths_cover(torch.tensor([5, 5]), 5) and not lengths_cover(torch.tensor([5, 4]), 5)


def test_a_traced_graph_keeps_the_mask():
    """Tracing with full lengths must not bake the shortcut in: the traced graph masks shorter inputs."""
    traced = torch.jit.trace(lambda x, lengths: zero_beyond(x, lengths), (torch.ones(2, 1, 4), torch.tensor([4, 4])))
    assert traced(torch.ones(2, 1, 4), torch.tensor([4, 2])).tolist() == [[[1, 1, 1, 1]], [[1, 1, 0, 0]]]


@pytest.mark.parametrize("inplace", [False, True], ids=["new", "inplace"])
def test_relu_zero_beyond_equals_relu_then_mask_forward_and_backward(inplace):
    torch.manual_seed(0)
    x = torch.randn(3, 6, 4, 5, requires_grad=True)
    lengths, grad = torch.tensor([6, 2, 0]), torch.randn(3, 6, 4, 5)
    expected = zero_beyond(torch.relu(x), lengths, time_dim=1)
    got = relu_zero_beyond(x * 1.0 if inplace else x, lengths, time_dim=1, inplace=inplace)
    assert torch.equal(got, expected)
    assert torch.equal(torch.autograd.grad(got, x, grad)[0], torch.autograd.grad(expected, x, grad)[0])
    full = torch.tensor([6, 6, 9])
    assert torch.equal(relu_zero_beyond(x, full, time_dim=1), torch.relu(x))
    with pytest.raises(ValueError, match="batch axis"):
        relu_zero_beyond(x, lengths, time_dim=0)
