"""One benchmark figure, measured in whichever ``nemo`` this interpreter imports (ours or NVIDIA NeMo 3).

``compare.py`` runs this script once per figure and repetition in each virtualenv, alternating. Both expose NeMo's
public API, so every figure below is the same code on both sides (``compat.IMPL`` only labels the line). Prints
exactly one JSON line: ``{"figure", "impl", "value", "unit", ...}``; a ``null`` value asks the caller to use the
process's wall time (the cold-start figure). ``--prepare`` writes the inputs some figures need (a wav file, the
100M-parameter archive) without timing anything.

Usage: python benchmarks/peer/figures.py FIGURE --work DIR [--threads 1] [--prepare] [--precision fp32|bf16]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path
from typing import Callable, Dict

import numpy as np
import torch
from compat import IMPL  # this folder is sys.path[0]
from omegaconf import OmegaConf
from tts_figures import TTS_MODELS, tts_step

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "examples" / "asr" / "conf"
ARCHIVE = ROOT / "packages" / "nemo-asr" / "tests" / "interop" / "archives" / "quartznet.nemo"  # written by NeMo
LABELS = list(" abcdefghijklmnopqrstuvwxyz'")
SAMPLE_RATE, BATCH, SECONDS, TEXT_LENGTH = 16000, 4, 4.0, 40
# Shipped configs; QuartzNet 5x5 is 15x5 with the first block of each group of three (15x5 itself runs as shipped),
# Jasper keeps one sub-block per block (10x1: 10x5's 330M parameters do not fit a shared 2-core machine).
ASR_CONFIGS = {
    "config": "config.yaml",
    "quartznet5x5": "quartznet/quartznet_15x5.yaml",
    "quartznet15x5": "quartznet/quartznet_15x5.yaml",
    "citrinet_small": "citrinet/citrinet_small.yaml",
    "conformer_ctc_small": "conformer/conformer_ctc_small.yaml",
    "jasper10x1": "jasper/jasper_10x5dr.yaml",
}


def asr_config(name: str) -> Dict:
    """The YAML's preprocessor, encoder and decoder, over characters, without dither or SpecAugment (so both sides
    do identical arithmetic on identical inputs)."""
    root = OmegaConf.load(CONF / ASR_CONFIGS[name])
    model = OmegaConf.to_container(root, resolve=True)["model"]
    preprocessor = {**model["preprocessor"], "dither": 0.0}
    encoder, decoder = model["encoder"], model["decoder"]
    if name == "quartznet5x5":
        encoder["jasper"] = encoder["jasper"][:1] + encoder["jasper"][1:16:3] + encoder["jasper"][16:]
    if name == "jasper10x1":
        encoder["jasper"] = [{**block, "repeat": 1} for block in encoder["jasper"]]
    feat_in = decoder.get("feat_in") or encoder.get("d_model")
    decoder = {**decoder, "feat_in": feat_in, "num_classes": len(LABELS), "vocabulary": LABELS}
    return {"sample_rate": SAMPLE_RATE, "labels": LABELS, "preprocessor": preprocessor, "encoder": encoder,
            "decoder": decoder}  # fmt: skip


def ctc_model(cfg: Dict):
    from nemo.collections.asr.models import EncDecCTCModel

    torch.manual_seed(0)
    return EncDecCTCModel(cfg=OmegaConf.create(cfg))


def _inputs() -> tuple:
    generator = torch.Generator().manual_seed(1)
    samples = int(SECONDS * SAMPLE_RATE)
    audio = 0.1 * torch.randn(BATCH, samples, generator=generator)
    targets = torch.randint(0, len(LABELS), (BATCH, TEXT_LENGTH), generator=generator)
    return audio, torch.full((BATCH,), samples), targets, torch.full((BATCH,), TEXT_LENGTH)


def _best_cpu(call: Callable[[], object], iters: int) -> float:
    call()  # warm-up: allocator, oneDNN primitives
    best = float("inf")
    for _ in range(iters):
        start = time.process_time()
        call()
        best = min(best, time.process_time() - start)
    return best


PRECISIONS = ("fp32", "bf16")


def autocast(precision: str):
    """``bf16``: CPU autocast to bfloat16 (what Lightning's ``precision="bf16-mixed"`` enters); ``fp32``: none."""
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16")


def asr_step(name: str, train: bool, iters: int, precision: str = "fp32") -> dict:
    """Forward, CTC loss, backward, SGD step (``train``) or a no-grad eval forward, per batch. In ``bf16`` the
    forward runs under autocast and the CTC loss in float32 on widened log-probabilities (on both sides)."""
    model = ctc_model(asr_config(name))
    audio, audio_length, targets, target_length = _inputs()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-5)

    def step() -> None:
        with autocast(precision):
            log_probs, encoded_length, _ = model(input_signal=audio, input_signal_length=audio_length)
        loss = model.loss(log_probs=log_probs.float(), targets=targets, input_lengths=encoded_length,
                          target_lengths=target_length)  # fmt: skip
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    def infer() -> None:
        with torch.no_grad(), autocast(precision):
            model(input_signal=audio, input_signal_length=audio_length)

    model.train(train)
    params = sum(p.numel() for p in model.parameters())
    return {"value": _best_cpu(step if train else infer, iters), "unit": "CPU s per batch",
            "detail": f"{params / 1e6:.2f}M params, batch {BATCH} x {SECONDS:g} s", "precision": precision}  # fmt: skip


