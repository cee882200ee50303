"""On/off switches read from the environment: the one spelling every ``NEMO_*`` switch of a speed path accepts."""

import os

__all__ = ["env_flag"]

_OFF = ("0", "false", "no", "off")


def env_flag(name: str) -> bool:
    """Whether the switch ``name`` is on: unset, empty or anything but ``0``/``false``/``no``/``off`` (any case,
    spaces trimmed) is on."""
    return (os.environ.get(name) or "1").strip().lower() not in _OFF
