"""The single-speaker eSpeak NG corpus of examples/tts/make_tts_corpus.py, loaded through TTSDataset."""

import filecmp

import pytest
import soundfile

from nemo.collections.common.data import read_manifest
from nemo.collections.tts.data.tts_dataset import TTSDataset
from nemo.core.testing import examples_dir, load_script

pytest.importorskip("espeakng_loader", reason="espeakng-loader bundles the eSpeak NG library the corpus is read by")
pytest.importorskip("wordfreq", reason="make_speech_corpus.make_sentences draws its words from wordfreq")


@pytest.fixture(scope="module")
def corpus_module():
    return load_script(examples_dir("tts", "make_tts_corpus.py"))


def _rows(path):
    """The lines as written, read by the shared manifest reader (so each has a transcript and readable audio)."""
    return read_manifest(path, need_text=True, check_audio=True, convert=lambda entry: dict(entry.fields))


def test_corpus_is_single_speaker_held_out_and_reproducible(corpus_module, tmp_path):
    manifests = corpus_module.make_tts_corpus(str(tmp_path / "a"), num_train=3, num_val=1, num_test=2, seed=3)
    train, val, test = (_rows(manifests[split]) for split in ("train", "validation", "test"))
    assert (len(train), len(val), len(test)) == (3, 1, 2)
    assert set(train[0]) == {"audio_filepath", "duration", "text"}
    assert not {r["text"] for r in train} & {r["text"] for r in val + test}
    assert len({r["text"] for r in train + val + test}) == 6

    info = soundfile.info(str(tmp_path / "a" / test[0]["audio_filepath"]))
    assert (info.samplerate, info.channels, info.subtype) == (22050, 1, "PCM_16")
    assert abs(info.duration - test[0]["duration"]) < 1e-3

    dataset = TTSDataset(manifests["train"], sup_data_types=[])
    assert [entry.text for entry in dataset.entries] == [r["text"] for r in train]
    assert float(dataset[0]["audio"].abs().max()) > 0.05  # speech, not silence

    again = corpus_module.make_tts_corpus(str(tmp_path / "b"), num_train=3, num_val=1, num_test=2, seed=3)
    assert _rows(again["train"]) == train
    names = [row["audio_filepath"] for row in train + test]
    _, differ, missing = filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", names, shallow=False)
    assert (differ, missing) == ([], [])  # byte-identical audio
    bigger = corpus_module.make_tts_corpus(str(tmp_path / "c"), num_train=5, num_val=1, num_test=2, seed=3)
    assert _rows(bigger["test"]) == test  # the held-out set does not depend on the training size


def test_reserved_voices_and_bad_counts_are_refused(corpus_module, tmp_path):
    with pytest.raises(ValueError, match="reserved"):
        corpus_module.make_tts_corpus(str(tmp_path), 1, 0, 0, voice="en-us+m7")
    with pytest.raises(ValueError, match="reserved"):
        corpus_module.make_tts_corpus(str(tmp_path), 1, 0, 0, voice="en-029+m1")
    with pytest.raises(SystemExit):
        corpus_module.main(["--out-dir", str(tmp_path), "--num-test", "-1"])
