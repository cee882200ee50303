"""NVIDIA NeMo's ``FilterbankFeatures`` as the front end of a TTS model restored from a NeMo config or archive.

NeMo's HiFi-GAN (and its other TTS models) name ``nemo.collections.asr.parts.preprocessing.features.FilterbankFeatures``
as their ``preprocessor``, an ASR class that this collection may not import. That class path is registered as a known
rename of ``FilterbankFeatures`` here (``nemo.core.classes.construction.register_renamed_target``), so such configs
build this class, with NeMo's arguments, NeMo's state-dict entries (the ``window`` and ``fb`` buffers, saved with
the weights) and NeMo 3's frame count (one frame fewer than ``MelSpectrogram`` gives: the last STFT frame is
overwritten with ``pad_value``, as NeMo does).

Only the TTS settings of NeMo's class are implemented: ``normalize``, ``preemph`` and ``nb_augmentation_prob`` off,
``frame_splicing`` 1, ``log`` on, a Hann window, slaney mel filters. Other values are refused rather than computed
differently. The samples past each clip's length are zeroed before the STFT (NeMo reads whatever the batch holds
there; for a zero-padded batch both give the same features).
"""

import math
from typing import Optional, Union

import torch

from nemo.collections.tts.parts.mel import MelSpectrogram
from nemo.core.classes.construction import register_renamed_target

__all__ = ["FilterbankFeatures", "NEMO_FILTERBANK_PATH"]

NEMO_FILTERBANK_PATH = "nemo.collections.asr.parts.preprocessing.features.FilterbankFeatures"
_DITHER = 1e-5  # NeMo's default dither (its CONSTANT)


def _guard_value(value: Union[float, str]) -> float:
    if value == "tiny":
        return float(torch.finfo(torch.float32).tiny)
    if value == "eps":
        return float(torch.finfo(torch.float32).eps)
    if isinstance(value, str):
        raise ValueError(f"FilterbankFeatures: log_zero_guard_value must be a number, 'tiny' or 'eps', got {value!r}")
    return float(value)


