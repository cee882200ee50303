"""Test helpers shared by every package's suite.

``run_if`` turns requirements into a ``pytest.mark.skipif`` with a readable reason, in the spirit of Lightning's
``RunIf``. GPU tests are marked ``gpu`` (so the cpu suite deselects them) and skip where CUDA is absent. ``archive_safety``
tampers with saved archives to prove restoring them never runs code.
"""

from __future__ import annotations

import importlib.util
from typing import Any, Optional

__all__ = ["run_if"]


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
