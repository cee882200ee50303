"""Synthesize one sentence to a WAV file with a spectrogram generator and a vocoder saved as ``.nemo`` files.

    python examples/tts/tts_infer.py spec_model=FastPitch.nemo vocoder=griffin_lim text="Hello world." out=hello.wav
    python examples/tts/tts_infer.py spec_model=Tacotron2.nemo vocoder=HifiGan.nemo text="Good morning." out=a.wav \
        save_pipeline=tacotron2_hifigan.nemo
    python examples/tts/tts_infer.py pipeline=tacotron2_hifigan.nemo text="Good evening." out=b.wav
    python examples/tts/tts_infer.py spec_model=packages/nemo-tts/tests/interop/archives/fastpitch.nemo \
        vocoder=packages/nemo-tts/tests/interop/archives/hifigan.nemo text="hello from nemo." out=c.wav

The last pair is archives NVIDIA NeMo 3.0 wrote (tiny random weights: the audio is noise, but it is NeMo's noise,
sample for sample); NeMo's own FastPitch and HiFi-GAN ``.nemo`` files are used the same way.

``key=value`` arguments (the fields of ``TTSInferConfig`` below; everything after the first ``=`` is the value, so
a ``text`` may hold commas, quotes and ``=`` — unlike Hydra overrides, which would need extra quoting):

* ``spec_model``: ``.nemo`` of a ``SpectrogramGenerator`` (FastPitch, Tacotron 2, ...);
* ``vocoder``: ``.nemo`` of a ``Vocoder`` (HiFi-GAN, ...) or ``griffin_lim`` (default; built from the generator's
  mel settings, nothing to train; ``griffin_lim_iters`` sets its iterations);
* ``pipeline``: instead of the two above, a ``.nemo`` written by ``save_pipeline`` (a ``SpectrogramVocoderPipeline``
  holding both models);
* ``text`` (required; normalized by the model: numbers, abbreviations...), ``out`` (default ``tts_output.wav``; mono
  PCM-16 at the models' sample rate, written atomically), ``pace`` (FastPitch speed factor), ``seed`` (Tacotron 2's
  prenet dropout is random at inference too), ``cuda`` (default: a GPU when there is one).

Prints the output path, the audio duration, the synthesis time and the time per second of audio (the real-time
factor: below 1 is faster than real time).
"""

import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional, Sequence

import numpy as np
import torch
from omegaconf import MISSING, OmegaConf

from nemo.collections.tts.models.base import SpectrogramGenerator, TextToWaveform, Vocoder
from nemo.collections.tts.models.pipeline import SpectrogramVocoderPipeline
from nemo.utils import logging

__all__ = ["TTSInferConfig", "GRIFFIN_LIM", "parse_arguments", "load_pipeline", "synthesize", "write_wav", "main"]

GRIFFIN_LIM = "griffin_lim"


@dataclass
class TTSInferConfig:
    text: str = MISSING
    spec_model: Optional[str] = None  # .nemo of a SpectrogramGenerator
    vocoder: str = GRIFFIN_LIM  # .nemo of a Vocoder, or "griffin_lim"
    pipeline: Optional[str] = None  # .nemo of a SpectrogramVocoderPipeline (instead of spec_model + vocoder)
    out: str = "tts_output.wav"
    pace: Optional[float] = None  # FastPitch: > 1 speaks faster
    griffin_lim_iters: Optional[int] = None
    save_pipeline: Optional[str] = None  # also save spec_model + vocoder as one .nemo here
    seed: int = 0
    cuda: Optional[bool] = None


def _device(cuda: Optional[bool]) -> torch.device:
    use_cuda = torch.cuda.is_available() if cuda is None else bool(cuda)
    if use_cuda and not torch.cuda.is_available():
        raise ValueError("cuda=true was given, but no CUDA device is available")
    return torch.device("cuda" if use_cuda else "cpu")


def _existing(path: str, key: str) -> str:
    if not Path(path).is_file():
        raise FileNotFoundError(f"{key}={path}: no such .nemo file")
    return path


