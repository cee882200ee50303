import json
import os

import numpy as np
import pytest
import torch

from nemo.collections.common.data.audio import AudioReadError
from nemo.collections.tts.data.tts_dataset import BATCH_KEYS, TTSDataset, compute_pitch_stats
from nemo.collections.tts.parts.text.tokenizers import EnglishCharsTokenizer


def test_items_and_collate(tone_corpus, tmp_path):
    dataset = TTSDataset(
        tone_corpus["train"], sup_data_path=str(tmp_path / "sup"), sup_data_types=["log_mel", "pitch", "speaker_id"]
    )
    assert len(dataset) == 32 and dataset.speakers == ["anna", "bob"]
    batch = dataset.collate_fn([dataset[0], dataset[1], dataset[2]])
    assert tuple(batch) == BATCH_KEYS
    assert batch["log_mel"].shape[:2] == (3, 80) and batch["pitch"].shape == (3, batch["log_mel"].shape[2])
    assert torch.equal(batch["log_mel_lens"], batch["audio_lens"] // 256 + 1)
    assert batch["speaker"].tolist() == [0, 1, 0]
    tokenizer = dataset.text_tokenizer
    assert tokenizer.decode(batch["text"][0, : batch["text_lens"][0]].tolist()) == dataset.entries[0].text
    voiced = batch["pitch"][0][batch["pitch"][0] > 0]
    assert voiced.numel() > 10 and 100 < float(voiced.median()) < 400
    # cached: .npy files exist and a second dataset reads the same values
    assert len(os.listdir(tmp_path / "sup" / "pitch")) == 3 and len(os.listdir(tmp_path / "sup" / "log_mel")) == 3
    again = TTSDataset(tone_corpus["train"], sup_data_path=str(tmp_path / "sup"))
    torch.testing.assert_close(again[1]["log_mel"], dataset[1]["log_mel"])


def test_tokenizer_from_config_list_manifests_and_duration_filter(tone_corpus):
    config = {"_target_": "nemo.collections.tts.parts.text.tokenizers.EnglishCharsTokenizer"}
    both = TTSDataset([tone_corpus["train"], tone_corpus["val"]], text_tokenizer=config, sup_data_types=[])
    assert isinstance(both.text_tokenizer, EnglishCharsTokenizer) and len(both) == 36
    joined = TTSDataset(f"{tone_corpus['train']},{tone_corpus['val']}", sup_data_types=None)
    assert len(joined) == 36
    batch = joined.collate_fn([joined[0]])
    assert batch["log_mel"] is None and batch["pitch"] is None and batch["speaker"] is None
    short = TTSDataset(tone_corpus["train"], max_duration=0.5, sup_data_types=[])
    assert 0 < len(short) < 32 and all(e.duration <= 0.5 for e in short.entries)


def test_pitch_stats(tone_corpus):
    dataset = TTSDataset(tone_corpus["val"], sup_data_types=["pitch"])
    mean, std = compute_pitch_stats(dataset)
    assert 110 < mean < 450 and std > 5


def _write(path, lines):
    path.write_text("\n".join(json.dumps(x) if isinstance(x, dict) else x for x in lines) + "\n")
    return str(path)


def test_errors_name_manifest_and_line(tone_corpus, tmp_path):
    wav = os.path.join(tone_corpus["folder"], "wavs", "train_manifest_0000.wav")
    good = {"audio_filepath": wav, "duration": 0.5, "text": "go"}
    bad_json = _write(tmp_path / "a.json", [json.dumps(good), "{not json"])
    with pytest.raises(ValueError, match=r"a\.json:2: not valid JSON"):
        TTSDataset(bad_json)
    missing = _write(tmp_path / "b.json", [good, {**good, "audio_filepath": "nope.wav"}])
    with pytest.raises(ValueError, match=r"b\.json:2: missing audio file '.*nope\.wav': it does not exist"):
        TTSDataset(missing)
    no_text = _write(tmp_path / "d.json", [{"audio_filepath": wav}])
    with pytest.raises(ValueError, match=r"d\.json:1: missing transcript: expected one of 'text'"):
        TTSDataset(no_text)
    empty = _write(tmp_path / "e.json", [])
    with pytest.raises(ValueError, match=r"TTSDataset .*e\.json: no lines \(the manifest is empty\)"):
        TTSDataset(empty)
    unspeakable = _write(tmp_path / "c.json", [{**good, "text": "go ☃"}])
    with pytest.raises(ValueError, match=r"c\.json:1: text cannot be tokenized: .*'☃'"):
        TTSDataset(unspeakable)
    with pytest.raises(ValueError, match="unknown sup_data_types"):
        TTSDataset(tone_corpus["val"], sup_data_types=["energy"])


def test_audio_that_turns_unreadable_names_the_line_the_file_and_the_reason(tmp_path):
    import soundfile

    soundfile.write(tmp_path / "x.wav", np.zeros(2205, np.float32), 22050)
    dataset = TTSDataset(_write(tmp_path / "m.json", [{"audio_filepath": "x.wav", "text": "go"}]), sup_data_types=[])
    (tmp_path / "x.wav").write_bytes(b"no longer audio")
    with pytest.raises(AudioReadError, match=r"m\.json:1: cannot read audio file '.*x\.wav': not a readable audio"):
        dataset[0]


def test_resampling_and_trim(tone_corpus, tmp_path):
    import soundfile

    audio = np.concatenate([np.zeros(8000), 0.5 * np.sin(np.arange(16000) * 0.1), np.zeros(8000)]).astype(np.float32)
    soundfile.write(tmp_path / "x.wav", audio, 16000)
    manifest = _write(tmp_path / "m.json", [{"audio_filepath": "x.wav", "text": "go"}])
    dataset = TTSDataset(manifest, trim=True, sup_data_types=["log_mel"])
    item = dataset[0]
    assert abs(dataset.entries[0].duration - 2.0) < 1e-6
    assert 22050 * 1.0 <= item["audio"].numel() < 22050 * 1.3
    assert item["log_mel"].shape[1] == item["audio"].numel() // 256 + 1
