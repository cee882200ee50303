"""Per-call cost of ``@typecheck()`` at each level against the same module undecorated.

The module is NeMo-shaped (``torch.nn.Module`` + ``Typing``, two inputs, two outputs, properties that build fresh
NeuralType dicts on every call like most NeMo modules) and works on tiny tensors, so Python overhead dominates. A
second typed module whose properties return dicts built once shows the identity fast path of the metadata cache.
Variants are timed interleaved, many short repeats each, with this process's CPU time (so other processes on a shared
machine do not inflate it), and the minimum per-call time is reported. Prints exactly one JSON line.

Usage: python benchmarks/typecheck.py [--number N] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import timeit
from typing import Any, Callable, Dict, Tuple

import torch
from peer.compat import IMPL, get_typecheck_level, set_typecheck_level

from nemo.core.classes.common import Typing, typecheck
from nemo.core.neural_types import AcousticEncodedRepresentation, LengthsType, NeuralType, SpectrogramType


class _Encoder(torch.nn.Module, Typing):
    """Two typed inputs, two typed outputs, a trivial forward."""

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return {
            "audio_signal": NeuralType(("B", "D", "T"), SpectrogramType()),
            "length": NeuralType(tuple("B"), LengthsType()),
        }

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return {
            "outputs": NeuralType(("B", "D", "T"), AcousticEncodedRepresentation()),
            "encoded_lengths": NeuralType(tuple("B"), LengthsType()),
        }

    def forward(self, audio_signal: torch.Tensor, length: torch.Tensor) -> tuple:
        return audio_signal.neg(), length.neg()


class _TypedEncoder(_Encoder):
    @typecheck()
    def forward(self, audio_signal: torch.Tensor, length: torch.Tensor) -> tuple:
        return audio_signal.neg(), length.neg()


class _StaticTypedEncoder(_TypedEncoder):
    """Same, but the types dicts are built once per instance (the property returns the identical object)."""

    def __init__(self) -> None:
        super().__init__()
        self._in, self._out = _Encoder.input_types.fget(self), _Encoder.output_types.fget(self)

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return self._in

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return self._out


def _measure(calls: Dict[str, Tuple[str, Callable[[], Any]]], number: int, repeat: int) -> Dict[str, float]:
    """Interleave the variants repeat times; per variant, the best per-call time in microseconds."""
    best = {name: float("inf") for name in calls}
    for _ in range(repeat):
        for name, (level, call) in calls.items():
            set_typecheck_level(level)
            timer = timeit.Timer(call, timer=time.process_time)
            best[name] = min(best[name], timer.timeit(number=number) / number * 1e6)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=2000, help="calls per timing")
    parser.add_argument("--repeat", type=int, default=60, help="timings per variant")
    args = parser.parse_args()

    torch.set_num_threads(1)
    audio, length = torch.randn(2, 4, 8), torch.tensor([8, 6])
    # Inputs carry neural types, as if produced by an upstream typed module, so full mode compares them.
    audio.neural_type = NeuralType(("B", "D", "T"), SpectrogramType())
    length.neural_type = NeuralType(tuple("B"), LengthsType())
    plain, typed, static = _Encoder(), _TypedEncoder(), _StaticTypedEncoder()

    def undecorated() -> Any:
        return plain(audio_signal=audio, length=length)

    def decorated() -> Any:
        return typed(audio_signal=audio, length=length)

    def decorated_static() -> Any:
        return static(audio_signal=audio, length=length)

    variants = {name: (name, decorated) for name in ("full", "shapes", "off")}
    variants["undecorated"] = ("full", undecorated)
    variants["static_types_full"] = ("full", decorated_static)
    variants["static_types_shapes"] = ("shapes", decorated_static)
    previous = get_typecheck_level()
    try:
        for level, call in variants.values():  # warm up caches and check that every variant runs
            set_typecheck_level(level)
            call()
        per_call = _measure(variants, args.number, args.repeat)
    finally:
        set_typecheck_level(previous)
    base = per_call["undecorated"]
    print(
        json.dumps(
            {
                "benchmark": "typecheck",
                "nemo": IMPL,
                "statistic": f"min of {args.repeat} repeats x {args.number} calls",
                "us_per_call": {name: round(value, 3) for name, value in per_call.items()},
                "ratio_vs_undecorated": {name: round(value / base, 3) for name, value in per_call.items()},
                "overhead_us": {name: round(value - base, 3) for name, value in per_call.items()},
                "torch": torch.__version__,
                "python": platform.python_version(),
            }
        )
    )


if __name__ == "__main__":
    main()
