"""freeze_import_state: importing ModelPT moves the import-time objects to the permanent generation, unless
NEMO_GC_FREEZE=0; objects created afterwards are still collected."""

import gc
import os
import subprocess
import sys
import weakref

import pytest

from nemo.utils import gc_freeze

PROBE = (
    "import gc; before = gc.get_freeze_count(); import nemo.core.classes.modelPT; print(before, gc.get_freeze_count())"
)


@pytest.mark.slow(reason="fresh interpreters import torch and Lightning")
@pytest.mark.parametrize("setting,frozen", [(None, True), ("0", False)])
def test_importing_model_pt_freezes_unless_turned_off(setting, frozen):
    env = {k: v for k, v in os.environ.items() if k != "NEMO_GC_FREEZE"}
    if setting is not None:
        env["NEMO_GC_FREEZE"] = setting
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    before, after = map(int, out.stdout.split())
    assert before == 0
    assert (after > 100_000) is frozen  # torch's and Lightning's objects


def test_objects_created_after_the_freeze_are_still_collected(monkeypatch):
    monkeypatch.delenv("NEMO_GC_FREEZE", raising=False)
    assert gc_freeze.freeze_import_state()

    class Node:
        pass

    node = Node()
    node.self = node  # a reference cycle: only the cyclic collector frees it
    ref = weakref.ref(node)
    del node
    gc.collect()
    assert ref() is None


def test_turned_off_it_does_not_freeze(monkeypatch):
    monkeypatch.setenv("NEMO_GC_FREEZE", "false")
    count = gc.get_freeze_count()
    assert not gc_freeze.freeze_import_state()
    assert gc.get_freeze_count() == count
