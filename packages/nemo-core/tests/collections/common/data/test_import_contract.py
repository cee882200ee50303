"""``nemo.collections.common.data`` keeps nemo-core light: its audio and eSpeak libraries load only when used."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import nemo.collections.common.data as data

LAZY = ("soundfile", "soxr", "librosa", "espeakng_loader", "pytorch_lightning", "hydra")


def _module_level_imports(path: Path) -> set:
    """Top-level package names the module-level statements of ``path`` import."""
    body = ast.parse(path.read_text(), str(path)).body
    names = [alias.name for node in body if isinstance(node, ast.Import) for alias in node.names]
    names += [node.module or "" for node in body if isinstance(node, ast.ImportFrom)]
    return {name.split(".")[0] for name in names}


def test_audio_and_espeak_libraries_are_imported_inside_functions_only():
    for path in sorted(Path(data.__file__).parent.glob("*.py")):
        assert not _module_level_imports(path) & set(LAZY), f"{path.name} imports one of {LAZY} at the top"


@pytest.mark.slow(reason="a fresh interpreter imports torch")
def test_importing_every_module_loads_none_of_them():
    code = (
        "import sys\nimport nemo.collections.common.data.espeak, nemo.collections.common.data\n"
        f"print(','.join(m for m in {LAZY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
