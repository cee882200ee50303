"""Release checks and artifacts for one distribution under packages/ (run by ``nox -s release -- <name>``).

Usage: release.py DISTRIBUTION [--dry-run] [--outdir DIR]

For ``DISTRIBUTION`` (e.g. ``nemo-asr``) it checks, in order:

1. the version (``__version__`` in the file ``[tool.hatch.version] path`` names) is above the last tag
   ``<distribution>-v<version>``, or there is no such tag yet (the first release);
2. ``CHANGELOG.md`` has a ``## <version>`` entry with content, not marked ``(unreleased)``;
3. every range on a sibling distribution (``nemo-core>=0.1,<0.2`` in ``dependencies`` or an extra) admits the
   sibling's version in this tree and is bounded above; siblings whose ranges exclude the new version are named;
4. the distribution's files have no uncommitted changes;

then builds the sdist and the wheel (``python -m build``), runs ``twine check --strict`` on them, and prints the
``git tag`` command to run. It never creates a tag, pushes or uploads.

``--dry-run`` runs every check and the build into a temporary folder that is removed afterwards; an ``(unreleased)``
changelog heading and uncommitted changes are warnings there (a dry run is what one runs before finishing the
changelog), errors otherwise. The exit status is 1 when any check fails.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import tomllib
from packaging.requirements import Requirement
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
ERROR, WARNING, OK = "error", "warning", "ok"
Finding = tuple[str, str]  # (level, message)


# ------------------------------------------------------------------------------------------------ pure checks
def tag_name(package: str, version: str) -> str:
    return f"{package}-v{version}"


def versions_from_tags(package: str, tags: list[str]) -> list[Version]:
    """The versions of ``<package>-v<version>`` tags among ``tags`` (other packages' and malformed tags ignored)."""
    prefix = f"{package}-v"
    versions = []
    for tag in tags:
        if not tag.startswith(prefix):
            continue
        try:
            versions.append(Version(tag[len(prefix) :]))
        except InvalidVersion:
            continue
    return sorted(versions)


def bump_kind(old: Version, new: Version) -> str:
    """``major``, ``minor`` or ``patch`` (or ``pre/post/dev release``) for a version that went up."""
    for index, kind in enumerate(("major", "minor", "patch")):
        if new.release[index : index + 1] != old.release[index : index + 1]:
            return kind
    return "pre/post/dev release"


def check_version(package: str, current: str, tagged: list[Version], changed_since_tag: bool | None) -> Finding:
    """Is ``current`` a new release against the tagged versions? ``changed_since_tag``: the package's files
    differ from the last tag (None when unknown)."""
    try:
        version = Version(current)
    except InvalidVersion:
        return ERROR, f"version {current!r} is not a PEP 440 version"
    if not tagged:
        return OK, f"first release of {package}: no tag {tag_name(package, '*')} yet"
    last = max(tagged)
    if version > last:
        return OK, f"version {version} is a {bump_kind(last, version)} bump over the last tag {tag_name(package, last)}"
    if version == last:
        if changed_since_tag is False:
            return ERROR, f"nothing to release: {tag_name(package, last)} exists and {package}'s files are unchanged"
        return ERROR, f"version {version} is already tagged ({tag_name(package, last)}); bump it for the changes since"
    return ERROR, f"version {version} is below the last tag {tag_name(package, last)}"


_HEADING = re.compile(r"^(#{2,3})\s+\[?v?(?P<version>[0-9][^\s\]]*)\]?(?P<rest>.*)$")


def changelog_entry(text: str, version: str) -> tuple[str, str] | None:
    """``(heading line, body)`` of the ``## <version>`` entry (``## [0.2.0] - date``, ``## v0.2.0 (unreleased)``...)."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        match = _HEADING.match(line)
        if not match or match.group("version") != version:
            continue
        level = len(match.group(1))
        body = []
        for following in lines[index + 1 :]:
            heading = re.match(r"^(#+)\s", following)
            if heading and len(heading.group(1)) <= level:
                break
            body.append(following)
        return line, "\n".join(body).strip()
    return None


def check_changelog(text: str, version: str, final: bool) -> list[Finding]:
    """The changelog has a non-empty entry for ``version``; ``(unreleased)`` is an error when ``final``."""
    entry = changelog_entry(text, version)
    if entry is None:
        return [(ERROR, f"CHANGELOG.md has no entry '## {version}'")]
    heading, body = entry
    findings: list[Finding] = []
    if not body:
        findings.append((ERROR, f"CHANGELOG.md entry {heading.strip()!r} is empty"))
    if "unreleased" in heading.lower():
        message = f"CHANGELOG.md entry {heading.strip()!r} is marked unreleased: replace it with the release date"
        findings.append((ERROR if final else WARNING, message))
    if not findings:
        findings.append((OK, f"CHANGELOG.md has {heading.strip()!r}"))
    return findings


def _bounded_above(requirement: Requirement) -> bool:
    return any(spec.operator in ("<", "<=", "==", "===", "~=") for spec in requirement.specifier)


def check_sibling_ranges(requirements: list[str], tree_versions: dict[str, str]) -> list[Finding]:
    """Every requirement on a sibling admits the sibling's version in this tree and is bounded above."""
    findings: list[Finding] = []
    for text in requirements:
        requirement = Requirement(text)
        name = requirement.name.lower()
        if name not in tree_versions:
            continue
        version = tree_versions[name]
        if not requirement.specifier.contains(version, prereleases=True):
            findings.append((ERROR, f"{text!r} does not admit {name} {version}, the version in this tree"))
        elif not _bounded_above(requirement):
            findings.append((ERROR, f"{text!r} has no upper bound: cap it below {name}'s next breaking version"))
        else:
            findings.append((OK, f"{text!r} admits {name} {version}"))
    return findings


def dependents_excluding(package: str, version: str, projects: dict[str, dict]) -> list[Finding]:
    """Siblings whose range on ``package`` leaves out ``version``: they need a release (with a wider range) too."""
    findings: list[Finding] = []
    for name, info in sorted(projects.items()):
        for text in info["requirements"]:
            requirement = Requirement(text)
            if requirement.name.lower() == package and not requirement.specifier.contains(version, prereleases=True):
                findings.append(
                    (WARNING, f"{name} requires {text!r}, which leaves out {package} {version}: widen it and release")
                )
    return findings


# ---------------------------------------------------------------------------------------- repository access
def read_projects(root: Path = ROOT) -> dict[str, dict]:
    """``{name: {"dir", "version", "requirements" (runtime and every extra)}}`` of every packages/*/pyproject.toml."""
    projects = {}
    for pyproject in sorted((root / "packages").glob("*/pyproject.toml")):
        meta = tomllib.loads(pyproject.read_text())
        project = meta["project"]
        if "version" in project:
            version = project["version"]
        else:
            version_file = pyproject.parent / meta["tool"]["hatch"]["version"]["path"]
            match = re.search(r"""^__version__\s*=\s*["']([^"']+)["']""", version_file.read_text(), re.MULTILINE)
            if match is None:
                raise SystemExit(f"release: no __version__ in {version_file}")
            version = match.group(1)
        extras = [req for group in project.get("optional-dependencies", {}).values() for req in group]
        projects[project["name"].lower()] = {
            "dir": pyproject.parent,
            "version": version,
            "requirements": [*project.get("dependencies", []), *extras],
        }
    return projects


def _git(*args: str, root: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)


def git_tags(package: str, root: Path = ROOT) -> list[str]:
    return _git("tag", "--list", f"{package}-v*", root=root).stdout.split()


def changed_since(tag: str, directory: Path, root: Path = ROOT) -> bool | None:
    result = _git("diff", "--quiet", tag, "HEAD", "--", str(directory.relative_to(root)), root=root)
    return {0: False, 1: True}.get(result.returncode)


def uncommitted(directory: Path, root: Path = ROOT) -> list[str]:
    status = _git("status", "--porcelain", "--", str(directory.relative_to(root)), root=root)
    return [line[3:] for line in status.stdout.splitlines()]


def build(directory: Path, outdir: Path) -> list[Path]:
    """``python -m build --sdist --wheel`` into ``outdir``; returns the artifacts."""
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(outdir), str(directory)], check=True
    )
    return sorted(outdir.iterdir())


