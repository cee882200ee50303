"""A tiny CTC model memorizes four clips (WER 0 through ``transcribe``) within a minute: the whole training path
(features, encoder, CTC loss, gradients, greedy decoding) learns, not just runs."""

import importlib.util
import time
from pathlib import Path

import numpy as np
import soundfile
import torch
from asr_models_testing import SAMPLE_RATE, ctc_config, write_tone

from nemo.collections.asr.metrics.wer import word_error_rate
from nemo.collections.asr.models import EncDecCTCModel

CORPUS_SCRIPT = Path(__file__).resolve().parents[4] / "examples" / "asr" / "make_speech_corpus.py"
SPOKEN = ["yes", "stop now", "go left", "no"]
TIME_LIMIT_S = 50.0


def _spoken_clips(folder: Path) -> list:
    """Four eSpeak NG utterances (the corpus script's synthesizer), 16 kHz."""
    import soxr

    spec = importlib.util.spec_from_file_location("make_speech_corpus_for_overfit", CORPUS_SCRIPT)
    corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus)
    synth, paths = corpus.EspeakSynthesizer(), []
    for idx, text in enumerate(SPOKEN):
        samples = synth.synthesize(text, voice="en-us+m3", rate=170, pitch=50).astype(np.float32) / 32768.0
        audio = soxr.resample(samples, synth.SAMPLE_RATE, SAMPLE_RATE)
        paths.append(folder / f"spoken_{idx}.wav")
        soundfile.write(str(paths[-1]), audio, SAMPLE_RATE, subtype="PCM_16")
    return paths


def _tone_clips(folder: Path) -> list:
    """Four tones of distinct pitch, each labelled with a distinct character."""
    return [write_tone(folder / f"tone_{i}.wav", 0.6, 250.0 + 300.0 * i, seed=i) for i in range(4)]


def _clips(folder: Path) -> tuple:
    if importlib.util.find_spec("espeakng_loader") and importlib.util.find_spec("soxr"):
        return _spoken_clips(folder), SPOKEN
    return _tone_clips(folder), ["a", "b", "c", "d"]


def _batch(paths: list) -> tuple:
    clips = [torch.from_numpy(soundfile.read(str(path), dtype="float32")[0]) for path in paths]
    lengths = torch.tensor([len(clip) for clip in clips])
    signal = torch.zeros(len(clips), int(lengths.max()))
    for row, clip in enumerate(clips):
        signal[row, : len(clip)] = clip
    return signal, lengths


def test_tiny_model_overfits_four_clips_to_zero_wer(tmp_path):
    torch.manual_seed(0)
    paths, texts = _clips(tmp_path)
    cfg = ctc_config()
    cfg.pop("spec_augment")  # memorizing, not generalizing
    cfg["preprocessor"]["features"] = 32
    cfg["encoder"]["feat_in"] = 32
    model = EncDecCTCModel(cfg=cfg)
    signal, lengths = _batch(paths)
    labels = model.decoder.vocabulary
    targets = torch.zeros(len(texts), max(len(t) for t in texts), dtype=torch.long)
    for row, text in enumerate(texts):
        targets[row, : len(text)] = torch.tensor([labels.index(c) for c in text])
    target_lengths = torch.tensor([len(t) for t in texts])
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

    start, steps, hypotheses = time.monotonic(), 0, []
    while time.monotonic() - start < TIME_LIMIT_S:
        model.train()
        log_probs, encoded_len, _ = model(input_signal=signal, input_signal_length=lengths)
        loss = model.loss(
            log_probs=log_probs, targets=targets, input_lengths=encoded_len, target_lengths=target_lengths
        )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        steps += 1
        if steps % 25 == 0:
            hypotheses = model.transcribe([str(p) for p in paths], batch_size=4)
            if hypotheses == texts:
                break
    assert word_error_rate(hypotheses, texts) == 0.0, f"after {steps} steps: {hypotheses} != {texts}"
