"""The convolutions of each shipped example config where ``MaskedConv1d`` may take a kernel of its own, on CPU: the
kernel it chooses against plain ``nn.Conv1d``, forward plus backward (input and weight gradients) by default, forward
only under ``no_grad`` with ``--forward-only``. Depthwise layers choose between ``depthwise_conv1d`` and ``conv1d``
(``nemo.collections.asr.parts.depthwise_conv.prefer_depthwise_kernel``), dense stride-1 layers spanning at least
``spectral_conv.MIN_SPAN`` steps between ``spectral_conv1d`` and ``conv1d``
(``nemo.collections.common.parts.spectral_conv.spectral_preferred``).

Each config's encoder is built from its YAML; one forward pass records every such layer's input shape (batch
``--batch`` of ``--seconds`` of audio; frames from the preprocessor's ``window_stride``, halved by stride-2
prologues). Each distinct shape is timed on random inputs, both variants interleaved, the median over ``--repeat``
rounds of ``--iters`` calls, then weighted by its number of layers. Prints one JSON line per config: total
milliseconds per step for the chosen kernels and for ``nn.Conv1d``, the speed-up (conv1d / chosen), the 1-minute load
average before and after, and per shape the path taken, both times and the max absolute output difference.

Usage: python benchmarks/asr_conv_kernels.py [--batch 8] [--seconds 2.2] [--repeat 5] [--iters 3] [--threads N]
       [--forward-only] [--configs conf/config.yaml ...]
"""

from __future__ import annotations

import argparse
import os
import platform
from pathlib import Path
from typing import Dict, Tuple

import torch
from _kernel_timing import compare_ms, run_configs  # this folder is sys.path[0]
from omegaconf import OmegaConf

from nemo.collections.asr.modules import ConvASREncoder
from nemo.collections.asr.parts.depthwise_conv import prefer_depthwise_kernel
from nemo.collections.asr.parts.jasper import MaskedConv1d
from nemo.collections.common.parts.spectral_conv import MIN_SPAN, spectral_preferred

CONF_DIR = Path(__file__).resolve().parents[1] / "examples" / "asr" / "conf"
CONFIGS = [
    "config.yaml",
    "config_bpe.yaml",
    "quartznet/quartznet_15x5.yaml",
    "jasper/jasper_10x5dr.yaml",
    "matchboxnet/matchboxnet_3x1x64_v1.yaml",
    "citrinet/citrinet_small.yaml",
    "citrinet/citrinet_512.yaml",
    "contextnet_rnnt/contextnet_rnnt_small.yaml",
]


def _encoder_and_frames(path: Path, seconds: float) -> Tuple[ConvASREncoder, int]:
    """The config's encoder, its interpolations (Citrinet's ``${model.model_defaults.*}``) resolved."""
    config = OmegaConf.load(path)
    encoder_cfg = {
        k: v for k, v in OmegaConf.to_container(config.model.encoder, resolve=True).items() if k != "_target_"
    }
    window_stride = float(OmegaConf.select(config, "model.preprocessor.window_stride", default=0.01))
    return ConvASREncoder(**encoder_cfg), int(round(seconds / window_stride))


def _own_kernel_possible(layer: MaskedConv1d) -> bool:
    """Depthwise layers, and dense stride-1 ones spanning at least ``MIN_SPAN`` steps."""
    conv = layer.conv
    span = conv.dilation[0] * (conv.kernel_size[0] - 1) + 1
    return layer._depthwise or (conv.groups == 1 and conv.stride[0] == 1 and span >= MIN_SPAN)


def _kernel_shapes(encoder: ConvASREncoder, batch: int, frames: int) -> Dict[tuple, Tuple[MaskedConv1d, int]]:
    """(input shape, geometry, output channels) -> (a layer with that shape, number of such layers)."""
    seen: Dict[tuple, Tuple[MaskedConv1d, int]] = {}

    def record(layer: MaskedConv1d, args: tuple) -> None:
        shape = tuple(args[0].shape)
        if layer.heads != -1:
            shape = (shape[0] * shape[1] // layer.heads, layer.heads, shape[2])
        conv = layer.conv
        key = (shape, conv.kernel_size[0], conv.padding[0], conv.dilation[0], conv.stride[0], conv.out_channels)
        first, count = seen.get(key, (layer, 0))
        seen[key] = (first, count + 1)

    layers = [m for m in encoder.modules() if isinstance(m, MaskedConv1d) and _own_kernel_possible(m)]
    handles = [m.register_forward_pre_hook(record) for m in layers]
    with torch.no_grad():
        encoder.eval()(audio_signal=torch.randn(batch, encoder._feat_in, frames), length=torch.full((batch,), frames))
    for handle in handles:
        handle.remove()
    return seen


def _time_shape(layer: MaskedConv1d, shape: tuple, forward_only: bool, repeat: int, iters: int) -> dict:
    weight = layer.conv.weight
    x = torch.randn(shape, requires_grad=not forward_only)
    with torch.no_grad():
        diff = float((layer._convolve(x) - layer.conv(x)).abs().max())
    conv = layer.conv
    if layer._depthwise:
        own = prefer_depthwise_kernel(x, weight, conv.padding[0], conv.dilation[0], conv.stride[0])
        path = "depthwise_conv1d" if own else "conv1d"
    else:
        path = "spectral_conv1d" if spectral_preferred(conv, x) else "conv1d"
    times = compare_ms(layer._convolve, layer.conv, x, weight, forward_only, repeat, iters)
    return {**times, "max_abs_diff": diff, "path": path}


def _config_line(name: str, args: argparse.Namespace) -> dict:
    torch.manual_seed(0)
    encoder, frames = _encoder_and_frames(CONF_DIR / name, args.seconds)
    load_before = os.getloadavg()[0]
    shapes, chosen_total, conv_total, layers_total = [], 0.0, 0.0, 0
    for (shape, kernel, _, dilation, stride, out), (layer, count) in _kernel_shapes(
        encoder, args.batch, frames
    ).items():
        timed = _time_shape(layer, shape, args.forward_only, args.repeat, args.iters)
        chosen_total += count * timed["chosen"]
        conv_total += count * timed["conv1d"]
        layers_total += count
        shapes.append(
            {
                "channels": shape[1],
                "out_channels": out,
                "kernel": kernel,
                "dilation": dilation,
                "stride": stride,
                "steps": shape[2],
                "layers": count,
                "path": timed["path"],
                "chosen_ms": round(timed["chosen"], 3),
                "conv1d_ms": round(timed["conv1d"], 3),
                "max_abs_diff": timed["max_abs_diff"],
            }
        )
    return {
        "benchmark": "asr_conv_kernels",
        "config": name,
        "what": "forward only (no_grad)" if args.forward_only else "forward+backward (input and weight gradients)",
        "batch": args.batch,
        "input_frames": frames,
        "threads": torch.get_num_threads(),
        "layers": layers_total,
        "chosen_ms": round(chosen_total, 2),
        "conv1d_ms": round(conv_total, 2),
        "speedup": round(conv_total / chosen_total, 2) if chosen_total else None,
        "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "torch": torch.__version__,
        "machine": platform.machine(),
        "shapes": shapes,
    }


def main() -> None:
    run_configs(__doc__.split("\n\n")[0], CONFIGS, "examples/asr/conf", _config_line, batch=8, seconds=2.2)


if __name__ == "__main__":
    main()