# ----------------------------------------------------------------------------------------------------- main
def run(package: str, dry_run: bool, outdir: Path | None, root: Path = ROOT) -> int:
    projects = read_projects(root)
    if package not in projects:
        print(f"release: unknown distribution {package!r}; choose one of {', '.join(projects)}", file=sys.stderr)
        return 2
    info = projects[package]
    version, directory = info["version"], info["dir"]
    final = not dry_run
    findings: list[Finding] = []

    tagged = versions_from_tags(package, git_tags(package, root))
    changed = changed_since(tag_name(package, max(tagged)), directory, root) if tagged else None
    findings.append(check_version(package, version, tagged, changed))
    findings += check_changelog((directory / "CHANGELOG.md").read_text(), version, final)
    tree_versions = {name: other["version"] for name, other in projects.items() if name != package}
    findings += check_sibling_ranges(info["requirements"], tree_versions)
    findings += dependents_excluding(package, version, {n: p for n, p in projects.items() if n != package})
    dirty = uncommitted(directory, root)
    if dirty:
        shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
        findings.append((ERROR if final else WARNING, f"uncommitted changes under {directory.name}: {shown}"))

    with tempfile.TemporaryDirectory(prefix=f"release-{package}-") as scratch:
        target = Path(scratch) if dry_run else (outdir or root / "dist" / package)
        if target.exists() and not dry_run:
            shutil.rmtree(target)
        target.mkdir(parents=True, exist_ok=True)
        try:
            artifacts = build(directory, target)
        except subprocess.CalledProcessError as err:
            findings.append((ERROR, f"python -m build failed (exit {err.returncode})"))
            artifacts = []
        stem = f"{package.replace('-', '_')}-{version}"
        expected = {f"{stem}.tar.gz", f"{stem}-py3-none-any.whl"}
        if artifacts:
            names = {path.name for path in artifacts}
            if names != expected:
                findings.append((ERROR, f"built {sorted(names)}, expected {sorted(expected)}"))
            twine = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *map(str, artifacts)])
            findings.append(
                (OK, "twine check passed") if twine.returncode == 0 else (ERROR, "twine check --strict failed")
            )

        print(f"\nrelease {package} {version}{' (dry run)' if dry_run else ''}:")
        for level, message in findings:
            print(f"  [{level}] {message}")
        errors = [message for level, message in findings if level == ERROR]
        tag = tag_name(package, version)
        if errors:
            print(f"\n{len(errors)} check(s) failed: not ready to tag {tag}.")
            return 1
        if dry_run:
            print(f"\ndry run: the checks pass and {', '.join(sorted(expected))} build; the tag would be {tag}.")
        else:
            shown = ", ".join(str(path.relative_to(root) if path.is_relative_to(root) else path) for path in artifacts)
            print(f"\nbuilt: {shown}")
            print("create and push the tag (this script never does):")
            print(f'  git tag -a {tag} -m "{package} {version}" && git push origin {tag}')
            print(f"then upload: python -m twine upload {target}/*")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("package", help="distribution name, e.g. nemo-asr")
    parser.add_argument("--dry-run", action="store_true", help="check and build into a temporary folder")
    parser.add_argument("--outdir", type=Path, help="where the sdist and wheel go (default: dist/<package>)")
    args = parser.parse_args(argv)
    return run(args.package.lower(), args.dry_run, args.outdir)


if __name__ == "__main__":
    sys.exit(main())
