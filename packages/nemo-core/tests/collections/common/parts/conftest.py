"""Fixtures shared by the kernel tests of ``nemo.collections.common.parts``."""

import pytest
import torch

from nemo.collections.common.parts.graph_capture import capturing_graph


@pytest.fixture
def threads():
    """Sets torch's intra-op thread count for one test (the kernel rules' row counts are per thread)."""
    before = torch.get_num_threads()
    yield torch.set_num_threads
    torch.set_num_threads(before)


@pytest.fixture
def rule_under_trace():
    """``run(rule, conv, x)``: what ``rule(conv, x)`` answers inside a ``torch.jit.trace`` of ``conv``, as
    ``[(capturing_graph(), answer)]`` (a traced graph must record ``conv1d`` itself)."""

    def run(rule, conv, x):
        seen = []

        def forward(inputs):
            seen.append((capturing_graph(), rule(conv, inputs)))
            return conv(inputs)

        torch.jit.trace(forward, x, check_trace=False)
        return seen

    return run


@pytest.fixture
def assert_double_backward_refused():
    """``check(convolve, x, weight)``: a second backward through ``convolve(x, weight)``'s gradient raises (a custom
    backward that is ``once_differentiable``) instead of giving a wrong answer."""

    def check(convolve, x, weight):
        (grad_x,) = torch.autograd.grad(convolve(x, weight).sum(), x, create_graph=True)
        with pytest.raises(RuntimeError, match="once_differentiable|does not require grad"):
            torch.autograd.grad(grad_x.sum(), weight)

    return check


@pytest.fixture
def assert_common_refusals(monkeypatch):
    """``check(rule, make_conv, x, module)``: the gates every convolution-kernel rule shares refuse ``x`` for
    ``make_conv(**changes)``: a stride, groups, non-zero or string padding, float64, CPU autocast, and the module's
    ``ENABLED`` switch off (``make_conv()`` itself is taken)."""

    def check(rule, make_conv, x, module):
        assert rule(make_conv(), x)
        for changes in (dict(stride=2), dict(groups=2), dict(padding_mode="reflect"), dict(padding="same")):
            assert not rule(make_conv(**changes), x), changes
        assert not rule(make_conv().double(), x.double())
        with torch.autocast("cpu", dtype=torch.bfloat16):
            assert not rule(make_conv(), x)
        monkeypatch.setattr(module, "ENABLED", False)
        assert not rule(make_conv(), x)
        monkeypatch.setattr(module, "ENABLED", True)

    return check


def _close(got: torch.Tensor, want: torch.Tensor) -> None:
    """Equal up to float rounding of sums over hundreds of terms: 1e-5 of the largest magnitude."""
    torch.testing.assert_close(got, want, rtol=0, atol=1e-5 * want.abs().max().item())


@pytest.fixture
def assert_matches_reference():
    """``check(out, expected, inputs)``: a kernel's output equals the reference's (shape, and values to float
    rounding), and so do the gradients of both with respect to ``inputs`` for one random output gradient."""

    def check(out, expected, inputs):
        assert out.shape == expected.shape
        _close(out, expected)
        grad = torch.randn_like(expected)
        got, want = torch.autograd.grad(out, inputs, grad), torch.autograd.grad(expected, inputs, grad)
        for ours, reference in zip(got, want, strict=True):
            _close(ours, reference)

    return check
