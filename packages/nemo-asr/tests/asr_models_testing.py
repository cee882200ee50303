"""Tiny configs and synthetic audio corpora shared by the ASR model tests (imported by name: tests/ is on sys.path)."""

import json
import math
from pathlib import Path
from typing import Dict, List

import numpy as np
import soundfile

SAMPLE_RATE = 16000
LABELS = [" "] + [chr(c) for c in range(ord("a"), ord("z") + 1)] + ["'"]
TEXTS = ["hello world", "yes", "no no", "stop", "go left", "up"]


def tiny_encoder(feat_in: int = 16) -> Dict:
    return {
        "_target_": "nemo.collections.asr.modules.ConvASREncoder",
        "feat_in": feat_in,
        "activation": "relu",
        "jasper": [
            {
                "filters": 32,
                "repeat": 1,
                "kernel": [11],
                "stride": [2],
                "dilation": [1],
                "dropout": 0.0,
                "residual": False,
                "separable": True,
            },
            {
                "filters": 32,
                "repeat": 2,
                "kernel": [5],
                "stride": [1],
                "dilation": [1],
                "dropout": 0.0,
                "residual": True,
                "separable": True,
            },
        ],
    }


def preprocessor(features: int = 16) -> Dict:
    return {
        "_target_": "nemo.collections.asr.modules.AudioToMelSpectrogramPreprocessor",
        "sample_rate": SAMPLE_RATE,
        "features": features,
        "window_size": 0.02,
        "window_stride": 0.01,
        "dither": 1e-5,
        "pad_to": 16,
    }


def data_config(manifest, labels=LABELS, batch_size: int = 2, shuffle: bool = False) -> Dict:
    return {
        "manifest_filepath": manifest if manifest is None or isinstance(manifest, list) else str(manifest),
        "sample_rate": SAMPLE_RATE,
        "labels": list(labels),
        "batch_size": batch_size,
        "shuffle": shuffle,
    }


def ctc_config(train_manifest=None, val_manifest=None) -> Dict:
    cfg = {
        "labels": list(LABELS),
        "sample_rate": SAMPLE_RATE,
        "preprocessor": preprocessor(),
        "spec_augment": {
            "_target_": "nemo.collections.asr.modules.SpectrogramAugmentation",
            "freq_masks": 1,
            "time_masks": 1,
            "freq_width": 2,
            "time_width": 4,
        },
        "encoder": tiny_encoder(),
        "decoder": {
            "_target_": "nemo.collections.asr.modules.ConvASRDecoder",
            "feat_in": None,
            "num_classes": len(LABELS),
            "vocabulary": list(LABELS),
        },
        "optim": {"name": "adam", "lr": 0.01},
    }
    if train_manifest is not None:
        cfg["train_ds"] = data_config(train_manifest, shuffle=True)
    if val_manifest is not None:
        cfg["validation_ds"] = data_config(val_manifest)
    return cfg


def write_tone(path: Path, seconds: float, freq: float, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    audio = 0.3 * np.sin(2 * math.pi * freq * t) + 0.01 * rng.standard_normal(t.shape)
    soundfile.write(str(path), audio.astype(np.float32), SAMPLE_RATE)
    return path


def write_corpus(directory: Path, entries: List[Dict], name: str = "manifest.json") -> Path:
    """WAV files of distinct tones and a JSON-lines manifest; each entry gives the manifest fields besides audio."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest = directory / name
    with open(manifest, "w", encoding="utf-8") as handle:
        for idx, fields in enumerate(entries):
            seconds = 0.4 + 0.1 * (idx % 3)
            wav = write_tone(directory / f"{Path(name).stem}_{idx}.wav", seconds, 200.0 + 150.0 * idx, seed=idx)
            handle.write(json.dumps({"audio_filepath": str(wav), "duration": seconds, **fields}) + "\n")
    return manifest


def manifest_paths(manifest: Path) -> List[str]:
    with open(manifest, encoding="utf-8") as handle:
        return [json.loads(line)["audio_filepath"] for line in handle]
