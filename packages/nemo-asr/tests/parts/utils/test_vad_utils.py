"""VAD over long audio: frame prediction (chunked = whole file), smoothing, binarization/filtering, segment output."""

import json

import numpy as np
import pytest
import soundfile
import torch
from asr_models_testing import SAMPLE_RATE, ctc_config, preprocessor, tiny_encoder

from nemo.collections.asr.models import EncDecClassificationModel, EncDecCTCModel
from nemo.collections.asr.parts.utils.vad_utils import (
    binarization,
    filtering,
    frame_labels_from_segments,
    generate_overlap_vad_seq_per_tensor,
    generate_vad_frame_pred,
    load_segment_audio,
    run_vad,
    vad_parameters,
    write_rttm,
    write_segment_manifest,
)
from nemo.collections.common.data.audio import load_audio
from nemo.collections.common.data.manifest import iter_manifest

SEQ = [0.1, 0.6, 0.9, 0.4, 0.2, 0.7, 0.3]


def tiny_vad_model() -> EncDecClassificationModel:
    torch.manual_seed(0)
    cfg = {
        "labels": ["background", "speech"],
        "preprocessor": {**preprocessor(), "dither": 0.0},
        "crop_or_pad_augment": {
            "_target_": "nemo.collections.asr.modules.CropOrPadSpectrogramAugmentation",
            "audio_length": 32,
        },
        "encoder": tiny_encoder(),
        "decoder": {"_target_": "nemo.collections.asr.modules.ConvASRDecoderClassification", "num_classes": 2},
    }
    return EncDecClassificationModel(cfg=cfg).eval()


@pytest.mark.parametrize(
    "args, expected",
    [
        ({"onset": 0.5, "offset": 0.5}, [(0.5, 1.5), (2.5, 3.0)]),
        ({"onset": 0.8, "offset": 0.3}, [(1.0, 2.0)]),  # hysteresis: 0.7 never starts, 0.4 does not end
        ({"onset": 0.5, "offset": 0.5, "pad_onset": 0.5, "pad_offset": 0.5}, [(0.0, 3.5)]),  # padded, then merged
    ],
)
def test_binarization_hand_cases(args, expected):
    assert binarization(SEQ, {**args, "frame_length_in_sec": 0.5}) == expected


def test_binarization_closes_open_speech_at_the_end_of_the_last_frame():
    assert binarization([0.2, 0.9, 0.9], {"frame_length_in_sec": 0.5}) == [(0.5, 1.5)]
    assert binarization([0.2, 0.3], {}) == []


@pytest.mark.parametrize("speech_first, expected", [(True, [(0, 4), (6, 8)]), (False, [(0, 4.5), (6, 8)])])
def test_filtering_hand_cases(speech_first, expected):
    segments = [(0, 1), (1.5, 4), (4.25, 4.5), (6, 8)]
    args = {"min_duration_on": 0.5, "min_duration_off": 1.0, "filter_speech_first": speech_first}
    assert filtering(segments, args) == expected


@pytest.mark.parametrize(
    "method, expected",
    [("mean", [0.5, 0.5, 2 / 3, 0.5, 1 / 3, 0.5, 0.5]), ("median", [0.5, 0.5, 1.0, 0.5, 0.0, 0.5, 0.5])],
)
def test_overlap_smoothing_hand_case(method, expected):
    # 5-frame windows (2 frames of left context) every 2nd window: frame t averages windows t-2..t+2 of 0, 2, 4, 6
    frame = torch.tensor([1.0, 0, 0, 0, 1, 0, 0])
    args = {"window_length_in_sec": 0.05, "shift_length_in_sec": 0.01, "overlap": 0.6}
    assert generate_overlap_vad_seq_per_tensor(frame, args, method).tolist() == pytest.approx(expected)


def test_overlap_smoothing_refuses_gaps_between_windows():
    args = {"window_length_in_sec": 0.05, "shift_length_in_sec": 0.01, "overlap": 0.1}
    with pytest.raises(ValueError, match="overlap=0.1"):
        generate_overlap_vad_seq_per_tensor(torch.zeros(10), args, "mean")
    with pytest.raises(ValueError, match="median"):
        generate_overlap_vad_seq_per_tensor(torch.zeros(10), {**args, "overlap": 0.8}, "mode")


def test_unknown_parameter_refused_with_did_you_mean():
    with pytest.raises(ValueError, match="did you mean 'onset'"):
        vad_parameters({"postprocessing": {"onsett": 0.5}})


