"""What a run leaves in its log dir besides checkpoints: command line, git state, copied files, logs, hparams.

Shared files are written by global rank 0 only; each rank writes its own ``nemo_log_globalrank-<g>_localrank-<l>.txt``.
File handlers from an earlier ``exp_manager`` call in the same process are detached first, so a notebook or test that
starts a second experiment does not keep logging into the first one's folder.
"""

import logging as _stdlib_logging
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List, Optional, Sequence

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Callback
from pytorch_lightning.core.saving import save_hparams_to_yaml

from nemo.utils import logging

__all__ = [
    "HParamsRecorder",
    "attach_file_logging",
    "copy_files",
    "detach_file_logging",
    "git_info",
    "missing_files",
    "write_run_records",
]

# Stdlib loggers Lightning writes its messages to.
LIGHTNING_LOGGERS = ("pytorch_lightning", "lightning_fabric")
_LOG_FORMAT = "[%(asctime)s %(name)s %(levelname)s] %(message)s"

_nemo_handlers: List[_stdlib_logging.Handler] = []
_lightning_handlers: List[_stdlib_logging.Handler] = []


def detach_file_logging() -> None:
    """Close the file handlers a previous ``exp_manager`` call attached."""
    for handler in _nemo_handlers:
        logging.remove_file_handler(handler)
    for handler in _lightning_handlers:
        for name in LIGHTNING_LOGGERS:
            _stdlib_logging.getLogger(name).removeHandler(handler)
        handler.close()
    _nemo_handlers.clear()
    _lightning_handlers.clear()


def attach_file_logging(log_dir: Path, global_rank: int, local_rank: int) -> None:
    """Log NeMo messages to ``nemo_log_globalrank-<g>_localrank-<l>.txt`` on every rank; on rank 0 also warnings and
    errors to ``nemo_error_log.txt`` and Lightning's messages to ``lightning_logs.txt`` (warnings also to the error
    log)."""
    detach_file_logging()
    log_dir = Path(log_dir)
    _nemo_handlers.append(
        logging.add_file_handler(log_dir / f"nemo_log_globalrank-{global_rank}_localrank-{local_rank}.txt")
    )
    if global_rank != 0:
        return
    error_log = log_dir / "nemo_error_log.txt"
    _nemo_handlers.append(logging.add_err_file_handler(error_log))
    formatter = _stdlib_logging.Formatter(_LOG_FORMAT)
    everything = _stdlib_logging.FileHandler(log_dir / "lightning_logs.txt", encoding="utf-8")
    problems = _stdlib_logging.FileHandler(error_log, encoding="utf-8")
    problems.setLevel(_stdlib_logging.WARNING)
    for handler in (everything, problems):
        handler.setFormatter(formatter)
        for name in LIGHTNING_LOGGERS:
            _stdlib_logging.getLogger(name).addHandler(handler)
        _lightning_handlers.append(handler)


def git_info(cwd: Optional[Path] = None) -> Optional[str]:
    """``"commit hash: <sha>"`` plus the output of ``git diff``, or None outside a git work tree (or without git)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=30, check=False
        )
        if head.returncode != 0:
            return None
        diff = subprocess.run(["git", "diff"], cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return f"commit hash: {head.stdout.strip()}\n{diff.stdout}"


def copy_files(files: Sequence[str], log_dir: Path) -> None:
    """Copy each of ``files_to_copy`` into the log dir (checked to exist before anything was created)."""
    for name in files:
        shutil.copy(name, Path(log_dir) / Path(name).name)


def missing_files(files: Optional[Sequence[str]]) -> List[str]:
    """The entries of ``files_to_copy`` that are not existing files."""
    return [name for name in files or () if not Path(name).is_file()]


def write_run_records(log_dir: Path, files_to_copy: Optional[Sequence[str]]) -> None:
    """Rank 0: ``cmd-args.log``, ``git-info.log`` (in a git work tree) and the ``files_to_copy``."""
    log_dir = Path(log_dir)
    (log_dir / "cmd-args.log").write_text(" ".join(sys.argv), encoding="utf-8")
    info = git_info()
    if info is not None:
        (log_dir / "git-info.log").write_text(info, encoding="utf-8")
    if files_to_copy:
        copy_files(files_to_copy, log_dir)


class HParamsRecorder(Callback):
    """Writes the module's hyper-parameters to ``<log_dir>/hparams.yaml`` when no logger has done so (e.g. without
    TensorBoard); the TensorBoard logger writes the same file itself before training starts."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = Path(log_dir)

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        path = self.log_dir / "hparams.yaml"
        if trainer.is_global_zero and not path.exists() and pl_module.hparams:
            save_hparams_to_yaml(path, pl_module.hparams)
