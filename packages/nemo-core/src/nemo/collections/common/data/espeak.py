"""eSpeak NG through its C API (ctypes): speech for synthetic corpora, IPA phonemes for TTS front ends.

The one binding of the toolkit: ``EspeakSynthesizer`` renders text to samples (``examples/asr/make_speech_corpus.py``
and ``examples/tts/make_tts_corpus.py`` build their corpora with it) and ``EspeakPhonemizer`` turns text into IPA
phonemes (nemo-tts's ``EnglishPhonemesTokenizer``). It lives in nemo-core because both the ASR examples and the TTS
collection need it and no collection may import another; it adds no dependency: the library and its data come from
the ``espeakng-loader`` wheel, imported on first use (nemo-tts requires it; nemo-asr's examples and tests do).

libespeak-ng keeps its state in static variables that ``espeak_Initialize`` does not reset, so every user works on
a private copy of the shared library with its own ``dlopen`` handle: ``EspeakSynthesizer`` loads a fresh copy per
call (the samples depend only on the arguments), ``EspeakPhonemizer`` keeps one copy per voice and process. A copy
is mapped from a temporary folder (deleted at once); ``TMPDIR`` must allow executable mappings.
"""

import _ctypes
import ctypes
import os
import shutil
import tempfile
import threading
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

__all__ = ["ESPEAK_SAMPLE_RATE", "EspeakPhonemizer", "EspeakSynthesizer", "espeak_paths", "get_phonemizer"]

ESPEAK_SAMPLE_RATE = 22050  # what espeak_Initialize reports: every voice speaks at this rate

_AUDIO_OUTPUT_SYNCHRONOUS = 2  # no audio device; samples go to the synth callback
_CHARS_UTF8 = 1  # espeakCHARS_UTF8
_POS_CHARACTER = 1
_RATE, _PITCH = 1, 3  # espeakRATE, espeakPITCH
_PHONEMES_IPA = 0x02  # phonememode bit 1: IPA as UTF-8 (0: eSpeak's ASCII phoneme names)
_SEPARATOR = "_"  # phonememode bits 8-23: separator between phoneme names, so multi-letter phonemes stay whole


def espeak_paths() -> Tuple[str, str]:
    """``(libespeak-ng path, espeak-ng-data path)`` from the ``espeakng-loader`` wheel."""
    try:
        import espeakng_loader
    except ImportError as err:
        raise ImportError(
            "eSpeak NG comes from the `espeakng-loader` wheel (libespeak-ng and its data): pip install espeakng-loader"
        ) from err
    return espeakng_loader.get_library_path(), espeakng_loader.get_data_path()


def _load_copy(library_path: str, name: str) -> ctypes.CDLL:
    """A private copy of libespeak-ng (its own handle and static state), with the signatures used here."""
    with tempfile.TemporaryDirectory(prefix="espeak-") as folder:
        path = os.path.join(folder, name)
        shutil.copyfile(library_path, path)
        try:
            lib = ctypes.CDLL(path)
        except OSError as err:
            raise RuntimeError(
                f"cannot load a private copy of libespeak-ng from {folder} ({err}); point TMPDIR at a folder that "
                "allows executable mappings"
            ) from err
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                 ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]  # fmt: skip
    lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
    lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]
    return lib


def _open(library_path: str, data_path: str, voice: str, name: str, callback: Optional[Any] = None) -> ctypes.CDLL:
    """A private copy initialized for synchronous output with ``voice`` (unloaded again if that fails)."""
    lib = _load_copy(library_path, name)
    try:
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path.encode(), 0)
        if rate != ESPEAK_SAMPLE_RATE:
            raise RuntimeError(
                f"espeak_Initialize with data at {data_path} returned {rate}, expected {ESPEAK_SAMPLE_RATE} (Hz)"
            )
        if callback is not None:
            lib.espeak_SetSynthCallback(callback)
        if lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ValueError(f"eSpeak NG has no voice {voice!r}")
    except BaseException:
        _close(lib)
        raise
    return lib


def _close(lib: ctypes.CDLL) -> None:
    lib.espeak_Terminate()
    _ctypes.dlclose(lib._handle)


def _text_to_phonemes(lib: ctypes.CDLL, text: str, mode: int) -> List[str]:
    """eSpeak's phoneme string of each clause of ``text`` (``espeak_TextToPhonemes`` advances one clause a call)."""
    pointer, clauses = ctypes.c_char_p(text.encode("utf-8")), []
    while pointer.value:
        result = lib.espeak_TextToPhonemes(ctypes.byref(pointer), _CHARS_UTF8, mode)
        if result is None:
            break
        clauses.append(result.decode("utf-8"))
    return clauses


