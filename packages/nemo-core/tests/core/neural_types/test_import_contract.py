"""``nemo.core.neural_types`` stays pure Python: no Lightning, Hydra or omegaconf (nor torch) in its imports."""

import ast
import subprocess
import sys
from pathlib import Path

import nemo.core.neural_types as neural_types

HEAVY = ("pytorch_lightning", "lightning", "hydra", "omegaconf", "torch")


def test_modules_import_only_the_standard_library_and_each_other():
    package_dir = Path(neural_types.__file__).parent
    for path in sorted(package_dir.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert (
                    name.startswith("nemo.core.neural_types") or top in sys.stdlib_module_names or (top == "__future__")
                ), f"{path.name} imports {name}"


def test_importing_the_package_loads_no_heavy_framework():
    code = f"import sys, nemo.core.neural_types\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    loaded = set(out.split(",")) - {""}
    assert not loaded & {"pytorch_lightning", "lightning", "hydra", "omegaconf"}, loaded


def test_package_reexports_the_four_modules():
    from nemo.core.neural_types import axes, comparison, elements, neural_type

    expected = [*axes.__all__, *comparison.__all__, *elements.__all__, *neural_type.__all__]
    assert neural_types.__all__ == expected
    for name in expected:
        assert getattr(neural_types, name) is not None
    assert not hasattr(neural_types, "BoolType")
    assert not hasattr(neural_types, "ProbabilityDistributionSamplesType")
