"""``EncDecCTCModel.transcribe`` on long files: chunked decoding equals whole-file decoding, short files unchanged."""

import math

import numpy as np
import pytest
import torch
from asr_models_testing import check_progress_only_when_verbose, ctc_config, write_speechlike

from nemo.collections.asr.models import EncDecCTCModel
from nemo.collections.asr.parts import buffered_transcription as bt

# the tiny encoder sees ~0.25 s either side of a frame: 0.5 s of context makes chunked decoding exact
CHUNKED = dict(chunk_len_in_secs=1.0, long_audio_threshold_in_secs=2.0)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    cfg = ctc_config()
    cfg["preprocessor"]["normalize"] = None  # (utterance statistics: see the test below)
    model = EncDecCTCModel(cfg=cfg)
    model.transcribe_chunk_context_in_secs = 0.5
    return model


def test_chunked_logprobs_equal_whole_file(model, tmp_path):
    path = write_speechlike(tmp_path / "long.wav", 6.3, seed=0)
    whole = model.transcribe([path], logprobs=True, long_audio_threshold_in_secs=math.inf, verbose=False)[0]
    chunked = model.transcribe([path], logprobs=True, verbose=False, **CHUNKED)[0]
    assert chunked.shape == whole.shape  # the kept frames tile the whole-file frames, first and last window included
    np.testing.assert_allclose(chunked, whole, atol=2e-4)
    hyp_whole = model.transcribe([path], return_hypotheses=True, long_audio_threshold_in_secs=math.inf, verbose=False)
    hyp_chunked = model.transcribe([path], return_hypotheses=True, verbose=False, **CHUNKED)
    assert hyp_chunked[0].y_sequence.shape == hyp_whole[0].y_sequence.shape
    assert hyp_chunked[0].text == hyp_whole[0].text


def test_chunked_transcripts_match_and_keep_the_file_order(model, tmp_path):
    paths = [
        write_speechlike(tmp_path / "a.wav", 5.0, seed=1),
        write_speechlike(tmp_path / "short.wav", 1.0, seed=2),
        write_speechlike(tmp_path / "b.wav", 4.2, seed=3, lead=0.0, tail=0.0),
    ]
    whole = model.transcribe(paths, batch_size=2, long_audio_threshold_in_secs=math.inf, verbose=False)
    chunked = model.transcribe(paths, batch_size=2, verbose=False, **CHUNKED)
    assert chunked == whole
    # the streamed path merges a label repeated across a window border just as whole-file decoding does
    assert (
        model.transcribe(paths, batch_size=1, verbose=False, chunk_len_in_secs=0.3, long_audio_threshold_in_secs=2.0)
        == whole
    )


@pytest.mark.parametrize("normalize", ["per_feature", "all_features"])
def test_utterance_normalization_uses_whole_file_statistics(tmp_path, normalize):
    torch.manual_seed(0)
    cfg = ctc_config()
    cfg["preprocessor"]["normalize"] = normalize
    model = EncDecCTCModel(cfg=cfg)
    model.transcribe_chunk_context_in_secs = 0.5
    path = write_speechlike(tmp_path / "long.wav", 4.0, seed=4)
    whole = model.transcribe([path], logprobs=True, long_audio_threshold_in_secs=math.inf, verbose=False)[0]
    chunked = model.transcribe([path], logprobs=True, verbose=False, **CHUNKED)[0]
    np.testing.assert_allclose(chunked, whole, atol=1e-3)
    assert model.preprocessor.featurizer.normalize == normalize  # restored after the fixed-statistics pass


def test_short_files_take_the_whole_file_path(model, tmp_path, monkeypatch):
    paths = [write_speechlike(tmp_path / f"s{i}.wav", 1.0 + i, seed=i) for i in range(2)]
    expected = model.transcribe(paths, long_audio_threshold_in_secs=math.inf, verbose=False)

    def fail(*args, **kwargs):
        raise AssertionError("a short file went through the chunked path")

    monkeypatch.setattr(bt.BufferedCTCTranscriber, "transcribe_file", fail)
    assert model.transcribe(paths, verbose=False) == expected  # default threshold: 120 s
    model.transcribe_long_audio_threshold_in_secs = 30.0
    try:
        assert model.transcribe(paths, verbose=False) == expected
    finally:
        del model.transcribe_long_audio_threshold_in_secs


def test_verbose_false_prints_nothing(model, tmp_path, capfd, monkeypatch):
    check_progress_only_when_verbose(
        lambda paths, verbose: model.transcribe(paths, verbose=verbose, **CHUNKED), tmp_path, capfd, monkeypatch
    )
