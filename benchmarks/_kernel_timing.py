"""Timing shared by the per-layer kernel benchmarks (``asr_conv_kernels.py``, ``tts_conv_kernels.py``): a kernel
against the module it replaces, interleaved, on the same inputs. Not a benchmark itself (``nox -s bench`` skips
files starting with ``_``)."""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Callable, Dict, List, Sequence

import torch

__all__ = ["compare_ms", "run_configs"]


def _step(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, params: Sequence[torch.Tensor],
          grad: torch.Tensor, forward_only: bool) -> Callable[[], None]:  # fmt: skip
    if forward_only:

        def run() -> None:
            with torch.no_grad():
                fn(x)

    else:

        def run() -> None:
            torch.autograd.grad(fn(x), (x, *params), grad)

    return run


def compare_ms(chosen: Callable[[torch.Tensor], torch.Tensor], module: Callable[[torch.Tensor], torch.Tensor],
               x: torch.Tensor, weight: torch.Tensor, forward_only: bool, repeat: int, iters: int) -> Dict[str, float]:  # fmt: skip
    """Median milliseconds per call of ``chosen`` and ``module`` on ``x`` (forward, or forward plus the input and
    ``weight`` gradients), alternating which goes first over ``repeat`` rounds of ``iters`` calls after a warm-up
    call each (oneDNN primitive creation): ``{"chosen": ms, "conv1d": ms}``."""
    grad = torch.randn_like(module(x))
    steps = {name: _step(fn, x, (weight,), grad, forward_only) for name, fn in (("chosen", chosen), ("conv1d", module))}
    for run in steps.values():
        run()
    times: Dict[str, List[float]] = {name: [] for name in steps}
    for rnd in range(repeat):
        for name in steps if rnd % 2 == 0 else reversed(list(steps)):
            start = time.perf_counter()
            for _ in range(iters):
                steps[name]()
            times[name].append((time.perf_counter() - start) / iters * 1000.0)
    return {name: statistics.median(values) for name, values in times.items()}


def run_configs(description: str, configs: List[str], where: str, config_line: Callable[[str, argparse.Namespace], dict],
                **sizes: float) -> None:  # fmt: skip
    """The scripts' command line: ``--configs`` (default ``configs``, paths under ``where``), one option per entry of
    ``sizes`` (its default), ``--repeat``, ``--iters``, ``--threads``, ``--forward-only``; one JSON line per config."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--configs", nargs="+", default=configs, help=f"paths under {where}")
    for name, default in sizes.items():
        parser.add_argument(f"--{name}", type=type(default), default=default)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--iters", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--forward-only", action="store_true")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    for name in args.configs:
        print(json.dumps(config_line(name, args)), flush=True)
