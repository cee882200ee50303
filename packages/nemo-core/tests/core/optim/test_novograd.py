"""Novograd follows the v1 update rule exactly: checked against steps computed by hand and a scalar reference."""

import copy
import math

import pytest
import torch

from nemo.core.optim.novograd import Novograd
from nemo.core.testing import run_if


def _param(values):
    return torch.nn.Parameter(torch.tensor(values, dtype=torch.float64))


def _step_with_grad(opt, param, grad):
    param.grad = torch.tensor(grad, dtype=torch.float64)
    opt.step()


def _reference(p, grads, lr, betas=(0.95, 0.98), eps=1e-8, wd=0.0, grad_averaging=False, amsgrad=False, luc=None):
    """Plain-Python Novograd on a list of floats (the spec's rule, written independently of the optimizer)."""
    beta1, beta2 = betas
    p = list(p)
    m = [0.0] * len(p)
    v = v_max = 0.0
    for g in grads:
        n = sum(x * x for x in g)
        v = n if v == 0 else beta2 * v + (1 - beta2) * n
        v_max = max(v_max, v)
        denom = math.sqrt(v_max if amsgrad else v) + eps
        g = [x / denom + wd * w for x, w in zip(g, p)]
        if grad_averaging:
            g = [(1 - beta1) * x for x in g]
        m = [beta1 * a + x for a, x in zip(m, g)]
        step = lr
        if luc is not None:
            trust, luc_eps = luc
            p_norm = math.sqrt(sum(w * w for w in p))
            m_norm = math.sqrt(sum(a * a for a in m))
            step = min(trust * p_norm / (m_norm + luc_eps), lr)
        p = [w - step * a for w, a in zip(p, m)]
    return p


GRADS = [[3.0, 4.0], [0.0, 10.0], [-2.0, 1.0], [0.5, 0.5]]


def test_two_steps_by_hand():
    p = _param([1.0, 2.0])
    opt = Novograd([p], lr=0.1, eps=0.0)
    _step_with_grad(opt, p, [3.0, 4.0])
    # n = 25 -> v = 25 (first step), g/sqrt(v) = [0.6, 0.8], m = g, p -= 0.1 * m
    assert p.tolist() == pytest.approx([0.94, 1.92])
    assert opt.state[p]["exp_avg_sq"].item() == pytest.approx(25.0)
    _step_with_grad(opt, p, [0.0, 10.0])
    # n = 100 -> v = 0.98*25 + 0.02*100 = 26.5; m = 0.95*[0.6, 0.8] + [0, 10/sqrt(26.5)]
    m = [0.95 * 0.6, 0.95 * 0.8 + 10 / math.sqrt(26.5)]
    assert opt.state[p]["exp_avg_sq"].item() == pytest.approx(26.5)
    assert opt.state[p]["exp_avg"].tolist() == pytest.approx(m)
    assert p.tolist() == pytest.approx([0.94 - 0.1 * m[0], 1.92 - 0.1 * m[1]])
    assert opt.state[p]["step"] == 2


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"wd": 0.1},
        {"grad_averaging": True},
        {"amsgrad": True},
        {"luc": (1e-3, 1e-8)},
        {"luc": (10.0, 1e-8)},  # trust ratio above lr: the step is capped at lr
        {"wd": 0.05, "grad_averaging": True, "amsgrad": True, "betas": (0.9, 0.5)},
    ],
)
def test_matches_scalar_reference(options):
    p = _param([1.0, -2.0])
    kwargs = dict(options)
    luc = kwargs.pop("luc", None)
    opt = Novograd(
        [p],
        lr=0.05,
        betas=kwargs.get("betas", (0.95, 0.98)),
        weight_decay=kwargs.get("wd", 0.0),
        grad_averaging=kwargs.get("grad_averaging", False),
        amsgrad=kwargs.get("amsgrad", False),
        luc=luc is not None,
        luc_trust=luc[0] if luc else 1e-3,
        luc_eps=luc[1] if luc else 1e-8,
    )
    for grad in GRADS:
        _step_with_grad(opt, p, grad)
    expected = _reference([1.0, -2.0], GRADS, lr=0.05, luc=luc, **kwargs)
    assert p.tolist() == pytest.approx(expected, rel=1e-12)


def test_weight_decay_by_hand():
    p = _param([1.0, 2.0])
    opt = Novograd([p], lr=0.1, eps=0.0, weight_decay=0.5)
    _step_with_grad(opt, p, [3.0, 4.0])
    # g = [0.6, 0.8] + 0.5 * [1, 2] = [1.1, 1.8]
    assert p.tolist() == pytest.approx([1.0 - 0.11, 2.0 - 0.18])


def test_grad_averaging_by_hand():
    p = _param([1.0, 2.0])
    opt = Novograd([p], lr=0.1, eps=0.0, grad_averaging=True)
    _step_with_grad(opt, p, [3.0, 4.0])
    # g = (1 - 0.95) * [0.6, 0.8]
    assert p.tolist() == pytest.approx([1.0 - 0.1 * 0.03, 2.0 - 0.1 * 0.04])


def test_amsgrad_uses_running_maximum():
    p = _param([1.0, 2.0])
    opt = Novograd([p], lr=0.1, eps=0.0, amsgrad=True)
    _step_with_grad(opt, p, [3.0, 4.0])  # v = 25
    _step_with_grad(opt, p, [0.0, 0.0])  # v = 24.5, max stays 25
    assert opt.state[p]["max_exp_avg_sq"].item() == pytest.approx(25.0)
    _step_with_grad(opt, p, [1.0, 0.0])  # v = 0.98*24.5 + 0.02 = 24.03; normalized by sqrt(25), not sqrt(24.03)
    assert opt.state[p]["exp_avg_sq"].item() == pytest.approx(24.03)
    m = [0.95**2 * 0.6 + 0.2, 0.95**2 * 0.8]
    assert opt.state[p]["exp_avg"].tolist() == pytest.approx(m)


