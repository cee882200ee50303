"""Check what one wheel brought into its virtualenv (run by the ``isolation`` nox session).

Usage: check_isolation.py ALLOWED_DISTS EXPECTED_MODULES FORBIDDEN_MODULES (comma-separated lists).
Fails if a nemo distribution outside ALLOWED_DISTS is installed, an expected module does not import, or a forbidden
module (a sibling collection, nemo-expmanager) can be imported.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import sys


def main(allowed: set[str], expected: list[str], forbidden: list[str]) -> int:
    errors = []
    installed = {d.metadata["Name"].lower() for d in importlib.metadata.distributions()}
    ours = {name for name in installed if name.startswith("nemo")}
    if ours != allowed:
        errors.append(f"nemo distributions installed: expected {sorted(allowed)}, got {sorted(ours)}")
    for module in expected:
        try:
            importlib.import_module(module)
        except Exception as exc:  # report every failure, not only the first
            errors.append(f"import {module} failed: {type(exc).__name__}: {exc}")
    for module in forbidden:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError:
            continue
        errors.append(f"import {module} succeeded, but its distribution is not a declared dependency")
    for line in errors:
        print(f"isolation: {line}", file=sys.stderr)
    if not errors:
        print(f"isolation ok: {sorted(ours)}; imports {expected}; refused {forbidden}")
    return 1 if errors else 0


if __name__ == "__main__":
    allowed_arg, expected_arg, forbidden_arg = (arg.split(",") if arg else [] for arg in sys.argv[1:4])
    sys.exit(main(set(allowed_arg), expected_arg, forbidden_arg))
