"""The offline eSpeak NG corpus of examples/asr/make_speech_corpus.py, loaded through AudioToCharDataset."""

import importlib.util
import json
import random
import re
import sys
from pathlib import Path

import pytest
import soundfile

from nemo.collections.asr.data.audio_to_label import AudioToClassificationLabelDataset
from nemo.collections.asr.data.audio_to_text import AudioToCharDataset
from nemo.collections.asr.parts.preprocessing.features import WaveformFeaturizer

SCRIPT = Path(__file__).resolve().parents[4] / "examples" / "asr" / "make_speech_corpus.py"

pytest.importorskip("espeakng_loader", reason="espeakng-loader (eSpeak NG wheel) is an example/test-only dependency")
pytest.importorskip("soxr", reason="soxr resamples the 22.05 kHz eSpeak output")
pytest.importorskip("wordfreq", reason="wordfreq (the corpus word list) is an example/test-only dependency")

# The demo's sizes (noxfile.py, session `demo`).
DEMO_TRAIN, DEMO_VAL, DEMO_TEST = 4000, 60, 200


@pytest.fixture(scope="module")
def corpus_module():
    spec = importlib.util.spec_from_file_location("make_speech_corpus", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    # Registered so that worker processes can unpickle its functions by name.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def _rows(path):
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


def test_corpus_is_deterministic_with_held_out_voices_and_loads(corpus_module, tmp_path):
    manifests = corpus_module.make_corpus(str(tmp_path / "a"), num_train=3, num_val=1, num_test=2, seed=3)
    train, val, test = (_rows(manifests[split]) for split in ("train", "validation", "test"))
    assert (len(train), len(val), len(test)) == (3, 1, 2)
    assert {r["speaker"] for r in train} <= set(corpus_module.TRAIN_VARIANTS)
    assert {r["speaker"] for r in val + test} <= set(corpus_module.HELD_OUT_VARIANTS)
    assert not {r["text"] for r in train} & {r["text"] for r in val + test}
    assert all(0.88 <= r["warp"] <= 1.12 for r in train) and all(r["warp"] == 1.0 for r in val + test)

    info = soundfile.info(str(tmp_path / "a" / train[0]["audio_filepath"]))
    assert info.samplerate == 16000 and info.channels == 1 and info.subtype == "PCM_16"
    assert abs(info.duration - train[0]["duration"]) < 1e-3

    ds = AudioToCharDataset(f"{manifests['train']},{manifests['test']}", corpus_module.LABELS, sample_rate=16000)
    batch = ds.collate_fn([ds[i] for i in range(len(ds))])
    assert batch[0].shape[0] == 5 and float(batch[0].abs().max()) > 0.05  # real speech, not silence
    decoded = ["".join(ds.labels[i] for i in batch[2][j, : batch[3][j]].tolist()) for j in range(5)]
    assert decoded == [r["text"] for r in train + test]

    again = corpus_module.make_corpus(str(tmp_path / "b"), num_train=3, num_val=1, num_test=2, seed=3)
    assert _rows(again["train"]) == train
    for row in train + test:
        assert (tmp_path / "a" / row["audio_filepath"]).read_bytes() == (
            tmp_path / "b" / row["audio_filepath"]
        ).read_bytes()
    other_seed = corpus_module.make_corpus(str(tmp_path / "c"), num_train=3, num_val=0, num_test=0, seed=4)
    assert [r["text"] for r in _rows(other_seed["train"])] != [r["text"] for r in train]


def test_parallel_rendering_writes_the_same_corpus(corpus_module, tmp_path, monkeypatch):
    serial = corpus_module.make_corpus(str(tmp_path / "serial"), num_train=6, num_val=0, num_test=0, seed=5)
    monkeypatch.setattr(corpus_module, "_render_workers", lambda num_jobs: 2)
    parallel = corpus_module.make_corpus(str(tmp_path / "parallel"), num_train=6, num_val=0, num_test=0, seed=5)
    rows = _rows(serial["train"])
    assert _rows(parallel["train"]) == rows
    for row in rows:
        assert (tmp_path / "serial" / row["audio_filepath"]).read_bytes() == (
            tmp_path / "parallel" / row["audio_filepath"]
        ).read_bytes()


def test_reserved_voices_are_never_used(corpus_module):
    module = corpus_module
    reserved_variants = {"m6", "m7", "m8", "f5", "klatt4", "klatt5", "klatt6"}
    reserved_accents = {"en-029", "en-us-nyc"}
    assert set(module.RESERVED_VARIANTS) == reserved_variants and set(module.RESERVED_ACCENTS) == reserved_accents
    voices = {"train": module.TRAIN_VARIANTS, "held out": module.HELD_OUT_VARIANTS}
    for split, names in voices.items():
        for voice in names:
            accent, _, variant = voice.partition("+")
            assert accent not in reserved_accents and variant not in reserved_variants, f"{split} uses {voice}"
            assert not module.is_reserved_voice(voice)
    assert not set(module.TRAIN_VARIANTS) & set(module.HELD_OUT_VARIANTS)
    # Held-out voice variants are never heard in training, on any accent.
    train_variants = {voice.partition("+")[2] for voice in module.TRAIN_VARIANTS}
    assert not train_variants & {voice.partition("+")[2] for voice in module.HELD_OUT_VARIANTS}
    assert module.is_reserved_voice("en-us+m7") and module.is_reserved_voice("en-029+m1")
    assert module.is_reserved_voice("en-us-nyc") and not module.is_reserved_voice("en-us+m5")


def test_writing_a_reserved_voice_is_refused(corpus_module, tmp_path):
    with pytest.raises(ValueError, match="reserved"):
        corpus_module._write_split(
            None,
            str(tmp_path),
            "test",
            [{"text": "hello"}],
            ["en-us+f5"],
            (150, 150),
            (50, 50),
            (1.0, 1.0),
            random.Random(0),
            16000,
        )


def test_demo_sized_text_has_broad_vocabulary(corpus_module):
    seen = set()
    rng = random.Random(0)  # make_corpus(seed=0) draws the sentences first, in this order
    train = corpus_module.make_sentences(DEMO_TRAIN, rng, seen)
    held_out = corpus_module.make_sentences(DEMO_VAL + DEMO_TEST, rng, seen)
    words = [w for sentence in train for w in sentence.split()]
    assert len(set(words)) >= 2000
    assert all(4 <= len(sentence.split()) <= 12 for sentence in train + held_out)
    assert sum(any(d in s.split() for d in ("zero", "five", "nine")) for s in train) > DEMO_TRAIN // 20  # digits
    assert set("".join(train + held_out)) <= set(corpus_module.LABELS)
    assert len(set(train + held_out)) == len(train + held_out) and seen == set(train + held_out)


def test_vocabulary_is_read_as_written(corpus_module):
    """No word of the list is spelled out letter by letter by eSpeak (acronyms) or expanded (mr → mister)."""
    words, frequencies = corpus_module.common_words()
    assert len(words) == corpus_module.VOCABULARY_SIZE == len(set(words))
    assert list(frequencies) == sorted(frequencies, reverse=True)
    assert all(re.fullmatch(r"[a-z]+('[a-z]+)?", w) for w in words)
    synth = corpus_module.EspeakSynthesizer()
    plain = synth.phonemes(words)
    spelled = synth.phonemes([" ".join(w) for w in words])

    def squash(phonemes: str) -> str:
        return re.sub(r"[ ,'_;]", "", phonemes)

    letters = [w for w, p, s in zip(words, plain, spelled) if len(w) > 1 and squash(p) == squash(s)]
    expanded = [w for w, p in zip(words, plain) if len(squash(p)) > 1.5 * len(w) + 2]
    assert letters == [] and expanded == []


def test_synthesizer_is_usable_on_its_own(corpus_module):
    synth = corpus_module.EspeakSynthesizer()
    first = synth.synthesize("hello world", voice="en-gb-x-rp+m3", rate=160, pitch=40)
    assert synth.SAMPLE_RATE == 22050 and first.dtype.name == "int16"
    assert 0.5 < len(first) / synth.SAMPLE_RATE < 3.0
    assert (synth.synthesize("hello world", "en-gb-x-rp+m3", 160, 40) == first).all()
    for voice in corpus_module.TRAIN_VARIANTS + corpus_module.HELD_OUT_VARIANTS:
        assert "+f2" not in voice and "+f3" not in voice and "+victor" not in voice  # breath noise: not reproducible
    with pytest.raises(ValueError, match="no voice"):
        synth.synthesize("hello", "xx-nonexistent", 160, 40)


def test_commands_corpus_has_balanced_labels(corpus_module, tmp_path):
    manifests = corpus_module.make_commands_corpus(str(tmp_path), num_train=20, num_val=10, num_test=0, seed=1)
    train, val = _rows(manifests["train"]), _rows(manifests["validation"])
    assert sorted(r["label"] for r in train) == sorted(list(corpus_module.COMMANDS) * 2)
    assert {r["speaker"] for r in val} <= set(corpus_module.HELD_OUT_VARIANTS)
    ds = AudioToClassificationLabelDataset(
        manifests["validation"], list(corpus_module.COMMANDS), WaveformFeaturizer(sample_rate=16000)
    )
    assert len(ds) == 10 and sorted(ds.labels[int(ds[i][2])] for i in range(10)) == sorted(corpus_module.COMMANDS)


def test_cli_rejects_negative_counts(corpus_module, tmp_path):
    with pytest.raises(SystemExit):
        corpus_module.main(["--out-dir", str(tmp_path), "--num-train", "-1"])
