import json
import logging

import numpy as np
import pytest
import soundfile
import torch

from nemo.collections.asr.data.audio_to_text import AudioToBPEDataset, AudioToCharDataset
from nemo.collections.common.data.audio import AudioReadError
from nemo.collections.common.data.manifest import ManifestError
from nemo.core.neural_types import AudioSignal, LabelsType, LengthsType

LABELS = list(" abcdefghijklmnopqrstuvwxyz'")


def _wav(folder, name, seconds, sr=16000, freq=220.0):
    t = np.arange(int(round(seconds * sr))) / sr
    path = folder / name
    soundfile.write(str(path), (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), sr, subtype="FLOAT")
    return path


def _manifest(path, rows):
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows))
    return str(path)


@pytest.fixture
def corpus(tmp_path):
    """Three utterances (0.5 s, 0.25 s, 1.0 s) with relative paths, 16 kHz."""
    wavs = tmp_path / "wavs"
    wavs.mkdir()
    rows = []
    for idx, (seconds, text) in enumerate([(0.5, "Hello World"), (0.25, "yes"), (1.0, "turn on the lights")]):
        _wav(wavs, f"{idx}.wav", seconds)
        rows.append({"audio_filepath": f"wavs/{idx}.wav", "duration": seconds, "text": text})
    return tmp_path, rows


def _decode(ids):
    return "".join(LABELS[i] for i in ids)


def test_items_and_types(corpus):
    folder, rows = corpus
    ds = AudioToCharDataset(_manifest(folder / "m.json", rows), LABELS, sample_rate=16000)
    assert len(ds) == 3
    audio, audio_len, tokens, tokens_len = ds[0]
    assert audio.dtype == torch.float32 and audio.shape == (8000,) and int(audio_len) == 8000
    assert _decode(tokens.tolist()) == "hello world" and int(tokens_len) == 11
    types = ds.output_types
    assert list(types) == ["audio_signal", "a_sig_length", "transcripts", "transcript_length"]
    assert isinstance(types["audio_signal"].elements_type, AudioSignal)
    assert types["audio_signal"].elements_type.type_parameters == {"freq": 16000}
    assert isinstance(types["transcripts"].elements_type, LabelsType)
    assert isinstance(types["a_sig_length"].elements_type, LengthsType)
    assert ds.durations == [0.5, 0.25, 1.0]


def test_collate_pads_audio_with_zeros_and_tokens_with_pad_id(corpus):
    folder, rows = corpus
    ds = AudioToCharDataset(_manifest(folder / "m.json", rows), LABELS, 16000, pad_id=27)
    signal, signal_len, tokens, tokens_len = ds.collate_fn([ds[0], ds[1], ds[2]])
    assert signal.shape == (3, 16000) and signal_len.tolist() == [8000, 4000, 16000]
    assert torch.all(signal[1, 4000:] == 0) and torch.equal(signal[0, :8000], ds[0][0])
    assert tokens.shape == (3, 18) and tokens_len.tolist() == [11, 3, 18]
    assert torch.all(tokens[1, 3:] == 27) and _decode(tokens[1, :3].tolist()) == "yes"
    loader = torch.utils.data.DataLoader(ds, batch_size=2, collate_fn=ds.collate_fn)
    assert [batch[0].shape[0] for batch in loader] == [2, 1]


def test_bos_eos_and_sample_ids(corpus):
    folder, rows = corpus
    ds = AudioToCharDataset(
        _manifest(folder / "m.json", rows), LABELS, 16000, bos_id=28, eos_id=29, return_sample_id=True
    )
    audio, _, tokens, tokens_len, sample_id = ds[1]
    assert tokens.tolist()[0] == 28 and tokens.tolist()[-1] == 29 and int(tokens_len) == 5 and sample_id == 1
    batch = ds.collate_fn([ds[2], ds[1]])
    assert len(batch) == 5 and batch[4].tolist() == [2, 1]
    assert "sample_id" in ds.output_types


def test_duration_filters_max_utts_and_several_manifests(corpus):
    folder, rows = corpus
    first = _manifest(folder / "a.json", rows[:2])
    second = _manifest(folder / "b.json", rows[2:])
    assert len(AudioToCharDataset(f"{first},{second}", LABELS, 16000)) == 3
    assert len(AudioToCharDataset([first, second], LABELS, 16000)) == 3
    kept = AudioToCharDataset(f"{first},{second}", LABELS, 16000, min_duration=0.3, max_duration=0.9)
    assert kept.durations == [0.5]
    assert len(AudioToCharDataset(f"{first},{second}", LABELS, 16000, max_utts=2)) == 2


