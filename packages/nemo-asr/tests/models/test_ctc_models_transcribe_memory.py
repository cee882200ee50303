"""``transcribe`` called many times in one process keeps its memory, file descriptors and temp files flat."""

import gc
import os
import tempfile
from pathlib import Path

import pytest
import torch
from asr_models_testing import ctc_config, write_tone

from nemo.collections.asr.models import EncDecCTCModel

CALLS = 50


def _rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads the resident set size from /proc (Linux)")
def test_memory_stays_flat_over_many_transcribe_calls(tmp_path, monkeypatch):
    torch.manual_seed(0)
    temp_root = tmp_path / "tmp"  # a private temp dir: other processes come and go in the system one
    temp_root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp_root))
    model = EncDecCTCModel(cfg=ctc_config())
    paths = [str(write_tone(tmp_path / f"clip_{i}.wav", 0.4 + 0.1 * i, 300.0 + 100 * i, seed=i)) for i in range(3)]

    def snapshot():
        gc.collect()
        return _rss_bytes(), len(os.listdir("/proc/self/fd")), len(list(temp_root.iterdir()))

    for _ in range(5):  # warm up allocator pools, caches and lazy imports
        first = model.transcribe(paths, batch_size=2)
    samples = {}
    for call in range(1, CALLS + 1):
        assert model.transcribe(paths, batch_size=2) == first
        if call in (10, CALLS):
            samples[call] = snapshot()
    (rss_10, fds_10, temps_10), (rss_end, fds_end, temps_end) = samples[10], samples[CALLS]
    growth_mib = (rss_end - rss_10) / 2**20
    # A leak of even one batch of features per call (3 clips) would add several MiB over 40 calls.
    assert growth_mib < 4.0, f"RSS grew {growth_mib:.1f} MiB over {CALLS - 10} transcribe calls"
    assert fds_end <= fds_10, f"open file descriptors grew from {fds_10} to {fds_end}"
    assert temps_end == temps_10 == 0, "transcribe left temporary files behind"
    assert model.training  # the mode it had before is restored each time
