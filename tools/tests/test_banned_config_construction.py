"""The lint rule that keeps every config-built object on nemo-core's checked construction path (ruff TID251)."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIBRARY_FILE = "packages/nemo-tts/src/nemo/collections/tts/models/probe.py"

pytestmark = pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed in this environment")


def _ruff(source: str, filename: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["ruff", "check", "--no-cache", "--output-format", "concise", "--stdin-filename", filename, "-"],
        input=source,
        text=True,
        capture_output=True,
        cwd=ROOT,
    )


@pytest.mark.parametrize(
    "source, banned",
    [
        ("import hydra.utils\n\n\ndef probe(cfg):\n    return hydra.utils.instantiate(cfg.x)\n", "instantiate"),
        ("from hydra.utils import instantiate\n\n\ndef probe(cfg):\n    return instantiate(cfg.x)\n", "instantiate"),
        (
            "from nemo.utils.model_utils import import_class_by_path\n\n\n"
            "def probe(cfg):\n    return import_class_by_path(cfg.x)()\n",
            "import_class_by_path",
        ),
        (
            "from nemo.core.classes.serialization import Serialization\n\n\n"
            "def probe(cfg):\n    return Serialization.from_config_dict(cfg.x)\n",
            "Serialization.from_config_dict",
        ),
    ],
)
def test_library_code_may_not_build_config_objects_another_way(source, banned):
    result = _ruff(source, LIBRARY_FILE)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "TID251" in result.stdout and banned in result.stdout


def test_the_checked_path_and_tests_are_allowed():
    checked = (
        "from nemo.core.classes.construction import build_from_config\n\n\n"
        "def probe(cfg, base):\n    return build_from_config(cfg.x, base, 'x')\n"
    )
    assert _ruff(checked, LIBRARY_FILE).returncode == 0
    probe = "from hydra.utils import instantiate\n\n\ndef probe(cfg):\n    return instantiate(cfg.x)\n"
    assert _ruff(probe, "packages/nemo-tts/tests/probe_test.py").returncode == 0
