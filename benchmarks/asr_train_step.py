"""One QuartzNet 5x5 training step (forward, CTC loss, backward, optimizer step) through ``EncDecCTCModel``, with
typecheck ``full`` and ``off``, next to the same layers driven as plain PyTorch modules.

QuartzNet 5x5 (Kriman et al., 2020; 6.7M parameters): a prologue, five blocks of five separable sub-blocks (256, 256,
512, 512, 512 channels; kernels 33-75), two epilogue convolutions, on 64 log-mels. The batch is 8 four-second clips
at 16 kHz with 50-character transcripts; no SpecAugment (so every variant does identical arithmetic). The plain
baseline reuses the model's own feature extractor, ``JasperBlock`` stack and decoder convolution (deep copies, same
weights) and calls ``torch.nn.functional.ctc_loss`` itself: the difference is what the NeMo model layer costs.
Variants are timed interleaved with this process's CPU time; the best of several repeats is reported. Prints exactly
one JSON line.

Usage: python benchmarks/asr_train_step.py [--repeat 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import time
from typing import Callable, Dict, List

import torch
from omegaconf import OmegaConf
from peer.compat import IMPL, get_typecheck_level, set_typecheck_level

from nemo.collections.asr.models import EncDecCTCModel

LABELS = list(" abcdefghijklmnopqrstuvwxyz'")
SAMPLE_RATE, BATCH, SECONDS, TEXT_LENGTH = 16000, 8, 4.0, 50


def _block(filters: int, repeat: int, kernel: int, **extra: object) -> Dict:
    return {"filters": filters, "repeat": repeat, "kernel": [kernel], "stride": [1], "dilation": [1],
            "dropout": 0.0, "residual": repeat > 1, "separable": True, **extra}  # fmt: skip


def quartznet_5x5_config() -> Dict:
    """QuartzNet 5x5: the 15x5 layout with one block per group."""
    jasper: List[Dict] = [_block(256, 1, 33, stride=[2])]
    jasper += [_block(f, 5, k) for f, k in ((256, 33), (256, 39), (512, 51), (512, 63), (512, 75))]
    jasper += [_block(512, 1, 87, dilation=[2]), _block(1024, 1, 1, separable=False)]
    return {
        "sample_rate": SAMPLE_RATE,
        "labels": LABELS,
        "preprocessor": {
            "_target_": "nemo.collections.asr.modules.AudioToMelSpectrogramPreprocessor",
            "sample_rate": SAMPLE_RATE,
            "features": 64,
            "n_fft": 512,
            "dither": 0.0,
        },
        "encoder": {
            "_target_": "nemo.collections.asr.modules.ConvASREncoder",
            "feat_in": 64,
            "activation": "relu",
            "jasper": jasper,
        },
        "decoder": {
            "_target_": "nemo.collections.asr.modules.ConvASRDecoder",
            "feat_in": 1024,
            "num_classes": len(LABELS),
            "vocabulary": LABELS,
        },
        "optim": {"name": "novograd", "lr": 0.01},
    }


class PlainQuartzNet(torch.nn.Module):
    """The model's layers as plain modules: features -> JasperBlock stack -> 1x1 conv -> log-softmax."""

    def __init__(self, model: EncDecCTCModel) -> None:
        super().__init__()
        self.features = copy.deepcopy(model.preprocessor.featurizer)
        self.blocks = copy.deepcopy(model.encoder.encoder)
        self.classifier = copy.deepcopy(model.decoder.decoder_layers)

    def forward(self, audio: torch.Tensor, length: torch.Tensor) -> tuple:
        features, feature_length = self.features(audio, length)
        encoded, encoded_length = self.blocks(([features], feature_length))
        logits = self.classifier(encoded[-1]).transpose(1, 2)
        return torch.nn.functional.log_softmax(logits, dim=-1), encoded_length


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="1: CPU time is pure compute, no spin-waits")
    args = parser.parse_args()

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    model = EncDecCTCModel(cfg=OmegaConf.create(quartznet_5x5_config()))
    model.train()
    plain = PlainQuartzNet(model).train()
    samples = int(SECONDS * SAMPLE_RATE)
    audio = 0.1 * torch.randn(BATCH, samples)
    audio_length = torch.full((BATCH,), samples, dtype=torch.long)
    targets = torch.randint(0, len(LABELS), (BATCH, TEXT_LENGTH))
    target_length = torch.full((BATCH,), TEXT_LENGTH, dtype=torch.long)
    nemo_optimizer = torch.optim.SGD(model.parameters(), lr=1e-4)
    plain_optimizer = torch.optim.SGD(plain.parameters(), lr=1e-4)
    blank = len(LABELS)

    def nemo_step() -> None:
        log_probs, encoded_len, _ = model(input_signal=audio, input_signal_length=audio_length)
        loss = model.loss(log_probs=log_probs, targets=targets, input_lengths=encoded_len, target_lengths=target_length)
        loss.backward()
        nemo_optimizer.step()
        nemo_optimizer.zero_grad(set_to_none=True)

    def plain_step() -> None:
        log_probs, encoded_len = plain(audio, audio_length)
        loss = torch.nn.functional.ctc_loss(
            log_probs.transpose(0, 1), targets, encoded_len, target_length, blank=blank, reduction="none",
            zero_infinity=True,
        ).mean()  # fmt: skip
        loss.backward()
        plain_optimizer.step()
        plain_optimizer.zero_grad(set_to_none=True)

    variants: Dict[str, tuple[str, Callable[[], None]]] = {
        "nemo_typecheck_full": ("full", nemo_step),
        "nemo_typecheck_off": ("off", nemo_step),
        "plain_pytorch": ("off", plain_step),
    }
    previous = get_typecheck_level()
    best = {name: float("inf") for name in variants}
    try:
        for level, step in variants.values():  # warm up allocator and kernels
            set_typecheck_level(level)
            step()
        for _ in range(args.repeat):
            for name, (level, step) in variants.items():
                set_typecheck_level(level)
                start = time.process_time()
                step()
                best[name] = min(best[name], time.process_time() - start)
    finally:
        set_typecheck_level(previous)
    base = best["plain_pytorch"]
    print(
        json.dumps(
            {
                "benchmark": "asr_train_step",
                "nemo": IMPL,
                "model": f"QuartzNet 5x5, {sum(p.numel() for p in model.parameters()) / 1e6:.2f}M parameters",
                "batch": f"{BATCH} x {SECONDS:g} s at {SAMPLE_RATE} Hz, {TEXT_LENGTH}-character targets",
                "statistic": f"best of {args.repeat} interleaved repeats, process CPU time, torch threads: {args.threads}",
                "cpu_s_per_step": {name: round(value, 4) for name, value in best.items()},
                "ratio_vs_plain": {name: round(value / base, 3) for name, value in best.items()},
                "torch": torch.__version__,
                "python": platform.python_version(),
            }
        )
    )


if __name__ == "__main__":
    main()