class FilterbankFeatures(MelSpectrogram):
    """``(audio [B, T], audio_len [B]) -> (log_mel [B, nfilt, frames], mel_len [B])`` with NeMo's arguments.

    The arguments and defaults are NeMo 3's (``normalize``, ``preemph`` and ``pad_to`` default to ASR values, which
    are refused here: TTS configs set ``normalize: null``, ``preemph: null``, ``pad_to: 0`` or a multiple).
    ``mel_len`` is NeMo 3's (see ``get_seq_len``); frames from ``mel_len`` on hold ``pad_value``, and ``pad_to > 0``
    pads the frame axis to a multiple with it. ``dither`` adds that much Gaussian noise to the audio in training mode
    only. ``max_duration``, ``rng``, ``nb_max_freq``, ``stft_exact_pad`` and ``stft_conv`` are accepted for NeMo's
    configs and unused.
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        n_window_size: int = 320,
        n_window_stride: int = 160,
        window: Optional[str] = "hann",
        normalize: Optional[str] = "per_feature",
        n_fft: Optional[int] = None,
        preemph: Optional[float] = 0.97,
        nfilt: int = 64,
        lowfreq: float = 0,
        highfreq: Optional[float] = None,
        log: bool = True,
        log_zero_guard_type: str = "add",
        log_zero_guard_value: Union[float, str] = 2**-24,
        dither: float = _DITHER,
        pad_to: int = 16,
        max_duration: float = 16.7,
        frame_splicing: int = 1,
        exact_pad: bool = False,
        pad_value: float = 0,
        mag_power: float = 2.0,
        use_grads: bool = False,
        rng: Optional[object] = None,
        nb_augmentation_prob: float = 0.0,
        nb_max_freq: float = 4000,
        mel_norm: Optional[str] = "slaney",
        stft_exact_pad: bool = False,
        stft_conv: bool = False,
    ) -> None:
        checks = [  # (key, value, refused)
            ("normalize", normalize, normalize is not None),
            ("preemph", preemph, preemph is not None),
            ("frame_splicing", frame_splicing, frame_splicing != 1),
            ("log", log, not log),
            ("window", window, window != "hann"),
            ("mel_norm", mel_norm, mel_norm != "slaney"),
            ("nb_augmentation_prob", nb_augmentation_prob, nb_augmentation_prob > 0),
            ("pad_to", pad_to, not isinstance(pad_to, int) or pad_to < 0),
        ]
        bad = {key: value for key, value, refused in checks if refused}
        if bad:
            raise ValueError(
                f"FilterbankFeatures: {bad} not supported; a TTS front end here needs normalize=None, "
                "preemph=None, frame_splicing=1, log=True, window='hann', mel_norm='slaney', nb_augmentation_prob=0 "
                "and an integer pad_to >= 0"
            )
        super().__init__(
            sample_rate=sample_rate,
            n_fft=n_fft or 2 ** math.ceil(math.log2(n_window_size)),
            win_length=n_window_size,
            hop_length=n_window_stride,
            n_mels=nfilt,
            fmin=lowfreq,
            fmax=highfreq or sample_rate / 2,  # NeMo: a null (or 0) highfreq is Nyquist
            mag_power=mag_power,
            log_zero_guard=_guard_value(log_zero_guard_value),
            log_zero_guard_type=log_zero_guard_type,
            pad_value=pad_value,
            exact_pad=exact_pad,
            use_grads=use_grads,
        )
        self.nfilt = nfilt
        self.pad_to = pad_to
        self.dither = float(dither)

    def reset_buffers(self) -> None:
        """NeMo's buffers, saved with the weights: the symmetric Hann ``window`` and the filterbank ``fb``
        ``[1, nfilt, n_fft // 2 + 1]``; (re)computed here for a new model (a restored one loads them)."""
        import librosa

        basis = librosa.filters.mel(
            sr=self.sample_rate, n_fft=self.n_fft, n_mels=self.n_mels, fmin=self.fmin, fmax=self.fmax, norm="slaney"
        )
        self.register_buffer("fb", torch.as_tensor(basis, dtype=torch.float32).unsqueeze(0))
        self.register_buffer("window", torch.hann_window(self.win_length, periodic=False))

    @property
    def mel_basis(self) -> torch.Tensor:  # MelSpectrogram's name for the filterbank, [n_mels, n_fft // 2 + 1]
        return self.fb[0]

    @property
    def filter_banks(self) -> torch.Tensor:
        """NeMo's name for the filterbank, ``[1, nfilt, n_fft // 2 + 1]``."""
        return self.fb

    def get_seq_len(self, audio_len: torch.Tensor) -> torch.Tensor:
        """NeMo 3's frame count, one fewer than the STFT gives: ``len // hop`` centred, ``len // hop - 1`` with
        ``exact_pad`` (for an even ``n_fft``); 0 for an empty clip."""
        pad = 2 * ((self.n_fft - self.hop_length) // 2) if self.exact_pad else 2 * (self.n_fft // 2)
        frames = torch.div(audio_len.long() + pad - self.n_fft, self.hop_length, rounding_mode="floor")
        return torch.where(audio_len == 0, torch.zeros_like(frames), frames)

    def forward(self, audio: torch.Tensor, audio_len: torch.Tensor):
        if self.training and self.dither > 0:
            audio = audio + self.dither * torch.randn_like(audio)
        log_mel, mel_len = super().forward(audio, audio_len)
        if self.pad_to > 0 and log_mel.shape[-1] % self.pad_to:
            missing = self.pad_to - log_mel.shape[-1] % self.pad_to
            log_mel = torch.nn.functional.pad(log_mel, (0, missing), value=self.pad_value)
        return log_mel, mel_len


register_renamed_target(NEMO_FILTERBANK_PATH, f"{__name__}.FilterbankFeatures")
