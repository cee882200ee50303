"""``FilterbankFeatures``: batched log-mel spectrograms exactly as NeMo's ``FilterbankFeatures`` computes them.

The one mel front end of the collections: ASR's ``AudioToMelSpectrogramPreprocessor`` wraps it, TTS's
``MelSpectrogram`` (and its NeMo-named ``FilterbankFeatures``) derive from it.

Defaults follow NeMo >= 2.5 (``nemo.collections.asr.parts.preprocessing.features.FilterbankFeatures``): the centred
STFT pads with zeros, valid frames are ``(len + 2 * pad - n_fft) // hop`` (``len // hop`` when centred), samples past
an utterance's length are zeroed after pre-emphasis. ``legacy_v1_features=True`` restores the features of NeMo 1.0
to 2.4 (reflect padding, ``len // hop + 1`` valid frames, no masking before the STFT) for models trained with them.

The mel filterbank (librosa) and the analysis window are buffers named ``fb`` and ``window``, so a preprocessor's
state dict has NeMo's keys (``featurizer.fb``, ``featurizer.window``) and `.nemo` weights load strictly.

Speed (about 4x NVIDIA NeMo 3's and 2.5-2.9x librosa's ``melspectrogram`` on one CPU thread, same values to float
rounding; ``benchmarks/asr_features.py``): frames, window and ``rfft`` are ``torch.stft``'s but frame-major (not
``torch.stft``'s transposed output, whose power is a strided reduction) and a chunk of frames at a time, so each
chunk's spectrum stays in cache; with ``mag_power=2`` the power is used directly (no square root, then square); the
mel product skips the filterbank's zeros (``band_matmul``); pre-emphasis is written into the padded signal; tensors
this call owns are updated in place when no gradient is recorded.
"""

import math
import random
from typing import Dict, Optional, Tuple, Union

import torch
from torch import nn

from nemo.collections.common.data.masks import lengths_to_mask
from nemo.collections.common.parts.band_matmul import band_matmul, row_spans
from nemo.collections.common.parts.graph_capture import capturing_graph
from nemo.utils import logging

__all__ = ["CONSTANT", "FilterbankFeatures", "normalize_batch", "splice_frames", "TORCH_WINDOWS"]

CONSTANT = 1e-5  # added to standard deviations (and, with use_grads, under the magnitude's square root)

TORCH_WINDOWS = {
    "hann": torch.hann_window,
    "hamming": torch.hamming_window,
    "blackman": torch.blackman_window,
    "bartlett": torch.bartlett_window,
    "none": None,
}

_GUARD_TYPES = ("add", "clamp")
CHUNK_FRAMES = 1024  # frames transformed at a time: 2 MB of 512-point frames, a CPU cache's worth


def normalize_batch(x: torch.Tensor, seq_len: torch.Tensor, normalize_type: Union[str, Dict, None]) -> torch.Tensor:
    """Normalise ``x`` ``(B, D, T)`` with statistics over each sample's valid frames only.

    ``per_feature``: per sample and bin, mean and (unbiased) std over time; ``all_features``: one mean/std per sample;
    a dict with ``fixed_mean``/``fixed_std`` lists: those per-bin constants. The std gets ``CONSTANT`` added.
    """
    if not normalize_type:
        return x
    if isinstance(normalize_type, str):
        valid = lengths_to_mask(seq_len, x.shape[-1]).unsqueeze(1)  # (B, 1, T)
        if normalize_type == "per_feature":
            dims: Tuple[int, ...] = (2,)
            count = valid.sum(-1, keepdim=True).to(x.dtype)  # (B, 1, 1)
        elif normalize_type == "all_features":
            dims = (1, 2)
            count = valid.sum(-1, keepdim=True).to(x.dtype) * x.shape[1]
        else:
            raise ValueError(
                f"normalize='{normalize_type}' is not supported; expected 'per_feature', 'all_features', a dict with "
                "'fixed_mean' and 'fixed_std', or None"
            )
        # torch.where, not a product with the mask: padded frames may hold inf/nan and must not leak into the stats
        mean = torch.where(valid, x, 0.0).sum(dims, keepdim=True) / count
        centred = x - mean
        var = (torch.where(valid, centred, 0.0) ** 2).sum(dims, keepdim=True) / (count - 1)
        std = torch.nan_to_num(var.sqrt(), nan=0.0, posinf=0.0)  # a single valid frame has no spread
        return centred.div_(std + CONSTANT) if not torch.is_grad_enabled() else centred / (std + CONSTANT)
    if "fixed_mean" in normalize_type and "fixed_std" in normalize_type:
        mean = torch.as_tensor(normalize_type["fixed_mean"], dtype=x.dtype, device=x.device).view(1, -1, 1)
        std = torch.as_tensor(normalize_type["fixed_std"], dtype=x.dtype, device=x.device).view(1, -1, 1)
        return (x - mean) / std
    raise ValueError(f"normalize dict must hold 'fixed_mean' and 'fixed_std', got keys {sorted(normalize_type)}")