def test_frame_predictor_shape_windows_and_chunking(tmp_path):
    model = tiny_vad_model()
    rng = np.random.default_rng(0)
    audio = (0.1 * rng.standard_normal(19744)).astype(np.float32)
    whole = generate_vad_frame_pred(model, audio, 0.2, 0.01, chunk_len_in_sec=100.0)
    assert whole.shape == (124,)  # ceil(19744 / 160) frames
    chunked = generate_vad_frame_pred(model, audio, 0.2, 0.01, chunk_len_in_sec=0.07, batch_size=3)
    torch.testing.assert_close(chunked, whole, atol=1e-5, rtol=0)
    path = tmp_path / "long.wav"
    soundfile.write(path, audio, SAMPLE_RATE, subtype="FLOAT")
    torch.testing.assert_close(generate_vad_frame_pred(model, str(path), 0.2, 0.01, 0.3), whole, atol=1e-5, rtol=0)
    # frame k's window: 20 shifts starting 9 shifts before it, zero padded at both ends
    padded = np.concatenate([np.zeros(9 * 160, np.float32), audio, np.zeros(3200, np.float32)])
    for k in (0, 57, 123):
        signal = torch.from_numpy(padded[k * 160 : k * 160 + 3200])[None]
        with torch.no_grad():
            logits = model(input_signal=signal, input_signal_length=torch.tensor([3200]))
        assert whole[k].item() == pytest.approx(torch.softmax(logits, -1)[0, 1].item(), abs=1e-5)


def test_frame_predictor_needs_a_speech_label():
    with pytest.raises(ValueError, match="no speech label 'voice'"):
        generate_vad_frame_pred(tiny_vad_model(), np.zeros(1600, np.float32), speech_label="voice")


def test_segments_to_rttm_and_a_manifest_the_asr_reader_honours(tmp_path):
    audio = np.arange(4 * SAMPLE_RATE, dtype=np.float32) / (8 * SAMPLE_RATE)
    wav = tmp_path / "a.wav"
    soundfile.write(wav, audio, SAMPLE_RATE, subtype="FLOAT")
    segments = [(0.5, 1.25), (2.0, 3.5)]
    write_rttm(segments, "a", str(tmp_path / "a.rttm"))
    assert (tmp_path / "a.rttm").read_text().splitlines() == [
        "SPEAKER a 1 0.5000 0.7500 <NA> <NA> speech <NA> <NA>",
        "SPEAKER a 1 2.0000 1.5000 <NA> <NA> speech <NA> <NA>",
    ]
    manifest = tmp_path / "segments.json"
    assert write_segment_manifest({str(wav): segments}, str(manifest)) == 2
    assert json.loads(manifest.read_text().splitlines()[1]) == {
        "audio_filepath": str(wav),
        "offset": 2.0,
        "duration": 1.5,
    }
    entries = list(iter_manifest(str(manifest)))
    cut = load_audio(entries[1].audio_file, SAMPLE_RATE, offset=entries[1].offset, duration=entries[1].duration)
    np.testing.assert_allclose(cut, audio[2 * SAMPLE_RATE : int(3.5 * SAMPLE_RATE)])


def test_run_vad_segments_match_the_smoothed_frames():
    model = tiny_vad_model()
    audio = np.concatenate([np.zeros(8000), 0.5 * np.sin(np.arange(16000) * 0.3), np.zeros(8000)]).astype(np.float32)
    params = {"window_length_in_sec": 0.2, "shift_length_in_sec": 0.01, "smoothing": "mean", "overlap": 0.9}
    params["postprocessing"] = {"onset": 0.5, "offset": 0.5}
    probs, segments = run_vad(model, audio, params, chunk_len_in_sec=0.5)
    assert probs.shape == (200,)
    expected = (probs > 0.5).long()
    assert torch.equal(frame_labels_from_segments(segments, 200, 0.01), expected)


def test_asr_transcribes_the_segments_of_a_segment_manifest(tmp_path):
    audio = (0.3 * np.sin(np.arange(5 * SAMPLE_RATE) * 0.05) * np.linspace(0.2, 1, 5 * SAMPLE_RATE)).astype(np.float32)
    wav = tmp_path / "long.wav"
    soundfile.write(wav, audio, SAMPLE_RATE, subtype="FLOAT")
    segments = [(0.25, 1.5), (2.0, 4.75)]
    write_segment_manifest({str(wav): segments}, str(tmp_path / "segments.json"))
    cuts = load_segment_audio(str(tmp_path / "segments.json"), SAMPLE_RATE)
    for cut, (start, end) in zip(cuts, segments):
        np.testing.assert_array_equal(cut, audio[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)])
    torch.manual_seed(0)
    asr = EncDecCTCModel(cfg={**ctc_config(), "preprocessor": {**preprocessor(), "dither": 0.0}}).eval()
    files = []
    for k, cut in enumerate(cuts):
        files.append(str(tmp_path / f"cut{k}.wav"))
        soundfile.write(files[-1], cut, SAMPLE_RATE, subtype="FLOAT")
    from_segments = asr.transcribe(cuts, batch_size=1, logprobs=True)
    for got, want in zip(from_segments, asr.transcribe(files, batch_size=1, logprobs=True)):
        np.testing.assert_allclose(got, want, atol=1e-5)
