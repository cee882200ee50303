"""Synthesize a small, deterministic English speech corpus offline with eSpeak NG (for demos and tests).

    python examples/asr/make_speech_corpus.py --out-dir /tmp/speech --num-train 400 --num-val 40 --num-test 40

Writes ``<out-dir>/wavs/<split>_<n>.wav`` (16 kHz mono PCM-16) and ``train_manifest.json``,
``validation_manifest.json``, ``test_manifest.json`` (NeMo JSON lines with relative ``audio_filepath``, ``duration``,
``text`` and ``speaker``). Sentences come from a built-in word list and templates (digits, commands, short phrases);
each utterance gets a voice variant, speaking rate and pitch drawn from ``--seed``, so the same arguments give the
same corpus. Validation and test utterances use voice variants never heard in training, and sentences that do not
occur in training.

Needs the ``espeakng-loader`` wheel (bundles libespeak-ng and its data) and ``soxr`` (a librosa dependency); the
``nemo-asr`` library itself does not depend on either.
"""

import _ctypes
import argparse
import ctypes
import json
import os
import random
import shutil
import tempfile
from typing import Dict, List, Optional, Sequence, Set

import numpy as np

__all__ = ["EspeakSynthesizer", "make_sentences", "make_corpus", "TRAIN_VARIANTS", "HELD_OUT_VARIANTS", "LABELS"]

LABELS = list(" abcdefghijklmnopqrstuvwxyz'")
ESPEAK_SAMPLE_RATE = 22050
# Voice = language + "+" + variant (espeak-ng-data/voices/!v). All names below exist in espeakng-loader's data; an
# unknown variant would silently fall back to the plain voice, so the lists are fixed rather than user-supplied.
# Breathy variants (f2, f3, f5) are left out: their noise is not reproducible.
TRAIN_VARIANTS = ("en-us+m1", "en-us+m2", "en-us+m3", "en-us+m4", "en-us+f1", "en-us+klatt", "en+john", "en+linda")
HELD_OUT_VARIANTS = ("en-us+m5", "en-us+f4", "en+m7")
TRAIN_RATES, EVAL_RATES = (140, 200), (150, 190)  # words per minute
TRAIN_PITCHES, EVAL_PITCHES = (30, 70), (35, 65)  # espeak pitch, 0-100

_DIGITS = "zero one two three four five six seven eight nine".split()
_COMMANDS = "yes no up down left right on off stop go".split()
_DEVICES = "lights music radio heater fan door window television alarm oven".split()
_ROOMS = "kitchen bedroom garage office hallway bathroom".split()
_COLORS = "red green blue yellow white black orange purple".split()
_NUMBERS = "two three four five six seven eight nine ten twenty thirty".split()
_TEMPLATES = (
    lambda r: " ".join(r.choice(_DIGITS) for _ in range(r.randint(3, 5))),
    lambda r: " ".join(r.choice(_COMMANDS) for _ in range(r.randint(1, 3))),
    lambda r: f"turn {r.choice(('on', 'off'))} the {r.choice(_ROOMS)} {r.choice(_DEVICES)}",
    lambda r: f"{r.choice(('open', 'close', 'check'))} the {r.choice(_ROOMS)} {r.choice(('door', 'window'))}",
    lambda r: f"set a timer for {r.choice(_NUMBERS)} minutes",
    lambda r: f"make the {r.choice(_ROOMS)} lights {r.choice(_COLORS)}",
    lambda r: f"move {r.choice(_COMMANDS[2:6])} {r.choice(_NUMBERS)} steps",
    lambda r: f"call number {' '.join(r.choice(_DIGITS) for _ in range(3))}",
)


def make_sentences(count: int, rng: random.Random, exclude: Optional[Set[str]] = None) -> List[str]:
    """``count`` distinct template sentences, none of them in ``exclude`` (which is updated with the new ones)."""
    exclude = set() if exclude is None else exclude
    sentences: List[str] = []
    for _ in range(count * 200):
        if len(sentences) == count:
            break
        sentence = rng.choice(_TEMPLATES)(rng)
        if sentence not in exclude:
            exclude.add(sentence)
            sentences.append(sentence)
    if len(sentences) == count:
        return sentences
    raise RuntimeError(f"could only make {len(sentences)} distinct sentences of the {count} requested")


