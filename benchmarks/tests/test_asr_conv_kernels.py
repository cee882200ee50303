"""``asr_conv_kernels.py``: it picks the layers that may take a kernel of their own and prints one line per config
(no timing is asserted). It went unrun once and broke on a renamed attribute; this runs it on a small config.

Needs torch and nemo-asr (``/work/dev`` or ``nox -s bench``'s virtualenv); skipped where they are absent, as in the
``lint`` session, which runs this folder with the standard library only.
"""

from __future__ import annotations

import argparse

import pytest
from benchmark_scripts import load_script  # this folder is sys.path[0]

pytest.importorskip("torch")
pytest.importorskip("nemo.collections.asr.parts.jasper")

asr_conv_kernels = load_script("asr_conv_kernels.py", "asr_conv_kernels")


def test_the_layers_that_may_take_a_kernel_of_their_own() -> None:
    from nemo.collections.asr.parts.jasper import MaskedConv1d

    assert asr_conv_kernels._own_kernel_possible(MaskedConv1d(64, 64, 11, padding=5, groups=64))  # depthwise
    assert asr_conv_kernels._own_kernel_possible(MaskedConv1d(384, 384, 13, padding=6))  # dense, span 13
    assert asr_conv_kernels._own_kernel_possible(MaskedConv1d(64, 64, 7, padding=6, dilation=2))  # span 13
    assert not asr_conv_kernels._own_kernel_possible(MaskedConv1d(384, 384, 1))
    assert not asr_conv_kernels._own_kernel_possible(MaskedConv1d(384, 384, 13, stride=2, padding=6))


def test_one_line_for_a_small_config() -> None:
    args = argparse.Namespace(batch=1, seconds=0.5, repeat=1, iters=1, forward_only=True)
    line = asr_conv_kernels._config_line("config.yaml", args)
    assert line["benchmark"] == "asr_conv_kernels" and line["layers"] > 0
    assert {shape["path"] for shape in line["shapes"]} <= {"conv1d", "depthwise_conv1d", "spectral_conv1d"}
    assert sum(shape["layers"] for shape in line["shapes"]) == line["layers"]
    assert max(shape["max_abs_diff"] for shape in line["shapes"]) < 1e-4


def test_an_interpolated_config_resolves() -> None:
    """Citrinet's encoder reads ``${model.model_defaults.*}``: its stride-2 depthwise layers are among the shapes."""
    args = argparse.Namespace(batch=1, seconds=0.5, repeat=1, iters=1, forward_only=True)
    line = asr_conv_kernels._config_line("citrinet/citrinet_small.yaml", args)
    assert {shape["stride"] for shape in line["shapes"]} == {1, 2}
    assert max(shape["max_abs_diff"] for shape in line["shapes"]) < 1e-4
