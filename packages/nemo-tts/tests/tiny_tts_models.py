"""Tiny randomly initialized TTS models (milliseconds to build and run) for the pipeline and example-script tests
(imported by name: tests/ is on sys.path)."""

import math
from typing import Any, Dict

from omegaconf import OmegaConf

MEL = {"sample_rate": 22050, "n_fft": 1024, "win_length": 1024, "hop_length": 256, "fmin": 0, "fmax": 8000}


def tiny_fastpitch_config() -> Dict[str, Any]:
    """A FastPitch with one 16-wide transformer layer per stack and the character tokenizer (no eSpeak needed)."""
    fft = {"n_layer": 1, "n_head": 1, "d_model": 16, "d_inner": 32, "dropout": 0.0, "dropatt": 0.0}
    return {
        **MEL,
        "n_mel_channels": 80,
        "pitch_mean": 150.0,
        "pitch_std": 40.0,
        "text_tokenizer": {"_target_": "nemo.collections.tts.parts.text.tokenizers.EnglishCharsTokenizer"},
        "input_fft": fft,
        "output_fft": fft,
        "duration_predictor": {"filter_size": 16, "n_layers": 1},
        "pitch_predictor": {"filter_size": 16, "n_layers": 1},
        "alignment": {"n_att_channels": 16},
        "max_token_duration": 6,
    }


def tiny_fastpitch(frames_per_token: int = 3) -> Any:
    """Seeded random weights, except that every token lasts ``frames_per_token`` frames (a random duration predictor
    may round whole sentences down to a frame or two)."""
    import torch

    from nemo.collections.tts.models.fastpitch import FastPitchModel

    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = FastPitchModel(cfg=OmegaConf.create(tiny_fastpitch_config()))
    duration = model.fastpitch.duration_predictor.fc
    with torch.no_grad():
        duration.weight.zero_()
        duration.bias.fill_(math.log(frames_per_token + 1))  # durations = exp(log_duration) - 1
    return model


def griffin_lim(n_iters: int = 2) -> Any:
    from nemo.collections.tts.models.griffin_lim import GriffinLimModel

    return GriffinLimModel(cfg=OmegaConf.create({**MEL, "n_mels": 80, "n_iters": n_iters, "nnls_iters": 2}))
