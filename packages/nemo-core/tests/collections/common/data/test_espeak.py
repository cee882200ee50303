"""The one eSpeak NG binding: deterministic synthesis, ASCII and IPA phonemes, clear errors."""

import pickle

import numpy as np
import pytest

pytest.importorskip("espeakng_loader", reason="eSpeak NG comes from the espeakng-loader wheel")

from nemo.collections.common.data.espeak import (  # noqa: E402
    ESPEAK_SAMPLE_RATE,
    EspeakPhonemizer,
    EspeakSynthesizer,
    get_phonemizer,
)


def test_synthesis_depends_only_on_the_arguments():
    synth = EspeakSynthesizer()
    first = synth.synthesize("turn on the lights", "en-us+m3", 170, 50)
    assert first.dtype == np.int16 and 0.5 * ESPEAK_SAMPLE_RATE < first.size < 3 * ESPEAK_SAMPLE_RATE
    synth.synthesize("something else entirely", "en+f1", 140, 30)  # no state carries over
    np.testing.assert_array_equal(first, pickle.loads(pickle.dumps(synth)).synthesize("turn on the lights", "en-us+m3",
                                                                                     170, 50))  # fmt: skip
    assert synth.SAMPLE_RATE == ESPEAK_SAMPLE_RATE


def test_phonemes_in_both_notations():
    assert EspeakSynthesizer().phonemes(["hello", "yes"]) == ["h@l'oU", "j'Es"]
    phonemizer = get_phonemizer("en-us")
    assert get_phonemizer("en-us") is phonemizer
    words = phonemizer.phonemize("hello world")
    assert len(words) == 2 and "ˈoʊ" in words[0] and all(isinstance(p, str) for w in words for p in w)


def test_unknown_voice_and_closed_phonemizer():
    with pytest.raises(ValueError, match="eSpeak NG has no voice 'xx-nowhere'"):
        EspeakPhonemizer("xx-nowhere")
    with pytest.raises(ValueError, match="no voice"):
        EspeakSynthesizer().synthesize("hi", "xx-nowhere", 170, 50)
    phonemizer = EspeakPhonemizer()
    phonemizer.close()
    phonemizer.close()  # idempotent
    with pytest.raises(RuntimeError, match="after close"):
        phonemizer.phonemize("hi")
