"""An optimizer and a learning-rate schedule of this library, registered with nemo-core's registries.

After ``register()`` (run on ``import nemo_downstream_example``) a model config can say ``optim.name: sign_sgd`` and
``optim.sched.name: LinearDecayAnnealing``, and ``args: {name: auto}`` finds their params dataclasses, registered as
``sign_sgd_params`` and ``LinearDecayAnnealingParams`` (nemo-core's naming).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional

import torch

from nemo.core.config.optimizers import OptimizerParams
from nemo.core.config.schedulers import WarmupSchedulerParams
from nemo.core.optim import AVAILABLE_OPTIMIZERS, AVAILABLE_SCHEDULERS, register_optimizer, register_scheduler
from nemo.core.optim.lr_scheduler import WarmupPolicy

__all__ = ["SignSGD", "SignSGDParams", "LinearDecayAnnealing", "LinearDecayAnnealingParams", "register"]

OPTIMIZER_NAME = "sign_sgd"
SCHEDULER_NAME = "LinearDecayAnnealing"


class SignSGD(torch.optim.Optimizer):
    """Sign descent with momentum ("signum"): ``p -= lr * sign(m)``, ``m = momentum * m + (1 - momentum) * grad``."""

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.9, weight_decay: float = 0.0):
        if lr <= 0:
            raise ValueError(f"SignSGD: lr must be positive, got {lr}")
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"SignSGD: momentum must be in [0, 1), got {momentum}")
        super().__init__(params, {"lr": lr, "momentum": momentum, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure: Optional[Callable[[], float]] = None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, momentum, decay = group["lr"], group["momentum"], group["weight_decay"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                direction = param.grad
                if momentum:
                    state = self.state[param]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = torch.zeros_like(param)
                    direction = state["momentum_buffer"].mul_(momentum).add_(param.grad, alpha=1 - momentum)
                if decay:
                    param.mul_(1 - lr * decay)
                param.add_(torch.sign(direction), alpha=-lr)
        return loss


@dataclass
class SignSGDParams(OptimizerParams):
    momentum: float = 0.9
    weight_decay: float = 0.0


class LinearDecayAnnealing(WarmupPolicy):
    """nemo-core's linear warmup, then a straight line from ``lr`` down to ``min_lr`` at ``max_steps``."""

    _max_steps_required = True

    def _get_lr(self, step: int) -> List[float]:
        progress = (step - self.warmup_steps) / max(1.0, self.max_steps - self.warmup_steps)
        return [base_lr + (self.min_lr - base_lr) * progress for base_lr in self.base_lrs]


@dataclass
class LinearDecayAnnealingParams(WarmupSchedulerParams):
    min_lr: float = 0.0


def register() -> None:
    """Register both with nemo-core; a second call is a no-op, a name taken by another class is an error."""
    if AVAILABLE_OPTIMIZERS.get(OPTIMIZER_NAME) is not SignSGD:
        register_optimizer(OPTIMIZER_NAME, SignSGD, SignSGDParams)
    if AVAILABLE_SCHEDULERS.get(SCHEDULER_NAME) is not LinearDecayAnnealing:
        register_scheduler(SCHEDULER_NAME, LinearDecayAnnealing, LinearDecayAnnealingParams)
