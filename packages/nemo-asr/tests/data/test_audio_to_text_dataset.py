import json

import numpy as np
import pytest
import soundfile
import torch
from omegaconf import OmegaConf

from nemo.collections.asr.data.audio_to_text import AudioToBPEDataset, AudioToCharDataset
from nemo.collections.asr.data.audio_to_text_dataset import build_dataloader, get_bpe_dataset, get_char_dataset

LABELS = list(" abcdefghijklmnopqrstuvwxyz'")


@pytest.fixture
def manifest(tmp_path):
    rows = []
    for idx, seconds in enumerate([0.3, 0.1, 0.5, 0.2, 0.4]):
        soundfile.write(str(tmp_path / f"{idx}.wav"), np.zeros(int(seconds * 16000), np.float32), 16000)
        rows.append({"audio_filepath": f"{idx}.wav", "duration": seconds, "text": f"Utterance {idx}!"})
    rows.append({"audio_filepath": "missing.wav", "duration": 0.1, "text": "gone"})
    path = tmp_path / "train.json"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return str(path)


def _cfg(manifest, **extra):
    base = {"manifest_filepath": manifest, "labels": LABELS, "sample_rate": 16000, "skip_bad_samples": True}
    return OmegaConf.create({**base, **extra})


def test_get_char_dataset_reads_nemo_keys(manifest):
    ds = get_char_dataset(_cfg(manifest, normalize_transcripts=True, max_duration=0.45, return_sample_id=True))
    assert isinstance(ds, AudioToCharDataset) and len(ds) == 4
    assert "".join(LABELS[i] for i in ds[0][2].tolist()) == "utterance zero"
    assert ds[0][4] == 0
    raw = get_char_dataset(_cfg(manifest, labels=LABELS + list("U0!")))  # normalize_transcripts defaults to False
    assert "".join(raw.labels[i] for i in raw[0][2].tolist()) == "Utterance 0!"


def test_get_char_dataset_errors(manifest):
    with pytest.raises(ValueError, match="missing required key 'labels'"):
        get_char_dataset({"manifest_filepath": manifest, "sample_rate": 16000})
    with pytest.raises(ValueError, match="missing required key 'sample_rate'"):
        get_char_dataset({"manifest_filepath": manifest, "labels": LABELS})
    with pytest.raises(ValueError, match=":6: missing audio file"):
        get_char_dataset(_cfg(manifest, skip_bad_samples=False, normalize_transcripts=True))


def test_get_bpe_dataset(manifest, tmp_path):
    import sentencepiece

    from nemo.collections.common.tokenizers.sentencepiece_tokenizer import SentencePieceTokenizer

    (tmp_path / "t.txt").write_text("Utterance 0!\nUtterance 1!\nUtterance 2!\n" * 3)
    sentencepiece.SentencePieceTrainer.train(
        input=str(tmp_path / "t.txt"), model_prefix=str(tmp_path / "sp"), vocab_size=15, minloglevel=2
    )
    tokenizer = SentencePieceTokenizer(str(tmp_path / "sp.model"))
    ds = get_bpe_dataset(_cfg(manifest, use_start_end_token=False, max_utts=2), tokenizer)
    assert isinstance(ds, AudioToBPEDataset) and len(ds) == 2
    assert tokenizer.ids_to_text(ds[0][2].tolist()) == "Utterance 0!"


def test_build_dataloader_applies_loader_keys(manifest):
    ds = get_char_dataset(_cfg(manifest, normalize_transcripts=True))
    loader = build_dataloader(ds, {"batch_size": 2, "shuffle": False, "drop_last": True, "num_workers": 0})
    batches = list(loader)
    assert len(batches) == 2 and [b[0].shape[0] for b in batches] == [2, 2]
    assert batches[0][1].tolist() == [4800, 1600]  # manifest order
    with pytest.raises(ValueError, match="'batch_size' must be >= 1"):
        build_dataloader(ds, {"batch_size": 0})


def test_sort_by_duration_groups_similar_lengths(manifest):
    ds = get_char_dataset(_cfg(manifest, normalize_transcripts=True))
    cfg = {"batch_size": 2, "shuffle": True, "sort_by_duration": True}
    loader = build_dataloader(ds, cfg)
    epoch_one = [sorted(b[1].tolist()) for b in loader]
    assert sorted(epoch_one) == [[1600, 3200], [4800, 6400], [8000]]
    assert len(loader) == 3
    epochs = {tuple(tuple(b[1].tolist()) for b in loader) for _ in range(6)}
    assert len(epochs) > 1  # the batch order changes between epochs
    dropped = build_dataloader(ds, {**cfg, "drop_last": True})
    assert sorted(sorted(b[1].tolist()) for b in dropped) == [[1600, 3200], [4800, 6400]]


def test_workers_load_batches(manifest):
    ds = get_char_dataset(_cfg(manifest, normalize_transcripts=True))
    loader = build_dataloader(ds, {"batch_size": 5, "num_workers": 1})
    ((signal, lengths, tokens, _),) = list(loader)
    assert signal.shape == (5, 8000) and tokens.dtype == torch.long and lengths.max() == 8000


def test_augmentor_key_builds_perturbations(manifest, tmp_path):
    ramp = np.linspace(-0.5, 0.5, 1600, dtype=np.float32)
    soundfile.write(str(tmp_path / "ramp.wav"), ramp, 16000, subtype="FLOAT")
    (tmp_path / "r.json").write_text(json.dumps({"audio_filepath": "ramp.wav", "duration": 0.1, "text": "a"}) + "\n")
    gain = {"gain": {"prob": 1.0, "min_gain_dbfs": 20.0, "max_gain_dbfs": 20.0}}
    ds = get_char_dataset(_cfg(str(tmp_path / "r.json"), augmentor=gain))
    np.testing.assert_allclose(ds[0][0].numpy(), ramp * 10.0, rtol=1e-5)
