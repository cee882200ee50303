"""Conformer self-attention on CPU: ``torch.nn.functional.scaled_dot_product_attention`` (SDPA) against the explicit
matmul implementation, for ``abs_pos`` (``MultiHeadAttention``) and ``rel_pos`` (``RelPositionMultiHeadAttention``,
whose positional term SDPA takes as an additive float ``attn_mask``), forward only (``no_grad``, eval) and forward plus
backward (train mode, dropout 0).

Each size is a batch of padded utterances (lengths spread from half to full length, so masks are real), timed with both
implementations interleaved: the median over ``--repeat`` rounds of ``--iters`` calls. Prints one JSON line: per size,
mode and attention model the milliseconds per call of both and the speed-up (explicit / SDPA: above 1 means SDPA is
faster), the max absolute output difference, the thread count and the 1-minute load average before and after.

Usage: python benchmarks/asr_conformer_attention.py [--repeat 5] [--iters 3] [--threads N] [--sizes small medium]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from typing import Callable, Dict, List

import torch

from nemo.collections.asr.parts.submodules.multi_head_attention import (
    MultiHeadAttention,
    PositionalEncoding,
    RelPositionalEncoding,
    RelPositionMultiHeadAttention,
)

# name -> (batch, frames after subsampling, d_model, heads)
SIZES = {
    "small": (16, 55, 144, 4),  # conformer_ctc_small.yaml on the demo corpus: 2.2 s utterances, 4x subsampling
    "medium": (8, 250, 256, 4),  # NeMo's Conformer-CTC medium (d_model 256) on 10 s utterances
    "large": (4, 400, 512, 8),  # NeMo's Conformer-CTC large (d_model 512) on 16 s utterances
}


def _median_ms(fn: Callable[[], None], repeat: int, iters: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(iters):
            fn()
        times.append((time.perf_counter() - start) / iters * 1000.0)
    return statistics.median(times)


def _case(rel_pos: bool, size: str, train: bool, repeat: int, iters: int) -> Dict[str, object]:
    batch, frames, d_model, heads = SIZES[size]
    torch.manual_seed(0)
    kinds = {}
    for sdpa in (False, True):
        torch.manual_seed(0)
        if rel_pos:
            kinds[sdpa] = RelPositionMultiHeadAttention(heads, d_model, 0.0, None, None, use_pytorch_sdpa=sdpa)
        else:
            kinds[sdpa] = MultiHeadAttention(heads, d_model, 0.0, use_pytorch_sdpa=sdpa)
        kinds[sdpa].train(train)
    kinds[True].load_state_dict(kinds[False].state_dict())
    x = torch.randn(batch, frames, d_model, requires_grad=train)
    lengths = torch.linspace(frames // 2, frames, batch).round().long()
    valid = torch.arange(frames).unsqueeze(0) < lengths.unsqueeze(1)
    mask = ~(valid.unsqueeze(1) & valid.unsqueeze(2))
    pos_enc = (RelPositionalEncoding if rel_pos else PositionalEncoding)(d_model, 0.0, max_len=frames)
    _, pos_emb = pos_enc(x.detach())

    def run(module: torch.nn.Module) -> torch.Tensor:
        if train:
            out = module(x, x, x, mask, pos_emb=pos_emb)
            out.sum().backward()
            return out.detach()
        with torch.no_grad():
            return module(x, x, x, mask, pos_emb=pos_emb)

    diff = float((run(kinds[False]) - run(kinds[True])).abs().max())
    explicit = sdpa = 0.0
    times: Dict[bool, List[float]] = {False: [], True: []}
    for _ in range(repeat):  # interleaved, so load changes hit both alike
        for which in (False, True):
            times[which].append(_median_ms(lambda m=kinds[which]: run(m), 1, iters))
    explicit, sdpa = statistics.median(times[False]), statistics.median(times[True])
    return {
        "attention": "rel_pos" if rel_pos else "abs_pos",
        "size": size,
        "shape": {"batch": batch, "frames": frames, "d_model": d_model, "heads": heads},
        "mode": "forward+backward" if train else "forward",
        "explicit_ms": round(explicit, 3),
        "sdpa_ms": round(sdpa, 3),
        "speedup_sdpa": round(explicit / sdpa, 3),
        "max_abs_diff": diff,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--iters", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--sizes", nargs="+", default=["small", "medium"], choices=sorted(SIZES))
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    load_before = os.getloadavg()[0]
    cases = [
        _case(rel_pos, size, train, args.repeat, args.iters)
        for size in args.sizes
        for train in (False, True)
        for rel_pos in (False, True)
    ]
    print(
        json.dumps(
            {
                "benchmark": "asr_conformer_attention",
                "torch": torch.__version__,
                "machine": platform.processor() or platform.machine(),
                "threads": torch.get_num_threads(),
                "load_1min_before": load_before,
                "load_1min_after": os.getloadavg()[0],
                "cases": cases,
            }
        )
    )


if __name__ == "__main__":
    main()
