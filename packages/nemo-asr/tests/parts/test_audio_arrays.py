"""``transcribe`` inputs given as arrays: NVIDIA NeMo 3's padding of clips shorter than 1 s, batching, bad input."""

import numpy as np
import pytest
import torch

from nemo.collections.asr.parts.audio_arrays import array_batches, is_audio_array, pad_to_min_duration


def test_short_clips_are_zero_padded_to_one_second_half_before_rounded_down():
    clip = torch.arange(1.0, 8.0)  # 7 samples at 10 Hz: 3 missing, 1 zero before, 2 after
    assert pad_to_min_duration(clip, sample_rate=10).tolist() == [0.0, *clip.tolist(), 0.0, 0.0]
    clip = torch.arange(1.0, 6.0)  # 5 missing: 2 before, 3 after (NeMo: pad_total // 2 on the left)
    assert pad_to_min_duration(clip, sample_rate=10).tolist() == [0.0, 0.0, *clip.tolist(), 0.0, 0.0, 0.0]
    long = torch.ones(12)
    assert pad_to_min_duration(long, sample_rate=10) is long


def test_batches_keep_order_pad_each_clip_then_to_the_longest():
    clips = [np.ones(4, dtype=np.float32), torch.full((15,), 2.0), np.full(10, 3.0, dtype=np.float64)]
    assert all(is_audio_array(c) for c in clips) and not is_audio_array("a.wav")
    (signal, lengths), (last, last_lengths) = list(array_batches(clips, 10, 2, torch.device("cpu")))
    assert lengths.tolist() == [10, 15] and signal.shape == (2, 15)
    assert signal[0].tolist() == [0, 0, 0, 1, 1, 1, 1, 0, 0, 0] + [0] * 5
    assert last_lengths.tolist() == [10] and last.dtype == torch.float32 and torch.all(last == 3.0)


@pytest.mark.parametrize("bad", [np.ones((2, 5), dtype=np.float32), np.ones(5, dtype=np.int16), np.zeros(0)])
def test_non_mono_integer_or_empty_arrays_are_refused_with_the_item_index(bad):
    with pytest.raises(ValueError, match="audio item 1"):
        list(array_batches([np.ones(3, dtype=np.float32), bad], 10, 4, torch.device("cpu")))