def features(iters: int, work: Path) -> dict:
    """Log-mel (config.yaml's preprocessor) on 8 x 10 s; librosa's melspectrogram on the same audio beside it.

    Each side also saves its features in ``work``; once the other side's are there, the line carries the largest
    absolute difference between the two (``max_abs_diff``: ours against NeMo's, the aim's value check).
    """
    import librosa

    from nemo.collections.asr.modules import AudioToMelSpectrogramPreprocessor

    cfg = {k: v for k, v in asr_config("config")["preprocessor"].items() if k != "_target_"}
    preprocessor = AudioToMelSpectrogramPreprocessor(**cfg).eval()
    batch, seconds = 8, 10.0
    audio = 0.1 * torch.randn(batch, int(seconds * SAMPLE_RATE), generator=torch.Generator().manual_seed(2))
    length = torch.full((batch,), audio.shape[1])
    numpy_audio = audio.numpy()

    def ours() -> torch.Tensor:
        with torch.no_grad():
            return preprocessor(input_signal=audio, length=length)[0]

    def reference() -> None:
        for clip in numpy_audio:
            librosa.feature.melspectrogram(y=clip, sr=SAMPLE_RATE, n_fft=512, hop_length=160, win_length=320,
                                           n_mels=64, window="hann")  # fmt: skip

    total, iters = batch * seconds, max(iters, 10)  # calls of milliseconds: enough of them for a steady best
    result = {"value": total / _best_cpu(ours, iters), "unit": "audio s per CPU s (higher is better)",
              "librosa": total / _best_cpu(reference, iters)}  # fmt: skip
    side, other = ("ours", "nemo") if IMPL == "ours" else ("nemo", "ours")
    np.save(work / f"features_{side}.npy", ours().numpy())
    if (work / f"features_{other}.npy").exists():
        result["max_abs_diff"] = float(np.abs(np.load(work / f"features_{other}.npy") - ours().numpy()).max())
    return result


