from typing import List

import pytest
import torch

from nemo.collections.tts.models.base import SpectrogramGenerator, TextToWaveform, Vocoder, ngc_model
from nemo.core.classes.model import PretrainedModelInfo


class _Generator(SpectrogramGenerator):
    @classmethod
    def list_available_models(cls) -> List[PretrainedModelInfo]:
        return [ngc_model("tts_test_generator", "1.0.0", "a test entry", aliases=["TestGen"])]

    def parse(self, str_input: str, **kwargs) -> torch.Tensor:
        return torch.zeros(1, len(str_input), dtype=torch.long)

    def generate_spectrogram(self, tokens: torch.Tensor, **kwargs) -> torch.Tensor:
        return torch.zeros(tokens.shape[0], 80, 4)

    def setup_training_data(self, cfg) -> None:
        pass

    def setup_validation_data(self, cfg) -> None:
        pass


def test_bases_are_abstract():
    for base in (SpectrogramGenerator, Vocoder, TextToWaveform):
        with pytest.raises(TypeError):
            base(cfg={})


def test_base_lists_subclass_models_with_their_class():
    names = {info.pretrained_model_name: info for info in SpectrogramGenerator.list_available_models()}
    info = names["tts_test_generator"]
    assert info.class_ is _Generator and info.aliases == ["TestGen"]
    assert info.location.endswith("/tts_test_generator/versions/1.0.0/files/tts_test_generator.nemo")
    assert "tts_test_generator" not in {i.pretrained_model_name for i in Vocoder.list_available_models()}


def test_concrete_generator_works_through_the_interface():
    model = _Generator(cfg={})
    tokens = model.parse("abc")
    assert model.generate_spectrogram(tokens=tokens).shape == (1, 80, 4)
