"""Whether CPU autocast is on, and to which dtype: the check every shortcut that runs only outside autocast (or
follows its dtype) makes, spelt for torch before and after 2.4 (which renamed the per-device calls)."""

from typing import Optional

import torch

__all__ = ["cpu_autocast_dtype"]


def cpu_autocast_dtype() -> Optional[torch.dtype]:
    """The dtype CPU autocast casts to, or ``None`` when it is off."""
    try:
        enabled, dtype = torch.is_autocast_enabled("cpu"), torch.get_autocast_dtype("cpu")
    except (TypeError, AttributeError):  # torch < 2.4 spells them per device
        enabled, dtype = torch.is_autocast_cpu_enabled(), torch.get_autocast_cpu_dtype()
    return dtype if enabled else None
