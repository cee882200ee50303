"""IPA phonemes of English text from eSpeak NG: nemo-core's one eSpeak binding, under the name nemo-tts documents.

``EspeakPhonemizer`` and ``get_phonemizer`` are ``nemo.collections.common.data.espeak``'s (the binding the corpus
scripts synthesize with, so phonemes and audio come from the same library).
"""

from nemo.collections.common.data.espeak import EspeakPhonemizer, get_phonemizer

__all__ = ["EspeakPhonemizer", "get_phonemizer"]
