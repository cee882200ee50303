"""Text-to-speech synthesis speed on CPU: real-time factor of FastPitch + Griffin-Lim and FastPitch + HiFi-GAN.

Builds a randomly initialized ``FastPitchModel`` of the example config (``examples/tts/conf/fastpitch.yaml``, 6+6
384-wide FFT layers, phoneme input) and, when the collection has it, a ``HifiGanModel`` of
``examples/tts/conf/hifigan/hifigan.yaml`` with generator ``--hifigan-generator`` (v1 by default). No training: speed
does not depend on the weights, except through the durations FastPitch predicts, so every token is made to last
``--frames-per-token`` frames (6 frames = 70 ms at hop 256, about the phoneme rate of read English). Each sentence of
``SENTENCES`` goes through the two calls ``SpectrogramVocoderPipeline.convert_text_to_waveform`` makes
(``generate_spectrogram``, then ``convert_spectrogram_to_audio``; batch 1); the real-time
factor is synthesis seconds / audio seconds (median of ``--repeats`` passes over all sentences after a one-sentence
warm-up; below 1 is faster than real time), also split into spectrogram generation and vocoding. Timings are only
comparable on the same machine at the same load (``torch_threads`` and the 1-minute load average are reported).

    python benchmarks/tts_synthesis.py
    python benchmarks/tts_synthesis.py --config fastpitch_small --hifigan-generator v3 --threads 1

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import time
from pathlib import Path
from typing import Any, Dict, List

import torch
from omegaconf import OmegaConf

CONF = Path(__file__).resolve().parents[1] / "examples" / "tts" / "conf"
SENTENCES = (
    "The quick brown fox jumps over the lazy dog.",
    "Please call Stella and ask her to bring these things with her from the store.",
    "It was the best of times, it was the worst of times.",
    "Speech synthesis turns written text into natural sounding audio.",
)
_DATA_KEYS = ("train_ds", "validation_ds", "test_ds")


def _model_config(path: Path, extra: Dict[str, Any]) -> Any:
    """The ``model`` node of an example config, data sets dropped (their ``???`` paths are never resolved)."""
    cfg = OmegaConf.load(path)
    for key, value in extra.items():
        OmegaConf.update(cfg, key, value, merge=False)
    for key in _DATA_KEYS:
        cfg.model.pop(key, None)
    cfg.pop("defaults", None)
    return OmegaConf.create(OmegaConf.to_container(cfg, resolve=True)["model"])


def build_fastpitch(config: str, frames_per_token: int) -> Any:
    from nemo.collections.tts.models.fastpitch import FastPitchModel

    cfg = _model_config(CONF / f"{config}.yaml", {})
    cfg.pitch_mean, cfg.pitch_std = cfg.get("pitch_mean") or 150.0, cfg.get("pitch_std") or 40.0
    model = FastPitchModel(cfg=cfg)
    with torch.no_grad():  # fixed durations: the speed of a trained model reading at a natural rate
        model.fastpitch.duration_predictor.fc.weight.zero_()
        model.fastpitch.duration_predictor.fc.bias.fill_(math.log(frames_per_token + 1))
    return model.eval()


def build_hifigan(generator: str) -> Any:
    from nemo.collections.tts.models.hifigan import HifiGanModel

    cfg = _model_config(CONF / "hifigan" / "hifigan.yaml", {"model.generator": None})
    cfg.generator = OmegaConf.load(CONF / "hifigan" / "model" / "generator" / f"{generator}.yaml")
    return HifiGanModel(cfg=cfg).eval()


def measure(pipeline: Any, tokens: List[torch.Tensor], repeats: int) -> Dict[str, float]:
    """RTFs of the pipeline's two stages, sentence by sentence (batch 1), medians over ``repeats`` passes.

    Times the two calls ``SpectrogramVocoderPipeline.convert_text_to_waveform`` makes per sentence (its own
    bookkeeping is negligible), so one pass yields the total and the split. A first sentence runs once as warm-up.
    """
    generator, vocoder = pipeline.spectrogram_generator, pipeline.vocoder
    spec_times, voc_times, audio_s = [], [], 0.0
    with torch.inference_mode():
        vocoder.convert_spectrogram_to_audio(spec=generator.generate_spectrogram(tokens=tokens[0]))  # warm-up
        for _ in range(repeats):
            spec_s = voc_s = audio_s = 0.0
            for sentence in tokens:
                start = time.perf_counter()
                spec = generator.generate_spectrogram(tokens=sentence)
                middle = time.perf_counter()
                audio = vocoder.convert_spectrogram_to_audio(spec=spec)
                spec_s, voc_s = spec_s + middle - start, voc_s + time.perf_counter() - middle
                audio_s += audio.shape[-1] / pipeline.sample_rate
            spec_times.append(spec_s)
            voc_times.append(voc_s)
    spec_s, voc_s = statistics.median(spec_times), statistics.median(voc_times)
    return {
        "audio_s": round(audio_s, 3),
        "rtf": round((spec_s + voc_s) / audio_s, 4),
        "spectrogram_rtf": round(spec_s / audio_s, 4),
        "vocoder_rtf": round(voc_s / audio_s, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="fastpitch", help="FastPitch config name in examples/tts/conf")
    parser.add_argument("--hifigan-generator", default="v1", help="v1, v2, v3 or small (conf/hifigan/model/generator)")
    parser.add_argument("--frames-per-token", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    from nemo.collections.tts.models.pipeline import SpectrogramVocoderPipeline

    torch.manual_seed(0)
    fastpitch = build_fastpitch(args.config, args.frames_per_token)
    tokens = [fastpitch.parse(sentence) for sentence in SENTENCES]
    result: Dict[str, Any] = {
        "benchmark": "tts_synthesis",
        "device": "cpu",
        "torch_threads": torch.get_num_threads(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "fastpitch_config": args.config,
        "fastpitch_params": sum(p.numel() for p in fastpitch.parameters()),
        "sentences": len(SENTENCES),
        "tokens": sum(t.shape[1] for t in tokens),
        "frames_per_token": args.frames_per_token,
    }
    griffin_lim = SpectrogramVocoderPipeline.with_griffin_lim(fastpitch)
    result["griffin_lim_iters"] = griffin_lim.vocoder.n_iters
    result["griffin_lim"] = measure(griffin_lim, tokens, args.repeats)
    try:
        hifigan = build_hifigan(args.hifigan_generator)
    except ImportError as err:
        result["hifigan"] = None
        result["hifigan_skipped"] = f"HiFi-GAN unavailable: {err}"
    else:
        result["hifigan_generator"] = args.hifigan_generator
        result["hifigan_generator_params"] = sum(p.numel() for p in hifigan.generator.parameters())
        result["hifigan"] = measure(SpectrogramVocoderPipeline.from_models(fastpitch, hifigan), tokens, args.repeats)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
