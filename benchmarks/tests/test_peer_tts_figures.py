"""The FastPitch and HiFi-GAN figures build and run in our packages (one timed step each; no timing is asserted).

Needs torch and nemo-tts (``/work/dev`` or ``nox -s bench_peer``'s virtualenv); skipped where they are absent, as in
the ``lint`` session, which runs this folder with the standard library only.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmark_scripts import load_script  # this folder is sys.path[0]

pytest.importorskip("torch")
pytest.importorskip("nemo.collections.tts.models")


@pytest.fixture(scope="module")
def figures():
    return load_script("peer/figures.py", "peer_figures")  # it imports compat and tts_figures from its folder


@pytest.mark.parametrize("figure", ["train:fastpitch", "infer:fastpitch", "train:hifigan", "infer:hifigan"])
def test_each_tts_figure_measures_one_step_in_ours(figures, figure: str, tmp_path: Path) -> None:
    import torch

    torch.set_num_threads(1)
    result = figures.measure(figure, tmp_path, iters=1, prepare=False)
    assert result["unit"] == "CPU s per batch" and result["value"] > 0
    params = float(result["detail"].split("M params")[0])
    assert params > 1.0  # the scaled-up configs, not the interop families' tiny ones


def test_the_configs_are_the_interop_families_scaled_up(figures) -> None:
    import tts_figures

    fastpitch = tts_figures.fastpitch_config(Path("unused"))
    assert fastpitch["input_fft"]["d_model"] == fastpitch["output_fft"]["d_model"] == 256
    assert (fastpitch["input_fft"]["n_layer"], fastpitch["output_fft"]["n_layer"]) == (4, 4)
    assert fastpitch["input_fft"]["_target_"] == "nemo.collections.tts.modules.transformer.FFTransformerEncoder"
    hifigan = tts_figures.hifigan_config(Path("unused"))
    assert hifigan["generator"]["upsample_initial_channel"] == 128 and "sched" not in hifigan["optim"]


def test_a_bf16_tts_figure_is_refused(figures, tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="float32 only"):
        figures.measure("train:hifigan", tmp_path, iters=1, prepare=False, precision="bf16")
