"""Tiny randomly initialized TTS models (milliseconds to build and run) for the pipeline and example-script tests
(imported by name: tests/ is on sys.path)."""

import math
from typing import Any, Dict

from omegaconf import OmegaConf

MEL = {"sample_rate": 22050, "n_fft": 1024, "win_length": 1024, "hop_length": 256, "fmin": 0, "fmax": 8000}


def tiny_fastpitch_config(width: int = 16, heads: int = 1) -> Dict[str, Any]:
    """A FastPitch (NeMo's config nodes) with one ``width``-wide transformer layer per stack and the character
    tokenizer (no eSpeak needed)."""
    modules = "nemo.collections.tts.modules"
    fft = {"n_layer": 1, "n_head": heads, "d_model": width, "d_head": width // heads, "d_inner": 2 * width,
           "kernel_size": 3, "dropout": 0.0, "dropatt": 0.0}  # fmt: skip
    predictor = {"_target_": f"{modules}.fastpitch.TemporalPredictor", "input_size": width, "filter_size": width,
                 "kernel_size": 3, "dropout": 0.0, "n_layers": 1}  # fmt: skip
    preprocessor = {"_target_": "nemo.collections.tts.parts.preprocessor.AudioToMelSpectrogramPreprocessor",
                    "sample_rate": 22050, "n_window_size": 1024, "n_window_stride": 256, "window_size": None,
                    "window_stride": None, "n_fft": 1024, "features": 80, "lowfreq": 0, "highfreq": 8000,
                    "normalize": None, "preemph": None, "dither": 0.0, "pad_to": 1, "mag_power": 1.0}  # fmt: skip
    return {
        **MEL,
        "n_mel_channels": 80,
        "symbols_embedding_dim": width,
        "pitch_mean": 150.0,
        "pitch_std": 40.0,
        "text_tokenizer": {"_target_": "nemo.collections.tts.parts.text.tokenizers.EnglishCharsTokenizer"},
        "preprocessor": preprocessor,
        "input_fft": {"_target_": f"{modules}.transformer.FFTransformerEncoder", **fft},
        "output_fft": {"_target_": f"{modules}.transformer.FFTransformerDecoder", **fft},
        "duration_predictor": predictor,
        "pitch_predictor": predictor,
        "alignment_module": {
            "_target_": f"{modules}.aligner.AlignmentEncoder",
            "n_text_channels": width,
            "n_att_channels": width,
        },  # fmt: skip
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
