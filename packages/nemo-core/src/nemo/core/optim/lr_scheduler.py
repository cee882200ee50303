"""NeMo learning-rate schedules, the scheduler registry and ``prepare_lr_scheduler`` for ``optim.sched`` configs.

Every NeMo schedule computes its learning rate in closed form from ``last_epoch`` (the optimizer step count) and the
base learning rates, never from the previous value, so a scheduler restored from ``state_dict`` continues exactly where
it stopped. Hydra and OmegaConf are imported inside functions to keep ``import nemo.core.optim`` cheap.
"""

from __future__ import annotations

import inspect
import math
import warnings
from functools import partial
from typing import Any, Dict, List, Optional, Type

from torch.optim import Optimizer
from torch.optim.lr_scheduler import CyclicLR, ExponentialLR, LRScheduler, ReduceLROnPlateau, StepLR

from nemo.core.optim.optimizers import _instantiate_params, _register, _to_plain_dict
from nemo.utils import logging

__all__ = [
    "WarmupPolicy",
    "WarmupHoldPolicy",
    "SquareAnnealing",
    "SquareRootAnnealing",
    "CosineAnnealing",
    "NoamAnnealing",
    "WarmupAnnealing",
    "InverseSquareRootAnnealing",
    "PolynomialDecayAnnealing",
    "PolynomialHoldDecayAnnealing",
    "AVAILABLE_SCHEDULERS",
    "register_scheduler",
    "get_scheduler",
    "compute_max_steps",
    "prepare_lr_scheduler",
]


def _check_number(scheduler: str, param: str, value: Any, *, positive: bool = False) -> None:
    """Raise ``ValueError`` naming ``scheduler`` and ``param`` unless ``value`` is a finite (positive) number."""
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not is_number or value < 0 or (positive and value == 0):
        expected = "a finite number > 0" if positive else "a finite number >= 0"
        raise ValueError(f"{scheduler}: {param} must be {expected}, got {value!r}")


def _resolve_span(scheduler: str, kind: str, steps: Any, ratio: Any, max_steps: Any) -> float:
    """Return a warmup or hold length given either as ``<kind>_steps`` or as ``<kind>_ratio`` of ``max_steps``."""
    if steps is not None and ratio is not None:
        raise ValueError(f"{scheduler}: give either {kind}_steps or {kind}_ratio, not both")
    if steps is not None:
        _check_number(scheduler, f"{kind}_steps", steps)
        return steps
    if ratio is not None:
        _check_number(scheduler, f"{kind}_ratio", ratio)
        if ratio > 1:
            raise ValueError(f"{scheduler}: {kind}_ratio must be in [0, 1], got {ratio!r}")
        if max_steps is None:
            raise ValueError(f"{scheduler}: {kind}_ratio={ratio} needs max_steps to turn it into a step count")
        return int(ratio * max_steps)
    return 0


def _group_lrs(optimizer: Optimizer) -> List[float]:
    """The learning rates the scheduler will use as ``base_lrs`` (``initial_lr`` wins, as in LRScheduler)."""
    return [group.get("initial_lr", group["lr"]) for group in optimizer.param_groups]


def _check_base_lrs_above_min(scheduler: str, optimizer: Optimizer, min_lr: float) -> None:
    _check_number(scheduler, "min_lr", min_lr)
    for index, base_lr in enumerate(_group_lrs(optimizer)):
        if base_lr < min_lr:
            raise ValueError(f"{scheduler}: min_lr={min_lr} is above the lr {base_lr} of param group {index}")


def _warn_if_outside_step(scheduler: LRScheduler) -> None:
    if not scheduler._get_lr_called_within_step:
        warnings.warn(
            "To get the last learning rate computed by the scheduler, please use `get_last_lr()`.",
            UserWarning,
            stacklevel=3,
        )


