"""Synthesize a deterministic English speech corpus offline with eSpeak NG (for the demo, examples and tests).

    python examples/asr/make_speech_corpus.py --out-dir /tmp/speech --num-train 2000 --num-val 60 --num-test 200
    python examples/asr/make_speech_corpus.py --commands --out-dir /tmp/commands --num-train 300
    python examples/asr/make_speech_corpus.py --speakers --out-dir /tmp/speakers --num-train 2000

Writes ``<out-dir>/wavs/<split>_<n>.wav`` (16 kHz mono PCM-16) and ``train_manifest.json``,
``validation_manifest.json``, ``test_manifest.json`` (NeMo JSON lines with relative ``audio_filepath``, ``duration``,
``text``, plus ``speaker``, ``rate``, ``pitch`` and ``warp``). Sentences have 4-12 words: mostly random sequences of
the 3,000 most frequent English words drawn with their frequency in English text (``wordfreq``; words eSpeak would
spell out or expand are left out), some digit strings and some spoken commands. ``--commands`` instead writes single command words (``yes``, ``no``, ``up``, ...) with a
``label`` field, for ``speech_to_label.py``. ``--speakers`` labels each sentence with its speaker (``label``: the
voice variant, e.g. ``m3``, whatever the accent) for ``speaker_reco.py``: training and validation use the training
variants (validation: other sentences of the same speakers) and no warp, which would change who is speaking; the
test split uses the held-out variants only, for ``speaker_eer.py``.

Each utterance gets a voice (accent + voice variant), speaking rate and pitch drawn from ``--seed`` (training audio
also a playback-speed warp that shifts formants, for voice variety): the same arguments give byte-identical files. Validation and test use voice variants never heard in training, and sentences
that do not occur in training. The voices in ``RESERVED_VARIANTS`` / ``RESERVED_ACCENTS`` are kept for the project
owner's own evaluation and are never used by any split.

Needs the ``espeakng-loader`` wheel (libespeak-ng and its data), ``wordfreq`` (word list) and ``soxr`` (a librosa
dependency); the ``nemo-asr`` library itself depends on none of them. eSpeak NG is driven by nemo-core's one ctypes
binding (``nemo.collections.common.data.espeak.EspeakSynthesizer``, re-exported here) and audio is resampled by its
one resampler (``nemo.collections.common.data.audio.resample``). Other scripts import ``EspeakSynthesizer`` and
``make_sentences`` from this file.
"""

import argparse
import functools
import itertools
import json
import os
import random
import re
import tempfile
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple

import numpy as np

from nemo.collections.common.data.audio import resample
from nemo.collections.common.data.espeak import ESPEAK_SAMPLE_RATE, EspeakSynthesizer

__all__ = [
    "EspeakSynthesizer",
    "make_sentences",
    "make_corpus",
    "make_commands_corpus",
    "make_speaker_corpus",
    "common_words",
    "is_reserved_voice",
    "trim_edge_silence",
    "corpus_parser",
    "parse_corpus_args",
    "TRAIN_VARIANTS",
    "HELD_OUT_VARIANTS",
    "RESERVED_VARIANTS",
    "RESERVED_ACCENTS",
    "COMMANDS",
    "LABELS",
]

LABELS = list(" abcdefghijklmnopqrstuvwxyz'")

