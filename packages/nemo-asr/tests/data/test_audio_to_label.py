import json

import numpy as np
import pytest
import soundfile
import torch

from nemo.collections.asr.data.audio_to_label import (
    AudioToClassificationLabelDataset,
    AudioToSpeechLabelDataset,
    repeat_signal,
)
from nemo.collections.asr.data.audio_to_label_dataset import get_classification_label_dataset, get_speech_label_dataset
from nemo.collections.asr.parts.preprocessing.features import WaveformFeaturizer
from nemo.collections.common.data.manifest import ManifestError
from nemo.core.neural_types import LabelsType

LABELS = ["yes", "no", "up", "down"]


@pytest.fixture
def commands(tmp_path):
    rows = []
    for idx, (seconds, label) in enumerate([(0.25, "yes"), (0.5, "down"), (0.125, "no")]):
        audio = np.full(int(seconds * 16000), 0.1 * (idx + 1), dtype=np.float32)
        soundfile.write(str(tmp_path / f"{idx}.wav"), audio, 16000, subtype="FLOAT")
        rows.append({"audio_filepath": f"{idx}.wav", "duration": seconds, "label": label})
    path = tmp_path / "commands.json"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return str(path)


def test_classification_items_and_collate(commands):
    ds = AudioToClassificationLabelDataset(commands, LABELS, WaveformFeaturizer(16000))
    assert len(ds) == 3 and ds.num_classes == 4 and ds.id2label[3] == "down"
    audio, audio_len, label, label_len = ds[1]
    assert audio.shape == (8000,) and int(audio_len) == 8000 and int(label) == 3 and int(label_len) == 1
    signal, lengths, labels, label_lengths = ds.collate_fn([ds[0], ds[1], ds[2]])
    assert signal.shape == (3, 8000) and lengths.tolist() == [4000, 8000, 2000]
    assert labels.tolist() == [0, 3, 1] and label_lengths.tolist() == [1, 1, 1]
    assert torch.all(signal[2, 2000:] == 0)
    assert isinstance(ds.output_types["label"].elements_type, LabelsType)


def test_unknown_label_names_the_line_or_is_skipped(commands):
    with pytest.raises(ManifestError, match=r"commands.json:2: label 'down' is not one of"):
        AudioToClassificationLabelDataset(commands, ["yes", "no"], WaveformFeaturizer(16000))
    ds = AudioToClassificationLabelDataset(commands, ["yes", "no"], WaveformFeaturizer(16000), skip_bad_samples=True)
    assert [int(ds[i][2]) for i in range(len(ds))] == [0, 1]


def test_missing_label_key(tmp_path, commands):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"audio_filepath": "0.wav", "duration": 0.25}) + "\n")
    with pytest.raises(ManifestError, match=r":1: missing key 'label': expected one of \['yes', 'no', 'up', 'down'\]"):
        AudioToClassificationLabelDataset(str(path), LABELS, WaveformFeaturizer(16000))


def test_speech_label_dataset_windows_every_utterance(commands):
    ds = AudioToSpeechLabelDataset(commands, LABELS, WaveformFeaturizer(16000), time_length=0.25, random_crop=False)
    signal, lengths, labels, _ = ds.collate_fn([ds[0], ds[1], ds[2]])
    assert signal.shape == (3, 4000) and lengths.tolist() == [4000] * 3 and labels.tolist() == [0, 3, 1]
    torch.testing.assert_close(signal[2], torch.full((4000,), 0.3))  # 2000 samples repeated twice
    normalized = AudioToSpeechLabelDataset(commands, LABELS, WaveformFeaturizer(16000), time_length=0.1,
                                           normalize_audio=True)  # fmt: skip
    assert torch.allclose(normalized.collate_fn([normalized[1]])[0].abs().max(), torch.tensor(1.0))
    with pytest.raises(ValueError, match="time_length"):
        AudioToSpeechLabelDataset(commands, LABELS, WaveformFeaturizer(16000), time_length=0)


def test_repeat_signal():
    assert repeat_signal(torch.tensor([1.0, 2.0, 3.0]), 7).tolist() == [1, 2, 3, 1, 2, 3, 1]
    assert repeat_signal(torch.zeros(0), 3).tolist() == [0, 0, 0]


def test_config_builders(commands):
    cfg = {"manifest_filepath": commands, "labels": LABELS, "max_duration": 0.3, "time_length": 0.5}
    assert len(get_classification_label_dataset(WaveformFeaturizer(16000), cfg)) == 2
    speech = get_speech_label_dataset(WaveformFeaturizer(16000), cfg)
    assert speech.time_length == 0.5 and len(speech) == 2
    with pytest.raises(ValueError, match="missing required key 'labels'"):
        get_classification_label_dataset(WaveformFeaturizer(16000), {"manifest_filepath": commands})
