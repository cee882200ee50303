"""``exp_manager(trainer, cfg)``: set up one experiment's folder, loggers, checkpointing and auto-resume.

Typical use, from a Hydra script (the Trainer is built with ``logger=False`` and ``enable_checkpointing=False``
because exp_manager provides both)::

    trainer = pl.Trainer(**cfg.trainer)
    exp_manager(trainer, cfg.get("exp_manager", None))
    model = MyModel(cfg=cfg.model, trainer=trainer)
    trainer.fit(model)  # resumes from the checkpoint exp_manager chose, if any
"""

import os
from pathlib import Path
from typing import Any, Dict, Optional, Union

import pytorch_lightning as pl
from omegaconf import DictConfig

from nemo.utils import logging
from nemo.utils.app_state import AppState
from nemo.utils.exp_manager.callbacks import StepTimingCallback, build_early_stopping_callback
from nemo.utils.exp_manager.checkpoint import check_checkpoint_setup, configure_checkpointing
from nemo.utils.exp_manager.config import resolve_exp_manager_config
from nemo.utils.exp_manager.errors import LoggerMisconfigurationError
from nemo.utils.exp_manager.log_dir import get_log_dir, global_rank_of
from nemo.utils.exp_manager.loggers import configure_loggers, require_wandb
from nemo.utils.exp_manager.records import (
    HParamsRecorder,
    attach_file_logging,
    detach_file_logging,
    missing_files,
    write_run_records,
)
from nemo.utils.exp_manager.resume import check_resume

__all__ = ["exp_manager", "error_checks"]


def _hydra_changed_cwd() -> Optional[str]:
    """The directory Hydra started in, if a Hydra app is running and has moved the process elsewhere."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return None
    original = HydraConfig.get().runtime.cwd
    return original if original and os.path.abspath(original) != os.getcwd() else None


def error_checks(trainer: pl.Trainer, cfg: DictConfig) -> None:
    """Refuse setups that would put the experiment in the wrong place or give it two of something."""
    original = _hydra_changed_cwd()
    if original is not None:
        raise ValueError(
            f"Hydra changed the working directory from {original} to {os.getcwd()}; exp_manager places the "
            "experiment relative to where the script was started. Use nemo.core.config.hydra_runner (which keeps the "
            "working directory), or pass hydra.run.dir=. on the command line (and hydra.job.chdir=False)."
        )
    if trainer.logger is not None and (cfg.create_tensorboard_logger or cfg.create_wandb_logger):
        raise LoggerMisconfigurationError(
            f"The Lightning Trainer passed to exp_manager already has a logger ({type(trainer.logger).__name__}) "
            f"and exp_manager.create_tensorboard_logger={cfg.create_tensorboard_logger}, "
            f"create_wandb_logger={cfg.create_wandb_logger}: exp_manager would create a second one. Set both to "
            "False to keep the Trainer's logger, or build the Trainer with logger=False."
        )
    if cfg.create_wandb_logger:
        require_wandb()
    if cfg.create_checkpoint_callback:
        check_checkpoint_setup(trainer, cfg.resume_if_exists, cfg.checkpoint_callback_params)
    missing = missing_files(cfg.files_to_copy)
    if missing:
        raise FileNotFoundError(
            f"exp_manager.files_to_copy lists {', '.join(repr(m) for m in missing)}, which "
            f"{'is not a file' if len(missing) == 1 else 'are not files'} (relative to {os.getcwd()})."
        )


def exp_manager(trainer: pl.Trainer, cfg: Optional[Union[DictConfig, Dict[str, Any]]] = None) -> Optional[Path]:
    """Create the experiment folder and attach loggers and callbacks to ``trainer``; returns the log dir.

    ``cfg`` is an ``exp_manager:`` config section (see :class:`ExpManagerConfig`; unknown keys raise ValueError).
    Returns None, doing nothing, when ``cfg`` is None or the Trainer runs ``fast_dev_run``. See the package README
    for the folder layout, the resume precedence and the checkpoint files.
    """
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    global_rank = global_rank_of(trainer)
    logging.rank = global_rank
    if cfg is None:
        logging.error(
            "exp_manager did not receive a cfg argument: it is disabled (no log dir, loggers or checkpoints)."
        )
        return None
    if trainer.fast_dev_run:
        logging.info("Trainer runs fast_dev_run: exp_manager returns without creating anything.")
        return None

    cfg = resolve_exp_manager_config(cfg)
    error_checks(trainer, cfg)
    detach_file_logging()  # close files of an earlier experiment in this process before its folder is archived

    log_dir, exp_dir, name, version = get_log_dir(
        trainer,
        exp_dir=cfg.exp_dir,
        name=cfg.name,
        version=cfg.version,
        explicit_log_dir=cfg.explicit_log_dir,
        use_datetime_version=cfg.use_datetime_version,
        resume_if_exists=cfg.resume_if_exists,
    )
    if cfg.resume_if_exists:
        check_resume(trainer, log_dir, cfg.resume_past_end, cfg.resume_ignore_no_checkpoint)

    checkpoint_name = name or cfg.name or "default"
    app_state = AppState()
    app_state.log_dir = log_dir
    app_state.exp_dir = exp_dir
    app_state.name = name
    app_state.version = version
    app_state.checkpoint_name = checkpoint_name
    app_state.create_checkpoint_callback = cfg.create_checkpoint_callback
    app_state.checkpoint_callback_params = cfg.checkpoint_callback_params

    log_dir.mkdir(parents=True, exist_ok=True)
    trainer._default_root_dir = str(log_dir)  # Lightning's own fallback outputs land in the experiment too
    attach_file_logging(log_dir, global_rank, local_rank)
    logging.info(f"Experiments will be logged at {log_dir}")

    configure_loggers(
        trainer,
        exp_dir,
        name,
        version,
        cfg.create_tensorboard_logger,
        cfg.summary_writer_kwargs,
        cfg.create_wandb_logger,
        cfg.wandb_logger_kwargs,
    )
    if cfg.log_step_timing:
        trainer.callbacks.append(StepTimingCallback())
    if cfg.create_early_stopping_callback:
        trainer.callbacks.append(build_early_stopping_callback(cfg.early_stopping_callback_params))
    trainer.callbacks.append(HParamsRecorder(log_dir))
    if cfg.create_checkpoint_callback:
        # Last, so it sees the metrics and stop decisions of the callbacks above.
        configure_checkpointing(trainer, log_dir, checkpoint_name, cfg.resume_if_exists, cfg.checkpoint_callback_params)

    if global_rank == 0:
        write_run_records(log_dir, cfg.files_to_copy)
    return log_dir
