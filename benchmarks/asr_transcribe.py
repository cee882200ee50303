"""Real-time factor of ``EncDecCTCModel.transcribe`` on CPU, next to the bare forward pass on the same audio.

The model is the demo's small QuartzNet (``examples/asr/conf/config.yaml``, random weights: speed does not depend on
them). ``transcribe`` gets 32 WAV files of 2-8 s (16 kHz) and does everything a user waits for: reading the files,
batching, features, the network, greedy CTC decoding to text. The baseline runs only the network on the same audio,
already in memory, in the same batches. RTF = seconds spent / seconds of audio (lower is faster; 0.01 means 100x
faster than real time); wall-clock time, best of several repeats. Both batch the clips longest first, as
``transcribe`` does (``parts.buffered_transcription.longest_first``), so the overhead ratio counts no padding
difference. Prints exactly one JSON line.

Usage: python benchmarks/asr_transcribe.py [--files 32] [--batch-size 8] [--repeat 3] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from omegaconf import OmegaConf

from nemo.collections.asr.models import EncDecCTCModel
from nemo.collections.asr.parts.buffered_transcription import item_lengths, longest_first
from nemo.utils import logging

CONFIG = Path(__file__).resolve().parents[1] / "examples" / "asr" / "conf" / "config.yaml"
SAMPLE_RATE = 16000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import soundfile

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    logging.set_verbosity(logging.WARNING)
    cfg = OmegaConf.load(CONFIG).model
    for key in ("train_ds", "validation_ds", "test_ds"):
        cfg.pop(key)
    model = EncDecCTCModel(cfg=cfg).eval()
    rng = np.random.default_rng(0)
    clips = [(0.1 * rng.standard_normal(int(rng.uniform(2.0, 8.0) * SAMPLE_RATE))).astype(np.float32)
             for _ in range(args.files)]  # fmt: skip
    audio_seconds = sum(len(clip) for clip in clips) / SAMPLE_RATE

    with tempfile.TemporaryDirectory(prefix="asr-transcribe-bench-") as folder:
        paths = []
        for idx, clip in enumerate(clips):
            paths.append(str(Path(folder) / f"clip_{idx:03d}.wav"))
            soundfile.write(paths[-1], clip, SAMPLE_RATE, subtype="PCM_16")

        def transcribe() -> None:
            texts = model.transcribe(paths, batch_size=args.batch_size)
            assert len(texts) == len(paths)

        ordered = [clips[i] for i in longest_first(range(len(clips)), item_lengths(clips))]

        def forward_only() -> None:
            with torch.inference_mode():
                for start in range(0, len(ordered), args.batch_size):
                    batch = ordered[start : start + args.batch_size]
                    lengths = torch.tensor([len(clip) for clip in batch])
                    signal = torch.zeros(len(batch), int(lengths.max()))
                    for row, clip in enumerate(batch):
                        signal[row, : len(clip)] = torch.from_numpy(clip)
                    model(input_signal=signal, input_signal_length=lengths)

        variants = {"transcribe": transcribe, "forward_only": forward_only}
        for call in variants.values():  # warm up
            call()
        best = {name: float("inf") for name in variants}
        for _ in range(args.repeat):
            for name, call in variants.items():
                start = time.perf_counter()
                call()
                best[name] = min(best[name], time.perf_counter() - start)
    print(
        json.dumps(
            {
                "benchmark": "asr_transcribe",
                "model": f"QuartzNet_small (examples/asr/conf/config.yaml), "
                f"{sum(p.numel() for p in model.parameters()) / 1e6:.2f}M parameters",
                "audio": f"{args.files} files, {audio_seconds:.1f} s in all, batch_size {args.batch_size}",
                "statistic": f"best of {args.repeat} repeats, wall clock, torch threads: {args.threads}",
                "rtf": {name: round(seconds / audio_seconds, 5) for name, seconds in best.items()},
                "x_real_time": {name: round(audio_seconds / seconds, 1) for name, seconds in best.items()},
                "transcribe_overhead_ratio": round(best["transcribe"] / best["forward_only"], 3),
                "torch": torch.__version__,
                "python": platform.python_version(),
            }
        )
    )


if __name__ == "__main__":
    main()
