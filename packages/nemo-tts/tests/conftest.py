"""Shared fixtures: a tiny synthetic "speech" corpus in which every letter is a tone of its own pitch.

Each letter lasts a fixed time and spaces are silence, so text and audio align in a known, learnable way; the corpus
builds in well under a second and needs no speech synthesizer.
"""

import json
import os
import random
from typing import Dict, List, Sequence

import numpy as np
import pytest

from nemo.core.testing import torch_threads

SAMPLE_RATE = 22050
LETTER_SECONDS = 0.05
SPACE_SECONDS = 0.03
WORDS = "go no on up to at it is we me be he see ten one two".split()


def letter_tone(char: str, seconds: float = LETTER_SECONDS, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """A harmonic tone whose pitch encodes the letter (silence for a space)."""
    n = int(seconds * sample_rate)
    if char == " ":
        return np.zeros(n, dtype=np.float32)
    f0 = 110.0 + 12.0 * (ord(char) - ord("a"))
    t = np.arange(n) / sample_rate
    tone = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6))
    envelope = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / (0.005 * sample_rate))
    return (0.3 * tone * envelope).astype(np.float32)


def render(text: str) -> np.ndarray:
    pieces = [np.zeros(int(0.02 * SAMPLE_RATE), dtype=np.float32)]
    pieces += [letter_tone(c, SPACE_SECONDS if c == " " else LETTER_SECONDS) for c in text]
    pieces.append(np.zeros(int(0.02 * SAMPLE_RATE), dtype=np.float32))
    return np.concatenate(pieces)


def make_tone_corpus(folder: str, texts: Sequence[str], name: str = "manifest.json", speakers: bool = False) -> str:
    """Write ``wavs/*.wav`` and a manifest with relative paths; return the manifest path."""
    import soundfile

    os.makedirs(os.path.join(folder, "wavs"), exist_ok=True)
    manifest = os.path.join(folder, name)
    with open(manifest, "w", encoding="utf-8") as f:
        for idx, text in enumerate(texts):
            audio = render(text)
            relative = f"wavs/{os.path.splitext(name)[0]}_{idx:04d}.wav"
            soundfile.write(os.path.join(folder, relative), audio, SAMPLE_RATE, subtype="PCM_16")
            entry: Dict[str, object] = {"audio_filepath": relative, "duration": len(audio) / SAMPLE_RATE, "text": text}
            if speakers:
                entry["speaker"] = ["anna", "bob"][idx % 2]
            f.write(json.dumps(entry) + "\n")
    return manifest


def make_texts(count: int, seed: int = 0) -> List[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 4))) for _ in range(count)]


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """Tiny layers run as fast on one thread, immune to OpenMP spin-waiting on shared cores; restored-vs-original
    comparisons also need the same thread count on both sides."""
    with torch_threads(1):
        yield


@pytest.fixture(scope="session")
def tone_corpus(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, str]:
    """``{"train": manifest, "val": manifest, "folder": folder}`` of the synthetic letter-tone corpus."""
    folder = str(tmp_path_factory.mktemp("tone_corpus"))
    return {
        "train": make_tone_corpus(folder, make_texts(32, seed=1), "train_manifest.json", speakers=True),
        "val": make_tone_corpus(folder, make_texts(4, seed=2), "val_manifest.json", speakers=True),
        "folder": folder,
    }
