"""Which distributions a change touches: changed files -> packages -> those packages and every dependent.

Usage: changed_packages.py [BASE] [--worktree] [--test-extras] [--json]

BASE defaults to ``$NEMO_CHANGED_BASE``, else ``origin/main`` when that ref exists, else ``HEAD~1``; the changed files
are ``git diff --name-only BASE...HEAD`` (what HEAD added since it forked from BASE), plus, with ``--worktree``,
uncommitted and untracked files. Prints one selected distribution per line (``--json``: a JSON object with the
reasons). The ``tests_changed`` nox session runs the ``tests`` session for exactly these (and the ``downstream``
session when ``nemo-downstream-example`` is selected).

How a path selects (first match wins; see ``RULES``):

* ``packages/<dir>/**/*.md`` (README, CHANGELOG): nothing. Documentation changes no test outcome; the README is the
  wheel's long description, which the ``release`` session's ``twine check`` covers.
* ``packages/<dir>/...`` (sources, tests, pyproject, testing/): that distribution and its dependents.
* ``examples/asr``, ``examples/nlp``, ``examples/tts``: nemo-asr, nemo-nlp, nemo-tts (whose test suites run those
  scripts); ``examples/downstream``: nemo-downstream-example.
* ``noxfile.py``, ``.ci/``, ``tools/``, ``ruff.toml``, ``.importlinter``: everything (they change how every package
  is built or tested).
* ``*.md`` elsewhere, ``benchmarks/`` (run by ``nox -s bench``, not by a test session), ``.gitignore``: nothing.
* any other path: everything. An unknown file is assumed to matter rather than silently skipped, and so is a BASE
  that git cannot resolve.

Dependents follow the runtime ``dependencies`` of each ``packages/*/pyproject.toml`` (and of
``examples/downstream/pyproject.toml``), transitively: a nemo-core change selects every distribution, a nemo-expmanager
change selects nemo-expmanager alone. ``--test-extras`` also follows the ``test`` extras (nemo-asr, nemo-nlp and
nemo-tts run their example scripts, which use nemo-expmanager, in their suites), so a nemo-expmanager change then
selects those collections too; the full ``nox -s tests`` on main runs them in any case.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
ALL = "*"  # a rule target: every distribution
# Distributions outside packages/ that the graph includes: (directory, name of the nox session that tests it).
EXTRA_PROJECTS = {"examples/downstream": "downstream"}

# (glob on the repository-relative path, what it selects). ``{pkg}`` is the distribution of packages/<dir>; ``None``
# selects nothing, ``ALL`` everything, any other string that distribution. fnmatch's ``*`` also matches ``/``.
RULES: list[tuple[str, str | None]] = [
    ("packages/*.md", None),
    ("packages/*", "{pkg}"),
    ("examples/asr/*", "nemo-asr"),
    ("examples/nlp/*", "nemo-nlp"),
    ("examples/tts/*", "nemo-tts"),
    ("examples/downstream/*.md", None),
    ("examples/downstream/*", "nemo-downstream-example"),
    ("noxfile.py", ALL),
    (".ci/*", ALL),
    ("tools/*", ALL),
    ("ruff.toml", ALL),
    (".importlinter", ALL),
    ("benchmarks/*", None),
    (".gitignore", None),
    ("*.md", None),
]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower()


def read_projects(root: Path = ROOT) -> dict[str, dict]:
    """``{distribution: {"dir": repo-relative dir, "deps": runtime deps, "test_deps": test-extra deps}}``.

    Every ``packages/*/pyproject.toml`` and the ``EXTRA_PROJECTS``; deps are names of all requirements (third-party
    too; ``dependents`` keeps the ones in the graph).
    """
    projects: dict[str, dict] = {}
    dirs = sorted(p.parent for p in (root / "packages").glob("*/pyproject.toml"))
    dirs += [root / d for d in EXTRA_PROJECTS if (root / d / "pyproject.toml").exists()]
    for directory in dirs:
        meta = tomllib.loads((directory / "pyproject.toml").read_text())["project"]
        projects[meta["name"].lower()] = {
            "dir": directory.relative_to(root).as_posix(),
            "deps": [_name(d) for d in meta.get("dependencies", [])],
            "test_deps": [_name(d) for d in meta.get("optional-dependencies", {}).get("test", [])],
        }
    return projects


