"""tools/release.py: the pure checks (version against tags, changelog entry, sibling ranges) and the tag lookup."""

from __future__ import annotations

import subprocess

import pytest
import release
from packaging.version import Version

CHANGELOG = """# Changelog of nemo-asr

## 0.3.0 (unreleased)

- Something new.

## [0.2.1] - 2026-11-30

### Fixed

- A bug.

## 0.2.0

## 0.1.0 (2026-10-01)

- First release.
"""


def levels(findings):
    return [level for level, _ in findings]


# ------------------------------------------------------------------------------------------ version vs tags
def test_versions_from_tags_keeps_this_package_only():
    tags = ["nemo-asr-v0.1.0", "nemo-asr-v0.10.0", "nemo-asr-v0.2.0", "nemo-core-v9.0.0", "nemo-asr-vbad", "v1.0"]
    assert release.versions_from_tags("nemo-asr", tags) == [Version("0.1.0"), Version("0.2.0"), Version("0.10.0")]
    assert release.versions_from_tags("nemo", ["nemo-core-v1.0.0"]) == []


def test_first_release_when_no_tag():
    level, message = release.check_version("nemo-asr", "0.1.0", [], None)
    assert level == release.OK and "first release" in message


@pytest.mark.parametrize(
    ("current", "kind"), [("1.0.0", "major"), ("0.3.0", "minor"), ("0.2.2", "patch"), ("0.2.1.post1", "pre/post")]
)
def test_bump_over_the_last_tag(current, kind):
    level, message = release.check_version("nemo-asr", current, [Version("0.1.0"), Version("0.2.1")], True)
    assert level == release.OK and kind in message and "nemo-asr-v0.2.1" in message


def test_versions_compare_numerically_not_as_text():
    assert release.check_version("nemo-asr", "0.10.0", [Version("0.9.0")], True)[0] == release.OK
    assert release.check_version("nemo-asr", "0.9.0", [Version("0.10.0")], True)[0] == release.ERROR


def test_unbumped_version_is_an_error():
    level, message = release.check_version("nemo-asr", "0.2.0", [Version("0.2.0")], True)
    assert level == release.ERROR and "already tagged" in message
    level, message = release.check_version("nemo-asr", "0.2.0", [Version("0.2.0")], False)
    assert level == release.ERROR and "nothing to release" in message


def test_lower_or_invalid_version_is_an_error():
    assert release.check_version("nemo-asr", "0.1.0", [Version("0.2.0")], True)[0] == release.ERROR
    assert release.check_version("nemo-asr", "not-a-version", [], None)[0] == release.ERROR


# ------------------------------------------------------------------------------------------------ changelog
@pytest.mark.parametrize(
    ("version", "heading"),
    [("0.3.0", "## 0.3.0 (unreleased)"), ("0.2.1", "## [0.2.1] - 2026-11-30"), ("0.1.0", "## 0.1.0 (2026-10-01)")],
)
def test_changelog_entry_is_found_in_common_heading_styles(version, heading):
    assert release.changelog_entry(CHANGELOG, version)[0] == heading


def test_changelog_entry_body_stops_at_the_next_entry_but_keeps_subsections():
    _, body = release.changelog_entry(CHANGELOG, "0.2.1")
    assert body == "### Fixed\n\n- A bug."


def test_changelog_entry_needs_the_exact_version():
    assert release.changelog_entry(CHANGELOG, "0.3") is None
    assert release.changelog_entry(CHANGELOG, "0.2") is None
    assert release.changelog_entry("## 0.1.0rc1\n\n- x\n", "0.1.0") is None


def test_changelog_checks():
    assert levels(release.check_changelog(CHANGELOG, "0.1.0", final=True)) == [release.OK]
    assert levels(release.check_changelog(CHANGELOG, "0.4.0", final=True)) == [release.ERROR]
    assert levels(release.check_changelog(CHANGELOG, "0.2.0", final=True)) == [release.ERROR]  # empty entry
    assert levels(release.check_changelog(CHANGELOG, "0.3.0", final=True)) == [release.ERROR]  # unreleased
    assert levels(release.check_changelog(CHANGELOG, "0.3.0", final=False)) == [release.WARNING]  # dry run


# ---------------------------------------------------------------------------------------------- sibling ranges
TREE = {"nemo-core": "0.1.3", "nemo-expmanager": "0.1.0"}


def test_ranges_that_admit_the_tree_versions_pass():
    requirements = ["nemo-core>=0.1,<0.2", "nemo-expmanager~=0.1.0", "librosa>=0.10,<1.0", "torch>=2.2"]
    assert levels(release.check_sibling_ranges(requirements, TREE)) == [release.OK, release.OK]  # third-party ignored


def test_range_that_excludes_the_tree_version_fails():
    (finding,) = release.check_sibling_ranges(["nemo-core>=0.2,<0.3"], TREE)
    assert finding[0] == release.ERROR and "0.1.3" in finding[1]
    (finding,) = release.check_sibling_ranges(["nemo-core>=0.1,<0.1.3"], TREE)
    assert finding[0] == release.ERROR


def test_range_without_upper_bound_fails():
    (finding,) = release.check_sibling_ranges(["nemo-core>=0.1"], TREE)
    assert finding[0] == release.ERROR and "upper bound" in finding[1]


def test_extras_and_markers_are_read():
    findings = release.check_sibling_ranges(['nemo-expmanager[wandb]>=0.1,<0.2; python_version >= "3.10"'], TREE)
    assert levels(findings) == [release.OK]


def test_prerelease_tree_versions_count_as_in_range():
    assert levels(release.check_sibling_ranges(["nemo-core>=0.1,<0.2"], {"nemo-core": "0.1.4rc1"})) == [release.OK]


def test_dependents_that_exclude_a_new_core_version_are_named():
    projects = {
        "nemo-asr": {"requirements": ["nemo-core>=0.1,<0.2", "librosa>=0.10"]},
        "nemo-nlp": {"requirements": ["nemo-core>=0.1,<0.3"]},
    }
    findings = release.dependents_excluding("nemo-core", "0.2.0", projects)
    assert levels(findings) == [release.WARNING] and "nemo-asr" in findings[0][1]
    assert release.dependents_excluding("nemo-core", "0.1.5", projects) == []


# --------------------------------------------------------------------------------------------- repository
def test_this_repository_reads_versions_and_requirements():
    projects = release.read_projects()
    assert {"nemo-core", "nemo-asr"} <= set(projects)
    assert Version(projects["nemo-core"]["version"])
    assert any(req.startswith("nemo-core") for req in projects["nemo-asr"]["requirements"])
    tree = {name: info["version"] for name, info in projects.items()}
    for name, info in projects.items():  # the tree is consistent: every sibling range admits the sibling
        others = {n: v for n, v in tree.items() if n != name}
        assert release.ERROR not in levels(release.check_sibling_ranges(info["requirements"], others)), name


def test_git_tags_lists_this_package(tmp_path):
    def git(*args):
        command = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "tag.gpgsign=false", *args]
        subprocess.run(command, cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "f").write_text("x")
    git("add", "f")
    git("-c", "commit.gpgsign=false", "commit", "-q", "-m", "x")
    for tag in ("nemo-asr-v0.1.0", "nemo-asr-v0.2.0", "nemo-core-v0.1.0"):
        git("tag", tag)
    assert sorted(release.git_tags("nemo-asr", root=tmp_path)) == ["nemo-asr-v0.1.0", "nemo-asr-v0.2.0"]
