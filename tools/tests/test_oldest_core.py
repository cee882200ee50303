"""tools/oldest_core.py: the oldest admitted nemo-core from tags, else the commit that set it, else the tree."""

from __future__ import annotations

import subprocess

import oldest_core
import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version


def test_oldest_tag_in_the_range_wins():
    tagged = [Version(v) for v in ("0.1.0", "0.1.1", "0.2.0", "0.3.0")]
    assert oldest_core.oldest_tagged(SpecifierSet(">=0.1,<0.3"), tagged) == Version("0.1.0")
    assert oldest_core.oldest_tagged(SpecifierSet(">=0.1.1,<0.3"), tagged) == Version("0.1.1")
    assert oldest_core.oldest_tagged(SpecifierSet(">=0.4,<0.5"), tagged) is None


def test_lower_bound_needs_one():
    assert oldest_core.lower_bound(SpecifierSet(">=0.1,<0.3")) == Version("0.1")
    with pytest.raises(SystemExit, match="no lower bound"):
        oldest_core.lower_bound(SpecifierSet("<0.3"))


def git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path):
    """A repository whose nemo-core went 0.1.0 -> 0.2.0 in two commits, with a dependent requiring >=0.1,<0.3."""
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "user.email", "t@example.com")
    git(tmp_path, "config", "user.name", "t")
    version = tmp_path / oldest_core.VERSION_FILE
    version.parent.mkdir(parents=True)
    dependent = tmp_path / "packages" / "nemo-asr" / "pyproject.toml"
    dependent.parent.mkdir(parents=True)
    dependent.write_text('[project]\nname = "nemo-asr"\ndependencies = ["nemo-core>=0.1,<0.3", "numpy"]\n')
    for release in ("0.1.0", "0.2.0"):
        version.write_text(f'__version__ = "{release}"\n')
        git(tmp_path, "add", "-A")
        git(tmp_path, "commit", "-q", "-m", release)
    return tmp_path


def commit_of(repo, ref):
    return subprocess.run(
        ["git", "rev-parse", ref], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()


def test_tag_then_commit_then_tree(repo):
    found = oldest_core.locate("nemo-asr", repo)
    assert (found["version"], found["ref"]) == ("0.1", commit_of(repo, "HEAD~1"))  # untagged: the commit

    git(repo, "tag", "-a", "nemo-core-v0.1.0", "HEAD~1", "-m", "0.1.0")
    assert oldest_core.locate("nemo-asr", repo)["ref"] == "nemo-core-v0.1.0"

    pyproject = repo / "packages" / "nemo-asr" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(">=0.1,<0.3", ">=0.3,<0.4"))
    (repo / oldest_core.VERSION_FILE).write_text('__version__ = "0.3.0"\n')  # bumped, not committed
    assert oldest_core.locate("nemo-asr", repo) == {
        "version": "0.3",
        "ref": None,
        "how": "0.3 is neither tagged nor committed: the working tree's",
    }


def test_a_floor_nowhere_is_refused(repo):
    pyproject = repo / "packages" / "nemo-asr" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(">=0.1,<0.3", ">=0.5,<0.6"))
    with pytest.raises(SystemExit, match="no tag, commit or tree version is 0.5"):
        oldest_core.locate("nemo-asr", repo)


def test_export_writes_the_tagged_files(repo, tmp_path_factory):
    git(repo, "tag", "-a", "nemo-core-v0.1.0", "HEAD~1", "-m", "0.1.0")
    core = oldest_core.export("nemo-core-v0.1.0", tmp_path_factory.mktemp("out"), repo)
    assert (core / "src/nemo/core/version.py").read_text() == '__version__ = "0.1.0"\n'
