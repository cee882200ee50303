"""A tiny CTC model memorizes four clips within a fixed, seeded step budget: the CTC loss falls a hundredfold and
``transcribe`` gives every transcript exactly (WER 0). The whole training path (features, encoder, CTC loss,
gradients, greedy decoding) learns, not just runs.

Where this was written, the spoken clips were transcribed exactly after 60 steps (the tones after 30), and the loss had
fallen a hundredfold by step 60 and a thousandfold by step 150: the budget of 150 leaves room for other CPUs'
arithmetic.
"""

import importlib.util
from pathlib import Path

import numpy as np
import soundfile
import torch
from asr_models_testing import SAMPLE_RATE, ctc_config, fit_steps, padded_batch, write_tone

from nemo.collections.asr.models import EncDecCTCModel
from nemo.core.testing import examples_dir, load_script, reference_error_rate

SPOKEN = ["yes", "stop now", "go left", "no"]
STEPS = 150
LOSS_FALL = 100.0


def _spoken_clips(folder: Path) -> list:
    """Four eSpeak NG utterances (the corpus script's synthesizer), 16 kHz."""
    import soxr

    corpus = load_script(examples_dir("asr", "make_speech_corpus.py"))
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


def test_tiny_model_overfits_four_clips_to_zero_wer_in_a_fixed_step_budget(tmp_path):
    torch.manual_seed(0)
    paths, texts = _clips(tmp_path)
    cfg = ctc_config()
    cfg.pop("spec_augment")  # memorizing, not generalizing
    cfg["preprocessor"]["features"] = 32
    cfg["encoder"]["feat_in"] = 32
    model = EncDecCTCModel(cfg=cfg)
    signal, lengths, targets, target_lengths = padded_batch(paths, texts, model.decoder.vocabulary)

    def batch_loss():
        log_probs, encoded_len, _ = model(input_signal=signal, input_signal_length=lengths)
        return model.loss(
            log_probs=log_probs, targets=targets, input_lengths=encoded_len, target_lengths=target_lengths
        )

    losses = fit_steps(model, batch_loss, STEPS, lr=3e-3)
    hypotheses = model.transcribe([str(p) for p in paths], batch_size=4)
    assert losses[-1] < losses[0] / LOSS_FALL, f"loss {losses[0]:.3f} -> {losses[-1]:.3f} in {STEPS} steps"
    assert reference_error_rate(hypotheses, texts) == 0.0, f"after {STEPS} steps: {hypotheses} != {texts}"
