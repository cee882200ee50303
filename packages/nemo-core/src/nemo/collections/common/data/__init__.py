"""The data layer shared by the collections and the examples, one concept per module.

- ``manifest``: NeMo's JSON-lines manifests (``read_manifest``, ``ManifestEntry``, ``ManifestError``, ...);
- ``audio``: audio files (``load_audio``: decode, downmix, resample, trim; ``AudioReadError``);
- ``masks``: padding masks from lengths (``lengths_to_mask``);
- ``espeak``: eSpeak NG through ctypes (``EspeakSynthesizer``, ``EspeakPhonemizer``).

Importing any of them costs numpy and torch at most: soundfile, soxr, librosa and eSpeak NG load inside the functions
that use them.
"""

from nemo.collections.common.data.audio import AudioReadError, load_audio, read_audio, resample, trim_silence
from nemo.collections.common.data.manifest import (
    BadSampleTracker,
    ManifestEntry,
    ManifestError,
    iter_manifest,
    manifest_paths,
    read_manifest,
    read_transcripts,
)
from nemo.collections.common.data.masks import lengths_to_mask

__all__ = [
    "AudioReadError",
    "BadSampleTracker",
    "ManifestEntry",
    "ManifestError",
    "iter_manifest",
    "lengths_to_mask",
    "load_audio",
    "manifest_paths",
    "read_audio",
    "read_manifest",
    "read_transcripts",
    "resample",
    "trim_silence",
]
