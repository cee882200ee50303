"""TensorBoard and Weights & Biases loggers writing into the experiment's log dir, attached to the Trainer.

Lightning 2 dropped ``LoggerCollection`` and the logger connector NeMo v1 used; the loggers are assigned to
``trainer.loggers`` instead (the Trainer must be built with ``logger=False`` so it has none of its own).
"""

import importlib.util
from typing import Any, List, Optional

import pytorch_lightning as pl
from pytorch_lightning.loggers import Logger, TensorBoardLogger

from nemo.utils.exp_manager.config import _plain_dict

__all__ = ["configure_loggers", "require_wandb", "wandb_available"]


def wandb_available() -> bool:
    """Whether the optional ``wandb`` package can be imported."""
    return importlib.util.find_spec("wandb") is not None


def require_wandb() -> None:
    """Fail early, before any folder is created, when W&B logging is asked for but ``wandb`` is missing."""
    if not wandb_available():
        raise ModuleNotFoundError(
            "exp_manager.create_wandb_logger is True but the wandb package is not installed. Install the extra with "
            "`pip install 'nemo-expmanager[wandb]'` (or `pip install wandb`), or set "
            "exp_manager.create_wandb_logger=False.",
            name="wandb",
        )


def _tensorboard_logger(exp_dir: str, name: str, version: str, summary_writer_kwargs: Any) -> TensorBoardLogger:
    kwargs = _plain_dict(summary_writer_kwargs)
    if "log_dir" in kwargs:
        raise ValueError(
            f"exp_manager.summary_writer_kwargs.log_dir ({kwargs['log_dir']!r}) is not allowed: the TensorBoard logs "
            "go to the experiment's log dir. Use exp_manager.exp_dir/name/version or explicit_log_dir instead."
        )
    return TensorBoardLogger(save_dir=exp_dir, name=name, version=version, **kwargs)


def _wandb_logger(exp_dir: str, version: str, wandb_logger_kwargs: Any) -> Logger:
    require_wandb()
    from pytorch_lightning.loggers import WandbLogger

    kwargs = _plain_dict(wandb_logger_kwargs)
    if not kwargs.get("name") and not kwargs.get("project"):
        raise ValueError(
            "exp_manager.create_wandb_logger is True but exp_manager.wandb_logger_kwargs has neither 'name' nor "
            "'project': set at least one (e.g. wandb_logger_kwargs: {name: my_run, project: my_project}). Add "
            "offline: True to log without a W&B server."
        )
    return WandbLogger(save_dir=exp_dir, version=version or None, **kwargs)


def configure_loggers(
    trainer: pl.Trainer,
    exp_dir: str,
    name: str,
    version: str,
    create_tensorboard_logger: bool,
    summary_writer_kwargs: Optional[Any],
    create_wandb_logger: bool,
    wandb_logger_kwargs: Optional[Any],
) -> List[Logger]:
    """Create the requested loggers (TensorBoard first), assign them to ``trainer.loggers`` and return them.

    TensorBoard writes its event files and ``hparams.yaml`` into ``<exp_dir>/<name>/<version>``, the log dir.
    """
    loggers: List[Logger] = []
    if create_tensorboard_logger:
        loggers.append(_tensorboard_logger(exp_dir, name, version, summary_writer_kwargs))
    if create_wandb_logger:
        loggers.append(_wandb_logger(exp_dir, version, wandb_logger_kwargs))
    if loggers:
        trainer.loggers = loggers
    return loggers
