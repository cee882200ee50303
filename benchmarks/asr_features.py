"""Log-mel features of a batch: seconds of audio processed per CPU second, next to librosa on the same audio.

``AudioToMelSpectrogramPreprocessor`` (NeMo's QuartzNet front end: 64 mels, 20 ms Hann window, 10 ms hop, n_fft 512,
pre-emphasis, log, per-feature normalization) on a batch of 16 ten-second clips, against
``librosa.feature.melspectrogram`` with the same window, hop, FFT size and mel count called once per clip (librosa
has no batch axis; it stops at the power mel spectrogram, so the preprocessor does slightly more work). One torch
thread (librosa's numpy path is single-threaded too); variants are timed interleaved with this process's CPU time,
and the best of several repeats is reported. Prints exactly one JSON line.

Usage: python benchmarks/asr_features.py [--batch 16] [--seconds 10] [--repeat 7]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from typing import Callable, Dict

import numpy as np
import torch

from nemo.collections.asr.modules import AudioToMelSpectrogramPreprocessor

SAMPLE_RATE = 16000


def _best_cpu_seconds(calls: Dict[str, Callable[[], object]], repeat: int) -> Dict[str, float]:
    best = {name: float("inf") for name in calls}
    for _ in range(repeat):
        for name, call in calls.items():
            start = time.process_time()
            call()
            best[name] = min(best[name], time.process_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    import librosa

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    samples = int(args.seconds * SAMPLE_RATE)
    # Noise shaped like speech loudness: the cost does not depend on content, only on length.
    audio = (0.1 * rng.standard_normal((args.batch, samples))).astype(np.float32)
    signal, lengths = torch.from_numpy(audio), torch.full((args.batch,), samples, dtype=torch.long)
    preprocessor = AudioToMelSpectrogramPreprocessor(
        sample_rate=SAMPLE_RATE, window_size=0.02, window_stride=0.01, features=64, n_fft=512, dither=0.0
    ).eval()

    def nemo_batch() -> object:
        with torch.inference_mode():
            return preprocessor(input_signal=signal, length=lengths)

    def librosa_loop() -> object:
        return [
            librosa.feature.melspectrogram(
                y=clip, sr=SAMPLE_RATE, n_fft=512, win_length=320, hop_length=160, window="hann", n_mels=64
            )
            for clip in audio
        ]

    calls = {"nemo_preprocessor": nemo_batch, "librosa_melspectrogram": librosa_loop}
    for call in calls.values():  # warm up (mel filterbank caches, first-call allocations)
        call()
    best = _best_cpu_seconds(calls, args.repeat)
    audio_seconds = args.batch * args.seconds
    speed = {name: round(audio_seconds / seconds, 1) for name, seconds in best.items()}
    print(
        json.dumps(
            {
                "benchmark": "asr_features",
                "statistic": f"best of {args.repeat} interleaved repeats, process CPU time, 1 torch thread",
                "batch": f"{args.batch} x {args.seconds:g} s at {SAMPLE_RATE} Hz",
                "audio_seconds_per_cpu_second": speed,
                "cpu_ms_per_batch": {name: round(seconds * 1e3, 2) for name, seconds in best.items()},
                "ratio_nemo_vs_librosa": round(speed["nemo_preprocessor"] / speed["librosa_melspectrogram"], 2),
                "torch": torch.__version__,
                "librosa": librosa.__version__,
                "python": platform.python_version(),
            }
        )
    )


if __name__ == "__main__":
    main()
