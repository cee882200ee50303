"""``update_model_config``: layer a user's config (YAML, CLI, a restored ``model.cfg``) onto a ``NemoConfig`` dataclass.

A plain ``OmegaConf.merge(structured_defaults, user_cfg)`` is not enough for NeMo configs: the user may leave out
optional sections (``train_ds`` ...) that the defaults define, and ``optim``/``optim.sched`` carry optimizer-specific
keys (``lr``, ``betas``, ``warmup_steps`` ...) that ``OptimConfig``/``SchedConfig`` do not declare. This module
reconciles the layout first and then merges, so the user's values win and the dataclass supplies the rest.
"""

from __future__ import annotations

import copy
import dataclasses
import typing
from typing import Any, Optional, Union

from omegaconf import DictConfig, OmegaConf, open_dict

__all__ = ["update_model_config", "OPTIONAL_MODEL_SUBCONFIGS"]

# Sections of ``model`` that follow the user's layout: added when the user has them, dropped when they do not.
OPTIONAL_MODEL_SUBCONFIGS = ("train_ds", "validation_ds", "test_ds", "optim")


def update_model_config(model_cls: Any, update_cfg: Any, drop_missing_subconfigs: bool = True) -> DictConfig:
    """Return ``model_cls``'s defaults updated with ``update_cfg`` (a config with the same ``model:`` layout).

    Args:
        model_cls: a ``NemoConfig`` dataclass (type or instance), or a structured DictConfig made from one.
        update_cfg: a DictConfig (or dict) mirroring ``model_cls``: from YAML, Hydra, or a model's saved config.
        drop_missing_subconfigs: remove ``model.train_ds``/``validation_ds``/``test_ds``/``optim`` from the defaults
            when ``update_cfg.model`` lacks them, so a model built from the result does not set up data loaders or an
            optimizer the user did not ask for.

    Returns:
        The merged DictConfig; it keeps the dataclass' type checks for every key the dataclass declares.
    """
    if dataclasses.is_dataclass(model_cls):
        base = OmegaConf.structured(model_cls)
    elif isinstance(model_cls, DictConfig):
        base = copy.deepcopy(model_cls)
    else:
        raise ValueError(
            f"update_model_config: model_cls must be a NemoConfig dataclass or a structured DictConfig, "
            f"got {type(model_cls).__name__}"
        )
    update = copy.deepcopy(update_cfg) if isinstance(update_cfg, DictConfig) else OmegaConf.create(update_cfg)
    declared_model = _declared_dataclass(base, "model")
    if declared_model is not None and OmegaConf.is_missing(base, "model"):
        base.model = OmegaConf.structured(declared_model)  # NemoConfig() leaves it ???: start from its defaults
    for what, cfg in (("model_cls", base), ("update_cfg", update)):
        if "model" not in cfg or not isinstance(cfg.model, DictConfig):
            raise ValueError(
                f"update_model_config: {what} must have a 'model' section (a mapping), got keys {list(cfg)}"
            )

    with open_dict(base.model):
        for key in OPTIONAL_MODEL_SUBCONFIGS:
            if key in update.model and key not in base.model:
                base.model[key] = copy.deepcopy(update.model[key])
            elif key not in update.model and key in base.model and drop_missing_subconfigs:
                base.model.pop(key)

        # optim/sched keys beyond OptimConfig/SchedConfig are optimizer-specific: widen the default nodes so they
        # accept the user's extra keys, while the keys they declare keep their types.
        user_optim = OmegaConf.select(update, "model.optim")
        if isinstance(user_optim, DictConfig):
            user_sched = user_optim.get("sched")
            user_rest = {key: value for key, value in user_optim.items_ex(resolve=False) if key != "sched"}
            optim = _widen(base.model.get("optim"), _declared_dataclass(base.model, "optim"), user_rest)
            if isinstance(user_sched, DictConfig):
                with open_dict(optim):
                    optim.sched = _widen(optim.get("sched"), _declared_dataclass(optim, "sched"), user_sched)
            base.model.optim = optim

    # ModelPT stores its class path as ``model.target``; a dataclass without that key would reject it.
    if "target" in update.model and "target" not in base.model:
        with open_dict(update.model):
            update.model.pop("target")

    return OmegaConf.merge(base, update)


def _declared_dataclass(parent: DictConfig, key: str) -> Optional[type]:
    """The dataclass that ``parent``'s own dataclass declares for ``key`` (``Optional`` unwrapped), else None."""
    owner = OmegaConf.get_type(parent)
    if not dataclasses.is_dataclass(owner):
        return None
    hint = typing.get_type_hints(owner).get(key)
    candidates = typing.get_args(hint) if typing.get_origin(hint) is Union else (hint,)
    return next((c for c in candidates if isinstance(c, type) and dataclasses.is_dataclass(c)), None)


def _widen(default: Any, declared: Optional[type], user: Any) -> DictConfig:
    """``user`` merged onto ``default``, or onto ``declared``'s defaults when the dataclass default is None.

    The node keeps its dataclass type (so the keys it declares are type-checked) but is opened to the extra keys an
    optimizer or scheduler takes; a plain dict in its place would be refused by the ``Optional[OptimConfig]`` field.
    """
    if isinstance(default, DictConfig):
        node = copy.deepcopy(default)
    elif declared is not None:
        node = OmegaConf.structured(declared)
    else:
        return OmegaConf.create(user)
    OmegaConf.set_struct(node, False)
    return OmegaConf.merge(node, user)
