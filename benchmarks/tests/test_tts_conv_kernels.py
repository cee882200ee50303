"""``tts_conv_kernels.py``: it records FastPitch's convolutions as a training forward routes them and prints one line
per config (no timing is asserted).

Needs torch and nemo-tts (``/work/dev`` or ``nox -s bench``'s virtualenv); skipped where they are absent, as in the
``lint`` session, which runs this folder with the standard library only.
"""

from __future__ import annotations

import argparse

import pytest
from benchmark_scripts import load_script  # this folder is sys.path[0]

pytest.importorskip("torch")
pytest.importorskip("nemo.collections.tts.modules.transformer")

tts_conv_kernels = load_script("tts_conv_kernels.py", "tts_conv_kernels")


def test_one_line_for_the_small_config() -> None:
    args = argparse.Namespace(batch=1, tokens=8, seconds=0.2, repeat=1, iters=1, forward_only=True)
    line = tts_conv_kernels._config_line("fastpitch_small.yaml", args)
    assert line["benchmark"] == "tts_conv_kernels" and line["layers"] > 0
    assert {shape["path"] for shape in line["shapes"]} <= {"conv1d", "spectral_conv1d", "winograd_conv1d"}
    assert sum(shape["layers"] for shape in line["shapes"]) == line["layers"]
    assert "BTC" in {shape["layout"] for shape in line["shapes"]}  # the blocks hand their first convolution [B, T, C]
    assert max(shape["max_abs_diff"] for shape in line["shapes"]) < 1e-4
