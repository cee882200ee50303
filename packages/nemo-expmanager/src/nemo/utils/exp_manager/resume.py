"""Auto-resume: pick the checkpoint a restarted run continues from, and hand it to Lightning.

Lightning 2 has no ``Trainer(resume_from_checkpoint=...)`` and ``exp_manager`` cannot call ``fit`` itself, so the
chosen file is set with the ``Trainer.ckpt_path`` setter: it marks the path as user-managed, and ``trainer.fit(model)``
called without ``ckpt_path`` then restores model, optimizers, schedulers, loops (epoch, global step) and callback
states from it. A ``ckpt_path`` passed to ``fit`` explicitly still wins (Lightning warns). Because a user-managed path
would also be reloaded by a later ``trainer.test()``/``validate()``, a small callback forgets it when ``fit`` ends.

Precedence (one rule, applied to ``<log_dir>/checkpoints``):

1. Candidates are the *last* checkpoints (``*last.ckpt``, ``*last-v<N>.ckpt``) and the *end* checkpoints
   (``*end.ckpt``, written when a run finishes normally). Files that are not complete checkpoint archives (a copy cut
   short by a kill) are skipped with a warning.
2. No candidate: start from scratch with a warning if ``resume_ignore_no_checkpoint``, else :class:`NotFoundError`.
3. Otherwise the newest candidate (modification time; an end checkpoint wins a tie) is the run's latest state.
4. If that is an end checkpoint the run already completed: resume from it only with ``resume_past_end`` (e.g. after
   raising ``max_epochs``), else ``ValueError``. A last checkpoint newer than the end one (a run that went past its
   end and was interrupted) is simply resumed.
"""

import re
import shutil
import zipfile
from pathlib import Path
from typing import List, Optional, Tuple, Union

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Callback

from nemo.utils import logging
from nemo.utils.exp_manager.errors import NotFoundError
from nemo.utils.exp_manager.log_dir import global_rank_of

__all__ = ["check_resume", "find_resume_checkpoint", "is_complete_checkpoint", "archive_previous_run"]

_LAST_RE = re.compile(r".*last(-v\d+)?\.ckpt")
_END_RE = re.compile(r".*end\.ckpt")


def is_complete_checkpoint(path: Union[str, Path]) -> bool:
    """True if ``path`` is a whole ``torch.save`` archive: its zip directory (written last) is there and readable.

    Lightning writes checkpoints to a temporary file and moves them in place, which is atomic on one filesystem but a
    plain copy across filesystems, so a kill can leave a truncated file; this check catches that without unpickling.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            return any(name == "data.pkl" or name.endswith("/data.pkl") for name in archive.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def _candidates(checkpoint_dir: Path) -> Tuple[List[Path], List[Path]]:
    files = [p for p in checkpoint_dir.iterdir() if p.is_file()]
    ends = [p for p in files if _END_RE.fullmatch(p.name)]
    lasts = [p for p in files if _LAST_RE.fullmatch(p.name)]
    return ends, lasts


def find_resume_checkpoint(
    log_dir: Union[str, Path], resume_past_end: bool = False, resume_ignore_no_checkpoint: bool = False
) -> Tuple[Optional[Path], str]:
    """Apply the module's precedence to ``<log_dir>/checkpoints``; returns ``(checkpoint or None, reason)``."""
    checkpoint_dir = Path(log_dir) / "checkpoints"
    ends: List[Path] = []
    lasts: List[Path] = []
    if checkpoint_dir.is_dir():
        ends, lasts = _candidates(checkpoint_dir)
    unreadable = [p for p in ends + lasts if not is_complete_checkpoint(p)]
    for path in unreadable:
        logging.warning(f"exp_manager: skipping {path}: it is not a complete checkpoint (truncated or corrupt).")
    ends = [p for p in ends if p not in unreadable]
    lasts = [p for p in lasts if p not in unreadable]

    if not ends and not lasts:
        what = "no such folder" if not checkpoint_dir.is_dir() else "no readable *last.ckpt or *end.ckpt in it"
        if resume_ignore_no_checkpoint:
            return None, f"nothing to resume from in {checkpoint_dir} ({what}); resume_ignore_no_checkpoint is True"
        raise NotFoundError(
            f"exp_manager.resume_if_exists is True but there is nothing to resume from in {checkpoint_dir} ({what}). "
            "Set exp_manager.resume_ignore_no_checkpoint=True to start from scratch when no checkpoint exists."
        )

    # Newest wins; on equal times the end checkpoint (the run's final state) sorts last.
    ranked = [(p.stat().st_mtime_ns, 1, p.name, p) for p in ends] + [
        (p.stat().st_mtime_ns, 0, p.name, p) for p in lasts
    ]
    newest = max(ranked)[3]
    if newest in ends:
        if not resume_past_end:
            raise ValueError(
                f"exp_manager: the run in {log_dir} already completed (found {newest.name}). Set "
                "exp_manager.resume_past_end=True to continue training from its end (e.g. with a larger max_epochs), "
                "or choose another exp_manager.name/version for a new run."
            )
        return newest, "the run had completed and resume_past_end is True"
    others = len(lasts) - 1
    note = f"; {others} older last checkpoint(s) ignored" if others else ""
    return newest, f"newest last checkpoint in {checkpoint_dir}{note}"


class _ForgetResumePath(Callback):
    """Clears ``trainer.ckpt_path`` after ``fit`` so ``trainer.test()``/``validate()`` use the trained weights."""

    def __init__(self, path: str) -> None:
        self.path = path

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.ckpt_path is not None and str(trainer.ckpt_path) == self.path:
            trainer.ckpt_path = None


def archive_previous_run(log_dir: Union[str, Path]) -> Optional[Path]:
    """Move the regular files directly inside ``log_dir`` (logs, event files, records) to a new ``run_<k>``."""
    log_dir = Path(log_dir)
    if not log_dir.is_dir():
        return None
    files = [p for p in log_dir.iterdir() if p.is_file()]
    if not files:
        return None
    k = len([p for p in log_dir.iterdir() if p.is_dir() and p.name.startswith("run_")])
    while (log_dir / f"run_{k}").exists():
        k += 1
    target = log_dir / f"run_{k}"
    target.mkdir()
    for path in files:
        shutil.move(str(path), str(target / path.name))
    return target


def check_resume(
    trainer: pl.Trainer,
    log_dir: Union[str, Path],
    resume_past_end: bool = False,
    resume_ignore_no_checkpoint: bool = False,
) -> Optional[Path]:
    """Find the checkpoint to resume from, set ``trainer.ckpt_path`` to it and archive the previous run's files.

    Logs one line saying what it resumes from and why. On global rank 0 the files of the earlier run directly in
    ``log_dir`` move into ``run_<k>/`` (also when nothing is resumed), so this run's logs start fresh.
    """
    if not log_dir:
        raise ValueError(f"check_resume needs the experiment's log dir, got {log_dir!r}")
    path, reason = find_resume_checkpoint(log_dir, resume_past_end, resume_ignore_no_checkpoint)
    if path is None:
        logging.warning(f"exp_manager: not resuming: {reason}.")
    else:
        logging.info(f"exp_manager: resuming training from {path} ({reason}).")
        trainer.ckpt_path = str(path)
        trainer.callbacks.append(_ForgetResumePath(str(path)))
    if global_rank_of(trainer) == 0:
        archive_previous_run(log_dir)
    return path