class EspeakSynthesizer:
    """Text → int16 samples at 22050 Hz through libespeak-ng's synchronous C API (ctypes).

    libespeak-ng keeps synthesis state in static variables that ``espeak_Initialize`` does not reset, so an
    utterance would depend on everything synthesized before it. Each call therefore loads a private copy of the
    library (a few milliseconds): the samples depend only on the arguments. Breathy variants (f2, f3, f5, ...) add
    unseeded noise, so the corpus uses none of them.
    """

    _CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)

    def __init__(self) -> None:
        import espeakng_loader

        self._library_path = espeakng_loader.get_library_path()
        self._data_path = espeakng_loader.get_data_path().encode()
        self._calls = 0

    def _load_private_library(self, folder: str) -> ctypes.CDLL:
        self._calls += 1
        path = os.path.join(folder, f"libespeak-ng-{self._calls}.so")
        shutil.copyfile(self._library_path, path)
        try:
            lib = ctypes.CDLL(path)
        except OSError as err:
            raise RuntimeError(
                f"cannot load a private copy of libespeak-ng from {folder} ({err}); point TMPDIR at a folder that "
                "allows executable mappings"
            ) from err
        finally:
            os.remove(path)
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                     ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]  # fmt: skip
        return lib

    def synthesize(self, text: str, voice: str, rate: int, pitch: int) -> np.ndarray:
        """Samples of ``text`` spoken by ``voice`` (e.g. ``en-us+m3``) at ``rate`` words/minute and ``pitch`` (0-100)."""
        chunks: List[np.ndarray] = []

        def collect(wav: "ctypes._Pointer", num_samples: int, events: int) -> int:
            if wav and num_samples > 0:
                chunks.append(np.ctypeslib.as_array(wav, shape=(num_samples,)).copy())
            return 0  # 0: continue synthesis

        callback = self._CALLBACK(collect)
        with tempfile.TemporaryDirectory(prefix="espeak-") as folder:
            lib = self._load_private_library(folder)
        try:
            sample_rate = lib.espeak_Initialize(2, 0, self._data_path, 0)  # 2: AUDIO_OUTPUT_SYNCHRONOUS
            if sample_rate != ESPEAK_SAMPLE_RATE:
                raise RuntimeError(f"espeak_Initialize returned {sample_rate}, expected {ESPEAK_SAMPLE_RATE} Hz")
            lib.espeak_SetSynthCallback(callback)
            if lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise ValueError(f"eSpeak NG has no voice {voice!r}")
            lib.espeak_SetParameter(1, int(rate), 0)  # espeakRATE
            lib.espeak_SetParameter(3, int(pitch), 0)  # espeakPITCH
            data = text.encode("utf-8") + b"\0"
            # position 0, POS_CHARACTER (1), no end position, espeakCHARS_UTF8 (1)
            status = lib.espeak_Synth(data, len(data), 0, 1, 0, 1, None, None)
            if status != 0 or lib.espeak_Synchronize() != 0:
                raise RuntimeError(f"espeak_Synth failed with status {status} for {text!r}")
            lib.espeak_Terminate()
        finally:
            _ctypes.dlclose(lib._handle)
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)


def _trim_silence(samples: np.ndarray, sample_rate: int, margin_s: float = 0.05) -> np.ndarray:
    """Cut leading/trailing samples below 1% of the peak, keeping ``margin_s`` of silence on each side."""
    loud = np.flatnonzero(np.abs(samples) > 0.01 * max(float(np.abs(samples).max(initial=0.0)), 1e-9))
    if loud.size == 0:
        return samples
    margin = int(margin_s * sample_rate)
    return samples[max(loud[0] - margin, 0) : loud[-1] + margin + 1]


def _render(synth: EspeakSynthesizer, text: str, voice: str, rate: int, pitch: int, sample_rate: int) -> np.ndarray:
    import soxr

    audio = synth.synthesize(text, voice, rate, pitch).astype(np.float32) / 32768.0
    if sample_rate != ESPEAK_SAMPLE_RATE:
        audio = soxr.resample(audio, ESPEAK_SAMPLE_RATE, sample_rate)
    return np.clip(_trim_silence(audio, sample_rate), -1.0, 1.0)


def _write_split(
    synth: EspeakSynthesizer,
    out_dir: str,
    split: str,
    sentences: Sequence[str],
    voices: Sequence[str],
    rates: Sequence[int],
    pitches: Sequence[int],
    rng: random.Random,
    sample_rate: int,
) -> str:
    import soundfile

    os.makedirs(os.path.join(out_dir, "wavs"), exist_ok=True)
    manifest = os.path.join(out_dir, f"{split}_manifest.json")
    with open(manifest, "w", encoding="utf-8") as f:
        for idx, text in enumerate(sentences):
            voice, rate, pitch = voices[idx % len(voices)], rng.randint(*rates), rng.randint(*pitches)
            audio = _render(synth, text, voice, rate, pitch, sample_rate)
            relative = f"wavs/{split}_{idx:05d}.wav"
            soundfile.write(os.path.join(out_dir, relative), audio, sample_rate, subtype="PCM_16")
            entry = {"audio_filepath": relative, "duration": round(len(audio) / sample_rate, 4), "text": text}
            f.write(json.dumps({**entry, "speaker": voice, "rate": rate, "pitch": pitch}) + "\n")
    return manifest


def make_corpus(
    out_dir: str, num_train: int, num_val: int, num_test: int, seed: int = 0, sample_rate: int = 16000
) -> Dict[str, str]:
    """Write the corpus and return ``{"train"|"validation"|"test": manifest path}``."""
    rng = random.Random(seed)
    seen: Set[str] = set()
    plan = (
        ("train", num_train, TRAIN_VARIANTS, TRAIN_RATES, TRAIN_PITCHES),
        ("validation", num_val, HELD_OUT_VARIANTS, EVAL_RATES, EVAL_PITCHES),
        ("test", num_test, HELD_OUT_VARIANTS, EVAL_RATES, EVAL_PITCHES),
    )
    sentences = {split: make_sentences(count, rng, seen) for split, count, *_ in plan}
    synth = EspeakSynthesizer()
    manifests = {}
    for split, _, voices, rates, pitches in plan:
        voices = rng.sample(voices, len(voices))
        manifests[split] = _write_split(
            synth, out_dir, split, sentences[split], voices, rates, pitches, rng, sample_rate
        )
    return manifests


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-dir", required=True, help="folder for wavs/ and the three manifests")
    parser.add_argument("--num-train", type=int, default=400)
    parser.add_argument("--num-val", type=int, default=40)
    parser.add_argument("--num-test", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sample-rate", type=int, default=16000)
    args = parser.parse_args(argv)
    for name in ("num_train", "num_val", "num_test"):
        if getattr(args, name) < 0:
            parser.error(f"--{name.replace('_', '-')} must be >= 0")
    manifests = make_corpus(args.out_dir, args.num_train, args.num_val, args.num_test, args.seed, args.sample_rate)
    for split, path in manifests.items():
        print(f"{split}: {path}")


if __name__ == "__main__":
    main()