def splice_frames(x: torch.Tensor, frame_splicing: int) -> torch.Tensor:
    """Stack each frame with its ``frame_splicing - 1`` successors along the feature axis (last frame repeated).

    ``(B, D, T)`` -> ``(B, D * frame_splicing, T)``.
    """
    if frame_splicing <= 1:
        return x
    padded = torch.cat([x, x[:, :, -1:].expand(-1, -1, frame_splicing - 1)], dim=2)
    steps = x.shape[-1]
    return torch.cat([padded[:, :, n : n + steps] for n in range(frame_splicing)], dim=1)


def _fill_past(x: torch.Tensor, lengths: torch.Tensor, value: float) -> torch.Tensor:
    """``x`` ``(B, ..., T)`` with ``value`` in place at every ``t >= lengths[b]``; on the CPU row by row (only the
    padding is written: no mask over the whole batch), elsewhere with one masked fill (no host synchronisation)."""
    if x.device.type != "cpu" or capturing_graph():
        mask = ~lengths_to_mask(lengths, x.shape[-1])
        return x.masked_fill_(mask.view(mask.shape[0], *([1] * (x.dim() - 2)), mask.shape[1]), value)
    for row, length in enumerate(lengths.tolist()):
        if length < x.shape[-1]:
            x[row, ..., max(length, 0) :] = value
    return x


def _mel_filterbank(
    sample_rate: int, n_fft: int, nfilt: int, lowfreq: float, highfreq: float, mel_norm: Optional[str]
) -> torch.Tensor:
    if torch.empty(0).is_meta:  # built on meta: a restore assigns the saved filterbank, or computes it afterwards
        return torch.empty(1, nfilt, n_fft // 2 + 1)
    import librosa  # heavy (seconds, with numba): imported only when a filterbank is computed

    fb = librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=nfilt, fmin=lowfreq, fmax=highfreq, norm=mel_norm)
    return torch.tensor(fb, dtype=torch.float).unsqueeze(0)  # (1, nfilt, n_fft // 2 + 1)


def _python_rng(rng: Union[None, int, random.Random]) -> random.Random:
    """NeMo draws narrow-band augmentation from a ``random.Random``; an int seeds one."""
    if rng is None:
        return random.Random()
    if isinstance(rng, random.Random):
        return rng
    if isinstance(rng, int) and not isinstance(rng, bool):
        return random.Random(rng)
    raise TypeError(f"FilterbankFeatures: rng must be None, an int seed or a random.Random, got {type(rng).__name__}")