class WarmupPolicy(LRScheduler):
    """Linear warmup from ``lr/(W+1)`` to ``lr`` over ``W`` steps, then ``_get_lr`` (constant here); ``min_lr`` after
    ``max_steps``. Subclasses override ``_get_lr(step)`` for the annealing phase."""

    _max_steps_required = False
    # True where the schedule decays *to* min_lr: a min_lr above a group's lr is then refused.
    _min_lr_below_lrs = False

    def __init__(
        self,
        optimizer: Optimizer,
        *,
        warmup_steps: Optional[float] = None,
        warmup_ratio: Optional[float] = None,
        max_steps: Optional[int] = None,
        min_lr: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        name = type(self).__name__
        if max_steps is not None or self._max_steps_required:
            _check_number(name, "max_steps", max_steps, positive=True)
        if self._min_lr_below_lrs:
            _check_base_lrs_above_min(name, optimizer, min_lr)
        else:
            _check_number(name, "min_lr", min_lr)
        self.max_steps = max_steps
        self.min_lr = min_lr
        self.warmup_steps = _resolve_span(name, "warmup", warmup_steps, warmup_ratio, max_steps)
        # End of the constant phase after warmup; only WarmupHoldPolicy makes it longer than the warmup.
        self.hold_end = self.warmup_steps + self._hold_span(name)
        super().__init__(optimizer, last_epoch)

    def _hold_span(self, name: str) -> float:
        return 0

    def get_lr(self) -> List[float]:
        _warn_if_outside_step(self)
        step = self.last_epoch
        if self.warmup_steps > 0 and step <= self.warmup_steps:
            return [base_lr * (step + 1) / (self.warmup_steps + 1) for base_lr in self.base_lrs]
        if step < self.hold_end:
            return list(self.base_lrs)
        if self.max_steps is not None and step > self.max_steps:
            return [self.min_lr for _ in self.base_lrs]
        return self._get_lr(step)

    def _get_lr(self, step: int) -> List[float]:
        return list(self.base_lrs)


class WarmupHoldPolicy(WarmupPolicy):
    """Warmup, then hold at ``lr`` until ``H = W + hold_steps`` (or ``W + int(hold_ratio·max_steps)``), then
    ``_get_lr``; ``min_lr`` after ``max_steps``.

    Without a hold, ``H = W`` (NeMo v1.0.0 used ``H = 0``, which made PolynomialHoldDecayAnnealing decay from step 0
    rather than from the end of warmup, reaching ``min_lr`` ``W`` steps early)."""

    def __init__(
        self,
        optimizer: Optimizer,
        *,
        warmup_steps: Optional[float] = None,
        warmup_ratio: Optional[float] = None,
        hold_steps: Optional[float] = None,
        hold_ratio: Optional[float] = None,
        max_steps: Optional[int] = None,
        min_lr: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        self._hold_args = (hold_steps, hold_ratio)
        super().__init__(
            optimizer,
            warmup_steps=warmup_steps,
            warmup_ratio=warmup_ratio,
            max_steps=max_steps,
            min_lr=min_lr,
            last_epoch=last_epoch,
        )

    def _hold_span(self, name: str) -> float:
        hold_steps, hold_ratio = self._hold_args
        return _resolve_span(name, "hold", hold_steps, hold_ratio, self.max_steps)


class _Annealing(WarmupPolicy):
    """Base of the schedules that anneal after warmup towards ``max_steps``, which they therefore require."""

    _max_steps_required = True

    def __init__(
        self, optimizer: Optimizer, *, max_steps: int, min_lr: float = 0.0, last_epoch: int = -1, **kwargs: Any
    ) -> None:
        super().__init__(optimizer, max_steps=max_steps, min_lr=min_lr, last_epoch=last_epoch, **kwargs)


class SquareAnnealing(_Annealing):
    """After warmup: ``max(lr·((M − s)/(M − W))², min_lr)``."""

    def __init__(
        self, optimizer: Optimizer, *, max_steps: int, min_lr: float = 1e-5, last_epoch: int = -1, **kwargs: Any
    ) -> None:
        super().__init__(optimizer, max_steps=max_steps, min_lr=min_lr, last_epoch=last_epoch, **kwargs)

    def _get_lr(self, step: int) -> List[float]:
        fraction = (self.max_steps - step) / (self.max_steps - self.warmup_steps)
        return [max(base_lr * fraction**2, self.min_lr) for base_lr in self.base_lrs]


class SquareRootAnnealing(_Annealing):
    """After warmup: ``max(lr·((M − s)/M)^0.5, min_lr)`` (the decay is not shifted by the warmup)."""

    def _get_lr(self, step: int) -> List[float]:
        fraction = (self.max_steps - step) / self.max_steps
        return [max(base_lr * fraction**0.5, self.min_lr) for base_lr in self.base_lrs]


class CosineAnnealing(_Annealing):
    """After warmup: half a cosine from ``lr`` at ``W`` down to ``min_lr`` at ``max_steps``."""

    _min_lr_below_lrs = True

    def _get_lr(self, step: int) -> List[float]:
        progress = (step - self.warmup_steps) / (self.max_steps - self.warmup_steps)
        cosine = 0.5 * (1 + math.cos(math.pi * progress))
        return [(base_lr - self.min_lr) * cosine + self.min_lr for base_lr in self.base_lrs]


class NoamAnnealing(LRScheduler):
    """The "Attention is all you need" schedule: ``lr·d_model^-0.5·min(s^-0.5, s·W^-1.5)`` (``s ≥ 1``), kept at or
    above ``min_lr`` after warmup and equal to ``min_lr`` after ``max_steps``. Here ``lr`` is a scale, not the peak."""

    def __init__(
        self,
        optimizer: Optimizer,
        *,
        d_model: int,
        warmup_steps: Optional[float] = None,
        warmup_ratio: Optional[float] = None,
        max_steps: Optional[int] = None,
        min_lr: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        name = type(self).__name__
        _check_number(name, "d_model", d_model, positive=True)
        if max_steps is not None:
            _check_number(name, "max_steps", max_steps, positive=True)
        _check_base_lrs_above_min(name, optimizer, min_lr)
        self.d_model = d_model
        self._normalize = d_model ** (-0.5)
        self.max_steps = max_steps
        self.min_lr = min_lr
        self.warmup_steps = _resolve_span(name, "warmup", warmup_steps, warmup_ratio, max_steps)
        if self.warmup_steps <= 0:
            raise ValueError(f"{name}: needs warmup_steps > 0 (or a warmup_ratio giving at least one step)")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        _warn_if_outside_step(self)
        step = max(1, self.last_epoch)
        if self.max_steps is not None and step > self.max_steps:
            return [self.min_lr for _ in self.base_lrs]
        scale = self._normalize * min(step ** (-0.5), step * self.warmup_steps ** (-1.5))
        lrs = [base_lr * scale for base_lr in self.base_lrs]
        if step > self.warmup_steps:
            lrs = [max(lr, self.min_lr) for lr in lrs]
        return lrs


class WarmupAnnealing(_Annealing):
    """After warmup: linear decay from ``lr`` at ``W`` to 0 at ``max_steps`` (``min_lr`` applies after it)."""

    def _get_lr(self, step: int) -> List[float]:
        progress = step / self.max_steps
        warmup_fraction = self.warmup_steps / self.max_steps
        factor = max((progress - 1) / (warmup_fraction - 1), 0)
        return [base_lr * factor for base_lr in self.base_lrs]


class InverseSquareRootAnnealing(_Annealing):
    """After warmup: ``lr / ((s + 1)/(W + 1))^0.5``."""

    def _get_lr(self, step: int) -> List[float]:
        denom = ((step + 1) / (self.warmup_steps + 1)) ** 0.5
        return [base_lr / denom for base_lr in self.base_lrs]


def _poly_decay(base_lr: float, step: float, decay_steps: float, power: float, min_lr: float, cycle: bool) -> float:
    """``(lr − min_lr)·(1 − step/decay_steps)^power + min_lr``; with ``cycle`` the decay period is stretched to the
    next multiple covering ``step``, otherwise ``step`` stops at ``decay_steps``."""
    if decay_steps <= 0:  # nothing left to decay over (the schedule ends where warmup/hold ends)
        return min_lr
    if cycle:
        decay_steps = decay_steps * (1 if step == 0 else math.ceil(step / decay_steps))
    else:
        step = min(step, decay_steps)
    return (base_lr - min_lr) * (1 - step / decay_steps) ** power + min_lr


class _PolynomialDecay(_Annealing):
    """Polynomial decay of power ``power`` from ``lr`` at the end of warmup (and hold, if any) to ``min_lr`` at
    ``max_steps``."""

    def __init__(
        self,
        optimizer: Optimizer,
        *,
        max_steps: int,
        min_lr: float = 0.0,
        power: float = 1.0,
        cycle: bool = False,
        last_epoch: int = -1,
        **kwargs: Any,
    ) -> None:
        _check_number(type(self).__name__, "power", power, positive=True)
        self.power = power
        self.cycle = cycle
        super().__init__(optimizer, max_steps=max_steps, min_lr=min_lr, last_epoch=last_epoch, **kwargs)

    def _get_lr(self, step: int) -> List[float]:
        decay_steps = self.max_steps - self.hold_end  # hold_end is the warmup's end where there is no hold
        return [
            _poly_decay(base_lr, step - self.hold_end, decay_steps, self.power, self.min_lr, self.cycle)
            for base_lr in self.base_lrs
        ]


class PolynomialDecayAnnealing(_PolynomialDecay):
    """After warmup: polynomial decay of power ``power`` from ``lr`` at ``W`` to ``min_lr`` at ``max_steps``."""


class PolynomialHoldDecayAnnealing(_PolynomialDecay, WarmupHoldPolicy):
    """Warmup, hold, then polynomial decay from ``lr`` at the hold end to ``min_lr`` at ``max_steps``."""


AVAILABLE_SCHEDULERS: Dict[str, Type[Any]] = {
    "WarmupPolicy": WarmupPolicy,
    "WarmupHoldPolicy": WarmupHoldPolicy,
    "SquareAnnealing": SquareAnnealing,
    "CosineAnnealing": CosineAnnealing,
    "NoamAnnealing": NoamAnnealing,
    "WarmupAnnealing": WarmupAnnealing,
    "InverseSquareRootAnnealing": InverseSquareRootAnnealing,
    "SquareRootAnnealing": SquareRootAnnealing,
    "PolynomialDecayAnnealing": PolynomialDecayAnnealing,
    "PolynomialHoldDecayAnnealing": PolynomialHoldDecayAnnealing,
    "StepLR": StepLR,
    "ExponentialLR": ExponentialLR,
    "ReduceLROnPlateau": ReduceLROnPlateau,
    "CyclicLR": CyclicLR,
}


def register_scheduler(name: str, scheduler: Type[Any], scheduler_params: type) -> None:
    """Make ``scheduler`` available as ``sched.name: <name>`` with ``scheduler_params`` as its params dataclass.

    The params dataclass is registered as ``f"{name}Params"`` (the registry name, like the built-in
    ``"CosineAnnealingParams"``), so ``args: {name: auto}`` finds it. NeMo v1.0.0 used
    ``f"{scheduler.__name__}_params"``, which ``auto`` could not find. Neither registry is changed when either name
    is taken.
    """
    from nemo.core.config.schedulers import AVAILABLE_SCHEDULER_PARAMS

    _register(
        "scheduler",
        AVAILABLE_SCHEDULERS,
        name,
        scheduler,
        AVAILABLE_SCHEDULER_PARAMS,
        f"{name}Params",
        scheduler_params,
    )


def get_scheduler(name: str, **kwargs: Any) -> partial:
    """Return ``partial(<scheduler class>, **kwargs)``; call it with the optimizer to build the scheduler."""
    if name not in AVAILABLE_SCHEDULERS:
        raise ValueError(
            f"Cannot resolve scheduler '{name}'. Available schedulers are : {sorted(AVAILABLE_SCHEDULERS)}"
        )
    return partial(AVAILABLE_SCHEDULERS[name], **kwargs)


def compute_max_steps(
    max_epochs: int,
    accumulate_grad_batches: int,
    limit_train_batches: float,
    num_workers: int,
    num_samples: int,
    batch_size: int,
    drop_last: bool,
) -> int:
    """Number of optimizer steps in ``max_epochs`` epochs when the data is split over ``num_workers`` processes.

    ``limit_train_batches`` follows Lightning: an int is a batch count, a float a fraction of the epoch.
    """
    round_batches = math.floor if drop_last else math.ceil
    samples_per_worker = math.ceil(num_samples / num_workers)
    steps = round_batches(samples_per_worker / batch_size)
    if isinstance(limit_train_batches, int) or limit_train_batches == 0.0:
        steps = min(steps, int(limit_train_batches))
    else:
        steps = int(steps * limit_train_batches)
        if accumulate_grad_batches == 1:
            steps = max(steps, 1)
    return math.ceil(steps / accumulate_grad_batches) * max_epochs


# Keys of a flat `sched` config that steer prepare_lr_scheduler instead of being scheduler arguments.
_CONTROL_KEYS = frozenset(
    {
        "name",
        "max_steps",
        "t_max_epochs",
        "t_accumulate_grad_batches",
        "t_limit_train_batches",
        "t_num_workers",
        "monitor",
        "reduce_on_plateau",
    }
)


def prepare_lr_scheduler(
    optimizer: Optimizer, scheduler_config: Any, train_dataloader: Any = None
) -> Optional[Dict[str, Any]]:
    """Build the scheduler described by an ``optim.sched`` config and wrap it in a Lightning 2 scheduler config dict.

    ``scheduler_config`` (dict, DictConfig or dataclass) is either flat (``name`` plus the scheduler's keyword
    arguments) or has an ``args`` entry: ``{_target_: <Params dataclass>, ...}`` or ``{name: auto | <params name>,
    params: {...}}``. ``max_steps`` comes from the config (the model fills it from the trainer) or, failing that,
    from ``t_max_epochs``/``t_accumulate_grad_batches``/``t_limit_train_batches``/``t_num_workers`` and
    ``train_dataloader`` via ``compute_max_steps``; it is passed only to schedulers that take it.

    Returns ``{'scheduler', 'interval', 'frequency', 'monitor'}`` (``interval`` is ``'epoch'`` for
    ReduceLROnPlateau, else ``'step'``), or ``None`` with a logged reason when no scheduler can be built.
    """
    if scheduler_config is None:
        logging.info("Scheduler not initialized as no `sched` config supplied to setup_optimizer()")
        return None
    config = _to_plain_dict(scheduler_config, "scheduler config (optim.sched)")
    if "args" in config:
        scheduler_args = _to_plain_dict(config.pop("args") or {}, "scheduler arguments (optim.sched.args)")
    else:
        scheduler_args = {key: value for key, value in config.items() if key not in _CONTROL_KEYS}
    args_max_steps = scheduler_args.pop("max_steps", None)

    resolved = _resolve_scheduler_args(config, scheduler_args)
    if resolved is None:
        return None
    name, args = resolved
    scheduler_cls = get_scheduler(name).func

    max_steps = config.get("max_steps")
    if max_steps is None:
        max_steps = args_max_steps
    if max_steps is None and "t_max_epochs" in config:
        max_steps = _max_steps_from_epochs(config, train_dataloader)
    max_steps_param = inspect.signature(scheduler_cls).parameters.get("max_steps")
    if max_steps_param is not None:
        if max_steps is not None:
            args["max_steps"] = max_steps
        elif max_steps_param.default is inspect.Parameter.empty:
            logging.warning(
                f"Scheduler {name!r} needs max_steps: set `max_steps` in the sched config (or trainer.max_steps), "
                "or `t_max_epochs` with a train dataloader. Scheduler will not be instantiated!"
            )
            return None

    try:
        scheduler = scheduler_cls(optimizer, **args)
    except TypeError as err:
        raise ValueError(f"Scheduler {name!r} could not be built from the arguments {args}: {err}") from err
    interval = "epoch" if isinstance(scheduler, ReduceLROnPlateau) else "step"
    logging.info(
        f"Scheduler {name} will be used during training (effective maximum steps = {max_steps}) - Parameters : {args}"
    )
    return {"scheduler": scheduler, "interval": interval, "frequency": 1, "monitor": config.get("monitor", "loss")}


def _resolve_scheduler_args(config: Dict[str, Any], scheduler_args: Dict[str, Any]) -> Optional[tuple]:
    """Return ``(scheduler name, keyword arguments)`` from the ``_target_``, params-name or plain form."""
    from nemo.core.config.schedulers import (
        AVAILABLE_SCHEDULER_PARAMS,
        ReduceLROnPlateauParams,
        SchedulerParams,
        get_scheduler_config,
    )

    if "_target_" in scheduler_args:
        bases = (SchedulerParams, ReduceLROnPlateauParams)
        params = _instantiate_params(scheduler_args, "scheduler arguments (optim.sched)", "optim.sched.args", bases)
        registered = [key for key, cls in AVAILABLE_SCHEDULER_PARAMS.items() if cls is type(params)]
        params_name = registered[0] if registered else type(params).__name__
        name = config.get("name") or params_name.removesuffix("Params")
        return name, dict(vars(params))

    name = config.get("name")
    if name is None:
        logging.warning(
            "Could not resolve the scheduler: the sched config has no `name`. Scheduler will not be instantiated!"
        )
        return None
    if "name" in scheduler_args:
        params_name = scheduler_args["name"]
        if params_name == "auto":
            params_name = f"{name}Params"
        overrides = scheduler_args.get("params") or {}
        return name, dict(vars(get_scheduler_config(params_name, **overrides)()))
    return name, scheduler_args


def _max_steps_from_epochs(config: Dict[str, Any], train_dataloader: Any) -> Optional[int]:
    """``compute_max_steps`` from the ``t_*`` keys of the sched config and the train dataloader, or None (warned)."""
    if train_dataloader is None:
        logging.warning("Cannot compute max_steps from `t_max_epochs`: no train dataloader was provided")
        return None
    max_epochs = config.get("t_max_epochs")
    if max_epochs is None or max_epochs < 0:
        logging.warning(f"Cannot compute max_steps: `t_max_epochs` must be a number of epochs >= 0, got {max_epochs!r}")
        return None
    return compute_max_steps(
        max_epochs=max_epochs,
        accumulate_grad_batches=config.get("t_accumulate_grad_batches", 1),
        limit_train_batches=config.get("t_limit_train_batches", 1.0),
        num_workers=config.get("t_num_workers", 1),
        num_samples=len(train_dataloader.dataset),
        batch_size=train_dataloader.batch_size,
        drop_last=train_dataloader.drop_last,
    )
