"""Write NVIDIA NeMo's ASR/TTS front-end features for fixed inputs, as goldens for nemo-asr's feature tests.

Run it with a Python that has NVIDIA's ``nemo_toolkit`` installed, never ours (the two share the ``nemo`` package name,
so this script must stay out of our packages and their environments)::

    python3.11 -m venv /work/nemo-ref
    /work/nemo-ref/bin/pip install "torch==2.13.0+cpu" "nemo_toolkit[asr]==3.0.0"
    /work/nemo-ref/bin/python tools/write_feature_goldens.py \
        packages/nemo-asr/tests/parts/goldens/nemo_feature_goldens.npz \
        --tts-out packages/nemo-tts/tests/parts/goldens/nemo_tts_mel_goldens.npz

The output holds the input audio (int16, so both sides read the very same samples), and for every config in
``CONFIGS`` the features and lengths NeMo returned, plus the configs themselves as JSON; ``--tts-out`` writes the same
for the ``tts_*`` configs only (nemo-tts's tests, which must not reach into nemo-asr's folder). Dither is 0 everywhere so
the features are deterministic; narrow-band augmentation runs in training mode with probability 1 for the same reason.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent / "interop"))
from families import TTS_FRONT_END  # noqa: E402  (imports no nemo: safe in NeMo's environment)

SAMPLE_RATE = 16000
LENGTHS = [4800, 3361, 1600]  # a multiple of the hop (160), a non-multiple, a short one

_ASR = {"dither": 0.0}
_TTS = TTS_FRONT_END  # NeMo's FastPitch/HiFi-GAN front end, shared with the interop families
_TTS_MEL = {**_TTS, "features": 80, "window_size": None, "window_stride": None}
_TTS_FB = {**_TTS, "nfilt": 80}

# name -> (module: "mel" AudioToMelSpectrogramPreprocessor | "fb" FilterbankFeatures | "mfcc", kwargs, extras)
CONFIGS: Dict[str, Dict[str, Any]] = {
    "default": {"module": "mel", "kwargs": {**_ASR}},
    "exact_pad": {"module": "mel", "kwargs": {**_ASR, "exact_pad": True}},
    "pad_to_0_pad_value": {"module": "mel", "kwargs": {**_ASR, "pad_to": 0, "pad_value": -3.5}},
    "pad_to_5": {"module": "mel", "kwargs": {**_ASR, "pad_to": 5, "normalize": None}},
    "all_features": {"module": "mel", "kwargs": {**_ASR, "normalize": "all_features"}},
    "normalize_none": {"module": "mel", "kwargs": {**_ASR, "normalize": None}},
    "no_log": {"module": "mel", "kwargs": {**_ASR, "log": False, "normalize": None}},
    "mag_power_1": {"module": "mel", "kwargs": {**_ASR, "mag_power": 1.0}},
    "clamp_tiny": {
        "module": "mel",
        "kwargs": {**_ASR, "log_zero_guard_type": "clamp", "log_zero_guard_value": "tiny", "normalize": None},
    },
    "add_eps": {"module": "mel", "kwargs": {**_ASR, "log_zero_guard_value": "eps", "normalize": None}},
    "no_preemph": {"module": "mel", "kwargs": {**_ASR, "preemph": None}},
    "window_400_hamming_mel_norm_none": {
        "module": "mel",
        "kwargs": {
            **_ASR,
            "window_size": None,
            "window_stride": None,
            "n_window_size": 400,
            "n_window_stride": 160,
            "n_fft": 512,
            "window": "hamming",
            "features": 40,
            "lowfreq": 20,
            "highfreq": 7600,
            "mel_norm": None,
        },
    },
    "exact_pad_n_fft_320": {
        "module": "mel",
        "kwargs": {**_ASR, "n_fft": 320, "exact_pad": True, "features": 32, "normalize": "all_features"},
    },
    "nb_augmentation": {
        "module": "mel",
        "kwargs": {**_ASR, "n_fft": 512, "nb_augmentation_prob": 1.0, "nb_max_freq": 4000},
        "train": True,
    },
    "edge_lengths": {"module": "mel", "kwargs": {**_ASR}, "lengths": [4800, 160, 1]},
    "tts_fastpitch": {
        "module": "mel",
        "kwargs": {**_TTS_MEL, "pad_to": 1, "pad_value": 0, "log_zero_guard_type": "add", "log_zero_guard_value": 1e-5},
    },
    "tts_hifigan": {
        "module": "fb",
        "kwargs": {
            **_TTS_FB,
            "pad_to": 0,
            "pad_value": -11.52,
            "log_zero_guard_type": "clamp",
            "log_zero_guard_value": 1e-5,
            "exact_pad": True,
            "use_grads": False,
        },
    },
    "tts_hifigan_target": {  # HifiGanModel's trg_melspec_fn: highfreq=None, use_grads=True
        "module": "fb",
        "kwargs": {
            **_TTS_FB,
            "highfreq": None,
            "pad_to": 0,
            "pad_value": -11.52,
            "log_zero_guard_type": "clamp",
            "log_zero_guard_value": 1e-5,
            "exact_pad": True,
            "use_grads": True,
        },
    },
    "mfcc": {"module": "mfcc", "kwargs": {"n_mels": 40, "n_mfcc": 20}},
    "mfcc_db": {"module": "mfcc", "kwargs": {"n_mels": 40, "n_mfcc": 13, "log": False, "norm": None}},
}


def make_audio() -> np.ndarray:
    """``(3, 4800)`` int16: harmonic tones with vibrato plus noise; zeros past each length and in a silent lead-in."""
    rng = np.random.default_rng(20240614)
    t = np.arange(max(LENGTHS)) / SAMPLE_RATE
    rows = []
    for row, (f0, amp) in enumerate([(110.0, 0.3), (185.0, 0.2), (240.0, 0.5)]):
        phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.02 * np.sin(2 * np.pi * 5 * t))) / SAMPLE_RATE
        tone = sum(np.sin(k * phase) / k for k in range(1, 12))
        y = amp * tone / 3 + 0.01 * rng.standard_normal(t.size)
        y[LENGTHS[row] :] = 0.0
        if row == 2:
            y[:400] = 0.0  # digital silence: exercises the log zero guard
        rows.append(np.round(np.clip(y, -1, 1) * 32767).astype(np.int16))
    return np.stack(rows)


def build(module: str, kwargs: Dict[str, Any]) -> torch.nn.Module:
    if module == "mel":
        from nemo.collections.asr.modules import AudioToMelSpectrogramPreprocessor

        return AudioToMelSpectrogramPreprocessor(**kwargs)
    if module == "fb":
        from nemo.collections.asr.parts.preprocessing.features import FilterbankFeatures

        return FilterbankFeatures(**kwargs)
    if module == "mfcc":
        from nemo.collections.asr.modules import AudioToMFCCPreprocessor

        return AudioToMFCCPreprocessor(**kwargs)
    raise ValueError(module)


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="the .npz to write")
    parser.add_argument("--tts-out", help="also write the audio and the tts_* configs' goldens here")
    args = parser.parse_args(argv)

    import nemo

    torch.manual_seed(0)
    audio_i16 = make_audio()
    audio = torch.from_numpy(audio_i16.astype(np.float32) / 32768.0)
    arrays: Dict[str, np.ndarray] = {"audio_int16": audio_i16}
    for name, spec in CONFIGS.items():
        lengths = torch.tensor(spec.get("lengths", LENGTHS), dtype=torch.long)
        module = build(spec["module"], spec["kwargs"])
        module.train(bool(spec.get("train", False)))
        if spec["module"] == "fb":
            feats, feat_len = module(audio.clone(), lengths)
        else:
            feats, feat_len = module(input_signal=audio.clone(), length=lengths)
        arrays[f"{name}__features"] = feats.detach().numpy().astype(np.float32)
        arrays[f"{name}__lengths"] = feat_len.numpy().astype(np.int64)
        print(f"{name:34s} {tuple(feats.shape)} lengths={feat_len.tolist()}")
    meta = {"nemo_toolkit": nemo.__version__, "torch": torch.__version__, "sample_rate": SAMPLE_RATE,
            "lengths": LENGTHS, "configs": CONFIGS}  # fmt: skip
    arrays["meta_json"] = np.array(json.dumps(meta, sort_keys=True))
    np.savez_compressed(args.out, **arrays)
    if args.tts_out:
        tts = {name: spec for name, spec in CONFIGS.items() if name.startswith("tts_")}
        subset = {key: value for key, value in arrays.items() if key.split("__")[0] in tts}
        subset["audio_int16"] = audio_i16
        subset["meta_json"] = np.array(json.dumps({**meta, "configs": tts}, sort_keys=True))
        np.savez_compressed(args.tts_out, **subset)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