def load_pipeline(
    spec_model: Optional[str] = None,
    vocoder: str = GRIFFIN_LIM,
    pipeline: Optional[str] = None,
    device: Optional[torch.device] = None,
    griffin_lim_iters: Optional[int] = None,
) -> SpectrogramVocoderPipeline:
    """A pipeline in eval mode from ``pipeline``, or from ``spec_model`` and ``vocoder`` (a path or ``griffin_lim``)."""
    device = device or torch.device("cpu")
    if (spec_model is None) == (pipeline is None):
        raise ValueError("Give exactly one of spec_model=<generator .nemo> and pipeline=<pipeline .nemo>")
    if pipeline is not None:
        model = TextToWaveform.restore_from(_existing(pipeline, "pipeline"), map_location=device)
        if not isinstance(model, SpectrogramVocoderPipeline):
            raise ValueError(f"pipeline={pipeline} holds a {type(model).__name__}, not a SpectrogramVocoderPipeline")
        return model.eval()
    generator = SpectrogramGenerator.restore_from(_existing(spec_model, "spec_model"), map_location=device)
    if vocoder == GRIFFIN_LIM:
        extra = {} if griffin_lim_iters is None else {"n_iters": int(griffin_lim_iters)}
        model = SpectrogramVocoderPipeline.with_griffin_lim(generator, **extra)
    else:
        voice = Vocoder.restore_from(_existing(vocoder, "vocoder"), map_location=device)
        model = SpectrogramVocoderPipeline.from_models(generator, voice)
    return model.to(device).eval()


def synthesize(model: SpectrogramVocoderPipeline, text: str, **generator_kwargs: Any) -> np.ndarray:
    """Float32 samples of ``text`` at ``model.sample_rate``."""
    tokens = model.parse(text)
    return model.convert_text_to_waveform(tokens=tokens, **generator_kwargs)[0].float().cpu().numpy()


def write_wav(path: str, audio: np.ndarray, sample_rate: int) -> None:
    """Mono PCM-16 WAV, clipped to [-1, 1], moved into place only once complete."""
    import soundfile

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}-", suffix=".wav")
    os.close(handle)
    try:
        soundfile.write(temporary, np.clip(audio, -1.0, 1.0), sample_rate, subtype="PCM_16")
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def parse_arguments(argv: Sequence[str]) -> TTSInferConfig:
    """``key=value`` items into a typed ``TTSInferConfig`` (errors name the key, the expected type and the value)."""
    if any(item in ("-h", "--help") for item in argv):
        print(__doc__)
        raise SystemExit(0)
    schema = OmegaConf.structured(TTSInferConfig)
    fields = list(TTSInferConfig.__dataclass_fields__)
    values: Dict[str, str] = {}
    for item in argv:
        key, separator, value = item.partition("=")
        if not separator or key not in fields:
            known = ", ".join(fields)
            raise SystemExit(f"tts_infer.py: expected key=value with a key among {known}; got {item!r}")
        values[key] = value
    try:
        cfg = OmegaConf.merge(schema, {k: (None if v.lower() in ("null", "none") else v) for k, v in values.items()})
    except Exception as err:  # omegaconf's ValidationError names the key, its type and the value
        raise SystemExit(f"tts_infer.py: {err}") from err
    missing = sorted(OmegaConf.missing_keys(cfg))
    if missing:
        raise SystemExit(f"tts_infer.py: missing required argument(s): {', '.join(f'{k}=...' for k in missing)}")
    return OmegaConf.to_object(cfg)


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    cfg = parse_arguments(sys.argv[1:] if argv is None else argv)
    if not str(cfg.text).strip():
        raise ValueError('text="..." must hold something to say')
    torch.manual_seed(cfg.seed)
    model = load_pipeline(cfg.spec_model, cfg.vocoder, cfg.pipeline, _device(cfg.cuda), cfg.griffin_lim_iters)
    if cfg.save_pipeline:
        model.save_to(cfg.save_pipeline)
        logging.info(f"Saved the pipeline to {cfg.save_pipeline}")
    generator_kwargs = {} if cfg.pace is None else {"pace": float(cfg.pace)}
    start = time.perf_counter()
    audio = synthesize(model, cfg.text, **generator_kwargs)
    seconds = time.perf_counter() - start
    write_wav(cfg.out, audio, model.sample_rate)
    duration = len(audio) / model.sample_rate
    per_second = seconds / duration if duration > 0 else float("inf")
    print(
        f"{cfg.out}: {duration:.2f} s of audio at {model.sample_rate} Hz, synthesized in {seconds:.2f} s "
        f"({per_second:.3f} s per second of audio)"
    )
    return {"out": cfg.out, "duration": duration, "sample_rate": model.sample_rate, "seconds": seconds,
            "seconds_per_audio_second": per_second}  # fmt: skip


if __name__ == "__main__":
    main()
