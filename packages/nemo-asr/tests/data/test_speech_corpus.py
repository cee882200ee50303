"""The offline eSpeak NG corpus of examples/asr/make_speech_corpus.py, loaded through AudioToCharDataset."""

import importlib.util
import json
from pathlib import Path

import pytest
import soundfile

from nemo.collections.asr.data.audio_to_text import AudioToCharDataset

SCRIPT = Path(__file__).resolve().parents[4] / "examples" / "asr" / "make_speech_corpus.py"

pytest.importorskip("espeakng_loader", reason="espeakng-loader (eSpeak NG wheel) is an example/test-only dependency")
pytest.importorskip("soxr", reason="soxr resamples the 22.05 kHz eSpeak output")


@pytest.fixture(scope="module")
def corpus_module():
    spec = importlib.util.spec_from_file_location("make_speech_corpus", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(path):
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


def test_corpus_is_deterministic_with_held_out_voices_and_loads(corpus_module, tmp_path):
    manifests = corpus_module.make_corpus(str(tmp_path / "a"), num_train=3, num_val=1, num_test=2, seed=3)
    train, val, test = (_rows(manifests[split]) for split in ("train", "validation", "test"))
    assert (len(train), len(val), len(test)) == (3, 1, 2)
    assert {r["speaker"] for r in train} <= set(corpus_module.TRAIN_VARIANTS)
    assert {r["speaker"] for r in val + test} <= set(corpus_module.HELD_OUT_VARIANTS)
    assert not {r["text"] for r in train} & {r["text"] for r in val + test}

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


def test_sentences_are_distinct_and_use_only_labels(corpus_module):
    import random

    seen = set()
    sentences = corpus_module.make_sentences(200, random.Random(0), seen)
    assert len(set(sentences)) == 200 and seen == set(sentences)
    assert set("".join(sentences)) <= set(corpus_module.LABELS)


def test_cli_rejects_negative_counts(corpus_module, tmp_path):
    with pytest.raises(SystemExit):
        corpus_module.main(["--out-dir", str(tmp_path), "--num-train", "-1"])
