"""IPA phonemes of English text from eSpeak NG (the ``espeakng-loader`` wheel), through its C API via ctypes.

The phonemes are the ones eSpeak itself speaks from, so a model trained on eSpeak speech sees inputs that line up
with the audio. The library keeps global state, so each ``EspeakPhonemizer`` loads a private copy of it (as
``examples/asr/make_speech_corpus.py`` does for synthesis); instances are shared per voice within a process and the
handle is never pickled (DataLoader workers load their own).
"""

import _ctypes
import ctypes
import os
import shutil
import tempfile
import threading
from typing import Dict, List

__all__ = ["EspeakPhonemizer", "get_phonemizer"]

_IPA = 0x02  # phonememode bit 1: IPA as UTF-8
_SEPARATOR = "_"  # bits 8-23: separator between phoneme names, so multi-letter phonemes stay whole
_UTF8 = 1  # espeakCHARS_UTF8


class EspeakPhonemizer:
    """``phonemize(text) -> [[phoneme, ...] per word]`` for one eSpeak NG voice (default ``en-us``)."""

    def __init__(self, voice: str = "en-us") -> None:
        try:
            import espeakng_loader
        except ImportError as err:  # a declared dependency; a clear message if the environment lacks it
            raise ImportError(
                "EspeakPhonemizer needs the `espeakng-loader` wheel: pip install espeakng-loader"
            ) from err
        self.voice = voice
        self._lock = threading.Lock()
        library_path, data_path = espeakng_loader.get_library_path(), espeakng_loader.get_data_path()
        with tempfile.TemporaryDirectory(prefix="espeak-phonemes-") as folder:
            copy = os.path.join(folder, "libespeak-ng-phonemes.so")
            shutil.copyfile(library_path, copy)
            try:
                self._lib = ctypes.CDLL(copy)
            except OSError as err:
                raise RuntimeError(
                    f"cannot load a private copy of libespeak-ng from {folder} ({err}); point TMPDIR at a folder "
                    "that allows executable mappings"
                ) from err
        lib = self._lib
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]
        if lib.espeak_Initialize(2, 0, data_path.encode(), 0) <= 0:  # 2: AUDIO_OUTPUT_SYNCHRONOUS (no audio device)
            raise RuntimeError(f"espeak_Initialize failed with data at {data_path}")
        if lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ValueError(f"eSpeak NG has no voice {voice!r}")

    def phonemize(self, text: str) -> List[List[str]]:
        """Phonemes per spoken word of ``text`` (stress marks stay on the vowel they precede, e.g. ``ˈoʊ``).

        eSpeak may merge short function words ("on the" -> one word), so words need not match the text's words.
        """
        mode = _IPA | (ord(_SEPARATOR) << 8)
        words: List[List[str]] = []
        with self._lock:
            buffer = ctypes.c_char_p(text.encode("utf-8"))
            while buffer.value:
                result = self._lib.espeak_TextToPhonemes(ctypes.byref(buffer), _UTF8, mode)
                if result is None:
                    break
                for word in result.decode("utf-8").split():
                    phonemes = [p for p in word.split(_SEPARATOR) if p]
                    if phonemes:
                        words.append(phonemes)
        return words

    def close(self) -> None:
        """Unload this private library copy."""
        lib, self._lib = getattr(self, "_lib", None), None
        if lib is not None:
            lib.espeak_Terminate()
            _ctypes.dlclose(lib._handle)


_SHARED: Dict[str, EspeakPhonemizer] = {}
_SHARED_LOCK = threading.Lock()


def get_phonemizer(voice: str = "en-us") -> EspeakPhonemizer:
    """The process-wide phonemizer of ``voice`` (loaded on first use)."""
    with _SHARED_LOCK:
        key = f"{os.getpid()}:{voice}"
        if key not in _SHARED:
            _SHARED[key] = EspeakPhonemizer(voice)
        return _SHARED[key]
