"""Where an experiment writes: ``<exp_dir>/<name>/<version>`` (or ``explicit_log_dir``), one folder for all ranks.

The version is chosen once, by global rank 0, and exported in ``NEMO_EXPM_VERSION``; Lightning's DDP launcher starts
the other ranks as child processes of rank 0 after ``exp_manager`` ran, so they inherit the variable and pick the same
folder instead of a datetime a second later.
"""

import os
import re
import time
from pathlib import Path
from typing import Optional, Tuple

import pytorch_lightning as pl

from nemo.utils import logging
from nemo.utils.exp_manager.errors import LoggerMisconfigurationError

__all__ = ["NEMO_ENV_VARNAME_VERSION", "get_log_dir", "global_rank_of", "next_version_number"]

NEMO_ENV_VARNAME_VERSION = "NEMO_EXPM_VERSION"


def global_rank_of(trainer: pl.Trainer) -> int:
    """Global rank of this process, known before ``fit`` sets up the process group.

    ``node_rank * devices_per_node + LOCAL_RANK``: Lightning's launchers set ``LOCAL_RANK`` in every child process.
    """
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    return trainer.node_rank * trainer.num_devices + local_rank


def next_version_number(root: Path) -> int:
    """One more than the highest ``version_<N>`` folder in ``root`` (0 if none), as TensorBoard numbers runs."""
    if not root.is_dir():
        return 0
    numbers = [int(m.group(1)) for p in root.iterdir() if p.is_dir() and (m := re.fullmatch(r"version_(\d+)", p.name))]
    return max(numbers) + 1 if numbers else 0


def _from_trainer_logger(trainer: pl.Trainer, exp_dir: Optional[str], name: Optional[str]) -> Tuple[str, str, str]:
    """Take exp_dir/name/version from a logger the user gave the Trainer (only when exp_manager creates none)."""
    logger = trainer.logger
    if exp_dir:
        raise LoggerMisconfigurationError(
            f"The Trainer already has a logger (saving to {logger.save_dir!r}) and exp_manager.exp_dir is also set to "
            f"{exp_dir!r}; the logger decides where the experiment goes. Remove exp_manager.exp_dir or the Trainer's "
            "logger."
        )
    if name:
        raise LoggerMisconfigurationError(
            f"The Trainer already has a logger (named {logger.name!r}) and exp_manager.name is also set to {name!r}; "
            "the logger's name is used. Remove exp_manager.name or the Trainer's logger."
        )
    version = logger.version
    version = version if isinstance(version, str) else f"version_{version}"
    return str(logger.save_dir or trainer.default_root_dir), str(logger.name or ""), version


def get_log_dir(
    trainer: pl.Trainer,
    exp_dir: Optional[str] = None,
    name: Optional[str] = None,
    version: Optional[str] = None,
    explicit_log_dir: Optional[str] = None,
    use_datetime_version: bool = True,
    resume_if_exists: bool = False,
) -> Tuple[Path, str, str, str]:
    """Choose the experiment folder; returns ``(log_dir, exp_dir, name, version)`` without creating anything.

    * ``explicit_log_dir``: used as is (``exp_dir``/``version`` are then ignored with an error log); name and version
      become "".
    * a logger already on the Trainer (only allowed when exp_manager creates no logger): its save_dir, name, version.
    * otherwise ``exp_dir`` (default ``./nemo_experiments``) / ``name`` (default ``"default"``) / version, where the
      version is the given one, else ``$NEMO_EXPM_VERSION``, else none at all when ``resume_if_exists`` (so a
      restarted job finds the same folder), else a new ``%Y-%m-%d_%H-%M-%S`` or ``version_<N>`` picked by rank 0.
    """
    if explicit_log_dir:
        if trainer.logger is not None:
            raise LoggerMisconfigurationError(
                f"exp_manager.explicit_log_dir is {explicit_log_dir!r} but the Trainer already has a logger writing "
                f"to {trainer.logger.save_dir!r}; they cannot both decide the log dir."
            )
        if exp_dir or version:
            logging.error(
                f"exp_manager: explicit_log_dir ({explicit_log_dir}) overrides exp_dir ({exp_dir}) and version "
                f"({version}); those are ignored."
            )
        path = Path(explicit_log_dir)
        if path.is_dir() and any(path.iterdir()):
            logging.warning(f"exp_manager: explicit_log_dir {path} already exists and is not empty; writing into it.")
        return path, str(path), "", ""

    if trainer.logger is not None:
        exp_dir, name, version = _from_trainer_logger(trainer, exp_dir, name)
        return Path(exp_dir) / name / version, exp_dir, name, version

    exp_dir = str(Path(exp_dir) if exp_dir else Path.cwd() / "nemo_experiments")
    name = name or "default"
    version = version or os.environ.get(NEMO_ENV_VARNAME_VERSION) or ""
    if not version:
        if resume_if_exists:
            logging.warning(
                "exp_manager: resume_if_exists is True and no version is set, so no version folder is used: the run "
                f"writes to {Path(exp_dir) / name} and a restarted run finds its checkpoints there."
            )
        elif global_rank_of(trainer) == 0:
            if use_datetime_version:
                version = time.strftime("%Y-%m-%d_%H-%M-%S")
            else:
                version = f"version_{next_version_number(Path(exp_dir) / name)}"
            if trainer.num_nodes * trainer.num_devices > 1:
                # Lightning starts the other DDP ranks from this process after exp_manager: they inherit it.
                os.environ[NEMO_ENV_VARNAME_VERSION] = version
        else:
            logging.warning(
                f"exp_manager: global rank {global_rank_of(trainer)} got no version from rank 0 "
                f"(${NEMO_ENV_VARNAME_VERSION} is unset); set exp_manager.version when processes are launched "
                "independently (torchrun, SLURM) so all ranks agree on the log dir."
            )
    return Path(exp_dir) / name / version, exp_dir, name, version
