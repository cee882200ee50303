"""Importing the test kit is cheap: no Lightning and no pytest until a trainer or a mark is made."""

import subprocess
import sys


def test_importing_the_kit_imports_neither_lightning_nor_pytest():
    code = (
        "import sys, nemo.core.testing as kit; "
        "print(sorted(m for m in ('pytorch_lightning', 'lightning_fabric', 'pytest') if m in sys.modules)); "
        "print(sorted(kit.__all__))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == "[]"
    assert set(eval(out[1])) >= {"examples_dir", "load_script", "quiet_cpu_trainer", "run_if", "torch_threads"}
