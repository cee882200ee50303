"""``GriffinLimModel``: a training-free vocoder, log-mel -> linear magnitude -> waveform by phase reconstruction.

NeMo v1 lists Griffin-Lim as a linear-spectrogram vocoder; this one also takes log-mels (``Vocoder`` interface), so
any spectrogram generator can be heard without training a neural vocoder. The mel inversion is non-negative least
squares (multiplicative updates from the clamped pseudo-inverse, as librosa's ``mel_to_stft`` solves with NNLS),
then "fast" Griffin-Lim with momentum (Perraudin et al., 2013) from a seeded random phase, so output is
deterministic. Config keys: the mel settings of ``parts.mel.MelSpectrogram`` plus ``n_iters`` (default 48),
``power`` (magnitude exponent before phase reconstruction, default 1.2: sharpens harmonics), ``momentum`` (0.99),
``nnls_iters`` (default 30; 0 = pseudo-inverse only) and ``seed``.
"""

from typing import Any, Dict, List, Optional, Union

import torch
from omegaconf import DictConfig

from nemo.collections.tts.models.base import Vocoder
from nemo.collections.tts.parts.mel import MelSpectrogram
from nemo.core.classes.model import PretrainedModelInfo
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import AudioSignal, MelSpectrogramType, NeuralType, SpectrogramType

__all__ = ["GriffinLimModel"]

_MEL_KEYS = ("sample_rate", "n_fft", "win_length", "hop_length", "n_mels", "fmin", "fmax", "mag_power")


class GriffinLimModel(Vocoder):
    """Griffin-Lim phase reconstruction of (log-)mel or linear spectrograms; nothing to train."""

    def __init__(self, cfg: Union[DictConfig, Dict[str, Any]], trainer: Optional[Any] = None) -> None:
        super().__init__(cfg=cfg, trainer=trainer)
        mel_args = {key: self._cfg[key] for key in _MEL_KEYS if self._cfg.get(key) is not None}
        self.mel = MelSpectrogram(**mel_args)
        self.n_iters = int(self._cfg.get("n_iters", 48))
        self.power = float(self._cfg.get("power", 1.2))
        self.momentum = float(self._cfg.get("momentum", 0.99))
        self.nnls_iters = int(self._cfg.get("nnls_iters", 30))
        self.seed = int(self._cfg.get("seed", 0))
        if self.n_iters < 0 or self.nnls_iters < 0 or self.power <= 0 or not 0 <= self.momentum < 1:
            raise ValueError(
                f"GriffinLimModel: need n_iters >= 0, nnls_iters >= 0, power > 0 and 0 <= momentum < 1, got "
                f"n_iters={self.n_iters}, nnls_iters={self.nnls_iters}, power={self.power}, momentum={self.momentum}"
            )
        self.reset_buffers()

    def reset_buffers(self) -> None:
        """(Re)compute the filterbank's pseudo-inverse from ``self.mel`` (not saved); a model built on the meta device
        calls it once its weights are assigned (``nemo.core.classes.restore.build_with_weights``)."""
        self.register_buffer("mel_pinv", torch.linalg.pinv(self.mel.mel_basis), persistent=False)

    @classmethod
    def list_available_models(cls) -> List[PretrainedModelInfo]:
        """None: Griffin-Lim has no weights to publish."""
        return []

    def setup_training_data(self, train_data_config: Any) -> None:
        """Nothing to train."""

    def setup_validation_data(self, val_data_config: Any) -> None:
        """Nothing to validate."""

    # ----------------------------------------------------------------------------------------------- inversion
    def convert_mel_spectrogram_to_linear(self, spec: torch.Tensor) -> torch.Tensor:
        """Non-negative linear magnitudes ``[B, n_fft // 2 + 1, T]`` whose mel projection best matches ``exp(spec)``."""
        mel = torch.exp(spec.float())
        if self.mel.mag_power != 1.0:
            mel = mel.pow(1.0 / self.mel.mag_power)
        basis = self.mel.mel_basis
        linear = torch.clamp(torch.matmul(self.mel_pinv, mel), min=1e-8)
        gram = basis.t() @ basis
        target = basis.t() @ mel
        for _ in range(self.nnls_iters):  # Lee-Seung multiplicative updates keep the solution non-negative
            # the floor keeps values out of float32's denormal range, where CPU arithmetic is ~100x slower
            linear = torch.clamp(linear * target / (torch.matmul(gram, linear) + 1e-10), min=1e-8)
        return linear

    def _stft(self, audio: torch.Tensor) -> torch.Tensor:
        mel = self.mel
        return torch.stft(audio, mel.n_fft, mel.hop_length, mel.win_length, mel.window, center=True,
                          pad_mode="constant", return_complex=True)  # fmt: skip

    def _istft(self, spec: torch.Tensor, length: int) -> torch.Tensor:
        mel = self.mel
        return torch.istft(spec, mel.n_fft, mel.hop_length, mel.win_length, mel.window, center=True, length=length)

    def griffin_lim(self, magnitude: torch.Tensor) -> torch.Tensor:
        """Waveforms ``[B, (T - 1) * hop]`` whose STFT magnitude approximates ``magnitude`` ``[B, F, T]``."""
        magnitude = torch.clamp(magnitude.float(), min=1e-8).pow(self.power)  # no denormals (slow on CPU)
        length = (magnitude.shape[-1] - 1) * self.mel.hop_length
        generator = torch.Generator(device="cpu").manual_seed(self.seed)
        phase = torch.rand(magnitude.shape, generator=generator).to(magnitude.device) * (2 * torch.pi)
        angles = torch.polar(torch.ones_like(magnitude), phase)
        rebuilt = torch.zeros_like(angles)
        for _ in range(self.n_iters):
            previous = rebuilt
            rebuilt = self._stft(self._istft(magnitude * angles, length))
            angles = rebuilt - (self.momentum / (1 + self.momentum)) * previous
            angles = angles / (angles.abs() + 1e-16)
        return self._istft(magnitude * angles, length)

    # ------------------------------------------------------------------------------------------------ interface
    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return {"spec": NeuralType(("B", "D", "T"), MelSpectrogramType())}

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return {"audio": NeuralType(("B", "T"), AudioSignal(freq=self.mel.sample_rate))}

    @typecheck()
    def forward(self, *, spec: torch.Tensor) -> torch.Tensor:
        """Waveforms of log-mel spectrograms ``[B, n_mels, T]``."""
        with torch.no_grad():
            return self.griffin_lim(self.convert_mel_spectrogram_to_linear(spec))

    def convert_spectrogram_to_audio(self, spec: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        """Waveforms ``[B, (T - 1) * hop_length]`` of log-mel spectrograms ``[B, n_mels, T]``."""
        if spec.dim() != 3 or spec.shape[1] != self.mel.n_mels:
            raise ValueError(
                f"GriffinLimModel expects log-mels [B, {self.mel.n_mels}, T], got shape {tuple(spec.shape)}"
            )
        return self(spec=spec)

    @typecheck(
        input_types={"spec": NeuralType(("B", "D", "T"), SpectrogramType())},
        output_types={"audio": NeuralType(("B", "T"), AudioSignal())},
    )
    def convert_linear_spectrogram_to_audio(self, *, spec: torch.Tensor) -> torch.Tensor:
        """Waveforms of linear magnitude spectrograms ``[B, n_fft // 2 + 1, T]`` (``|STFT| ** mag_power``)."""
        with torch.no_grad():
            magnitude = spec.float() if self.mel.mag_power == 1.0 else spec.float().pow(1.0 / self.mel.mag_power)
            return self.griffin_lim(magnitude)
