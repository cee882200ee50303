"""tools/changed_packages.py: changed paths -> distributions to test, on this repository's real dependency graph."""

from __future__ import annotations

import subprocess
from pathlib import Path

import changed_packages as cp
import pytest

PROJECTS = cp.read_projects()
COLLECTIONS = ["nemo-asr", "nemo-nlp", "nemo-tts"]
EVERYTHING = sorted(PROJECTS)


def selected(*paths: str, test_extras: bool = False) -> list[str]:
    return cp.select(list(paths), PROJECTS, test_extras)[0]


def test_graph_is_read_from_the_pyprojects():
    assert {"nemo-core", "nemo-expmanager", *COLLECTIONS} <= set(PROJECTS)
    for name in ["nemo-expmanager", *COLLECTIONS]:
        assert "nemo-core" in PROJECTS[name]["deps"]
    assert PROJECTS["nemo-asr"]["dir"] == "packages/nemo-asr"
    assert "nemo-expmanager" in PROJECTS["nemo-asr"]["test_deps"]  # the example scripts' tests use it
    assert "nemo-expmanager" not in PROJECTS["nemo-asr"]["deps"]


def test_core_change_selects_every_distribution():
    assert selected("packages/nemo-core/src/nemo/core/classes/modelPT.py") == EVERYTHING
    assert selected("packages/nemo-core/pyproject.toml") == EVERYTHING


def test_collection_change_selects_that_collection_only():
    assert selected("packages/nemo-asr/src/nemo/collections/asr/models/ctc_models.py") == ["nemo-asr"]
    assert selected("packages/nemo-nlp/tests/test_import.py") == ["nemo-nlp"]
    assert selected("packages/nemo-asr/src/x.py", "packages/nemo-tts/src/y.py") == ["nemo-asr", "nemo-tts"]


@pytest.mark.parametrize("domain", ["asr", "nlp", "tts"])
def test_examples_select_their_collection(domain):
    assert selected(f"examples/{domain}/conf/config.yaml") == [f"nemo-{domain}"]


def test_expmanager_change_selects_expmanager_only():
    assert selected("packages/nemo-expmanager/src/nemo/utils/exp_manager/exp_manager.py") == ["nemo-expmanager"]


def test_test_extras_add_the_collections_that_test_with_expmanager():
    got = selected("packages/nemo-expmanager/src/nemo/utils/exp_manager/exp_manager.py", test_extras=True)
    assert got == ["nemo-asr", "nemo-expmanager", "nemo-nlp", "nemo-tts"]


@pytest.mark.parametrize("path", ["noxfile.py", ".ci/run", "tools/check_isolation.py", "ruff.toml", ".importlinter"])
def test_tooling_selects_everything(path):
    assert selected(path) == EVERYTHING


@pytest.mark.parametrize(
    "path", ["README.md", "packages/nemo-asr/README.md", "packages/nemo-core/CHANGELOG.md", "benchmarks/typecheck.py"]
)
def test_docs_and_benchmarks_select_nothing(path):
    assert selected(path) == []


def test_docs_next_to_code_do_not_hide_the_code():
    assert selected("packages/nemo-tts/CHANGELOG.md", "packages/nemo-tts/src/a.py") == ["nemo-tts"]


def test_unknown_paths_select_everything():
    assert selected("setup.cfg") == EVERYTHING
    assert selected("packages/nemo-unknown/src/x.py") == EVERYTHING


def test_downstream_example_is_a_dependent_of_core():
    if "nemo-downstream-example" not in PROJECTS:
        pytest.skip("examples/downstream has no pyproject.toml")
    assert "nemo-downstream-example" in selected("packages/nemo-core/src/nemo/core/optim/optimizers.py")
    assert selected("examples/downstream/src/x.py") == ["nemo-downstream-example"]
    assert "nemo-downstream-example" not in selected("packages/nemo-asr/src/x.py")


def test_reasons_name_what_each_path_selected():
    _, reasons = cp.select(["packages/nemo-asr/src/x.py", "README.md", "noxfile.py"], PROJECTS)
    assert reasons == {"packages/nemo-asr/src/x.py": "nemo-asr", "README.md": None, "noxfile.py": cp.ALL}


def _git(repo: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false", *args]
    return subprocess.run(command, cwd=repo, check=True, capture_output=True, text=True).stdout


def test_changed_files_uses_the_merge_base_and_optionally_the_worktree(tmp_path, monkeypatch):
    monkeypatch.delenv("NEMO_CHANGED_BASE", raising=False)
    _git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "a.txt").write_text("a")
    _git(tmp_path, "add", "a.txt")
    _git(tmp_path, "commit", "-q", "-m", "a")
    _git(tmp_path, "checkout", "-q", "-b", "topic")
    (tmp_path / "b.txt").write_text("b")
    _git(tmp_path, "add", "b.txt")
    _git(tmp_path, "commit", "-q", "-m", "b")
    _git(tmp_path, "checkout", "-q", "main")
    (tmp_path / "c.txt").write_text("c")  # on main after the fork: not part of topic's change
    _git(tmp_path, "add", "c.txt")
    _git(tmp_path, "commit", "-q", "-m", "c")
    _git(tmp_path, "checkout", "-q", "topic")
    (tmp_path / "d.txt").write_text("d")  # untracked
    assert cp.changed_files("main", root=tmp_path) == ["b.txt"]
    assert cp.changed_files("main", worktree=True, root=tmp_path) == ["b.txt", "d.txt"]
    assert cp.changed_files("no-such-ref", root=tmp_path) is None
    assert cp.default_base(root=tmp_path) == "HEAD~1"  # no origin/main in this repository


def test_default_base_prefers_the_environment(monkeypatch):
    monkeypatch.setenv("NEMO_CHANGED_BASE", "v1")
    assert cp.default_base() == "v1"
