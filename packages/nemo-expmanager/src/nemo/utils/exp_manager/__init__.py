"""NeMo's experiment manager: experiment folders, loggers, checkpoints with ``.nemo`` export and auto-resume.

``from nemo.utils.exp_manager import exp_manager`` then ``exp_manager(trainer, cfg.get("exp_manager", None))``.
"""

from nemo.utils.exp_manager.callbacks import StepTimingCallback, build_early_stopping_callback
from nemo.utils.exp_manager.checkpoint import NeMoModelCheckpoint, configure_checkpointing
from nemo.utils.exp_manager.config import (
    CallbackParams,
    EarlyStoppingParams,
    ExpManagerConfig,
    resolve_exp_manager_config,
)
from nemo.utils.exp_manager.errors import (
    CheckpointMisconfigurationError,
    LoggerMisconfigurationError,
    NotFoundError,
)
from nemo.utils.exp_manager.log_dir import NEMO_ENV_VARNAME_VERSION, get_log_dir
from nemo.utils.exp_manager.loggers import configure_loggers
from nemo.utils.exp_manager.manager import error_checks, exp_manager
from nemo.utils.exp_manager.resume import check_resume, find_resume_checkpoint
from nemo.utils.exp_manager.version import __version__

__all__ = [
    "exp_manager",
    "ExpManagerConfig",
    "CallbackParams",
    "EarlyStoppingParams",
    "NeMoModelCheckpoint",
    "StepTimingCallback",
    "LoggerMisconfigurationError",
    "CheckpointMisconfigurationError",
    "NotFoundError",
    "NEMO_ENV_VARNAME_VERSION",
    "build_early_stopping_callback",
    "check_resume",
    "configure_checkpointing",
    "configure_loggers",
    "error_checks",
    "find_resume_checkpoint",
    "get_log_dir",
    "resolve_exp_manager_config",
    "__version__",
]
