"""The dense convolutions of each shipped FastPitch config's transformers and predictors, on CPU: the kernel
``dense_conv1d`` chooses for each (``winograd_conv1d`` for three taps on ``[B, T, C]`` inputs, ``spectral_conv1d``,
or the module) against the module itself, forward plus backward (input and weight gradients) by default, forward only
under ``no_grad`` with ``--forward-only``.

The encoder, decoder and both predictors are built from the YAML (the encoder's vocabulary set to 100 symbols); one
training forward of ``--batch`` utterances of ``--tokens`` tokens and ``--seconds`` of frames records every
convolution's input shape and layout. Each distinct shape is timed on random inputs of that layout, both variants interleaved, the
median over ``--repeat`` rounds of ``--iters`` calls, then weighted by its number of layers. Prints one JSON line per
config: total milliseconds per step for the chosen kernels and for the modules, the speed-up, and per shape the path
taken, both times and the max absolute output difference.

Usage: python benchmarks/tts_conv_kernels.py [--batch 4] [--tokens 40] [--seconds 2] [--repeat 5] [--iters 3]
       [--threads N] [--forward-only] [--configs fastpitch.yaml ...]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Dict, List, Tuple
from unittest.mock import patch

import torch
from _kernel_timing import compare_ms, run_configs  # this folder is sys.path[0]
from omegaconf import OmegaConf
from torch import nn

from nemo.collections.common.parts.dense_conv import dense_conv1d
from nemo.collections.common.parts.spectral_conv import spectral_preferred
from nemo.collections.common.parts.winograd_conv import winograd_preferred
from nemo.collections.tts.modules import fastpitch, transformer
from nemo.collections.tts.modules.fastpitch import TemporalPredictor
from nemo.collections.tts.modules.transformer import FFTransformerDecoder, FFTransformerEncoder

CONF_DIR = Path(__file__).resolve().parents[1] / "examples" / "tts" / "conf"
CONFIGS = ["fastpitch.yaml", "fastpitch_small.yaml"]
VOCABULARY = 100


def _blocks(path: Path) -> Tuple[nn.Module, nn.Module, List[nn.Module], float]:
    """The config's encoder, decoder, predictors, and frames per second."""
    model = OmegaConf.load(path).model  # only these nodes are resolved (the data sets name missing paths)
    keys = ("input_fft", "output_fft", "duration_predictor", "pitch_predictor")
    node = {key: {k: v for k, v in OmegaConf.to_container(model[key], resolve=True).items() if k != "_target_"}
            for key in keys}  # fmt: skip
    encoder = FFTransformerEncoder(**node["input_fft"], n_embed=VOCABULARY, padding_idx=0)
    predictors = [TemporalPredictor(**node[key]) for key in ("duration_predictor", "pitch_predictor")]
    return (
        encoder,
        FFTransformerDecoder(**node["output_fft"]),
        predictors,
        model["sample_rate"] / model["n_window_stride"],
    )


def _conv_shapes(path: Path, batch: int, tokens: int, seconds: float) -> Dict[tuple, Tuple[nn.Conv1d, int]]:
    """(input shape, channels-last, kernel, output channels) -> (a convolution with that shape, number of them), as
    a training forward hands them to ``dense_conv1d`` (a forward hook would send its module down another path)."""
    encoder, decoder, predictors, frame_rate = _blocks(path)
    seen: Dict[tuple, Tuple[nn.Conv1d, int]] = {}

    def record(conv: nn.Conv1d, x: torch.Tensor) -> torch.Tensor:
        key = (tuple(x.shape), x.stride(1) == 1 < x.stride(2), conv.kernel_size[0], conv.out_channels)
        first, count = seen.get(key, (conv, 0))
        seen[key] = (first, count + 1)
        return dense_conv1d(conv, x)

    frames = int(seconds * frame_rate)
    with patch.object(transformer, "dense_conv1d", record), patch.object(fastpitch, "dense_conv1d", record):
        enc, mask = encoder.train()(torch.randint(1, VOCABULARY, (batch, tokens)))
        for predictor in predictors:
            predictor.train()(enc, mask)
        decoder.train()(torch.randn(batch, frames, decoder.d_model), torch.full((batch,), frames))
    return seen


def _time_shape(conv: nn.Conv1d, shape: tuple, channels_last: bool, forward_only: bool, repeat: int, iters: int):
    batch, channels, steps = shape
    x = torch.randn(batch, steps, channels).transpose(1, 2) if channels_last else torch.randn(shape)
    x.requires_grad_(not forward_only)
    with torch.no_grad():
        diff = float((dense_conv1d(conv, x) - conv(x)).abs().max())
    path = (
        "spectral_conv1d"
        if spectral_preferred(conv, x)
        else "winograd_conv1d"
        if winograd_preferred(conv, x)
        else "conv1d"
    )
    times = compare_ms(lambda inp: dense_conv1d(conv, inp), conv, x, conv.weight, forward_only, repeat, iters)
    return {**times, "max_abs_diff": diff, "path": path}


def _config_line(name: str, args: argparse.Namespace) -> dict:
    torch.manual_seed(0)
    shapes, chosen_total, conv_total, layers_total = [], 0.0, 0.0, 0
    for (shape, channels_last, kernel, out), (conv, count) in _conv_shapes(
        CONF_DIR / name, args.batch, args.tokens, args.seconds
    ).items():
        timed = _time_shape(conv, shape, channels_last, args.forward_only, args.repeat, args.iters)
        chosen_total += count * timed["chosen"]
        conv_total += count * timed["conv1d"]
        layers_total += count
        shapes.append({"channels": shape[1], "out_channels": out, "kernel": kernel, "steps": shape[2],
                       "layout": "BTC" if channels_last else "BCT", "layers": count, "path": timed["path"],
                       "chosen_ms": round(timed["chosen"], 3), "conv1d_ms": round(timed["conv1d"], 3),
                       "max_abs_diff": timed["max_abs_diff"]})  # fmt: skip
    return {
        "benchmark": "tts_conv_kernels",
        "config": name,
        "what": "forward only (no_grad)" if args.forward_only else "forward+backward (input and weight gradients)",
        "batch": args.batch,
        "threads": torch.get_num_threads(),
        "layers": layers_total,
        "chosen_ms": round(chosen_total, 2),
        "conv1d_ms": round(conv_total, 2),
        "speedup": round(conv_total / chosen_total, 2) if chosen_total else None,
        "torch": torch.__version__,
        "shapes": shapes,
    }


def main() -> None:
    run_configs(__doc__.split("\n\n")[0], CONFIGS, "examples/tts/conf", _config_line, batch=4, tokens=40, seconds=2.0)


if __name__ == "__main__":
    main()
