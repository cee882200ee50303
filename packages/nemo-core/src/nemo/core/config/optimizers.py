"""Params dataclasses for the optimizers of ``nemo.core.optim`` and the registry that resolves them by name.

Each dataclass lists the constructor arguments (beyond ``params``) of one optimizer with its defaults, so a config can
say ``name: auto`` and get every default filled in. ``lr`` is ``MISSING`` (``'???'``) everywhere: it is required, and
the model sets it from ``optim.lr``. Registry keys are ``"<registry name>_params"`` (``sgd_params``, ...).
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from functools import partial
from typing import Any, Dict, Optional, Tuple, Type

from omegaconf import MISSING

__all__ = [
    "OptimizerParams",
    "SGDParams",
    "AdamParams",
    "AdamWParams",
    "AdadeltaParams",
    "AdamaxParams",
    "AdagradParams",
    "RMSpropParams",
    "RpropParams",
    "NovogradParams",
    "AVAILABLE_OPTIMIZER_PARAMS",
    "register_optimizer_params",
    "get_optimizer_config",
]


@dataclass
class OptimizerParams:
    """Base of every optimizer's params: only the (required) learning rate."""

    lr: Optional[float] = MISSING


@dataclass
class SGDParams(OptimizerParams):
    momentum: float = 0
    dampening: float = 0
    weight_decay: float = 0
    nesterov: bool = False


@dataclass
class AdamParams(OptimizerParams):
    """Adam params; ``betas`` is deliberately not a field (torch's default applies unless given explicitly)."""

    eps: float = 1e-08
    weight_decay: float = 0
    amsgrad: bool = False


@dataclass
class AdamWParams(OptimizerParams):
    betas: Tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-08
    weight_decay: float = 0
    amsgrad: bool = False


@dataclass
class AdadeltaParams(OptimizerParams):
    rho: float = 0.9
    eps: float = 1e-6
    weight_decay: float = 0


@dataclass
class AdamaxParams(OptimizerParams):
    betas: Tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0


@dataclass
class AdagradParams(OptimizerParams):
    lr_decay: float = 0
    weight_decay: float = 0
    initial_accumulator_value: float = 0
    eps: float = 1e-10


@dataclass
class RMSpropParams(OptimizerParams):
    alpha: float = 0.99
    eps: float = 1e-8
    weight_decay: float = 0
    momentum: float = 0
    centered: bool = False


@dataclass
class RpropParams(OptimizerParams):
    etas: Tuple[float, float] = (0.5, 1.2)
    step_sizes: Tuple[float, float] = (1e-6, 50)


@dataclass
class NovogradParams(OptimizerParams):
    betas: Tuple[float, float] = (0.95, 0.98)
    eps: float = 1e-8
    weight_decay: float = 0
    grad_averaging: bool = False
    amsgrad: bool = False
    luc: bool = False
    luc_trust: float = 1e-3
    luc_eps: float = 1e-8


AVAILABLE_OPTIMIZER_PARAMS: Dict[str, Type[OptimizerParams]] = {
    "optim_params": OptimizerParams,
    "sgd_params": SGDParams,
    "adam_params": AdamParams,
    "adamw_params": AdamWParams,
    "adadelta_params": AdadeltaParams,
    "adamax_params": AdamaxParams,
    "adagrad_params": AdagradParams,
    "rmsprop_params": RMSpropParams,
    "rprop_params": RpropParams,
    "novograd_params": NovogradParams,
}


def register_optimizer_params(name: str, optimizer_params: Type[OptimizerParams]) -> None:
    """Add ``optimizer_params`` under ``name`` so configs can refer to it; existing names cannot be overridden."""
    _register_params(AVAILABLE_OPTIMIZER_PARAMS, "optimizer", name, optimizer_params)


def get_optimizer_config(name: Optional[str], **kwargs: Any) -> Any:
    """Return ``partial(<Params dataclass>, **kwargs)`` after checking ``kwargs`` against the dataclass.

    ``name=None`` returns ``kwargs`` unchanged (no params class to check against). Unknown keys and values that do not
    fit a field's type raise ``ValueError`` naming the key, so a typo in a YAML fails here rather than deep inside
    the optimizer.
    """
    if name is None:
        return kwargs
    return _params_partial(AVAILABLE_OPTIMIZER_PARAMS, "optimizer", name, kwargs)


def _register_params(registry: Dict[str, type], kind: str, name: str, params: type) -> None:
    """Add ``params`` to the ``kind`` (optimizer, scheduler) params ``registry``; a taken name is refused."""
    if name in registry:
        raise ValueError(f"Cannot override pre-existing {kind} params. Conflicting {kind} params name = {name!r}")
    registry[name] = params


def _params_partial(registry: Dict[str, type], kind: str, name: str, kwargs: Dict[str, Any]) -> Any:
    """``partial(registry[name], **kwargs)`` with ``kwargs`` checked against the dataclass's fields."""
    if name not in registry:
        raise ValueError(
            f"Cannot resolve {kind} parameters '{name}'. Available {kind} parameters are : {sorted(registry)}"
        )
    params_cls = registry[name]
    return partial(params_cls, **_validated_params_kwargs(params_cls, kwargs))


def _validated_params_kwargs(params_cls: type, kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """Check ``kwargs`` against the fields of dataclass ``params_cls`` and return them converted to the field types.

    Conversion follows OmegaConf (``'1e-3'`` for a float field becomes ``0.001``); tuple fields stay tuples.
    """
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    try:
        merged = OmegaConf.merge(OmegaConf.structured(params_cls), kwargs)
    except OmegaConfBaseException as err:
        key = getattr(err, "key", None)
        raise ValueError(
            f"Invalid value for {params_cls.__name__}" + (f" key '{key}'" if key is not None else "") + f": {err}"
        ) from err
    plain = OmegaConf.to_container(merged)
    hints = typing.get_type_hints(params_cls)
    converted = {}
    for key in kwargs:
        value = plain[key]
        if isinstance(value, list) and typing.get_origin(hints.get(key)) is tuple:
            value = tuple(value)
        converted[key] = value
    return converted