def test_offset_and_resampling(tmp_path):
    sr = 8000
    ramp = np.linspace(-0.5, 0.5, sr, dtype=np.float32)  # 1 s at 8 kHz
    soundfile.write(str(tmp_path / "r.wav"), ramp, sr, subtype="FLOAT")
    rows = [{"audio_filepath": str(tmp_path / "r.wav"), "offset": 0.5, "duration": 0.25, "text": "a"}]
    native = AudioToCharDataset(_manifest(tmp_path / "m.json", rows), LABELS, sample_rate=8000)
    np.testing.assert_array_equal(native[0][0].numpy(), ramp[4000:6000])
    resampled = AudioToCharDataset(str(tmp_path / "m.json"), LABELS, sample_rate=16000)
    audio = resampled[0][0]
    assert abs(audio.shape[0] - 4000) <= 2 and resampled.output_types["audio_signal"].elements_type.type_parameters == {
        "freq": 16000
    }
    np.testing.assert_allclose(audio[100:-100:2].numpy(), ramp[4050:5950], atol=2e-3)


def test_int_values_and_trim(tmp_path):
    sr = 16000
    tone = (0.3 * np.sin(2 * np.pi * 300 * np.arange(sr // 2) / sr)).astype(np.float32)
    padded = np.concatenate([np.zeros(sr, np.float32), tone, np.zeros(sr, np.float32)])
    soundfile.write(str(tmp_path / "p.wav"), padded, sr, subtype="PCM_16")
    path = _manifest(tmp_path / "m.json", [{"audio_filepath": "p.wav", "duration": 2.5, "text": "a"}])
    plain = AudioToCharDataset(path, LABELS, sr)[0][0]
    as_ints = AudioToCharDataset(path, LABELS, sr, int_values=True)[0][0]
    torch.testing.assert_close(plain, as_ints, atol=1e-6, rtol=0)
    trimmed = AudioToCharDataset(path, LABELS, sr, trim=True)[0][0]
    assert plain.shape[0] == 2.5 * sr and trimmed.shape[0] < 0.75 * sr


BAD_CASES = [
    ('{"audio_filepath": "ok.wav", "duration": 0.1, "text": "a"', "not valid JSON", "malformed line"),
    ({"audio_filepath": "ok.wav", "text": "a"}, "missing key 'duration': expected a number of seconds", "malformed line"),
    ({"audio_filepath": "missing.wav", "duration": 0.1, "text": "a"}, "missing audio file", "missing audio file"),
    ({"audio_filepath": "bad.wav", "duration": 0.1, "text": "a"}, "unreadable audio file", "unreadable audio file"),
    ({"audio_filepath": "ok.wav", "duration": 0.1, "text": ""}, "empty transcript", "empty transcript"),
    ({"audio_filepath": "ok.wav", "duration": 0.1, "text": "?!"}, "empty transcript", "empty transcript"),
    ({"audio_filepath": "ok.wav", "duration": 0.1}, "missing transcript", "missing transcript"),
    ({"audio_filepath": "ok.wav", "duration": 0.1, "text": "日本"}, "outside the labels", "out-of-vocabulary"),
]


@pytest.fixture
def bad_folder(tmp_path):
    _wav(tmp_path, "ok.wav", 0.1)
    (tmp_path / "bad.wav").write_bytes(b"definitely not audio")
    return tmp_path


@pytest.mark.parametrize("row,message,_", BAD_CASES)
def test_bad_line_raises_naming_manifest_and_line(bad_folder, row, message, _):
    good = {"audio_filepath": "ok.wav", "duration": 0.1, "text": "a"}
    path = _manifest(bad_folder / "m.json", [good, good, row])
    with pytest.raises(ManifestError, match=f"m.json:3: .*{message}"):
        AudioToCharDataset(path, LABELS, 16000)


def test_skip_bad_samples_counts_every_case_in_one_warning(bad_folder, caplog):
    good = {"audio_filepath": "ok.wav", "duration": 0.1, "text": "a"}
    path = _manifest(bad_folder / "m.json", [good] + [row for row, _, _ in BAD_CASES] + [good])
    with caplog.at_level(logging.WARNING):
        ds = AudioToCharDataset(path, LABELS, 16000, skip_bad_samples=True)
    assert len(ds) == 2
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and f"skipped {len(BAD_CASES)} bad sample(s)" in warnings[0]
    for _, _, reason in BAD_CASES:
        assert reason in warnings[0]



def test_a_manifest_with_nothing_left_is_refused_saying_why(bad_folder):
    empty = _manifest(bad_folder / "empty.json", [])
    with pytest.raises(ManifestError, match=r"empty.json: no lines \(the manifest is empty\); expected at least one"):
        AudioToCharDataset(empty, LABELS, 16000)
    rows = [{"audio_filepath": "ok.wav", "duration": 0.1, "text": "a"}, {"audio_filepath": "bad.wav", "duration": 0.6,
                                                                        "text": "a"}]  # fmt: skip
    path = _manifest(bad_folder / "m.json", rows)
    with pytest.raises(ManifestError, match=r"no usable entry \(2 line\(s\) read; 1 outside the duration limits "
                                            r"\[0.5, None\] s; 1 bad line\(s\) skipped: 1 unreadable audio file\)"):
        AudioToCharDataset(path, LABELS, 16000, min_duration=0.5, skip_bad_samples=True)

def test_unk_index_accepts_unknown_characters(bad_folder):
    labels = LABELS + ["#"]
    path = _manifest(bad_folder / "m.json", [{"audio_filepath": "ok.wav", "duration": 0.1, "text": "a日"}])
    ds = AudioToCharDataset(path, labels, 16000, unk_index=len(labels) - 1)
    assert ds[0][2].tolist() == [1, len(labels) - 1]


def test_audio_that_disappears_later_names_the_line(bad_folder):
    path = _manifest(bad_folder / "m.json", [{"audio_filepath": "ok.wav", "duration": 0.1, "text": "a"}])
    ds = AudioToCharDataset(path, LABELS, 16000)
    (bad_folder / "ok.wav").unlink()
    with pytest.raises(AudioReadError, match=r"m.json:1: cannot read audio file '.*ok.wav': it does not exist"):
        ds[0]


def _train_sentencepiece(folder, texts, **extra):
    import sentencepiece

    (folder / "text.txt").write_text("\n".join(texts) + "\n")
    sentencepiece.SentencePieceTrainer.train(
        input=str(folder / "text.txt"), model_prefix=str(folder / "sp"), vocab_size=30, model_type="bpe",
        character_coverage=1.0, minloglevel=2, **extra,
    )  # fmt: skip
    from nemo.collections.common.tokenizers.sentencepiece_tokenizer import SentencePieceTokenizer

    return SentencePieceTokenizer(str(folder / "sp.model"))


TEXTS = ["turn on the lights", "turn off the fan", "open the door", "yes", "no", "hello world"] * 3


def test_bpe_dataset_tokenizes_with_sentencepiece(corpus):
    folder, rows = corpus
    tokenizer = _train_sentencepiece(folder, TEXTS, bos_id=1, eos_id=2, pad_id=3, unk_id=0)
    ds = AudioToBPEDataset(_manifest(folder / "m.json", rows), tokenizer, 16000)
    _, _, tokens, tokens_len = ds[2]
    ids = tokens.tolist()
    assert ids[0] == tokenizer.bos_id and ids[-1] == tokenizer.eos_id and int(tokens_len) == len(ids)
    assert tokenizer.ids_to_text(ids[1:-1]) == "turn on the lights"
    batch = ds.collate_fn([ds[1], ds[2]])
    assert torch.all(batch[2][0, int(batch[3][0]) :] == 3)  # padded with the tokenizer's pad id
    plain = AudioToBPEDataset(str(folder / "m.json"), tokenizer, 16000, use_start_end_token=False)
    assert plain[2][2].tolist() == ids[1:-1]


def test_bpe_dataset_without_special_tokens(corpus):
    folder, rows = corpus
    tokenizer = _train_sentencepiece(folder, TEXTS, bos_id=-1, eos_id=-1)
    ds = AudioToBPEDataset(_manifest(folder / "m.json", rows), tokenizer, 16000)
    assert ds.bos_id is None and ds.eos_id is None and ds.pad_id == 0
    assert tokenizer.ids_to_text(ds[2][2].tolist()) == "turn on the lights"
    assert tokenizer.unk_id in ds[0][2].tolist()  # "Hello World": BPE transcripts are not normalized (as in NeMo)
