"""Synthesize a deterministic single-speaker English TTS corpus offline with eSpeak NG (22050 Hz, one voice).

    python examples/tts/make_tts_corpus.py --out-dir /tmp/tts_corpus --num-train 2000 --num-val 50 --num-test 100

Writes ``<out-dir>/wavs/<split>_<n>.wav`` (22050 Hz mono PCM-16) and ``train_manifest.json``,
``validation_manifest.json``, ``test_manifest.json`` (NeMo JSON lines: ``audio_filepath`` relative to the manifest's
folder, ``duration``, ``text``). Every utterance is read by the same voice (``--voice``, default ``en-us+m3``) at a
fixed rate and pitch, as a TTS model trained on one speaker expects. Sentences are 4-12 words from
``examples/asr/make_speech_corpus.py`` (``make_sentences``: mostly random sequences of the most frequent English
words, some digit strings and commands), already normalized to lower-case letters, spaces and apostrophes, so the
same text serves the TTS model and an ASR-based intelligibility check. Test sentences are drawn first, then
validation, then training sentences, each excluding the earlier ones: test and validation sentences never occur in
training, and the test set of a seed stays the same whatever ``--num-train`` is. Same arguments, byte-identical
files. No 16 kHz copy is written: ``evaluate_intelligibility.py`` resamples for the ASR model.

Voices reserved for the project owner's evaluation (``make_speech_corpus.is_reserved_voice``) are refused. Needs
``espeakng-loader``, ``wordfreq`` and ``soundfile``/``librosa`` (example dependencies, not nemo-tts runtime ones).
"""

import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set

import numpy as np

from nemo.collections.common.data.espeak import EspeakSynthesizer
from nemo.collections.common.data.manifest import read_manifest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "asr"))
from make_speech_corpus import (  # noqa: E402
    corpus_parser,
    is_reserved_voice,
    make_sentences,
    parse_corpus_args,
    trim_edge_silence,
)

__all__ = ["SAMPLE_RATE", "DEFAULT_VOICE", "DEFAULT_RATE", "DEFAULT_PITCH", "render", "make_tts_corpus", "main"]

SAMPLE_RATE = 22050  # eSpeak NG's native rate, and the rate of NeMo's English TTS configs
DEFAULT_VOICE = "en-us+m3"
DEFAULT_RATE = 165  # words per minute
DEFAULT_PITCH = 50  # eSpeak pitch, 0-100
_EDGE_SILENCE_S = 0.05  # kept before the first and after the last loud sample
_SPLITS_DRAWN = ("test", "validation", "train")  # drawing order: held-out sets first, so they never depend on train


def render(synth: EspeakSynthesizer, text: str, voice: str, rate: int, pitch: int) -> np.ndarray:
    """Float32 samples of ``text`` at 22050 Hz, silence beyond ``_EDGE_SILENCE_S`` trimmed on both ends."""
    audio = synth.synthesize(text, voice, rate, pitch).astype(np.float32) / 32768.0
    if audio.size == 0:
        raise RuntimeError(f"eSpeak NG produced no audio for {text!r} with voice {voice!r}")
    return np.clip(trim_edge_silence(audio, SAMPLE_RATE, _EDGE_SILENCE_S), -1.0, 1.0)


def _write_atomically(path: Path, write) -> None:
    """Run ``write(temporary_path)`` and move the result into place, so no reader sees a half-written file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
    os.close(handle)
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _write_split(
    synth: EspeakSynthesizer, out_dir: Path, split: str, texts: Sequence[str], voice: str, rate: int, pitch: int
) -> Path:
    import soundfile

    (out_dir / "wavs").mkdir(parents=True, exist_ok=True)
    lines: List[str] = []
    for idx, text in enumerate(texts):
        audio = render(synth, text, voice, rate, pitch)
        relative = f"wavs/{split}_{idx:05d}.wav"
        _write_atomically(
            out_dir / relative, lambda tmp, a=audio: soundfile.write(tmp, a, SAMPLE_RATE, subtype="PCM_16")
        )
        entry = {"audio_filepath": relative, "duration": round(len(audio) / SAMPLE_RATE, 4), "text": text}
        lines.append(json.dumps(entry) + "\n")
    manifest = out_dir / f"{split}_manifest.json"
    _write_atomically(manifest, lambda tmp: Path(tmp).write_text("".join(lines), encoding="utf-8"))
    return manifest


def make_tts_corpus(
    out_dir: str,
    num_train: int,
    num_val: int,
    num_test: int,
    seed: int = 0,
    voice: str = DEFAULT_VOICE,
    rate: int = DEFAULT_RATE,
    pitch: int = DEFAULT_PITCH,
) -> Dict[str, str]:
    """Write the corpus and return ``{"train"|"validation"|"test": manifest path}``."""
    if is_reserved_voice(voice):
        raise ValueError(f"voice {voice!r} is reserved for the project owner's evaluation; pick another one")
    counts = {"train": num_train, "validation": num_val, "test": num_test}
    for split, count in counts.items():
        if count < 0:
            raise ValueError(f"the number of {split} sentences must be >= 0, got {count}")
    rng = random.Random(seed)
    seen: Set[str] = set()
    texts = {split: make_sentences(counts[split], rng, seen) for split in _SPLITS_DRAWN}
    synth = EspeakSynthesizer()
    root = Path(out_dir)
    return {split: str(_write_split(synth, root, split, texts[split], voice, rate, pitch)) for split in counts}


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, str]:
    parser = corpus_parser(__doc__.split("\n\n")[0], num_train=2000, num_val=50, num_test=100)
    parser.add_argument("--voice", default=DEFAULT_VOICE, help="eSpeak NG voice, accent+variant (default %(default)s)")
    parser.add_argument("--rate", type=int, default=DEFAULT_RATE, help="words per minute (default %(default)s)")
    parser.add_argument("--pitch", type=int, default=DEFAULT_PITCH, help="eSpeak pitch 0-100 (default %(default)s)")
    args = parse_corpus_args(parser, argv)
    if is_reserved_voice(args.voice):
        parser.error(f"--voice {args.voice} is reserved for the project owner's evaluation")
    start = time.perf_counter()
    manifests = make_tts_corpus(
        args.out_dir, args.num_train, args.num_val, args.num_test, args.seed, args.voice, args.rate, args.pitch
    )
    seconds = 0.0
    for split, path in manifests.items():
        rows = read_manifest(str(path), allow_empty=True)
        split_seconds = sum(row.duration for row in rows)
        seconds += split_seconds
        print(f"{split}: {path} ({len(rows)} utterances, {split_seconds / 60:.1f} min)")
    print(f"{seconds / 3600:.2f} h of audio in {time.perf_counter() - start:.1f} s")
    return manifests


if __name__ == "__main__":
    main()
