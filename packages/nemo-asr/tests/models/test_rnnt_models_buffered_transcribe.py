"""``EncDecRNNTModel.transcribe`` on long files: chunked greedy decoding with the prediction network's state carried
across windows equals whole-file greedy decoding, differs only near borders without context, and keeps the
encoder's input to one window."""

import math

import numpy as np
import pytest
import torch
from asr_models_testing import bpe_config, check_progress_only_when_verbose, write_speechlike
from rnnt_testing import rnnt_config

from nemo.collections.asr.models import EncDecRNNTBPEModel, EncDecRNNTModel

# the tiny encoder sees ~0.25 s either side of a frame: 0.5 s of context makes the kept encoder frames exact
CHUNKED = dict(chunk_len_in_secs=1.0, long_audio_threshold_in_secs=2.0)
FRAME_S = 0.02  # the tiny encoder's output stride (10 ms hop, subsampling 2)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    cfg = rnnt_config()
    cfg["preprocessor"]["normalize"] = None
    model = EncDecRNNTModel(cfg=cfg)
    with torch.no_grad():  # a blank bias that makes the random transducer emit a label every few frames
        model.joint.joint_net[-1].bias[-1] += 0.4
    model.transcribe_chunk_context_in_secs = 0.5
    return model


def _whole(model, paths, **kwargs):
    return model.transcribe(paths, long_audio_threshold_in_secs=math.inf, verbose=False, **kwargs)


@pytest.mark.parametrize("strategy", ["greedy_batch", "greedy"])
def test_chunked_greedy_labels_equal_whole_file(model, tmp_path, strategy):
    model.change_decoding_strategy(rnnt_config(strategy=strategy)["decoding"], verbose=False)
    path = write_speechlike(tmp_path / "long.wav", 6.3, seed=0)
    (whole,) = _whole(model, [path], return_hypotheses=True)
    (chunked,) = model.transcribe([path], return_hypotheses=True, verbose=False, **CHUNKED)
    assert len(whole.y_sequence) > 20  # the model emits labels (7 windows, so several cross a border)
    assert chunked.y_sequence.tolist() == whole.y_sequence.tolist()
    assert chunked.timestep == whole.timestep
    assert chunked.text == whole.text
    assert int(chunked.length) == int(whole.length)
    assert chunked.score == pytest.approx(whole.score, rel=1e-5)


def test_chunked_transcripts_keep_the_file_order(model, tmp_path):
    paths = [
        write_speechlike(tmp_path / "a.wav", 5.0, seed=1),
        write_speechlike(tmp_path / "short.wav", 1.0, seed=2),
        write_speechlike(tmp_path / "b.wav", 4.2, seed=3, lead=0.0, tail=0.0),
    ]
    whole = _whole(model, paths, batch_size=2)
    assert model.transcribe(paths, batch_size=2, verbose=False, **CHUNKED) == whole
    # windows shorter than the encoder's receptive field still carry the decoder across every border
    assert model.transcribe(paths, verbose=False, chunk_len_in_secs=0.3, long_audio_threshold_in_secs=2.0) == whole


def test_subword_transducer_chunked_equals_whole_file(tmp_path, tokenizer_dir):
    torch.manual_seed(0)
    cfg = bpe_config(rnnt_config(), tokenizer_dir)
    cfg["preprocessor"]["normalize"] = None
    model = EncDecRNNTBPEModel(cfg=cfg)
    model.transcribe_chunk_context_in_secs = 0.5
    path = write_speechlike(tmp_path / "long.wav", 5.0, seed=8)
    (whole,) = _whole(model, [path], return_hypotheses=True)
    (chunked,) = model.transcribe([path], return_hypotheses=True, verbose=False, **CHUNKED)
    assert len(whole.y_sequence) > 0
    assert chunked.y_sequence.tolist() == whole.y_sequence.tolist() and chunked.text == whole.text


def _labels_by_frame(hypothesis, frames: int) -> np.ndarray:
    """The labels emitted at each frame, as a tuple per frame."""
    by_frame = [[] for _ in range(frames)]
    for label, t in zip(hypothesis.y_sequence.tolist(), hypothesis.timestep):
        by_frame[t].append(label)
    return [tuple(labels) for labels in by_frame]


def test_without_context_labels_differ_only_near_window_borders(model, tmp_path):
    path = write_speechlike(tmp_path / "long.wav", 12.0, seed=0)
    (whole,) = _whole(model, [path], return_hypotheses=True)
    model.transcribe_chunk_context_in_secs = 0.0
    try:
        (chunked,) = model.transcribe(
            [path], return_hypotheses=True, verbose=False, chunk_len_in_secs=2.0, long_audio_threshold_in_secs=2.0
        )
    finally:
        model.transcribe_chunk_context_in_secs = 0.5
    frames = int(whole.length)
    differing = np.flatnonzero(
        [a != b for a, b in zip(_labels_by_frame(whole, frames), _labels_by_frame(chunked, frames))]
    )
    assert differing.size > 0  # the encoder's view is cut at the borders
    border_every = round(2.0 / FRAME_S)
    to_border = np.minimum(differing % border_every, border_every - differing % border_every)
    # within the receptive field (0.25 s) of a border, or a few labels after it while the prediction network's
    # state, fed a different label there, comes back in step: never in the middle 0.5 s+ of a 2 s window
    assert to_border.max() <= round(0.75 / FRAME_S), differing


def test_encoder_never_sees_more_than_one_window(model, tmp_path):
    path = write_speechlike(tmp_path / "long.wav", 8.0, seed=5)
    seen = []
    handle = model.encoder.register_forward_pre_hook(
        lambda module, args, kwargs: seen.append(kwargs["audio_signal"].shape[-1]), with_kwargs=True
    )
    try:
        model.transcribe([path], batch_size=1, verbose=False, **CHUNKED)
    finally:
        handle.remove()
    window_features = round((CHUNKED["chunk_len_in_secs"] + 2 * model.transcribe_chunk_context_in_secs) / 0.01)
    chunked_calls = seen[2:]  # the first two measure the encoder's stride on 256 and 512 silent feature frames
    assert len(chunked_calls) >= 8 and max(chunked_calls) <= window_features + 1, seen


def test_verbose_false_prints_nothing(model, tmp_path, capfd, monkeypatch):
    check_progress_only_when_verbose(
        lambda paths, verbose: model.transcribe(paths, verbose=verbose, **CHUNKED), tmp_path, capfd, monkeypatch
    )
