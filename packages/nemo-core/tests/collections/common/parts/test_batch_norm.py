"""batch_norm: nn.BatchNorm1d's outputs, gradients and running statistics in training on CPU, and the module itself
everywhere else."""

import pytest
import torch
from torch import nn

from nemo.collections.common.parts.batch_norm import batch_norm


def _pair(channels: int, **kwargs) -> tuple:
    torch.manual_seed(0)
    reference = nn.BatchNorm1d(channels, **kwargs)
    if reference.affine:
        nn.init.uniform_(reference.weight, 0.5, 1.5)
        nn.init.normal_(reference.bias)
    ours = nn.BatchNorm1d(channels, **kwargs)
    ours.load_state_dict(reference.state_dict())
    return reference.train(), ours.train()


@pytest.mark.parametrize(
    "kwargs",
    [{"eps": 1e-3, "momentum": 0.1}, {"momentum": None}, {"affine": False}, {"track_running_stats": False}],
)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_training_matches_batch_norm1d(kwargs, dtype) -> None:
    reference, ours = _pair(24, **kwargs)
    reference.to(dtype), ours.to(dtype)
    x = (torch.randn(3, 24, 37, dtype=dtype) * 4 + 3).requires_grad_()  # far from zero mean: the variance is centered
    grad = torch.randn(3, 24, 37, dtype=dtype)
    params = [x] + ([reference.weight, reference.bias] if reference.affine else [])
    ours_params = [x] + ([ours.weight, ours.bias] if ours.affine else [])
    for _ in range(3):  # the running statistics over several steps
        want_out, got_out = reference(x), batch_norm(ours, x)
        torch.testing.assert_close(got_out, want_out)
        want = torch.autograd.grad(want_out, params, grad)
        got = torch.autograd.grad(got_out, ours_params, grad)
        for mine, theirs in zip(got, want):
            torch.testing.assert_close(mine, theirs)
    for name, buffer in reference.named_buffers():
        torch.testing.assert_close(dict(ours.named_buffers())[name], buffer)


def test_non_contiguous_input_and_gradcheck() -> None:
    _, ours = _pair(5, eps=1e-3)
    ours.double()
    x = torch.randn(6, 9, 5, dtype=torch.float64).transpose(1, 2).requires_grad_()
    assert torch.autograd.gradcheck(lambda a: batch_norm(ours, a), (x,))


def test_evaluation_and_other_inputs_run_the_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """Evaluation (running statistics), 2-D inputs and bfloat16 take nn.BatchNorm1d's own forward."""
    calls = []
    _, ours = _pair(4)
    original = nn.BatchNorm1d.forward
    monkeypatch.setattr(nn.BatchNorm1d, "forward", lambda self, x: calls.append(x.shape) or original(self, x))
    batch_norm(ours.eval(), torch.randn(2, 4, 7))
    batch_norm(ours.train(), torch.randn(8, 4))
    batch_norm(ours.bfloat16(), torch.randn(2, 4, 7, dtype=torch.bfloat16))
    assert len(calls) == 3
    batch_norm(ours.float(), torch.randn(2, 4, 7))
    assert len(calls) == 3


def test_a_single_value_per_channel_raises_as_the_module_does() -> None:
    _, ours = _pair(4)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        batch_norm(ours, torch.randn(1, 4, 1))
