"""Prove that ``restore_from`` builds a model class once, on the meta device, quietly and exactly.

``restore_from`` builds the model on the ``meta`` device and assigns the loaded weights
(``nemo.core.classes.restore.build_with_weights``); a constructor that cannot run there makes it build the model a
second time normally, with a WARNING. ``observe_restore`` restores an archive while counting the constructions of the
class and capturing what is printed: ``nemo_logger`` records, Python warnings a user would see, and the process's
stdout/stderr at the file-descriptor level (so C extensions' output counts too). ``assert_saved_model_restores_once``
saves a model built from a config and checks its restore: one construction, one INFO line ("successfully
restored") and nothing else printed, and every tensor (weights, non-persistent buffers, metric states) equal to the
saved model's.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, List, Tuple

__all__ = ["RestoreObservation", "assert_restored_once", "assert_saved_model_restores_once", "observe_restore"]

# Categories Python shows a user by default (Deprecation/PendingDeprecation/Import/ResourceWarning are hidden).
_HIDDEN_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


@dataclass
class RestoreObservation:
    """What one ``restore_from`` call did: the model, how often the class was constructed, and what it printed."""

    model: Any
    constructions: int
    records: List[logging.LogRecord] = field(default_factory=list)  # nemo_logger, INFO and above
    warnings: List[warnings.WarningMessage] = field(default_factory=list)  # the categories a user sees
    stdout: str = ""
    stderr: str = ""

    def describe(self) -> str:
        lines = [f"{record.levelname}: {record.getMessage()}" for record in self.records]
        lines += [f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})" for w in self.warnings]
        return "\n".join(lines + [f"stdout: {self.stdout!r}", f"stderr: {self.stderr!r}"])


@contextlib.contextmanager
def _counting_constructions(model_class: type) -> Iterator[List[int]]:
    """Count ``model_class(...)`` constructions (instances of exactly that class) while the block runs."""
    count = [0]
    had_own = "__init__" in model_class.__dict__
    own, inherited = model_class.__dict__.get("__init__"), model_class.__init__

    def counting_init(self: Any, *args: Any, **kwargs: Any) -> None:
        if type(self) is model_class:
            count[0] += 1
        inherited(self, *args, **kwargs)

    model_class.__init__ = counting_init
    try:
        yield count
    finally:
        if had_own:
            model_class.__init__ = own
        else:
            del model_class.__init__


@contextlib.contextmanager
def _captured_output() -> Iterator[List[str]]:
    """Capture stdout and stderr, both Python's streams and the file descriptors 1 and 2; yields ``[out, err]``."""
    result = ["", ""]
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = [os.dup(1), os.dup(2)]
    files = [tempfile.TemporaryFile(), tempfile.TemporaryFile()]
    python_out, python_err = io.StringIO(), io.StringIO()
    try:
        os.dup2(files[0].fileno(), 1)
        os.dup2(files[1].fileno(), 2)
        with contextlib.redirect_stdout(python_out), contextlib.redirect_stderr(python_err):
            yield result
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)
        for index, (handle, python) in enumerate(zip(files, (python_out, python_err))):
            handle.seek(0)
            result[index] = python.getvalue() + handle.read().decode(errors="replace")
            handle.close()


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def observe_restore(model_class: type, archive: Any, **restore_kwargs: Any) -> RestoreObservation:
    """``model_class.restore_from(archive, map_location="cpu", **restore_kwargs)``, observed (see the module doc)."""
    from nemo.utils.logging import LOGGER_NAME

    restore_kwargs.setdefault("map_location", "cpu")
    logger, handler = logging.getLogger(LOGGER_NAME), _Collect()
    logger.addHandler(handler)
    try:
        with _counting_constructions(model_class) as count, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with _captured_output() as output:
                model = model_class.restore_from(str(archive), **restore_kwargs)
    finally:
        logger.removeHandler(handler)
    shown = [w for w in caught if not issubclass(w.category, _HIDDEN_WARNINGS)]
    return RestoreObservation(model, count[0], handler.records, shown, output[0], output[1])