def dependents(projects: dict[str, dict], selected: set[str], test_extras: bool = False) -> set[str]:
    """``selected`` plus every project that depends on one of them, transitively."""
    result = set(selected)
    changed = True
    while changed:
        changed = False
        for name, info in projects.items():
            deps = set(info["deps"]) | (set(info["test_deps"]) if test_extras else set())
            if name not in result and deps & result:
                result.add(name)
                changed = True
    return result


def classify(path: str, projects: dict[str, dict]) -> str | None:
    """What one changed path selects directly: a distribution name, ``ALL``, or None."""
    by_dir = {info["dir"]: name for name, info in projects.items()}
    for pattern, target in RULES:
        if not fnmatch.fnmatchcase(path, pattern):
            continue
        if target == "{pkg}":
            directory = "/".join(path.split("/")[:2])
            return by_dir.get(directory, ALL)  # packages/<dir> without a pyproject: unknown, so everything
        if target not in (None, ALL) and target not in projects:
            return ALL
        return target
    return ALL


def select(paths: list[str], projects: dict[str, dict], test_extras: bool = False) -> tuple[list[str], dict]:
    """``(sorted selected distributions, {path: what it selected directly})`` for a list of changed paths."""
    reasons = {path: classify(path, projects) for path in paths}
    direct = set(reasons.values()) - {None}
    if ALL in direct:
        return sorted(projects), reasons
    return sorted(dependents(projects, direct, test_extras)), reasons


def _git(*args: str, root: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)


def default_base(root: Path = ROOT) -> str:
    """``$NEMO_CHANGED_BASE``, else ``origin/main`` if it resolves, else ``HEAD~1``."""
    if os.environ.get("NEMO_CHANGED_BASE"):
        return os.environ["NEMO_CHANGED_BASE"]
    if _git("rev-parse", "--verify", "--quiet", "origin/main^{commit}", root=root).returncode == 0:
        return "origin/main"
    return "HEAD~1"


def changed_files(base: str, worktree: bool = False, root: Path = ROOT) -> list[str] | None:
    """Files changed between ``base`` and HEAD (``base...HEAD``), or None when git cannot tell."""
    diff = _git("diff", "--name-only", f"{base}...HEAD", root=root)
    if diff.returncode != 0:
        return None
    files = set(diff.stdout.split())
    if worktree:
        files |= set(_git("diff", "--name-only", "HEAD", root=root).stdout.split())
        files |= set(_git("ls-files", "--others", "--exclude-standard", root=root).stdout.split())
    return sorted(files)


def parse_args(argv: list[str] | None = None, prog: str | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    parser.add_argument("base", nargs="?", help="git ref to compare HEAD with (default: see module docstring)")
    parser.add_argument("--worktree", action="store_true", help="also count uncommitted and untracked files")
    parser.add_argument("--test-extras", action="store_true", help="also follow the packages' test-extra edges")
    parser.add_argument("--json", action="store_true", help="print a JSON object with the reasons")
    return parser.parse_args(argv)


def plan(base: str | None = None, worktree: bool = False, test_extras: bool = False, root: Path = ROOT) -> dict:
    """``{"base", "note", "selected", "sessions", "reasons"}``: what to test for the change ``base...HEAD``.

    ``sessions`` maps each selected distribution to the nox session that tests it (``tests`` for packages/).
    """
    base = base or default_base(root)
    projects = read_projects(root)
    files = changed_files(base, worktree, root)
    if files is None:
        selected, reasons = sorted(projects), {}
        note = f"git cannot diff {base}...HEAD; selecting everything"
    else:
        selected, reasons = select(files, projects, test_extras)
        note = f"{len(files)} changed file(s) since {base}"
    sessions = {name: EXTRA_PROJECTS.get(projects[name]["dir"], "tests") for name in selected}
    return {"base": base, "note": note, "selected": selected, "sessions": sessions, "reasons": reasons}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = plan(args.base, args.worktree, args.test_extras)
    print(f"changed_packages: {result['note']}", file=sys.stderr)
    print(json.dumps(result, indent=1) if args.json else "\n".join(result["selected"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
