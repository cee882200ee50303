"""Optimizer registry: resolve ``optim.name`` from a config to an optimizer class, and parse its arguments.

Hydra and OmegaConf are imported inside the functions that need them so that ``import nemo.core.optim`` stays cheap.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from functools import partial
from typing import Any, Dict, List, Type

from torch import optim
from torch.optim import Optimizer

from nemo.core.optim.novograd import Novograd

__all__ = [
    "AVAILABLE_OPTIMIZERS",
    "build_optimizer",
    "fused_by_default",
    "get_optimizer",
    "parse_optimizer_args",
    "register_optimizer",
]

AVAILABLE_OPTIMIZERS: Dict[str, Type[Optimizer]] = {
    "sgd": optim.SGD,
    "adam": optim.Adam,
    "adamw": optim.AdamW,
    "adadelta": optim.Adadelta,
    "adamax": optim.Adamax,
    "adagrad": optim.Adagrad,
    "rmsprop": optim.RMSprop,
    "rprop": optim.Rprop,
    "novograd": Novograd,
}
_FUSABLE = (optim.Adam, optim.AdamW, optim.SGD)

_APEX_AVAILABLE = importlib.util.find_spec("apex") is not None
if _APEX_AVAILABLE:
    from apex.optimizers import FusedLAMB

    AVAILABLE_OPTIMIZERS["lamb"] = FusedLAMB


def register_optimizer(name: str, optimizer: Type[Optimizer], optimizer_params: type) -> None:
    """Make ``optimizer`` available as ``optim.name: <name>`` with ``optimizer_params`` as its params dataclass.

    The params dataclass is registered as ``f"{name}_params"`` (the registry name, like the built-in
    ``"novograd_params"``), so ``args: {name: auto}`` finds it. NeMo v1.0.0 used the optimizer's class name instead,
    which ``auto`` could not find. Neither registry is changed when either name is taken.
    """
    from nemo.core.config.optimizers import AVAILABLE_OPTIMIZER_PARAMS

    _register(
        "optimizer",
        AVAILABLE_OPTIMIZERS,
        name,
        optimizer,
        AVAILABLE_OPTIMIZER_PARAMS,
        f"{name}_params",
        optimizer_params,
    )


def _register(
    kind: str,
    registry: Dict[str, Any],
    name: str,
    obj: Any,
    params_registry: Dict[str, type],
    params_name: str,
    params: type,
) -> None:
    """Add ``obj`` to the ``kind`` (optimizer, scheduler) ``registry`` and ``params`` to its params registry, or
    neither when either name is taken."""
    from nemo.core.config.optimizers import _register_params

    if name in registry:
        raise ValueError(f"Cannot override pre-existing {kind}s. Conflicting {kind} name = {name!r}")
    if params_name in params_registry:
        raise ValueError(f"Cannot register {kind} {name!r}: {kind} params {params_name!r} already exist")
    registry[name] = obj
    _register_params(params_registry, kind, params_name, params)


def get_optimizer(name: str, **kwargs: Any) -> partial:
    """Return ``partial(<optimizer class>, **kwargs)``; call it with the model parameters to build the optimizer."""
    if name not in AVAILABLE_OPTIMIZERS:
        hint = " (lamb needs NVIDIA Apex's FusedLAMB, and apex is not installed)" if name == "lamb" else ""
        raise ValueError(
            f"Cannot resolve optimizer '{name}'{hint}. Available optimizers are : {sorted(AVAILABLE_OPTIMIZERS)}"
        )
    return partial(AVAILABLE_OPTIMIZERS[name], **kwargs)


def parse_optimizer_args(optimizer_name: str, optimizer_kwargs: Any) -> Dict[str, Any]:
    """Turn an ``optim.args`` config into the keyword arguments of optimizer ``optimizer_name``.

    Accepted forms:
      * ``None`` -> ``{}``.
      * ``{_target_: <path of a Params dataclass>, ...}`` -> the instantiated dataclass' fields.
      * ``{name: auto | <params name>, params: {...}}`` (or the overrides next to ``name``) -> the fields of the
        registered params dataclass (``auto`` means ``f"{optimizer_name}_params"``) with the overrides applied;
        ``lr`` stays ``'???'`` unless given, for the caller to fill in.
      * any other mapping -> returned as a plain dict.
    """
    if optimizer_kwargs is None:
        return {}
    optimizer_kwargs = _to_plain_dict(optimizer_kwargs, f"optimizer arguments of '{optimizer_name}'")

    if "_target_" in optimizer_kwargs:
        what = f"optimizer arguments of '{optimizer_name}'"
        return dict(vars(_instantiate_params(optimizer_kwargs, what, "optim.args")))

    if "name" in optimizer_kwargs:
        from nemo.core.config.optimizers import get_optimizer_config

        params_name = optimizer_kwargs.pop("name")
        if params_name == "auto":
            params_name = f"{optimizer_name}_params"
        overrides = optimizer_kwargs.pop("params", optimizer_kwargs)
        if overrides is None:
            overrides = {}
        return vars(get_optimizer_config(params_name, **overrides)())

    return optimizer_kwargs


def build_optimizer(config: Dict[str, Any], params: Any, trainer: Any = None) -> Optimizer:
    """The optimizer an ``optim`` config describes (``sched`` excluded), over ``params``: the one path every model uses.

    ``_target_`` (a ``torch.optim.Optimizer`` subclass, through the checked construction path) or ``name`` (the
    registry, default ``adam``); ``lr``; ``args`` (see ``parse_optimizer_args``) or the remaining keys as keyword
    arguments, lists turned into tuples (``betas``). Adam, AdamW and SGD get ``fused=True`` unless the config sets
    ``fused`` or ``foreach`` (see ``fused_by_default``); ``trainer`` is the Lightning trainer that will step it.
    """
    config = {key: value for key, value in config.items() if key not in ("sched", "cls")}
    target = config.pop("_target_", None)
    name = config.pop("name", "adam")
    optimizer_name = str(target).rsplit(".", 1)[-1].lower() if target is not None else name
    lr = config.pop("lr", None)
    kwargs = parse_optimizer_args(optimizer_name, config["args"]) if "args" in config else config
    kwargs = {key: tuple(value) if isinstance(value, list) else value for key, value in kwargs.items()}
    if lr is not None:
        kwargs["lr"] = lr
    if target is not None:
        from nemo.core.classes.construction import resolve_target

        optimizer_class = resolve_target(target, Optimizer, "optim._target_")
    else:
        optimizer_class = get_optimizer(optimizer_name).func
    params = list(params)
    if fused_by_default(optimizer_class, kwargs, params, trainer):
        kwargs["fused"] = True
    return optimizer_class(params, **kwargs)


def fused_by_default(optimizer_class: type, kwargs: Dict[str, Any], params: List[Any], trainer: Any = None) -> bool:
    """Whether to build ``optimizer_class`` with ``fused=True``: the same update in one kernel per step (on a CPU,
    AdamW over 14M parameters takes 9 ms instead of 33), where PyTorch's default is a Python loop over parameters.

    Only for Adam, AdamW and SGD, when the config chose neither ``fused`` nor ``foreach``, every parameter is a
    floating-point tensor on a CPU or CUDA device, and ``trainer`` does not clip gradients under mixed precision
    (Lightning refuses to clip for an optimizer that unscales gradients itself).
    """
    if optimizer_class not in _FUSABLE or "fused" in kwargs or "foreach" in kwargs:
        return False
    tensors = [p for group in params for p in (group["params"] if isinstance(group, dict) else [group])]
    if not tensors or any(not p.is_floating_point() or p.device.type not in ("cpu", "cuda") for p in tensors):
        return False
    if trainer is not None and getattr(trainer, "gradient_clip_val", None):
        from pytorch_lightning.plugins.precision import MixedPrecision

        return not isinstance(getattr(trainer, "precision_plugin", None), MixedPrecision)
    return True


def _to_plain_dict(value: Any, what: str) -> Dict[str, Any]:
    """Copy a DictConfig, dataclass instance or mapping into a plain, resolved dict; anything else is an error."""
    import dataclasses

    from omegaconf import DictConfig, OmegaConf

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, DictConfig):
        return OmegaConf.to_container(value, resolve=True)
    if isinstance(value, Mapping):
        return dict(value)
    raise ValueError(f"Expected a mapping (dict or DictConfig) for the {what}, got {type(value).__name__}: {value!r}")


def _instantiate_params(config: Dict[str, Any], what: str, key: str, bases: Any = None) -> Any:
    """The Params dataclass ``config['_target_']`` names, built through the checked construction path.

    ``key`` is the config key path for errors; ``bases`` are the Params classes allowed (optimizer params by default).
    """
    import dataclasses

    from nemo.core.classes.construction import build_from_config
    from nemo.core.config.optimizers import OptimizerParams

    params = build_from_config({**config, "_convert_": "all"}, bases or OptimizerParams, key)

    if not dataclasses.is_dataclass(params):
        raise ValueError(
            f"The {what} have _target_={config['_target_']!r}, which built a {type(params).__name__}; "
            "expected a params dataclass such as nemo.core.config.optimizers.NovogradParams"
        )
    return params