def assert_restored_once(observation: RestoreObservation, what: str = "") -> None:
    """One construction, no WARNING, at most the "successfully restored" INFO line printed, nothing on stderr."""
    what = what or type(observation.model).__name__
    details = observation.describe()
    assert observation.constructions == 1, (
        f"{what}: restore_from constructed the model {observation.constructions} times (the meta-device build fell "
        f"back to a normal one):\n{details}"
    )
    loud = [record for record in observation.records if record.levelno >= logging.WARNING]
    assert not loud, f"{what}: restore_from logged warnings:\n{details}"
    info = [record.getMessage() for record in observation.records if record.levelno < logging.WARNING]
    assert len(info) <= 1 and all("successfully restored" in message for message in info), (
        f"{what}: restore_from logged more than its one INFO line:\n{details}"
    )
    assert not observation.warnings, f"{what}: restore_from issued Python warnings:\n{details}"
    assert observation.stderr == "", f"{what}: restore_from wrote to stderr:\n{details}"
    printed = [line for line in observation.stdout.splitlines() if line.strip()]
    assert len(printed) <= 1 and all("successfully restored" in line for line in printed), (
        f"{what}: restore_from printed more than its one INFO line:\n{details}"
    )


def _recomputed_each_forward(model: Any) -> set:
    """Names of ``weight_norm``/``spectral_norm`` weights: plain attributes their forward pre-hook recomputes, so a
    freshly built model may hold a stale one (computed before its parameters were initialised)."""
    from torch.nn.utils.spectral_norm import SpectralNorm
    from torch.nn.utils.weight_norm import WeightNorm

    return {
        f"{path}.{hook.name}" if path else hook.name
        for path, module in model.named_modules()
        for hook in module._forward_pre_hooks.values()
        if isinstance(hook, (WeightNorm, SpectralNorm))
    }


def _tied(model: Any) -> List[List[str]]:
    """Groups of names sharing one parameter or buffer (tied weights)."""
    groups: dict = {}
    for name, tensor in [*model.named_parameters(remove_duplicate=False), *model.named_buffers(remove_duplicate=False)]:
        groups.setdefault(id(tensor), []).append(name)
    return sorted(names for names in groups.values() if len(names) > 1)


def _differences(saved: Any, restored: Any) -> Tuple[List[str], List[str]]:
    import torch

    from nemo.core.classes.restore import named_tensors

    skip = _recomputed_each_forward(saved)
    expected = {name: tensor for name, tensor in named_tensors(saved) if name not in skip}
    got = {name: tensor for name, tensor in named_tensors(restored) if name not in skip}
    missing = sorted(set(expected) ^ set(got))
    different = [
        name
        for name in sorted(set(expected) & set(got))
        if expected[name].dtype != got[name].dtype
        or expected[name].shape != got[name].shape
        or not torch.equal(expected[name].detach().cpu(), got[name].detach().cpu())
    ]
    return missing, different


def assert_saved_model_restores_once(model_class: type, config: Any, work_dir: Path) -> Tuple[Any, Any]:
    """Build ``model_class`` from ``config``, save it, restore it observed; returns ``(saved, restored)``.

    Fails unless the restore constructs the class once and stays quiet (``assert_restored_once``) and every tensor of
    the restored model (weights, non-persistent buffers, metric states) equals the saved one's, with tied weights
    still tied. Weight-normalized weights, which each forward recomputes from the parameters, are not compared.
    """
    archive = Path(work_dir) / f"{model_class.__name__}.nemo"
    saved = model_class(cfg=config)
    saved.save_to(str(archive))
    observation = observe_restore(model_class, archive)
    assert_restored_once(observation, model_class.__name__)
    missing, different = _differences(saved, observation.model)
    assert not missing and not different, (
        f"{model_class.__name__}: the restored model's tensors differ from the saved one's: present in only one of "
        f"them {missing}, different values {different}"
    )
    assert _tied(observation.model) == _tied(saved), (
        f"{model_class.__name__}: tied weights differ after restore: {_tied(observation.model)} vs {_tied(saved)}"
    )
    return saved, observation.model