def test_luc_factor_by_hand():
    p = _param([3.0, 4.0])  # ||p|| = 5
    opt = Novograd([p], lr=1.0, eps=0.0, luc=True, luc_trust=0.1, luc_eps=0.0)
    _step_with_grad(opt, p, [3.0, 4.0])  # m = [0.6, 0.8], ||m|| = 1 -> factor = min(0.1*5/1, 1.0) = 0.5
    assert p.tolist() == pytest.approx([3.0 - 0.3, 4.0 - 0.4])


def test_first_step_zero_gradient_keeps_second_moment_unset():
    p = _param([1.0, 2.0])
    opt = Novograd([p], lr=0.1, eps=1.0)
    _step_with_grad(opt, p, [0.0, 0.0])
    assert opt.state[p]["exp_avg_sq"].item() == 0.0
    _step_with_grad(opt, p, [3.0, 4.0])  # v is still "first": set to n, not averaged
    assert opt.state[p]["exp_avg_sq"].item() == pytest.approx(25.0)


def test_gradient_is_normalized_in_place():
    p = _param([1.0, 2.0])
    opt = Novograd([p], lr=0.1, eps=0.0)
    _step_with_grad(opt, p, [3.0, 4.0])
    assert p.grad.tolist() == pytest.approx([0.6, 0.8])


def test_param_groups_and_missing_grads():
    a, b, c = _param([1.0]), _param([1.0]), _param([1.0])
    opt = Novograd([{"params": [a]}, {"params": [b, c], "lr": 0.5}], lr=0.1, eps=0.0)
    a.grad = torch.tensor([2.0], dtype=torch.float64)
    b.grad = torch.tensor([2.0], dtype=torch.float64)
    opt.step()
    assert a.item() == pytest.approx(0.9)
    assert b.item() == pytest.approx(0.5)
    assert c.item() == 1.0 and c not in opt.state
    assert opt.param_groups[1]["betas"] == (0.95, 0.98)


def test_closure_loss_is_returned():
    p = torch.nn.Parameter(torch.tensor([2.0]))
    opt = Novograd([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p**2).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == pytest.approx(4.0)
    assert p.item() < 2.0


def test_minimizes_a_quadratic():
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    x = torch.randn(32, 4)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]])
    opt = Novograd(model.parameters(), lr=0.05, weight_decay=1e-4)
    first = None
    for _ in range(200):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert loss.item() < 0.05 * first


def test_state_dict_round_trip_continues_identically():
    p1 = _param([1.0, -2.0])
    opt1 = Novograd([p1], lr=0.05, amsgrad=True)
    for grad in GRADS[:2]:
        _step_with_grad(opt1, p1, grad)
    p2 = _param(p1.tolist())
    opt2 = Novograd([p2], lr=0.05, amsgrad=True)
    opt2.load_state_dict(copy.deepcopy(opt1.state_dict()))  # as if read from a checkpoint
    for grad in GRADS[2:]:
        _step_with_grad(opt1, p1, grad)
        _step_with_grad(opt2, p2, grad)
    assert p2.tolist() == p1.tolist()


def test_float32_parameters():
    p = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    opt = Novograd([p], lr=0.1, eps=0.0)
    p.grad = torch.tensor([3.0, 4.0])
    opt.step()
    assert p.dtype == torch.float32
    assert p.tolist() == pytest.approx([0.94, 1.92])


def test_sparse_gradients_are_rejected():
    emb = torch.nn.Embedding(4, 2, sparse=True)
    emb(torch.tensor([1])).sum().backward()
    with pytest.raises(RuntimeError, match="sparse"):
        Novograd(emb.parameters()).step()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"lr": -1.0}, "learning rate"),
        ({"eps": -1e-8}, "epsilon"),
        ({"betas": (1.0, 0.98)}, "index 0"),
        ({"betas": (0.9, -0.1)}, "index 1"),
    ],
)
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Novograd([_param([1.0])], **kwargs)


def test_defaults():
    opt = Novograd([_param([1.0])])
    group = opt.param_groups[0]
    assert (group["lr"], group["betas"], group["eps"], group["weight_decay"]) == (1e-3, (0.95, 0.98), 1e-8, 0)
    assert (group["grad_averaging"], group["amsgrad"]) == (False, False)
    assert (opt.luc, opt.luc_trust, opt.luc_eps) == (False, 1e-3, 1e-8)


@pytest.mark.gpu
@run_if(min_cuda_gpus=1)
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_cuda_matches_reference(dtype):
    p = torch.nn.Parameter(torch.tensor([1.0, -2.0], device="cuda", dtype=dtype))
    opt = Novograd([p], lr=0.05, weight_decay=0.01, amsgrad=True)
    for grad in GRADS:
        p.grad = torch.tensor(grad, device="cuda", dtype=dtype)
        opt.step()
    assert opt.state[p]["exp_avg_sq"].dtype == torch.float32
    expected = _reference([1.0, -2.0], GRADS, lr=0.05, wd=0.01, amsgrad=True)
    tolerance = 1e-5 if dtype == torch.float32 else 2e-2
    assert p.float().cpu().tolist() == pytest.approx(expected, rel=tolerance, abs=tolerance)
