"""The pytest plugin every package's suite loads (``-p nemo.core.testing.pytest_plugin`` in its pytest ``addopts``).

* Tests marked ``slow`` (``@pytest.mark.slow(reason="...")``: seconds, not milliseconds) are skipped, with a reason
  that says how to run them, unless ``--run-slow`` is given, ``NEMO_RUN_SLOW=1`` is set, or the ``-m`` expression
  names ``slow`` itself (``-m "slow and not gpu"`` runs only them, ``-m "not slow"`` deselects them).
* ``one_torch_thread``: a fixture that runs the test with one torch thread.
* ``torch.use_deterministic_algorithms`` is process-wide and a deterministic ``Trainer`` (``quiet_cpu_trainer``)
  switches it on: the setting in force before each test is restored after it.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Iterator, List, Tuple

import pytest

from nemo.core.testing.threads import torch_threads

__all__ = ["RUN_SLOW_ENV", "one_torch_thread", "slow_tests_selected"]

RUN_SLOW_ENV = "NEMO_RUN_SLOW"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("nemo").addoption(
        "--run-slow", action="store_true", default=False, help=f"run tests marked slow (as {RUN_SLOW_ENV}=1 does)"
    )


def slow_tests_selected(config: pytest.Config) -> bool:
    """Whether this run asked for slow tests: ``--run-slow``, ``NEMO_RUN_SLOW=1``, or ``-m`` naming ``slow``."""
    if config.getoption("run_slow", default=False):
        return True
    if os.environ.get(RUN_SLOW_ENV, "").strip().lower() in ("1", "true", "yes"):
        return True
    return re.search(r"\bslow\b", config.getoption("markexpr", default="") or "") is not None


def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    if slow_tests_selected(config):
        return
    for item in items:
        marker = item.get_closest_marker("slow")
        if marker is None:
            continue
        why = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
        item.add_marker(
            pytest.mark.skip(reason=f"slow{f' ({why})' if why else ''}: run with --run-slow or {RUN_SLOW_ENV}=1")
        )


@pytest.fixture
def one_torch_thread() -> Iterator[None]:
    """Run the test with ``torch.set_num_threads(1)`` (restored afterwards)."""
    with torch_threads(1):
        yield


def _determinism() -> Tuple[bool, bool]:
    torch = sys.modules.get("torch")
    if torch is None:
        return False, False
    return torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: object) -> Iterator[None]:
    before = _determinism()
    yield
    if _determinism() != before:
        enabled, warn_only = before
        sys.modules["torch"].use_deterministic_algorithms(enabled, warn_only=warn_only)