class EspeakSynthesizer:
    """Text to int16 samples at 22050 Hz: ``EspeakSynthesizer().synthesize(text, voice="en-us+m3", rate=170,
    pitch=50)``.

    Each call loads a private copy of the library (a few milliseconds), so the samples depend only on the arguments,
    except with variants that add breath noise (``breath`` in their voice file: f2, f3, f5, Alicia, victor, caleb,
    Reed, ...), whose noise now and then differs between identical calls. Instances pickle (worker processes).
    """

    SAMPLE_RATE = ESPEAK_SAMPLE_RATE
    _CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)

    def __init__(self) -> None:
        self._library_path, self._data_path = espeak_paths()
        self._calls = 0

    def _run(self, voice: str, action: Callable[[ctypes.CDLL], None], callback: Optional[Any] = None) -> None:
        """Load and initialize a private library with ``voice``, run ``action`` on it, unload it."""
        self._calls += 1
        lib = _open(self._library_path, self._data_path, voice, f"libespeak-ng-{self._calls}.so", callback)
        try:
            action(lib)
        finally:
            _close(lib)

    def synthesize(self, text: str, voice: str, rate: int, pitch: int) -> np.ndarray:
        """Samples of ``text`` spoken by ``voice`` (e.g. ``en-us+m3``) at ``rate`` words/minute and ``pitch`` (0-100)."""
        chunks: List[np.ndarray] = []

        def collect(wav: "ctypes._Pointer", num_samples: int, events: int) -> int:
            if wav and num_samples > 0:
                chunks.append(np.ctypeslib.as_array(wav, shape=(num_samples,)).copy())
            return 0  # 0: continue synthesis

        def speak(lib: ctypes.CDLL) -> None:
            lib.espeak_SetParameter(_RATE, int(rate), 0)
            lib.espeak_SetParameter(_PITCH, int(pitch), 0)
            data = text.encode("utf-8") + b"\0"
            status = lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
            if status != 0 or lib.espeak_Synchronize() != 0:
                raise RuntimeError(f"espeak_Synth failed with status {status} for {text!r}")

        self._run(voice, speak, self._CALLBACK(collect))
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)

    def phonemes(self, words: Sequence[str], voice: str = "en-us") -> List[str]:
        """eSpeak's phoneme string (its ASCII notation) of each entry of ``words``, read with ``voice``'s rules."""
        result: List[str] = []

        def convert(lib: ctypes.CDLL) -> None:
            result.extend(" ".join(_text_to_phonemes(lib, text, 0)) for text in words)

        self._run(voice, convert)
        return result


class EspeakPhonemizer:
    """``phonemize(text) -> [[phoneme, ...] per word]`` in IPA for one eSpeak NG voice (default ``en-us``).

    One private library copy per instance, used under a lock; ``get_phonemizer`` shares instances per voice within a
    process (DataLoader workers load their own; the handle is never pickled).
    """

    def __init__(self, voice: str = "en-us") -> None:
        library_path, data_path = espeak_paths()
        self.voice = voice
        self._lock = threading.Lock()
        self._lib: Optional[ctypes.CDLL] = _open(library_path, data_path, voice, "libespeak-ng-phonemes.so")

    def phonemize(self, text: str) -> List[List[str]]:
        """Phonemes per spoken word of ``text`` (stress marks stay on the vowel they precede, e.g. ``ˈoʊ``).

        eSpeak may merge short function words ("on the" -> one word), so words need not match the text's words.
        """
        mode = _PHONEMES_IPA | (ord(_SEPARATOR) << 8)
        with self._lock:
            if self._lib is None:
                raise RuntimeError("EspeakPhonemizer.phonemize after close()")
            clauses = _text_to_phonemes(self._lib, text, mode)
        words = ([p for p in word.split(_SEPARATOR) if p] for clause in clauses for word in clause.split())
        return [phonemes for phonemes in words if phonemes]

    def close(self) -> None:
        """Unload this private library copy."""
        lib, self._lib = getattr(self, "_lib", None), None
        if lib is not None:
            _close(lib)


_SHARED: Dict[str, EspeakPhonemizer] = {}
_SHARED_LOCK = threading.Lock()


def get_phonemizer(voice: str = "en-us") -> EspeakPhonemizer:
    """The process-wide phonemizer of ``voice`` (loaded on first use)."""
    with _SHARED_LOCK:
        key = f"{os.getpid()}:{voice}"
        if key not in _SHARED:
            _SHARED[key] = EspeakPhonemizer(voice)
        return _SHARED[key]
