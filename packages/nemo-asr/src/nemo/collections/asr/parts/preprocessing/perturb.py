"""Waveform augmentation for training datasets (NeMo's ``perturb``): speed, gain, time shift and white noise.

``process_augmentations({"gain": {"prob": 0.5, "min_gain_dbfs": -6, "max_gain_dbfs": 6}, ...})`` builds an
``AudioAugmentor`` from a data config's ``augmentor`` node; each entry needs ``prob`` (the chance it is applied to an
utterance). Perturbations change ``AudioSegment.samples`` in place.
"""

import random
from typing import Any, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from nemo.collections.asr.parts.preprocessing.segment import AudioSegment
from nemo.collections.common.data.audio import resample

__all__ = [
    "Perturbation",
    "SpeedPerturbation",
    "GainPerturbation",
    "ShiftPerturbation",
    "WhiteNoisePerturbation",
    "AudioAugmentor",
    "perturbation_types",
    "process_augmentations",
]

RngLike = Union[None, int, random.Random]


def _rng(rng: RngLike) -> random.Random:
    return rng if isinstance(rng, random.Random) else random.Random(rng)


class Perturbation:
    """One random change of an ``AudioSegment``."""

    def perturb(self, data: AudioSegment) -> None:
        raise NotImplementedError


class SpeedPerturbation(Perturbation):
    """Play faster or slower (pitch changes too) by one of ``num_rates`` rates in [min, max] (or any rate if < 1)."""

    def __init__(
        self, min_speed_rate: float = 0.9, max_speed_rate: float = 1.1, num_rates: int = 5, rng: RngLike = None
    ) -> None:
        if not 0 < min_speed_rate <= max_speed_rate:
            raise ValueError(f"SpeedPerturbation: need 0 < min_speed_rate <= max_speed_rate, got "
                             f"{min_speed_rate}, {max_speed_rate}")  # fmt: skip
        self._rates = np.linspace(min_speed_rate, max_speed_rate, num_rates).tolist() if num_rates > 0 else None
        self._min, self._max = min_speed_rate, max_speed_rate
        self._rng = _rng(rng)

    def perturb(self, data: AudioSegment) -> None:
        rate = self._rng.choice(self._rates) if self._rates else self._rng.uniform(self._min, self._max)
        if rate == 1.0 or data.num_samples == 0:
            return
        data.samples = resample(data.samples, data.sample_rate * rate, data.sample_rate)


class GainPerturbation(Perturbation):
    """Scale by a gain drawn uniformly in [min_gain_dbfs, max_gain_dbfs] dB."""

    def __init__(self, min_gain_dbfs: float = -10.0, max_gain_dbfs: float = 10.0, rng: RngLike = None) -> None:
        self._min, self._max = min_gain_dbfs, max_gain_dbfs
        self._rng = _rng(rng)

    def perturb(self, data: AudioSegment) -> None:
        data.samples = data.samples * 10.0 ** (self._rng.uniform(self._min, self._max) / 20.0)


class ShiftPerturbation(Perturbation):
    """Shift in time by [min_shift_ms, max_shift_ms] (positive: earlier), zero-filling the vacated end."""

    def __init__(self, min_shift_ms: float = -5.0, max_shift_ms: float = 5.0, rng: RngLike = None) -> None:
        self._min, self._max = min_shift_ms, max_shift_ms
        self._rng = _rng(rng)

    def perturb(self, data: AudioSegment) -> None:
        shift = int(self._rng.uniform(self._min, self._max) * data.sample_rate / 1000)
        if shift == 0 or abs(shift) >= data.num_samples:
            return
        shifted = np.zeros_like(data.samples)
        if shift > 0:
            shifted[:-shift] = data.samples[shift:]
        else:
            shifted[-shift:] = data.samples[:shift]
        data.samples = shifted


class WhiteNoisePerturbation(Perturbation):
    """Add Gaussian noise at a level drawn uniformly in [min_level, max_level] dBFS."""

    def __init__(self, min_level: float = -90.0, max_level: float = -46.0, rng: RngLike = None) -> None:
        self._min, self._max = min_level, max_level
        self._rng = _rng(rng)

    def perturb(self, data: AudioSegment) -> None:
        level = self._rng.uniform(self._min, self._max)
        noise = np.random.default_rng(self._rng.getrandbits(64)).standard_normal(data.num_samples)
        data.samples = data.samples + (noise * 10.0 ** (level / 20.0)).astype(np.float32)


perturbation_types = {
    "speed": SpeedPerturbation,
    "gain": GainPerturbation,
    "shift": ShiftPerturbation,
    "white_noise": WhiteNoisePerturbation,
}


class AudioAugmentor:
    """Applies each ``(probability, perturbation)`` pair in order, each with its own probability."""

    def __init__(
        self, perturbations: Optional[Sequence[Tuple[float, Perturbation]]] = None, rng: RngLike = None
    ) -> None:
        self._perturbations: List[Tuple[float, Perturbation]] = list(perturbations or [])
        self._rng = _rng(rng)

    def perturb(self, segment: AudioSegment) -> AudioSegment:
        for prob, perturbation in self._perturbations:
            if self._rng.random() < prob:
                perturbation.perturb(segment)
        return segment


def process_augmentations(augmenter: Any) -> Optional[AudioAugmentor]:
    """An ``AudioAugmentor`` from a config mapping ``{name: {prob, **kwargs}}`` (an augmentor is returned as is)."""
    if augmenter is None or isinstance(augmenter, AudioAugmentor):
        return augmenter
    if not isinstance(augmenter, Mapping):
        raise ValueError(f"augmentor config must be a mapping of perturbation name to settings, got {augmenter!r}")
    perturbations = []
    for name, settings in augmenter.items():
        if name not in perturbation_types:
            raise ValueError(f"augmentor.{name}: unknown perturbation; expected one of {sorted(perturbation_types)}")
        kwargs = dict(settings or {})
        prob = kwargs.pop("prob", None)
        if prob is None or not 0.0 <= float(prob) <= 1.0:
            raise ValueError(f"augmentor.{name}.prob must be a probability in [0, 1], got {prob!r}")
        try:
            perturbations.append((float(prob), perturbation_types[name](**kwargs)))
        except TypeError as err:
            raise ValueError(f"augmentor.{name}: {err}") from err
    return AudioAugmentor(perturbations)
