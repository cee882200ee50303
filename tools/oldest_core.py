"""The oldest nemo-core a dependent's range admits, and a source tree of it (for ``nox -s compat``).

Released versions are the tags ``nemo-core-v<version>``: the oldest one the dependent's ``nemo-core`` requirement
admits is tested. When no tag is admitted (a range raised to a version not tagged yet), the range's lower bound is
looked up in the history of nemo-core's ``version.py``: the first commit that set it. When no commit has set it
either (the bump is not committed), only the tree's nemo-core is that version, and the tree is used.

The tree is exported with ``git archive`` (HEAD, the index and the working tree are untouched).
"""

from __future__ import annotations

import io
import re
import subprocess
import tarfile
from pathlib import Path

import tomllib
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version
from release import ROOT, _git, git_tags, tag_name, versions_from_tags

CORE = "nemo-core"
CORE_DIR = f"packages/{CORE}"
VERSION_FILE = f"{CORE_DIR}/src/nemo/core/version.py"
_VERSION = re.compile(r"""^__version__\s*=\s*["']([^"']+)["']""", re.MULTILINE)


def core_specifier(package: str, root: Path = ROOT) -> SpecifierSet:
    """The ``nemo-core`` range in ``package``'s runtime dependencies."""
    pyproject = root / "packages" / package / "pyproject.toml"
    for line in tomllib.loads(pyproject.read_text())["project"]["dependencies"]:
        requirement = Requirement(line)
        if requirement.name == CORE:
            return requirement.specifier
    raise SystemExit(f"{pyproject}: project.dependencies has no {CORE} requirement")


def lower_bound(specifier: SpecifierSet) -> Version:
    """The ``>=`` (or ``==``/``~=``) version of a range: the oldest it can admit."""
    bounds = [Version(spec.version) for spec in specifier if spec.operator in (">=", "==", "~=")]
    if not bounds:
        raise SystemExit(f"{CORE}{specifier} has no lower bound (>=): the oldest nemo-core it admits is undefined")
    return max(bounds)


def oldest_tagged(specifier: SpecifierSet, tagged: list[Version]) -> Version | None:
    """The oldest tagged version the range admits (pre-releases included when named), or None."""
    admitted = [version for version in tagged if specifier.contains(version, prereleases=True)]
    return min(admitted) if admitted else None


def version_of(text: str) -> Version | None:
    match = _VERSION.search(text)
    try:
        return Version(match.group(1)) if match else None
    except InvalidVersion:
        return None


def commit_setting(version: Version, root: Path = ROOT) -> str | None:
    """The first commit whose nemo-core ``version.py`` says ``version`` (``0.2`` and ``0.2.0`` are equal)."""
    commits = _git("log", "--reverse", "--format=%H", "--", VERSION_FILE, root=root).stdout.split()
    for commit in commits:
        shown = _git("show", f"{commit}:{VERSION_FILE}", root=root)
        if shown.returncode == 0 and version_of(shown.stdout) == version:
            return commit
    return None


def locate(package: str, root: Path = ROOT) -> dict:
    """``{"version", "ref" (a tag or commit; None for the tree), "how"}``: the oldest nemo-core ``package`` admits."""
    specifier = core_specifier(package, root)
    tagged = oldest_tagged(specifier, versions_from_tags(CORE, git_tags(CORE, root)))
    if tagged is not None:
        return {
            "version": str(tagged),
            "ref": tag_name(CORE, tagged),
            "how": f"the oldest tag {CORE}{specifier} admits",
        }
    floor = lower_bound(specifier)
    commit = commit_setting(floor, root)
    if commit is not None:
        return {"version": str(floor), "ref": commit, "how": f"no tag admitted by {specifier}: the commit that set it"}
    tree = version_of((root / VERSION_FILE).read_text())
    if tree != floor:
        raise SystemExit(
            f"{package} requires {CORE}{specifier}: no tag, commit or tree version is {floor} (the tree has {tree})"
        )
    return {"version": str(floor), "ref": None, "how": f"{floor} is neither tagged nor committed: the working tree's"}


def export(ref: str, dest: Path, root: Path = ROOT) -> Path:
    """Write nemo-core's files at ``ref`` under ``dest`` (``git archive``); returns the package directory."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref, CORE_DIR], cwd=root, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest / CORE_DIR