class FilterbankFeatures(nn.Module):
    """Waveforms ``(B, N)`` -> log-mel features ``(B, nfilt, T)`` plus frame counts; NeMo's arguments (see
    ``AudioToMelSpectrogramPreprocessor`` in nemo-asr for their meaning).

    ``persistent_buffers`` (a class attribute) says whether ``window`` and ``fb`` are saved with the weights (NeMo's
    class: yes); a subclass whose archives never held them sets it False.
    """

    persistent_buffers = True

    def __init__(
        self,
        sample_rate: int = 16000,
        n_window_size: int = 320,
        n_window_stride: int = 160,
        window: str = "hann",
        normalize: Union[str, Dict, None] = "per_feature",
        n_fft: Optional[int] = None,
        preemph: Optional[float] = 0.97,
        nfilt: int = 64,
        lowfreq: float = 0,
        highfreq: Optional[float] = None,
        log: bool = True,
        log_zero_guard_type: str = "add",
        log_zero_guard_value: Union[float, str] = 2**-24,
        dither: float = CONSTANT,
        pad_to: Union[int, str] = 16,
        max_duration: float = 16.7,
        frame_splicing: int = 1,
        exact_pad: bool = False,
        pad_value: float = 0,
        mag_power: float = 2.0,
        use_grads: bool = False,
        rng: Union[None, int, random.Random] = None,
        nb_augmentation_prob: float = 0.0,
        nb_max_freq: float = 4000,
        mel_norm: Optional[str] = "slaney",
        stft_exact_pad: bool = False,
        stft_conv: bool = False,
        legacy_v1_features: bool = False,
    ) -> None:
        super().__init__()
        for name, value in (("n_window_size", n_window_size), ("n_window_stride", n_window_stride)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"FilterbankFeatures: {name} must be a positive int (samples), got {value!r}")
        if window not in TORCH_WINDOWS:
            raise ValueError(f"FilterbankFeatures: window='{window}' is not one of {sorted(TORCH_WINDOWS)}")
        if log_zero_guard_type not in _GUARD_TYPES:
            raise ValueError(
                f"FilterbankFeatures: log_zero_guard_type='{log_zero_guard_type}' must be one of {list(_GUARD_TYPES)}"
            )
        if isinstance(log_zero_guard_value, str) and log_zero_guard_value not in ("tiny", "eps"):
            raise ValueError(
                f"FilterbankFeatures: log_zero_guard_value='{log_zero_guard_value}' must be a number, 'tiny' or 'eps'"
            )
        if not (pad_to == "max" or (isinstance(pad_to, int) and pad_to >= 0)):
            raise ValueError(f"FilterbankFeatures: pad_to must be a non-negative int or 'max', got {pad_to!r}")
        self.legacy_v1_features = bool(legacy_v1_features)
        if stft_conv or stft_exact_pad:
            # NeMo >= 1.1 dropped the conv STFT and ignores both keys; NeMo 1.0's exact-pad STFT padded like exact_pad.
            use = self.legacy_v1_features and stft_exact_pad
            logging.warning(
                "FilterbankFeatures: stft_conv/stft_exact_pad are deprecated; torch.stft is used"
                + (" and stft_exact_pad acts as exact_pad (legacy_v1_features)" if use else " and they are ignored")
                + " (set exact_pad instead)"
            )
            exact_pad = exact_pad or use
        if exact_pad and n_window_stride % 2 == 1:
            raise ValueError(
                f"FilterbankFeatures: exact_pad needs an even hop (n_window_stride), got {n_window_stride}: with an "
                "odd hop the frame count is not length // hop"
            )

        self.win_length = n_window_size
        self.hop_length = n_window_stride
        self.n_fft = n_fft or 2 ** math.ceil(math.log2(self.win_length))
        if self.win_length > self.n_fft:
            raise ValueError(f"FilterbankFeatures: n_window_size {self.win_length} exceeds n_fft {self.n_fft}")
        self.exact_pad = bool(exact_pad)
        self.stft_pad_amount = (self.n_fft - self.hop_length) // 2 if self.exact_pad else None
        self.stft_conv = stft_conv
        self.window_name = window

        self.sample_rate = sample_rate
        self.normalize = normalize
        self.log = log
        self.dither = dither
        self.frame_splicing = frame_splicing
        self.nfilt = nfilt
        self.lowfreq = lowfreq
        self.highfreq = highfreq or sample_rate / 2
        self.mel_norm = mel_norm
        self.preemph = preemph
        self.pad_to = pad_to
        self.pad_value = pad_value
        self.mag_power = mag_power
        self.log_zero_guard_type = log_zero_guard_type
        self.log_zero_guard_value = log_zero_guard_value
        self.use_grads = bool(use_grads)
        self.reset_buffers()
        # an explicit CPU scalar (float32, as NeMo computes it), so the model can also be built on the meta device
        self.max_length = int(self.get_seq_len(torch.tensor(max_duration * sample_rate, device="cpu")))

        self._rng = _python_rng(rng)
        self.nb_augmentation_prob = float(nb_augmentation_prob)
        self._nb_max_fft_bin = int(nb_max_freq / sample_rate * self.n_fft)
        if self.nb_augmentation_prob > 0 and nb_max_freq >= sample_rate / 2:
            self.nb_augmentation_prob = 0.0  # nothing above Nyquist to remove

    def reset_buffers(self) -> None:
        """(Re)compute the analysis ``window`` (symmetric, as NeMo) and the mel filterbank ``fb``
        ``(1, nfilt, n_fft // 2 + 1)``; the constructor calls it, and a restore on the meta device when they are not
        saved with the weights (``persistent_buffers`` False)."""
        window_fn = TORCH_WINDOWS[self.window_name]
        window = window_fn(self.win_length, periodic=False) if window_fn else None
        fb = _mel_filterbank(self.sample_rate, self.n_fft, self.nfilt, self.lowfreq, self.highfreq, self.mel_norm)
        self.register_buffer("window", window, persistent=self.persistent_buffers)
        self.register_buffer("fb", fb, persistent=self.persistent_buffers)

    @property
    def filter_banks(self) -> torch.Tensor:
        return self.fb

    def log_zero_guard_value_fn(self, x: torch.Tensor) -> float:
        if self.log_zero_guard_value == "tiny":
            return torch.finfo(x.dtype).tiny
        if self.log_zero_guard_value == "eps":
            return torch.finfo(x.dtype).eps
        return self.log_zero_guard_value

    def get_seq_len(self, seq_len: torch.Tensor) -> torch.Tensor:
        """Valid frames for ``seq_len`` samples: ``(len + P - n_fft) // hop``, ``P`` the STFT's total padding, and 0
        for an empty input.

        That is ``len // hop`` for centred frames: NeMo counts only frames whose window ends inside the padded
        signal's first ``len + P`` samples. NeMo 1.0 to 2.4 (``legacy_v1_features``) counted one more, also for an
        empty input.
        """
        frames = self._stft_frames_but_one(seq_len)
        if self.legacy_v1_features:
            return frames + 1
        return torch.where(seq_len == 0, torch.zeros_like(frames), frames)

    def _stft_frames_but_one(self, seq_len: torch.Tensor) -> torch.Tensor:
        """``(len + P - n_fft) // hop``: one fewer than the STFT frames of ``seq_len`` samples (``P`` its padding)."""
        pad_amount = 2 * self.stft_pad_amount if self.exact_pad else 2 * (self.n_fft // 2)
        return torch.div(seq_len + pad_amount - self.n_fft, self.hop_length, rounding_mode="floor").to(torch.long)

    def _padded_window(self, device: torch.device) -> torch.Tensor:
        """The window centred in ``n_fft`` samples with zeros, as ``torch.stft`` applies it (all ones if none)."""
        window = self.window if self.window is not None else torch.ones(self.win_length, device=device)
        left = (self.n_fft - self.win_length) // 2
        return nn.functional.pad(window.float(), (left, self.n_fft - self.win_length - left))

    def _centring(self) -> int:
        """Samples ``torch.stft(center=True)`` pads each side with (none with ``exact_pad``, which pads itself)."""
        return 0 if self.exact_pad else self.n_fft // 2

    def power_spectrum(self, x: torch.Tensor) -> torch.Tensor:
        """``|STFT(x)| ** mag_power`` of ``x`` ``(B, N)`` as it is (no pre-emphasis, dither or masking), frame-major
        ``(B, T, n_fft // 2 + 1)``."""
        x = x.float()
        if self.exact_pad:
            x = self._pad(x, self.stft_pad_amount)
        return self._power(self._frames(self._pad(x, self._centring())))

    def _pad(self, x: torch.Tensor, amount: int) -> torch.Tensor:
        """``amount`` samples each side: zeros, or reflected ones with ``legacy_v1_features`` (as NeMo's versions)."""
        if not amount:
            return x
        mode = "reflect" if self.legacy_v1_features else "constant"
        return nn.functional.pad(x.unsqueeze(1), (amount, amount), mode=mode).squeeze(1)

    def _frames(self, signal: torch.Tensor) -> torch.Tensor:
        """``torch.stft``'s frames of an already padded signal: a ``(B, T, n_fft)`` view, no copy."""
        return signal.float().unfold(-1, self.n_fft, self.hop_length)

    def _power(self, frames: torch.Tensor, window: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Power spectrum of ``frames`` ``(B, T, n_fft)``, frame-major ``(B, T, F)``, float32 even under autocast;
        ``window`` is ``_padded_window``'s (computed when not given).

        The window and transform are ``torch.stft``'s, so the spectrum is bit-identical to it. The magnitude is
        NeMo's ``sqrt(re^2 + im^2)`` (plus ``CONSTANT`` under the root with ``use_grads``, so its gradient is finite
        at silent bins), raised to ``mag_power``; with ``mag_power=2`` the squared sum itself, without the root.
        """
        window = self._padded_window(frames.device) if window is None else window
        with torch.autocast(device_type=frames.device.type, enabled=False):
            re_im = torch.view_as_real(torch.fft.rfft(frames * window))
            if torch.is_grad_enabled():
                power = re_im[..., 0].square().add_(re_im[..., 1].square())
            else:  # the transform is this call's own: square it in place, then one strided sum
                re_im = re_im.square_()
                power = torch.add(re_im[..., 0], re_im[..., 1])
        if self.use_grads:
            power = power + CONSTANT
        if self.mag_power == 2.0:
            return power
        return power.sqrt() if self.mag_power == 1.0 else power.sqrt().pow(self.mag_power)

    def _mel(self, signal: torch.Tensor, keep: Optional[torch.Tensor]) -> torch.Tensor:
        """Mel energies ``(B, nfilt, T)`` of an already padded signal; ``keep`` ``(B, 1, F)`` scales the bins.

        On the CPU, computed ``CHUNK_FRAMES`` frames at a time (whole rows when they are shorter), so the frames,
        spectrum and power of a chunk stay in cache instead of passing through memory as batch-sized tensors (2x
        faster on one thread than one pass over a batch of 8 x 10 s); elsewhere, and when traced, in one piece.
        """
        frames = self._frames(signal)
        rows, steps = frames.shape[0], frames.shape[1]
        if not rows or not steps:
            return signal.new_zeros(rows, self.nfilt, steps)
        chunked = signal.device.type == "cpu" and not capturing_graph()
        chunk = CHUNK_FRAMES if chunked else rows * steps
        rows_per_chunk, steps_per_chunk = max(1, chunk // steps), min(steps, chunk)
        fb, window = self.fb[0].float(), self._padded_window(signal.device)
        spans = row_spans(fb) if chunked else None  # read once for all chunks
        parts = []
        with torch.autocast(device_type=signal.device.type, enabled=False):
            for row in range(0, rows, rows_per_chunk):
                pieces = []
                for step in range(0, steps, steps_per_chunk):
                    power = self._power(frames[row : row + rows_per_chunk, step : step + steps_per_chunk], window)
                    if keep is not None:
                        power = power * keep[row : row + rows_per_chunk]
                    pieces.append(band_matmul(fb, power, spans))
                parts.append(torch.cat(pieces, dim=-1) if len(pieces) > 1 else pieces[0])
        return torch.cat(parts) if len(parts) > 1 else parts[0]

    def _emphasised(self, x: torch.Tensor, seq_len_time: torch.Tensor) -> torch.Tensor:
        """Pre-emphasis and NeMo's masking of the samples past each length, written into the centred signal (no
        separate padding and concatenation passes over the batch)."""
        lead = self._centring()
        if self.preemph is None or self.legacy_v1_features:  # NeMo 1.0 pre-emphasised before reflecting, unmasked
            if self.preemph is not None:
                x = torch.cat((x[:, :1], x[:, 1:] - self.preemph * x[:, :-1]), dim=1)
            return self._pad(x, lead)
        # NeMo's two roundings (product, then difference), so the features match its to the last bit here
        if torch.is_grad_enabled():
            padded = nn.functional.pad(x, (lead + 1, lead))  # the zero before the signal keeps its first sample
            signal = padded[:, 1:] - self.preemph * padded[:, :-1]
        else:
            signal = x.new_empty(x.shape[0], x.shape[1] + 2 * lead)
            signal[:, :lead].zero_()
            signal[:, lead + x.shape[1] :].zero_()
            body = signal[:, lead : lead + x.shape[1]]
            body[:, :1] = x[:, :1]
            torch.mul(x[:, :-1], self.preemph, out=body[:, 1:])
            torch.sub(x[:, 1:], body[:, 1:], out=body[:, 1:])
        # NeMo zeroes sample indices >= the input length here, counted on the (exact_pad-)padded signal
        return _fill_past(signal, seq_len_time + lead, 0.0)

    def forward(self, x: torch.Tensor, seq_len: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Features ``(B, nfilt * frame_splicing, T')`` and valid frame counts ``(B,)``; no gradients unless
        ``use_grads``."""
        with torch.set_grad_enabled(self.use_grads and torch.is_grad_enabled()):
            return self._features(x, seq_len)

    def _features(self, x: torch.Tensor, seq_len: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        x = x.float()
        seq_len_time = seq_len.to(x.device)
        seq_len = self.get_seq_len(seq_len_time)
        if self.exact_pad:
            x = self._pad(x, self.stft_pad_amount)
        if self.training and self.dither > 0:
            x = x + self.dither * torch.randn_like(x)
        keep = None
        if self.training and self.nb_augmentation_prob > 0:
            keep = torch.ones(x.shape[0], 1, self.n_fft // 2 + 1, dtype=torch.float, device=x.device)
            for idx in range(x.shape[0]):
                if self._rng.random() < self.nb_augmentation_prob:
                    keep[idx, :, self._nb_max_fft_bin :] = 0.0  # narrow-band: drop everything above nb_max_freq
        x = self._mel(self._emphasised(x, seq_len_time), keep)
        if self.log:
            guard = self.log_zero_guard_value_fn(x)
            if torch.is_grad_enabled():
                x = torch.log(x + guard) if self.log_zero_guard_type == "add" else torch.log(torch.clamp(x, min=guard))
            else:  # x is this call's own tensor: update it in place
                x = (x.add_(guard) if self.log_zero_guard_type == "add" else x.clamp_(min=guard)).log_()
        x = splice_frames(x, self.frame_splicing)
        x = normalize_batch(x, seq_len, self.normalize)

        x = _fill_past(x, seq_len, self.pad_value)
        if self.pad_to == "max":
            if x.shape[-1] > self.max_length:
                raise ValueError(
                    f"FilterbankFeatures: pad_to='max' pads to {self.max_length} frames (max_duration), but the batch "
                    f"has {x.shape[-1]} frames"
                )
            x = nn.functional.pad(x, (0, self.max_length - x.shape[-1]), value=self.pad_value)
        elif self.pad_to > 0:
            remainder = x.shape[-1] % self.pad_to
            if remainder:
                x = nn.functional.pad(x, (0, self.pad_to - remainder), value=self.pad_value)
        return x, seq_len
