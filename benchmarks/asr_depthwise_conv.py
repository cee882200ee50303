"""Depthwise convolution forward+backward on CPU: ``nemo.collections.asr.parts.depthwise_conv`` against
``torch.nn.functional.conv1d(groups=channels)`` (oneDNN) on the same tensors, at the layer sizes of the demo's small
QuartzNet (batch 8, 256 channels, 110 frames: 2.2 s of audio after the stride-2 prologue; kernels 13-29, one dilated).

Each case is timed interleaved, best of ``--repeat`` rounds of ``--iters`` calls; prints one JSON line with
milliseconds per call and the speed-up (conv1d time / ours) per kernel, and the max absolute output difference.

Usage: python benchmarks/asr_depthwise_conv.py [--repeat 5] [--iters 20] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from typing import Callable

import torch
import torch.nn.functional as F

from nemo.collections.asr.parts.depthwise_conv import depthwise_conv1d

BATCH, CHANNELS, FRAMES = 8, 256, 110
CASES = [(13, 1), (15, 1), (17, 1), (29, 2)]  # (kernel, dilation) of the demo config's separable blocks


def _best_ms(step: Callable[[], None], repeat: int, iters: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(iters):
            step()
        best = min(best, (time.perf_counter() - start) / iters)
    return best * 1000.0


def _case(x: torch.Tensor, kernel: int, dilation: int, repeat: int, iters: int) -> dict:
    weight = torch.randn(CHANNELS, 1, kernel, requires_grad=True)
    padding = dilation * (kernel - 1) // 2
    grad = torch.randn(BATCH, CHANNELS, FRAMES)

    def ours() -> None:
        depthwise_conv1d(x, weight, padding=padding, dilation=dilation).backward(grad)

    def onednn() -> None:
        F.conv1d(x, weight, padding=padding, dilation=dilation, groups=CHANNELS).backward(grad)

    for step in (ours, onednn):  # warm-up
        step()
    ours_ms, conv_ms = _best_ms(ours, repeat, iters), _best_ms(onednn, repeat, iters)
    with torch.no_grad():
        diff = depthwise_conv1d(x, weight, padding=padding, dilation=dilation) - F.conv1d(
            x, weight, padding=padding, dilation=dilation, groups=CHANNELS
        )
    return {
        "shifted_sum_ms": round(ours_ms, 3),
        "conv1d_ms": round(conv_ms, 3),
        "speedup": round(conv_ms / ours_ms, 2),
        "max_abs_diff": float(diff.abs().max()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = torch.randn(BATCH, CHANNELS, FRAMES, requires_grad=True)
    results = {f"k{k}_d{d}": _case(x, k, d, args.repeat, args.iters) for k, d in CASES}
    line = {
        "benchmark": "asr_depthwise_conv",
        "what": "forward+backward, batch 8 x 256 channels x 110 frames",
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "machine": platform.machine(),
        "cases": results,
    }
    print(json.dumps(line))


if __name__ == "__main__":
    main()
