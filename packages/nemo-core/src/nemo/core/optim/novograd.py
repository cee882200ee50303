"""Novograd: a stochastic normalized-gradient optimizer with one second-moment scalar per layer.

Ginsburg et al., "Stochastic Gradient Methods with Layer-wise Adaptive Moments for Training of Deep Networks"
(arXiv:1905.11286). Unlike Adam, the second moment is the running average of the squared L2 norm of a whole
parameter tensor, which keeps the state small and makes the update invariant to the gradient's scale per layer.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Optional, Tuple

import torch
from torch.optim import Optimizer

__all__ = ["Novograd"]


class Novograd(Optimizer):
    """Novograd optimizer (NeMo v1 update rule, no bias correction).

    Per parameter ``p`` with gradient ``g`` at each step: ``n = ||g||²``; the layer scalar ``v`` starts at ``n`` and is
    then ``β₂·v + (1−β₂)·n`` (with ``amsgrad`` its running maximum is used); ``g ← g/(√v + eps)`` (written into
    ``p.grad`` in place, as NeMo does), plus ``weight_decay·p``, times ``(1−β₁)`` with ``grad_averaging``;
    ``m ← β₁·m + g``; ``p ← p − lr·m``. With ``luc`` (layer-wise LR control) the step size is
    ``min(luc_trust·||p|| / (||m|| + luc_eps), lr)`` instead of ``lr``.

    Args:
        params: iterable of parameters or param-group dicts.
        lr: learning rate.
        betas: ``(β₁, β₂)`` for the first moment and the per-layer second moment; each in ``[0, 1)``.
        eps: added to ``√v`` for numerical stability.
        weight_decay: L2 penalty added to the normalized gradient.
        grad_averaging: scale the normalized gradient by ``1 − β₁`` before accumulating it.
        amsgrad: use the running maximum of the second moment.
        luc: enable layer-wise learning-rate control; ``luc_trust`` and ``luc_eps`` tune it.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: Tuple[float, float] = (0.95, 0.98),
        eps: float = 1e-8,
        weight_decay: float = 0,
        grad_averaging: bool = False,
        amsgrad: bool = False,
        luc: bool = False,
        luc_trust: float = 1e-3,
        luc_eps: float = 1e-8,
    ) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid Novograd learning rate: lr={lr} (expected >= 0)")
        if eps < 0.0:
            raise ValueError(f"Invalid Novograd epsilon: eps={eps} (expected >= 0)")
        if len(betas) != 2:
            raise ValueError(f"Invalid Novograd betas: {betas} (expected two values)")
        for index, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid Novograd beta parameter at index {index}: {beta} (expected in [0, 1))")
        defaults = dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, grad_averaging=grad_averaging, amsgrad=amsgrad
        )
        super().__init__(params, defaults)
        self.luc = luc
        self.luc_trust = luc_trust
        self.luc_eps = luc_eps

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)

    @torch.no_grad()
    def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()

        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad
                if grad.is_sparse:
                    raise RuntimeError("Novograd does not support sparse gradients; use a dense optimizer input")
                self._update(p, grad, group, beta1, beta2)
        return loss

    def _update(self, p: torch.Tensor, grad: torch.Tensor, group: dict, beta1: float, beta2: float) -> None:
        state = self.state[p]
        if not state:
            # Layer scalars accumulate squared norms, so keep them at least in float32 even for half parameters.
            scalar_dtype = torch.promote_types(p.dtype, torch.float32)
            state["step"] = 0
            state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            state["exp_avg_sq"] = torch.zeros((), dtype=scalar_dtype, device=p.device)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = torch.zeros((), dtype=scalar_dtype, device=p.device)
        state["step"] += 1

        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        norm_sq = grad.to(exp_avg_sq.dtype).pow(2).sum()
        if exp_avg_sq == 0:
            exp_avg_sq.copy_(norm_sq)
        else:
            exp_avg_sq.mul_(beta2).add_(norm_sq, alpha=1 - beta2)

        if group["amsgrad"]:
            max_exp_avg_sq = state["max_exp_avg_sq"]
            torch.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
            denom = max_exp_avg_sq.sqrt().add_(group["eps"])
        else:
            denom = exp_avg_sq.sqrt().add_(group["eps"])

        grad.div_(denom.to(grad.dtype))
        if group["weight_decay"] != 0:
            grad.add_(p, alpha=group["weight_decay"])
        if group["grad_averaging"]:
            grad.mul_(1 - beta1)
        exp_avg.mul_(beta1).add_(grad)

        step_size = group["lr"]
        if self.luc:
            trust_ratio = (
                self.luc_trust * torch.linalg.vector_norm(p) / (torch.linalg.vector_norm(exp_avg) + self.luc_eps)
            )
            step_size = min(float(trust_ratio), step_size)
        p.add_(exp_avg, alpha=-step_size)
