"""Test helpers shared by every package's suite (the one test kit).

* ``run_if`` turns requirements into a ``pytest.mark.skipif`` with a readable reason, in the spirit of Lightning's
  ``RunIf``. GPU tests are marked ``gpu`` (so the cpu suite deselects them) and skip where CUDA is absent.
* ``trainers.quiet_cpu_trainer``: a silent, deterministic one-device CPU Lightning ``Trainer``.
* ``scripts.examples_dir`` and ``scripts.load_script``: the repository's ``examples/`` and a script there as a module.
* ``threads.torch_threads``: a scoped torch thread count.
* ``tiny_models.TinyRegression``: the smallest LightningModule that trains (import it from its module: it loads
  Lightning).
* ``error_rates.reference_error_rate``: WER/CER from a plain dynamic programme, to check a library's WER against.
* ``archive_safety`` tampers with saved archives to prove restoring them never runs code; its ``ArchiveSafetySuite``
  runs that and the restore-once check on every model class of a collection.
* ``hub_server.LoopbackHub``: a Hugging Face Hub on 127.0.0.1 serving in-memory repositories (``HF_ENDPOINT``).
* ``pytest_plugin`` (loaded by each package's pytest ``addopts``): the ``slow`` marker's skipping, ``--run-slow``, the
  ``one_torch_thread`` fixture.

Importing this package imports neither Lightning nor pytest; they come when a trainer or a mark is made.
"""

from __future__ import annotations

import importlib.util
from typing import Any, Optional

from nemo.core.testing.error_rates import levenshtein, reference_error_rate
from nemo.core.testing.scripts import examples_dir, load_script
from nemo.core.testing.threads import torch_threads
from nemo.core.testing.trainers import quiet_cpu_trainer

__all__ = [
    "examples_dir",
    "levenshtein",
    "load_script",
    "quiet_cpu_trainer",
    "reference_error_rate",
    "run_if",
    "torch_threads",
]


def run_if(*, min_cuda_gpus: int = 0, module: Optional[str] = None) -> Any:
    """Return a pytest mark that skips unless ``min_cuda_gpus`` CUDA devices and ``module`` are available."""
    import pytest
    import torch

    reasons = []
    if min_cuda_gpus:
        found = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if found < min_cuda_gpus:
            reasons.append(f"needs {min_cuda_gpus} CUDA device(s), found {found} (CUDA is absent on this machine)")
    if module and importlib.util.find_spec(module) is None:
        reasons.append(f"needs the optional module {module!r}, which is not installed")
    return pytest.mark.skipif(bool(reasons), reason="; ".join(reasons) or "requirements met")