# Voice = accent + "+" + variant (espeak-ng-data/voices/!v). An unknown variant silently falls back to the plain
# voice, so the lists are fixed rather than user-supplied. Variants with breath noise (f2, f3, Alicia, victor, caleb,
# Reed, ...) are left out: their samples now and then differ between identical calls. The reserved voices are kept for the project owner's evaluation: no split uses them.
RESERVED_VARIANTS = ("m6", "m7", "m8", "f5", "klatt4", "klatt5", "klatt6")
RESERVED_ACCENTS = ("en-029", "en-us-nyc")
_TRAIN_ACCENTS = ("en-us", "en", "en-gb-x-rp", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-gbcwmd")
_TRAIN_VARIANT_NAMES = ("m1", "m2", "m3", "m4", "f1", "klatt", "klatt2", "john", "linda", "Alex", "Annie", "adam",
                        "belinda", "boris", "david", "edward", "max", "norbert", "paul", "quincy", "robert", "shelby",
                        "steph", "travis", "zac", "grandma", "Michael", "anika", "aunty", "Andrea", "ian", "Mario",
                        "Lee", "Gene")  # fmt: skip
_HELD_OUT_ACCENTS = ("en-us", "en", "en-gb-x-rp")
_HELD_OUT_VARIANT_NAMES = ("m5", "f4", "klatt3", "Andy")
TRAIN_VARIANTS = tuple(f"{a}+{v}" for a, v in itertools.product(_TRAIN_ACCENTS, _TRAIN_VARIANT_NAMES))
HELD_OUT_VARIANTS = tuple(f"{a}+{v}" for a, v in itertools.product(_HELD_OUT_ACCENTS, _HELD_OUT_VARIANT_NAMES))
TRAIN_RATES, EVAL_RATES = (140, 200), (150, 190)  # words per minute
TRAIN_PITCHES, EVAL_PITCHES = (25, 75), (35, 65)  # espeak pitch, 0-100
# Training audio is also played back 0.88-1.12x as fast (formants, pitch and tempo scale together), as if spoken by a
# shorter or longer vocal tract: many more voices than eSpeak's variants, so the model generalizes to unseen ones.
TRAIN_WARPS, EVAL_WARPS = (0.88, 1.12), (1.0, 1.0)

VOCABULARY_SIZE = 3000
# Frequent tokens eSpeak does not read as written: it spells them letter by letter or expands them (found by
# comparing espeak_TextToPhonemes of each word with that of its spelled-out letters); the corpus test re-checks.
_NOT_READ_AS_WRITTEN = frozenset(
    "etc http https usa iii vii bbc nfl dna ltd ceo fbi nba cnn dvd abc wtf cia tbh hiv mps cbs ios est phd btw omg "
    "lgbt gps mph nbc nhl gdp nhs usb wwe espn ibm bmw irs mvp fda mtv nsa url atm mlb pdf llc mrs".split()
)
_OFFENSIVE = frozenset(
    "shit shitty bullshit fuck fucks fucking fuckin fucked bitch bitches ass asshole dick dicks pussy cock cum porn "
    "sex sexy sexual sexually rape raped penis piss pissed crap damn lmao nigga niggas whore slut".split()
)
_SHORT_WORDS = frozenset("a i am an as at be by do go he hi if in is it me my no of oh on or so to up us we".split())
_WORD = re.compile(r"[a-z]+('[a-z]+)?")

_DIGITS = "zero one two three four five six seven eight nine".split()
COMMANDS = tuple("yes no up down left right on off stop go".split())
_DEVICES = "lights music radio heater fan door window television alarm oven".split()
_ROOMS = "kitchen bedroom garage office hallway bathroom".split()
_COLORS = "red green blue yellow white black orange purple".split()
_NUMBERS = "two three four five six seven eight nine ten twenty thirty".split()
_DIGIT_PREFIXES = ("call", "dial", "my number is", "the code is", "press", "the room is", "flight number", "")


@functools.lru_cache(maxsize=4)
def common_words(size: int = VOCABULARY_SIZE) -> Tuple[Tuple[str, ...], Tuple[float, ...]]:
    """The ``size`` most frequent English words that eSpeak reads as written, and their frequencies (wordfreq).

    Lower-case letters and an inner apostrophe only (the model's labels); no single letters or two-letter
    abbreviations, no acronyms, no profanity.
    """
    try:
        import wordfreq
    except ImportError as err:
        raise ImportError(
            "make_speech_corpus needs the `wordfreq` package for its word list: pip install wordfreq"
        ) from err
    frequencies = wordfreq.get_frequency_dict("en")
    words: List[str] = []
    for word in wordfreq.top_n_list("en", 4 * size):
        if not _WORD.fullmatch(word) or word in _NOT_READ_AS_WRITTEN or word in _OFFENSIVE:
            continue
        if len(word) <= 2 and word not in _SHORT_WORDS:
            continue
        words.append(word)
        if len(words) == size:
            break
    if len(words) < size:
        raise RuntimeError(f"wordfreq gave only {len(words)} usable English words, {size} requested")
    return tuple(words), tuple(frequencies[word] for word in words)


def _word_sequence(rng: random.Random) -> str:
    """4-12 words drawn with their frequency in English text: as in real sentences, common words dominate."""
    words, weights = _sampling_table()
    picked: List[str] = []
    length = rng.randint(4, 12)
    while len(picked) < length:
        word = rng.choices(words, cum_weights=weights)[0]
        if not picked or word != picked[-1]:
            picked.append(word)
    return " ".join(picked)


@functools.lru_cache(maxsize=1)
def _sampling_table() -> Tuple[Tuple[str, ...], Tuple[float, ...]]:
    words, frequencies = common_words()
    return words, tuple(itertools.accumulate(frequencies))


def _digit_string(rng: random.Random) -> str:
    prefix = rng.choice(_DIGIT_PREFIXES)
    count = rng.randint(max(3, 4 - len(prefix.split())), 8)
    return " ".join([prefix] * bool(prefix) + [rng.choice(_DIGITS) for _ in range(count)])


_TEMPLATES: Tuple[Callable[[random.Random], str], ...] = (
    lambda r: f"please turn {r.choice(('on', 'off'))} the {r.choice(_ROOMS)} {r.choice(_DEVICES)}",
    lambda r: f"{r.choice(('open', 'close', 'check'))} the {r.choice(_ROOMS)} {r.choice(('door', 'window'))} now",
    lambda r: f"set a timer for {r.choice(_NUMBERS)} minutes",
    lambda r: f"make the {r.choice(_ROOMS)} lights {r.choice(_COLORS)}",
    lambda r: f"move {r.choice(COMMANDS[2:6])} {r.choice(_NUMBERS)} steps and {r.choice(COMMANDS[8:])}",
    lambda r: " ".join(r.choice(COMMANDS) for _ in range(r.randint(4, 6))),
)


def make_sentences(count: int, rng: random.Random, exclude: Optional[Set[str]] = None) -> List[str]:
    """``count`` distinct sentences of 4-12 words, none of them in ``exclude`` (which is updated with the new ones).

    About 80% are random sequences of common words, 12% digit strings and 8% spoken commands; only characters of
    ``LABELS`` occur. The result depends only on ``rng``'s state.
    """
    exclude = set() if exclude is None else exclude
    sentences: List[str] = []
    for _ in range(count * 200):
        if len(sentences) == count:
            break
        kind = rng.random()
        if kind < 0.80:
            sentence = _word_sequence(rng)
        elif kind < 0.92:
            sentence = _digit_string(rng)
        else:
            sentence = rng.choice(_TEMPLATES)(rng)
        if sentence not in exclude:
            exclude.add(sentence)
            sentences.append(sentence)
    if len(sentences) == count:
        return sentences
    raise RuntimeError(f"could only make {len(sentences)} distinct sentences of the {count} requested")


def is_reserved_voice(voice: str) -> bool:
    """Whether ``voice`` (``accent+variant``) uses an accent or variant kept for the project owner's evaluation."""
    accent, _, variant = voice.partition("+")
    return accent in RESERVED_ACCENTS or variant in RESERVED_VARIANTS


def trim_edge_silence(samples: np.ndarray, sample_rate: int, margin_s: float = 0.05) -> np.ndarray:
    """Cut leading/trailing samples below 1% of the peak, keeping ``margin_s`` of silence on each side."""
    loud = np.flatnonzero(np.abs(samples) > 0.01 * max(float(np.abs(samples).max(initial=0.0)), 1e-9))
    if loud.size == 0:
        return samples
    margin = int(margin_s * sample_rate)
    return samples[max(loud[0] - margin, 0) : loud[-1] + margin + 1]


def _render(
    synth: EspeakSynthesizer, text: str, voice: str, rate: int, pitch: int, sample_rate: int, warp: float = 1.0
) -> np.ndarray:
    """Synthesize, then resample to ``sample_rate`` as if recorded at ``warp`` x eSpeak's rate (1.0: unchanged)."""
    audio = synth.synthesize(text, voice, rate, pitch).astype(np.float32) / 32768.0
    audio = resample(audio, ESPEAK_SAMPLE_RATE * warp, sample_rate)
    return np.clip(trim_edge_silence(audio, sample_rate), -1.0, 1.0)


def _render_job(job: Tuple[EspeakSynthesizer, str, str, int, int, float, int]) -> np.ndarray:
    synth, text, voice, rate, pitch, warp, sample_rate = job
    return _render(synth, text, voice, rate, pitch, sample_rate, warp)


def _render_workers(num_jobs: int) -> int:
    """One process per core for large splits (each utterance is rendered independently); in-process otherwise."""
    return min(os.cpu_count() or 1, max(num_jobs // 64, 1))


def _rendered(jobs: List[tuple]) -> Iterator[np.ndarray]:
    """Each job's audio, in order, streamed (a split's audio need not fit in memory)."""
    workers = _render_workers(len(jobs))
    if workers == 1:
        yield from map(_render_job, jobs)
        return
    with ProcessPoolExecutor(workers) as pool:
        yield from pool.map(_render_job, jobs, chunksize=8)


def _write_split(
    synth: EspeakSynthesizer,
    out_dir: str,
    split: str,
    items: Sequence[Dict[str, str]],
    voices: Sequence[str],
    rates: Sequence[int],
    pitches: Sequence[int],
    warps: Sequence[float],
    rng: random.Random,
    sample_rate: int,
    label_of_voice: Optional[Callable[[str], str]] = None,
) -> str:
    """Render each item's ``text`` with a voice, rate, pitch and warp from ``rng``; write the wavs and the manifest
    (with ``label_of_voice``, each line's ``label`` is that of its voice)."""
    import soundfile

    reserved = [voice for voice in voices if is_reserved_voice(voice)]
    if reserved:
        raise ValueError(f"{split}: voices {reserved} are reserved for the project owner's evaluation")
    os.makedirs(os.path.join(out_dir, "wavs"), exist_ok=True)
    manifest = os.path.join(out_dir, f"{split}_manifest.json")
    # Every random draw happens here, in order, so rendering in parallel cannot change what is written.
    settings = []
    for _ in items:
        voice, rate, pitch = rng.choice(voices), rng.randint(*rates), rng.randint(*pitches)
        warp = round(rng.uniform(*warps), 3) if warps[0] != warps[1] else warps[0]
        settings.append((voice, rate, pitch, warp))
    jobs = [(synth, item["text"], *setting, sample_rate) for item, setting in zip(items, settings)]
    lines = []
    for idx, (item, (voice, rate, pitch, warp), audio) in enumerate(zip(items, settings, _rendered(jobs))):
        relative = f"wavs/{split}_{idx:05d}.wav"
        soundfile.write(os.path.join(out_dir, relative), audio, sample_rate, subtype="PCM_16")
        entry = {"audio_filepath": relative, "duration": round(len(audio) / sample_rate, 4), **item}
        if label_of_voice is not None:
            entry["label"] = label_of_voice(voice)
        lines.append(json.dumps({**entry, "speaker": voice, "rate": rate, "pitch": pitch, "warp": warp}) + "\n")
    _write_atomically(manifest, "".join(lines))
    return manifest


def _write_atomically(path: str, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".manifest-")
    with os.fdopen(handle, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(temporary, path)


def _plan(
    num_train: int, num_val: int, num_test: int
) -> Tuple[Tuple[str, int, Sequence[str], Tuple, Tuple, Tuple], ...]:
    """Per split: its name, size, voices, rate range, pitch range and warp range."""
    return (
        ("train", num_train, TRAIN_VARIANTS, TRAIN_RATES, TRAIN_PITCHES, TRAIN_WARPS),
        ("validation", num_val, HELD_OUT_VARIANTS, EVAL_RATES, EVAL_PITCHES, EVAL_WARPS),
        ("test", num_test, HELD_OUT_VARIANTS, EVAL_RATES, EVAL_PITCHES, EVAL_WARPS),
    )


def make_corpus(
    out_dir: str, num_train: int, num_val: int, num_test: int, seed: int = 0, sample_rate: int = 16000
) -> Dict[str, str]:
    """Write the sentence corpus and return ``{"train"|"validation"|"test": manifest path}``."""
    rng = random.Random(seed)
    seen: Set[str] = set()
    plan = _plan(num_train, num_val, num_test)
    texts = {split: make_sentences(count, rng, seen) for split, count, *_ in plan}
    synth = EspeakSynthesizer()
    return {
        split: _write_split(synth, out_dir, split, [{"text": t} for t in texts[split]], *ranges, rng, sample_rate)
        for split, _, *ranges in plan
    }


def make_commands_corpus(
    out_dir: str, num_train: int, num_val: int, num_test: int, seed: int = 0, sample_rate: int = 16000
) -> Dict[str, str]:
    """Write single spoken ``COMMANDS`` (manifest fields ``label`` and ``text``); held-out voices as in make_corpus."""
    rng = random.Random(seed)
    synth = EspeakSynthesizer()
    manifests = {}
    for split, count, *ranges in _plan(num_train, num_val, num_test):
        # Every label equally often, in a seeded order.
        labels = [COMMANDS[i % len(COMMANDS)] for i in range(count)]
        rng.shuffle(labels)
        items = [{"text": label, "label": label} for label in labels]
        manifests[split] = _write_split(synth, out_dir, split, items, *ranges, rng, sample_rate)
    return manifests


def make_speaker_corpus(
    out_dir: str, num_train: int, num_val: int, num_test: int, seed: int = 0, sample_rate: int = 16000
) -> Dict[str, str]:
    """Write sentences labelled with their speaker (the voice variant); the test split has held-out speakers only."""
    rng = random.Random(seed)
    seen: Set[str] = set()
    plan = (
        ("train", num_train, TRAIN_VARIANTS, TRAIN_RATES, TRAIN_PITCHES, EVAL_WARPS),
        ("validation", num_val, TRAIN_VARIANTS, EVAL_RATES, EVAL_PITCHES, EVAL_WARPS),
        ("test", num_test, HELD_OUT_VARIANTS, EVAL_RATES, EVAL_PITCHES, EVAL_WARPS),
    )
    texts = {split: make_sentences(count, rng, seen) for split, count, *_ in plan}
    synth = EspeakSynthesizer()
    return {
        split: _write_split(
            synth, out_dir, split, [{"text": t} for t in texts[split]], *ranges, rng, sample_rate,
            label_of_voice=lambda voice: voice.partition("+")[2],
        )
        for split, _, *ranges in plan
    }  # fmt: skip


def corpus_parser(description: str, num_train: int, num_val: int, num_test: int) -> argparse.ArgumentParser:
    """The options every corpus script takes: ``--out-dir``, the split sizes (these defaults) and ``--seed``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out-dir", required=True, help="folder for wavs/ and the three manifests")
    parser.add_argument("--num-train", type=int, default=num_train)
    parser.add_argument("--num-val", type=int, default=num_val)
    parser.add_argument("--num-test", type=int, default=num_test)
    parser.add_argument("--seed", type=int, default=0)
    return parser


def parse_corpus_args(parser: argparse.ArgumentParser, argv: Optional[Sequence[str]]) -> argparse.Namespace:
    """``parser``'s arguments, the split sizes checked (a negative one is a usage error)."""
    args = parser.parse_args(argv)
    for name in ("num_train", "num_val", "num_test"):
        if getattr(args, name) < 0:
            parser.error(f"--{name.replace('_', '-')} must be >= 0, got {getattr(args, name)}")
    return args


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = corpus_parser(__doc__.split("\n\n")[0], num_train=400, num_val=40, num_test=40)
    parser.add_argument("--sample-rate", type=int, default=16000)
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument("--commands", action="store_true", help="single command words with a `label` field")
    kind.add_argument("--speakers", action="store_true", help="sentences with their speaker as `label`")
    args = parse_corpus_args(parser, argv)
    make = make_commands_corpus if args.commands else make_speaker_corpus if args.speakers else make_corpus
    manifests = make(args.out_dir, args.num_train, args.num_val, args.num_test, args.seed, args.sample_rate)
    for split, path in manifests.items():
        print(f"{split}: {path}")


if __name__ == "__main__":
    main()
