"""Window arithmetic, streamed trimming and streamed window audio of ``parts.buffered_transcription``."""

import numpy as np
import pytest
import soundfile
import torch

from nemo.collections.asr.parts import buffered_transcription as bt


def _blocks(signal, size):
    return (signal[i : i + size] for i in range(0, signal.size, size))


def test_windows_tile_the_output_frames_on_stride_borders():
    spf, chunk, context = 320, 10, 3
    num_samples = 37 * spf + 17  # 38 output frames' worth, the last one partial
    windows = bt.plan_windows(num_samples, spf, chunk, context)
    assert len(windows) == 4
    first, last = windows[0], windows[-1]
    # the first window has no left context and keeps from its first frame
    assert (first.start, first.keep_start, first.keep_len, first.first_frame) == (0, 0, chunk, 0)
    assert first.end == (chunk + context) * spf
    # middle windows: context frames each side, start on a stride border, keep `chunk` frames after the left context
    for k, window in enumerate(windows[1:-1], start=1):
        assert window.start % spf == 0 and window.start == (k * chunk - context) * spf
        assert window.end == ((k + 1) * chunk + context) * spf
        assert (window.keep_start, window.keep_len, window.first_frame) == (context, chunk, k * chunk)
        # the kept frames start where the window's first kept frame is in whole-file frames
        assert window.start // spf + window.keep_start == window.first_frame
    # the last window ends at the signal's end and keeps everything to the end of its output
    assert last.is_last and last.keep_len is None and last.end == num_samples
    assert last.start // spf + last.keep_start == last.first_frame == 30
    # consecutive kept ranges abut
    for a, b in zip(windows, windows[1:]):
        assert a.first_frame + a.keep_len == b.first_frame


def test_window_edge_cases():
    assert bt.plan_windows(0, 320, 10, 3) == []
    (only,) = bt.plan_windows(5 * 320, 320, 10, 3)  # shorter than one chunk: one window, no context
    assert (only.start, only.end, only.keep_start, only.keep_len) == (0, 1600, 0, None)
    # a context longer than the chunk: the second window's left context is clipped at the signal start
    second = bt.plan_windows(100 * 320, 320, 4, 10)[1]
    assert (second.start, second.keep_start, second.first_frame) == (0, 4, 4)
    # the window before the last gets only the right context the signal has
    windows = bt.plan_windows(21 * 320, 320, 10, 3)
    assert windows[1].end == 21 * 320 and windows[2].start == (20 - 3) * 320
    with pytest.raises(ValueError):
        bt.plan_windows(100, 0, 10, 3)


def test_window_audio_is_cut_from_the_stream():
    rng = np.random.default_rng(0)
    signal = rng.standard_normal(10_000).astype(np.float32)
    offset, length = 123, 9_000
    windows = bt.plan_windows(length, 40, 30, 7)
    got = list(bt.iter_window_audio(_blocks(signal, 777), windows, offset=offset))
    assert [w for w, _ in got] == windows
    for window, audio in got:
        np.testing.assert_array_equal(audio, signal[offset + window.start : offset + window.end])


@pytest.mark.parametrize("pad", [(0, 0), (3000, 5000), (517, 2049)])
def test_streamed_trim_matches_librosa(pad):
    import librosa

    rng = np.random.default_rng(1)
    speech = (0.3 * rng.standard_normal(20_000)).astype(np.float32)
    signal = np.concatenate([1e-5 * rng.standard_normal(pad[0]), speech, 1e-5 * rng.standard_normal(pad[1])])
    signal = signal.astype(np.float32)
    _, (start, end) = librosa.effects.trim(signal, top_db=60)
    assert bt.stream_trim_bounds(_blocks(signal, 1000)) == (start, end, signal.size)


def test_streamed_blocks_equal_the_file(tmp_path):
    rng = np.random.default_rng(2)
    stereo = (0.1 * rng.standard_normal((50_000, 2))).astype(np.float32)
    path = tmp_path / "stereo.wav"
    soundfile.write(path, stereo, 16000, subtype="FLOAT")
    streamed = np.concatenate(list(bt.iter_audio_blocks(str(path), 16000, block_frames=4096)))
    np.testing.assert_array_equal(streamed, stereo.mean(axis=1, dtype=np.float32))
    resampled = np.concatenate(list(bt.iter_audio_blocks(str(path), 8000, block_frames=4096)))
    assert abs(resampled.size - 25_000) <= 1


def test_longest_first_orders_by_length_and_keeps_ties_in_order(tmp_path):
    paths = []
    for index, seconds in enumerate([1.0, 3.0, 2.0, 3.0]):
        paths.append(str(tmp_path / f"clip{index}.wav"))
        soundfile.write(paths[-1], np.zeros(int(seconds * 8000), np.float32), 8000)
    assert bt.longest_first(range(4), bt.item_lengths(paths)) == [1, 3, 2, 0]
    assert bt.longest_first([0, 2], bt.item_lengths(paths)) == [2, 0]
    missing = bt.item_lengths([paths[0], str(tmp_path / "missing.wav")])
    assert bt.longest_first([0, 1], missing) == [0, 1]  # unreadable: length 0
    arrays = [np.zeros(5), torch.zeros(9), np.zeros(7)]
    assert bt.longest_first(range(3), bt.item_lengths(arrays)) == [1, 2, 0]