def typecheck_overhead(iters: int) -> dict:
    """Microseconds ``@typecheck()`` adds per call of a two-in, two-out module on tiny tensors."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from typecheck import _Encoder, _TypedEncoder  # benchmarks/typecheck.py's module, undecorated and decorated

    x, length, number = torch.randn(2, 4, 8), torch.tensor([8, 6]), 2000
    plain, typed = _Encoder(), _TypedEncoder()

    def calls(module: torch.nn.Module) -> Callable[[], None]:
        def run() -> None:
            for _ in range(number):
                module(audio_signal=x, length=length)

        return run

    overhead = _best_cpu(calls(typed), iters) - _best_cpu(calls(plain), iters)
    return {"value": overhead / number * 1e6, "unit": "us per call"}


def wav_paths(work: Path, count: int = 4, seconds: float = 5.0) -> list:
    import soundfile

    paths = []
    for index in range(count):
        path = work / f"clip{index}.wav"
        if not path.exists():
            rng = np.random.default_rng(index)
            soundfile.write(path, (0.1 * rng.standard_normal(int(seconds * SAMPLE_RATE))).astype("float32"),
                            SAMPLE_RATE)  # fmt: skip
        paths.append(str(path))
    return paths


def cold_start(work: Path) -> dict:
    """Import, restore a NeMo-written 0.8M QuartzNet ``.nemo``, transcribe one file: the caller times the process."""
    from nemo.collections.asr.models import ASRModel

    model = ASRModel.restore_from(str(ARCHIVE), map_location="cpu")
    model.transcribe([wav_paths(work)[0]], batch_size=1, verbose=False)
    return {"value": None, "unit": "wall s, fresh process"}


def transcribe_rtf(work: Path) -> dict:
    """``transcribe`` CPU time over audio length: QuartzNet 5x5, four 5 s files, batch 4."""
    model = ctc_model(asr_config("quartznet5x5")).eval()
    paths = wav_paths(work)
    seconds = _best_cpu(lambda: model.transcribe(paths, batch_size=4, verbose=False), 1)
    return {"value": seconds / (5.0 * len(paths)), "unit": "CPU s per audio s"}


def big_config() -> Dict:
    """A ~100M-parameter CTC model: nine non-separable 1024-channel, kernel-11 convolutions."""
    cfg = asr_config("config")
    block = {"filters": 1024, "repeat": 1, "kernel": [11], "stride": [1], "dilation": [1], "dropout": 0.0,
             "residual": False, "separable": False}  # fmt: skip
    cfg["encoder"] = {**cfg["encoder"], "jasper": [block] * 9}
    cfg["decoder"] = {**cfg["decoder"], "feat_in": 1024}
    return cfg


def restore_100m(work: Path, prepare: bool) -> dict:
    from nemo.collections.asr.models import EncDecCTCModel

    path = work / f"big_{'ours' if IMPL == 'ours' else 'nemo'}.nemo"
    if prepare:
        if not path.exists():
            ctc_model(big_config()).save_to(str(path))
        return {"value": 0.0, "unit": "prepared"}
    start = time.perf_counter()
    model = EncDecCTCModel.restore_from(str(path), map_location="cpu")
    seconds = time.perf_counter() - start
    weights = sum(p.numel() * p.element_size() for p in model.state_dict().values())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"value": seconds, "unit": "wall s", "peak_rss_over_weights": peak / weights,
            "detail": f"{weights / 4e6:.0f}M params"}  # fmt: skip


def measure(figure: str, work: Path, iters: int, prepare: bool, precision: str = "fp32") -> dict:
    kind, _, name = figure.partition(":")
    if kind in ("train", "infer") and name in TTS_MODELS:  # FastPitch and HiFi-GAN: tts_figures.py
        return tts_step(name, kind == "train", work, iters, _best_cpu, precision)
    if kind in ("train", "infer"):
        return asr_step(name, kind == "train", iters, precision)
    if precision != "fp32":
        sys.exit(f"--precision {precision} is for train:NAME and infer:NAME figures only, not {figure!r}")
    if prepare and kind != "restore_100m":
        wav_paths(work)
        return {"value": 0.0, "unit": "prepared"}
    measures: Dict[str, Callable[[], dict]] = {
        "features": lambda: features(iters, work),
        # a difference of two timings of ~2 us and ~20 us per call: 2 runs each can even read below zero
        "typecheck": lambda: typecheck_overhead(max(iters, 10)),
        "cold_start": lambda: cold_start(work),
        "transcribe_rtf": lambda: transcribe_rtf(work),
        "restore_100m": lambda: restore_100m(work, prepare),
    }
    if kind not in measures:
        sys.exit(f"unknown figure {figure!r}: expected train:NAME, infer:NAME (NAME in {sorted(ASR_CONFIGS)}) "
                 f"or one of {sorted(measures)}")  # fmt: skip
    return measures[kind]()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("figure")
    parser.add_argument("--work", type=Path, required=True, help="a folder for inputs shared by both sides")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--iters", type=int, default=2, help="timed calls after one warm-up; the best is kept")
    parser.add_argument("--prepare", action="store_true")
    parser.add_argument("--precision", choices=PRECISIONS, default="fp32", help="train/infer figures: bf16 autocast")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    args.work.mkdir(parents=True, exist_ok=True)
    result = measure(args.figure, args.work, args.iters, args.prepare, args.precision)
    print(json.dumps({"figure": args.figure, "impl": IMPL, "threads": args.threads, **result}), flush=True)


if __name__ == "__main__":
    main()
