"""Params dataclasses for the learning-rate schedulers of ``nemo.core.optim.lr_scheduler`` and their registry.

They list each scheduler's keyword arguments with defaults, so an ``optim.sched.args`` config can say ``name: auto``
and get the defaults filled in. ``max_steps`` is not a field: ``prepare_lr_scheduler`` injects it. Registry keys are
``"<scheduler name>Params"`` (``CosineAnnealingParams``, ``WarmupPolicyParams``, ...).

Two v1.0.0 oddities are fixed here: ``NoamAnnealingParams`` has the ``d_model`` that ``NoamAnnealing`` requires, and
``PolynomialHoldDecayAnnealingParams`` has the hold fields of the scheduler it configures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Type

from omegaconf import MISSING

from nemo.core.config.optimizers import _params_partial, _register_params

__all__ = [
    "SchedulerParams",
    "WarmupSchedulerParams",
    "WarmupHoldSchedulerParams",
    "SquareAnnealingParams",
    "SquareRootAnnealingParams",
    "CosineAnnealingParams",
    "NoamAnnealingParams",
    "WarmupAnnealingParams",
    "InverseSquareRootAnnealingParams",
    "PolynomialDecayAnnealingParams",
    "PolynomialHoldDecayAnnealingParams",
    "StepLRParams",
    "ExponentialLRParams",
    "ReduceLROnPlateauParams",
    "CyclicLRParams",
    "AVAILABLE_SCHEDULER_PARAMS",
    "register_scheduler_params",
    "get_scheduler_config",
]


@dataclass
class SchedulerParams:
    """Base of every scheduler's params; ``last_epoch=-1`` starts a fresh schedule."""

    last_epoch: int = -1


@dataclass
class WarmupSchedulerParams(SchedulerParams):
    """Linear warmup, given either as a step count or as a fraction of ``max_steps`` (not both)."""

    warmup_steps: Optional[float] = None
    warmup_ratio: Optional[float] = None


@dataclass
class WarmupHoldSchedulerParams(WarmupSchedulerParams):
    """Warmup followed by a hold at the base lr, given as a step count or a fraction of ``max_steps``."""

    hold_steps: Optional[float] = None
    hold_ratio: Optional[float] = None
    min_lr: float = 0.0


@dataclass
class SquareAnnealingParams(WarmupSchedulerParams):
    min_lr: float = 1e-5


@dataclass
class SquareRootAnnealingParams(WarmupSchedulerParams):
    min_lr: float = 0.0


@dataclass
class CosineAnnealingParams(WarmupSchedulerParams):
    min_lr: float = 0.0


@dataclass
class NoamAnnealingParams(WarmupSchedulerParams):
    """Noam params; ``d_model`` is required (``'???'``) because the schedule scales by ``d_model ** -0.5``."""

    min_lr: float = 0.0
    d_model: int = MISSING


@dataclass
class WarmupAnnealingParams(WarmupSchedulerParams):
    pass


@dataclass
class InverseSquareRootAnnealingParams(WarmupSchedulerParams):
    pass


@dataclass
class PolynomialDecayAnnealingParams(WarmupSchedulerParams):
    power: float = 1.0
    cycle: bool = False


@dataclass
class PolynomialHoldDecayAnnealingParams(WarmupHoldSchedulerParams):
    power: float = 1.0
    cycle: bool = False


# Params of the torch schedulers. As in NeMo v1.0.0 they are defined for use with `_target_` but not registered.


@dataclass
class StepLRParams(SchedulerParams):
    step_size: float = 0.1
    gamma: float = 0.1


@dataclass
class ExponentialLRParams(SchedulerParams):
    gamma: float = 0.9


@dataclass
class ReduceLROnPlateauParams:
    """ReduceLROnPlateau params; no ``last_epoch`` (the scheduler has none) and no ``verbose`` (removed in torch 2)."""

    mode: str = "min"
    factor: float = 0.1
    patience: int = 10
    threshold: float = 1e-4
    threshold_mode: str = "rel"
    cooldown: int = 0
    min_lr: float = 0
    eps: float = 1e-8


@dataclass
class CyclicLRParams(SchedulerParams):
    """CyclicLR params; ``scale_fn`` is a callable and cannot be given from a config."""

    base_lr: float = 0.001
    max_lr: float = 0.1
    step_size_up: int = 2000
    step_size_down: Optional[int] = None
    mode: str = "triangular"
    gamma: float = 1.0
    scale_mode: str = "cycle"
    cycle_momentum: bool = True
    base_momentum: float = 0.8
    max_momentum: float = 0.9


AVAILABLE_SCHEDULER_PARAMS: Dict[str, Type[Any]] = {
    "SchedulerParams": SchedulerParams,
    "WarmupPolicyParams": WarmupSchedulerParams,
    "WarmupHoldPolicyParams": WarmupHoldSchedulerParams,
    "SquareAnnealingParams": SquareAnnealingParams,
    "SquareRootAnnealingParams": SquareRootAnnealingParams,
    "InverseSquareRootAnnealingParams": InverseSquareRootAnnealingParams,
    "CosineAnnealingParams": CosineAnnealingParams,
    "NoamAnnealingParams": NoamAnnealingParams,
    "WarmupAnnealingParams": WarmupAnnealingParams,
    "PolynomialDecayAnnealingParams": PolynomialDecayAnnealingParams,
    "PolynomialHoldDecayAnnealingParams": PolynomialHoldDecayAnnealingParams,
}


def register_scheduler_params(name: str, scheduler_params: Type[Any]) -> None:
    """Add ``scheduler_params`` under ``name`` so configs can refer to it; existing names cannot be overridden."""
    _register_params(AVAILABLE_SCHEDULER_PARAMS, "scheduler", name, scheduler_params)


def get_scheduler_config(name: str, **kwargs: Any) -> Any:
    """Return ``partial(<Params dataclass>, **kwargs)``; unknown keys or ill-typed values raise ``ValueError``."""
    return _params_partial(AVAILABLE_SCHEDULER_PARAMS, "scheduler", name, kwargs)
