"""VocoderDataset: random fixed-length segments, whole clips, padding, manifest errors with line numbers."""

import json

import numpy as np
import pytest
import soundfile
import torch

from nemo.collections.common.data.audio import AudioReadError
from nemo.collections.tts.data.vocoder_dataset import VocoderDataset

RATE = 22050


@pytest.fixture
def clips(tmp_path):
    """Three clips of 0.2, 0.5 and 1.0 s whose samples count up, so crops can be located."""
    lines = []
    for index, seconds in enumerate((0.2, 0.5, 1.0)):
        samples = (np.arange(int(seconds * RATE)) % 30000 / 32768.0).astype(np.float32)
        soundfile.write(tmp_path / f"clip{index}.wav", samples, RATE, subtype="FLOAT")
        lines.append({"audio_filepath": f"clip{index}.wav", "duration": seconds})
    manifest = tmp_path / "manifest.json"
    manifest.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return manifest


def test_training_items_are_random_crops_or_padded_clips(clips):
    dataset = VocoderDataset(manifest_filepath=str(clips), sample_rate=RATE, n_segments=8192)
    short_audio, short_len = dataset[0]
    assert short_audio.shape == (8192,) and short_len.item() == int(0.2 * RATE)
    assert torch.all(short_audio[short_len:] == 0)
    torch.manual_seed(0)
    crop, length = dataset[2]
    assert crop.shape == (8192,) and length.item() == 8192
    step = 1 / 32768.0
    torch.testing.assert_close(crop[1:] - crop[:-1], torch.full((8191,), step), atol=1e-6, rtol=0)  # contiguous
    assert not torch.equal(crop, dataset[2][0]) or not torch.equal(crop, dataset[2][0])  # another random start


def test_validation_items_are_whole_clips_and_collate_pads(clips):
    dataset = VocoderDataset(manifest_filepath=[str(clips)], sample_rate=RATE, n_segments=-1, min_duration=0.3)
    assert len(dataset) == 2
    audio, lengths = dataset.collate_fn([dataset[0], dataset[1]])
    assert audio.shape == (2, RATE) and lengths.tolist() == [int(0.5 * RATE), RATE]
    assert torch.all(audio[0, lengths[0] :] == 0)


def test_audio_is_resampled_to_the_dataset_rate(clips):
    dataset = VocoderDataset(manifest_filepath=str(clips), sample_rate=16000, n_segments=-1)
    assert abs(dataset[2][1].item() - 16000) <= 1


def test_manifest_errors_name_the_file_and_line(tmp_path, clips):
    bad = tmp_path / "bad.json"
    bad.write_text(clips.read_text().splitlines()[0] + "\n{not json\n")
    with pytest.raises(ValueError, match=r"bad\.json:2: not valid JSON"):
        VocoderDataset(manifest_filepath=str(bad))
    bad.write_text('{"audio_filepath": "missing.wav", "duration": 1.0}\n')
    with pytest.raises(ValueError, match=r"bad\.json:1: missing audio file '.*missing\.wav': it does not exist"):
        VocoderDataset(manifest_filepath=str(bad))
    with pytest.raises(ValueError, match=r"no usable entry \(3 line\(s\) read; 3 outside the duration limits \[5.0,"):
        VocoderDataset(manifest_filepath=str(clips), min_duration=5.0)
    bad.write_text("")
    with pytest.raises(ValueError, match=r"VocoderDataset .*bad\.json: no lines \(the manifest is empty\)"):
        VocoderDataset(manifest_filepath=str(bad))


def test_audio_that_turns_unreadable_names_the_file_and_the_reason(tmp_path, clips):
    dataset = VocoderDataset(manifest_filepath=str(clips), n_segments=-1)
    (tmp_path / "clip1.wav").write_bytes(b"no longer audio")
    with pytest.raises(AudioReadError, match=r"cannot read audio file '.*clip1\.wav': not a readable audio file"):
        dataset[1]
