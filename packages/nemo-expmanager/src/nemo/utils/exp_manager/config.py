"""Structured configs of ``exp_manager``: every NeMo v1.0.0 key and default, plus the later early-stopping and timing keys.

A user's ``exp_manager:`` section (DictConfig or dict) is merged onto ``OmegaConf.structured(ExpManagerConfig)``, so
a misspelt or wrongly typed key fails at once with the key's dotted name instead of being silently ignored.
"""

import dataclasses
import difflib
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Union

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import ConfigKeyError, OmegaConfBaseException

__all__ = ["CallbackParams", "EarlyStoppingParams", "ExpManagerConfig", "resolve_exp_manager_config"]


@dataclass
class CallbackParams:
    """Arguments of the NeMo checkpoint callback (Lightning's ``ModelCheckpoint`` plus the ``.nemo`` options).

    ``filepath``, ``period`` and ``prefix`` are NeMo v1 / Lightning 1.x names kept for old configs: ``filepath`` is
    split into ``dirpath``/``filename``, ``period`` becomes ``every_n_epochs`` and an explicit ``prefix`` is put in
    front of the checkpoint file names; each logs a deprecation warning. ``period`` defaults to None (v1: 1) so that
    only configs that really set it are warned; the effective default is still one checkpoint per epoch.
    """

    filepath: Optional[str] = None  # deprecated: use dirpath and filename
    dirpath: Optional[str] = None
    filename: Optional[str] = None
    monitor: Optional[str] = "val_loss"
    verbose: bool = True
    save_last: bool = True
    save_top_k: int = 3
    save_weights_only: bool = False
    mode: str = "min"
    period: Optional[int] = None  # deprecated: use every_n_epochs
    every_n_epochs: Optional[int] = None
    every_n_train_steps: Optional[int] = None
    save_on_train_epoch_end: Optional[bool] = None
    auto_insert_metric_name: bool = True
    # False: a checkpoint saved again under an existing name (a step redone after a resume) replaces the old file
    # instead of adding "-v1", so a kill cannot leave orphans behind.
    enable_version_counter: bool = False
    prefix: Optional[str] = None
    postfix: str = ".nemo"
    save_best_model: bool = False
    always_save_nemo: bool = False


@dataclass
class EarlyStoppingParams:
    """Arguments of Lightning's ``EarlyStopping`` (used when ``create_early_stopping_callback`` is True)."""

    monitor: str = "val_loss"
    mode: str = "min"
    min_delta: float = 0.001
    patience: int = 10
    verbose: bool = True
    strict: bool = True
    check_finite: bool = True
    stopping_threshold: Optional[float] = None
    divergence_threshold: Optional[float] = None
    check_on_train_epoch_end: Optional[bool] = None
    log_rank_zero_only: bool = False


@dataclass
class ExpManagerConfig:
    """Every key of an ``exp_manager:`` config section, with its default."""

    # Folder layout: <exp_dir>/<name>/<version>, or explicit_log_dir as is.
    explicit_log_dir: Optional[str] = None
    exp_dir: Optional[str] = None
    name: Optional[str] = None
    version: Optional[str] = None
    use_datetime_version: bool = True
    # Auto-resume from <log_dir>/checkpoints.
    resume_if_exists: bool = False
    resume_past_end: bool = False
    resume_ignore_no_checkpoint: bool = False
    # Loggers.
    create_tensorboard_logger: bool = True
    summary_writer_kwargs: Optional[Dict[Any, Any]] = None
    create_wandb_logger: bool = False
    wandb_logger_kwargs: Optional[Dict[Any, Any]] = None
    # Checkpointing.
    create_checkpoint_callback: bool = True
    checkpoint_callback_params: Optional[CallbackParams] = field(default_factory=CallbackParams)
    # Files copied into the log dir (e.g. the model config) for the record.
    files_to_copy: Optional[List[str]] = None
    # Beyond NeMo v1.0.0.
    create_early_stopping_callback: bool = False
    early_stopping_callback_params: Optional[EarlyStoppingParams] = field(default_factory=EarlyStoppingParams)
    log_step_timing: bool = True


def _plain_dict(node: Any) -> Dict[str, Any]:
    """A ``*_kwargs``/``*_params`` node of the config as a plain, resolved dict (None: empty)."""
    if node is None:
        return {}
    if isinstance(node, DictConfig):
        return OmegaConf.to_container(node, resolve=True)
    return dict(node)


def _valid_keys(schema: type, dotted_key: str) -> List[str]:
    """Names accepted at the level of ``dotted_key`` (the last component is the offending one)."""
    node: Any = schema
    for part in dotted_key.split(".")[:-1]:
        types = {f.name: f.type for f in dataclasses.fields(node)}
        candidate = types.get(part)
        args = [a for a in getattr(candidate, "__args__", (candidate,)) if dataclasses.is_dataclass(a)]
        if not args:
            return []
        node = args[0]
    return [f.name for f in dataclasses.fields(node)]


def resolve_exp_manager_config(cfg: Union[DictConfig, Dict[str, Any]]) -> DictConfig:
    """Validate ``cfg`` against :class:`ExpManagerConfig` and return the merged, resolved config.

    Raises ValueError for a wrong type of ``cfg``, an unknown key (named with its dotted path and close matches) or
    a value of the wrong type.
    """
    if isinstance(cfg, dict):
        cfg = OmegaConf.create(cfg)
    elif not isinstance(cfg, DictConfig):
        raise ValueError(
            f"exp_manager expects its config as a DictConfig or dict (the `exp_manager:` section), got "
            f"{type(cfg).__name__}"
        )
    try:
        # to_container resolves interpolations against the whole config the section belongs to, without mutating it.
        user = OmegaConf.to_container(cfg, resolve=True)
        return OmegaConf.merge(OmegaConf.structured(ExpManagerConfig), user)
    except ConfigKeyError as err:
        key = str(err.full_key or err.key)
        valid = _valid_keys(ExpManagerConfig, key)
        close = difflib.get_close_matches(key.split(".")[-1], valid, n=3)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(
            f"exp_manager config: unknown key 'exp_manager.{key}'.{hint} Valid keys at that level: {', '.join(valid)}"
        ) from err
    except OmegaConfBaseException as err:
        key = getattr(err, "full_key", None) or getattr(err, "key", None) or "?"
        reason = str(err).splitlines()[0]
        raise ValueError(f"exp_manager config: invalid value for 'exp_manager.{key}': {reason}") from err
