"""NVIDIA NeMo's ``FilterbankFeatures`` as the front end of a TTS model restored from a NeMo config or archive.

NeMo's HiFi-GAN (and its other TTS models) name ``nemo.collections.asr.parts.preprocessing.features.FilterbankFeatures``
as their ``preprocessor``, an ASR class that this collection may not import. That class path is registered as a known
rename of ``FilterbankFeatures`` here (``nemo.core.classes.construction.register_renamed_target``), so such configs
build this class, with NeMo's arguments, NeMo's state-dict entries (the ``window`` and ``fb`` buffers, saved with
the weights) and NeMo 3's frame count (one frame fewer than ``MelSpectrogram`` gives: the last STFT frame is
overwritten with ``pad_value``, as NeMo does).

It is nemo-core's ``FilterbankFeatures`` (the class ASR uses, with its constructor) that is also a ``MelSpectrogram``,
so TTS models and vocoders take it where they take their own front end. Only the TTS settings of NeMo's class are
accepted: ``normalize``, ``preemph`` and ``nb_augmentation_prob`` off, ``frame_splicing`` 1, ``log`` on, a Hann
window, slaney mel filters, an integer ``pad_to``; other values are refused. The samples past each clip's length are
zeroed before the STFT (NeMo reads whatever the batch holds there; for a zero-padded batch both give the same
features).
"""

import functools
import inspect
from typing import Any

from nemo.collections.common.parts import filterbank_features
from nemo.collections.tts.parts.mel import MelSpectrogram
from nemo.core.classes.construction import register_renamed_target

__all__ = ["FilterbankFeatures", "NEMO_FILTERBANK_PATH"]

NEMO_FILTERBANK_PATH = "nemo.collections.asr.parts.preprocessing.features.FilterbankFeatures"
_SHARED = filterbank_features.FilterbankFeatures
_TTS_SETTINGS = {  # key: (accepted?, what a TTS front end here needs)
    "normalize": (lambda value: value is None, "None"),
    "preemph": (lambda value: value is None, "None"),
    "frame_splicing": (lambda value: value == 1, "1"),
    "log": (lambda value: bool(value), "True"),
    "window": (lambda value: value == "hann", "'hann'"),
    "mel_norm": (lambda value: value == "slaney", "'slaney'"),
    "nb_augmentation_prob": (lambda value: not value, "0"),
    "pad_to": (lambda value: isinstance(value, int) and not isinstance(value, bool) and value >= 0, "an int >= 0"),
    "legacy_v1_features": (lambda value: not value, "False"),
}


class FilterbankFeatures(MelSpectrogram):
    """``(audio [B, T], audio_len [B]) -> (log_mel [B, nfilt, frames], mel_len [B])`` with NeMo's arguments.

    The arguments and defaults are NeMo 3's, those of nemo-core's ``FilterbankFeatures`` (``normalize``, ``preemph``
    and ``pad_to`` default to ASR values, which are refused here: TTS configs set ``normalize: null``,
    ``preemph: null``, ``pad_to: 0`` or a multiple). ``mel_len`` is NeMo 3's (see ``get_seq_len``); frames from
    ``mel_len`` on hold ``pad_value``, and ``pad_to > 0`` pads the frame axis to a multiple with it. ``dither`` adds
    that much Gaussian noise to the audio in training mode only. ``window`` and ``fb`` are saved with the weights.
    """

    persistent_buffers = True

    @functools.wraps(_SHARED.__init__)
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        arguments = inspect.signature(_SHARED.__init__).bind(self, *args, **kwargs)
        arguments.apply_defaults()
        settings = {key: value for key, value in arguments.arguments.items() if key != "self"}
        bad = {key: settings[key] for key, (accepted, _) in _TTS_SETTINGS.items() if not accepted(settings[key])}
        if bad:
            needs = ", ".join(f"{key}={need}" for key, (_, need) in _TTS_SETTINGS.items())
            raise ValueError(f"FilterbankFeatures: {bad} not supported; a TTS front end here needs {needs}")
        # NeMo's arguments go to the shared class as they are; MelSpectrogram's constructor takes this collection's
        _SHARED.__init__(self, **settings)

    # NeMo 3's frame count, one fewer than MelSpectrogram's (``len // hop`` centred, ``len // hop - 1`` with
    # ``exact_pad`` for an even ``n_fft``; 0 for an empty clip): the shared class's own
    get_seq_len = _SHARED.get_seq_len


register_renamed_target(NEMO_FILTERBANK_PATH, f"{__name__}.FilterbankFeatures")
