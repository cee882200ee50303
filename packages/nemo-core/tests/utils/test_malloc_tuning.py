"""tune_allocator: importing ModelPT sets glibc's mmap threshold to 32 MiB and switches trimming off, unless the
process or its environment already chose (NEMO_MALLOC_TUNING=0, glibc's own settings, a preloaded allocator)."""

import os
import subprocess
import sys

import pytest

from nemo.utils import malloc_tuning


class _FakeLibc:
    def __init__(self, answer: int = 1) -> None:
        self.calls, self.answer = [], answer

    def mallopt(self, parameter: int, value: int) -> int:
        self.calls.append((parameter, value))
        return self.answer


@pytest.fixture
def libc(monkeypatch):
    for name in ("NEMO_MALLOC_TUNING", *malloc_tuning._ALLOCATOR_SETTINGS):
        monkeypatch.delenv(name, raising=False)
    fake = _FakeLibc()
    monkeypatch.setattr(malloc_tuning, "_glibc", lambda: fake)
    return fake


def test_sets_the_mmap_threshold_and_switches_trimming_off(libc):
    assert malloc_tuning.tune_allocator()
    assert libc.calls == [(-3, 32 << 20), (-1, -1)]  # M_MMAP_THRESHOLD, M_TRIM_THRESHOLD (malloc.h)


def test_reports_a_refused_setting(libc):
    libc.answer = 0
    assert not malloc_tuning.tune_allocator()


@pytest.mark.parametrize(
    "name,value",
    [
        ("NEMO_MALLOC_TUNING", "0"),
        ("MALLOC_TRIM_THRESHOLD_", "131072"),
        ("GLIBC_TUNABLES", "glibc.malloc.arena_max=2"),
        ("LD_PRELOAD", "/usr/lib/libjemalloc.so.2"),
    ],  # fmt: skip
)
def test_leaves_an_allocator_the_environment_configures(libc, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    assert not malloc_tuning.tune_allocator()
    assert libc.calls == []


def test_does_nothing_without_glibc(libc, monkeypatch):
    monkeypatch.setattr(malloc_tuning, "_glibc", lambda: None)
    assert not malloc_tuning.tune_allocator()


# A 16 MiB tensor in a fresh process: from the heap once the threshold is 32 MiB, else mmapped (glibc's dynamic
# threshold stays below 4 MiB through torch's import). glibc marks an mmapped block in the size word before it.
PROBE = """
import ctypes, torch, nemo.core.classes.modelPT
block = torch.empty(4 << 20)
print(ctypes.c_size_t.from_address(block.data_ptr() - 8).value & 2)  # IS_MMAPPED
"""


@pytest.mark.slow(reason="fresh interpreters import torch and Lightning")
@pytest.mark.skipif(malloc_tuning._glibc() is None, reason="glibc's malloc only")
@pytest.mark.parametrize("setting,mmapped", [(None, False), ("0", True)])
def test_importing_model_pt_keeps_mid_sized_blocks_in_the_heap(setting, mmapped):
    env = {k: v for k, v in os.environ.items() if k not in ("NEMO_MALLOC_TUNING", *malloc_tuning._ALLOCATOR_SETTINGS)}
    if setting is not None:
        env["NEMO_MALLOC_TUNING"] = setting
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    assert bool(int(out.stdout)) is mmapped
