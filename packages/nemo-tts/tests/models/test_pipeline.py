"""SpectrogramVocoderPipeline with toy parts: chaining, per-row lengths, one-file save/restore with artifacts."""

from typing import Any

import pytest
import tiny_tts_models
import torch
from omegaconf import OmegaConf

from nemo.collections.tts.models.base import SpectrogramGenerator, TextToWaveform, Vocoder
from nemo.collections.tts.models.pipeline import SpectrogramVocoderPipeline

HOP = 4
FRAMES_PER_TOKEN = 2


class ToyGenerator(SpectrogramGenerator):
    """Each letter becomes FRAMES_PER_TOKEN frames of a learned mel column; ``pace`` > 1 drops every other frame."""

    def __init__(self, cfg: Any, trainer: Any = None) -> None:
        super().__init__(cfg=cfg, trainer=trainer)
        self.embedding = torch.nn.Embedding(27, self._cfg.n_mels, padding_idx=0)
        self.vocab_file = self.register_artifact("vocab_file", self._cfg.get("vocab_file"))

    def parse(self, str_input: str, **kwargs: Any) -> torch.Tensor:
        return torch.tensor([[ord(c) - 96 for c in str_input if c.isalpha()]])

    def generate_spectrogram(self, tokens: torch.Tensor, pace: float = 1.0, **kwargs: Any) -> torch.Tensor:
        spec = self.embedding(tokens).transpose(1, 2).repeat_interleave(FRAMES_PER_TOKEN, dim=2)
        return spec[:, :, ::2] if pace > 1 else spec

    def setup_training_data(self, cfg: Any) -> None:
        raise AssertionError("a pipeline part must never set up data")

    def setup_validation_data(self, cfg: Any) -> None:
        raise AssertionError("a pipeline part must never set up data")

    @classmethod
    def list_available_models(cls):
        return []


class ToyVocoder(Vocoder):
    """HOP samples per mel frame through one linear layer; ``gain`` scales the output."""

    def __init__(self, cfg: Any, trainer: Any = None) -> None:
        super().__init__(cfg=cfg, trainer=trainer)
        self.proj = torch.nn.Linear(self._cfg.n_mels, HOP)

    def convert_spectrogram_to_audio(self, spec: torch.Tensor, gain: float = 1.0, **kwargs: Any) -> torch.Tensor:
        return gain * torch.tanh(self.proj(spec.transpose(1, 2))).reshape(spec.shape[0], -1)

    def setup_training_data(self, cfg: Any) -> None:
        pass

    def setup_validation_data(self, cfg: Any) -> None:
        pass

    @classmethod
    def list_available_models(cls):
        return []


def _parts(tmp_path, vocoder_rate=16000):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("abcdefghijklmnopqrstuvwxyz\n")
    generator = ToyGenerator(OmegaConf.create({"n_mels": 6, "sample_rate": 16000, "vocab_file": str(vocab)}))
    vocoder = ToyVocoder(OmegaConf.create({"n_mels": 6, "sample_rate": vocoder_rate}))
    return generator, vocoder


def test_from_models_chains_parts_row_by_row(tmp_path):
    generator, vocoder = _parts(tmp_path)
    pipeline = SpectrogramVocoderPipeline.from_models(generator, vocoder)
    assert isinstance(pipeline, TextToWaveform)
    assert pipeline.spectrogram_generator is generator and pipeline.vocoder is vocoder
    assert pipeline.sample_rate == 16000

    short, long = pipeline.parse("hi"), pipeline.parse("hello")
    batch = torch.zeros(2, 5, dtype=torch.long)
    batch[0, :2], batch[1] = short[0], long[0]
    pipeline.train()
    waves = pipeline.convert_text_to_waveform(tokens=batch)
    assert pipeline.training  # the previous mode comes back
    assert [w.shape[0] for w in waves] == [2 * FRAMES_PER_TOKEN * HOP, 5 * FRAMES_PER_TOKEN * HOP]
    expected = vocoder.convert_spectrogram_to_audio(spec=generator.generate_spectrogram(tokens=short))[0]
    torch.testing.assert_close(waves[0], expected.detach())
    assert not waves[0].requires_grad

    faster = pipeline.convert_text_to_waveform(tokens=long[0], pace=2.0, vocoder_kwargs={"gain": 0.5})
    assert faster[0].shape[0] == 5 * HOP  # generator and vocoder kwargs reach their part
    assert pipeline.convert_text_to_waveform(tokens=batch, token_lengths=torch.tensor([1, 3]))[1].shape[0] == 24
    with pytest.raises(ValueError, match="row 0 of tokens has length 0"):
        pipeline.convert_text_to_waveform(tokens=torch.zeros(1, 3, dtype=torch.long))


def test_save_restore_is_one_archive_with_nested_configs_and_artifacts(tmp_path):
    generator, vocoder = _parts(tmp_path)
    pipeline = SpectrogramVocoderPipeline.from_models(generator, vocoder)
    tokens = pipeline.parse("speech")
    before = pipeline.convert_text_to_waveform(tokens=tokens)[0]
    path = tmp_path / "pipeline.nemo"
    pipeline.save_to(str(path))
    (tmp_path / "vocab.txt").unlink()  # the restored generator must read the packed copy

    config = SpectrogramVocoderPipeline.restore_from(str(path), return_config=True)
    assert config.spectrogram_generator.target.endswith("ToyGenerator")
    assert config.vocoder.target.endswith("ToyVocoder")
    assert config.spectrogram_generator.vocab_file.startswith("nemo:")

    restored = TextToWaveform.restore_from(str(path), map_location="cpu")
    assert type(restored) is SpectrogramVocoderPipeline
    assert isinstance(restored.spectrogram_generator, ToyGenerator)
    assert open(restored.spectrogram_generator.vocab_file).read().startswith("abc")
    torch.testing.assert_close(restored.convert_text_to_waveform(tokens=tokens)[0], before)

    again = tmp_path / "again.nemo"
    restored.save_to(str(again))  # artifacts of a restored pipeline survive a second save
    assert SpectrogramVocoderPipeline.restore_from(str(again), map_location="cpu").spectrogram_generator.vocab_file


def test_bad_configs_name_the_key(tmp_path):
    generator, vocoder = _parts(tmp_path)
    good = {
        "spectrogram_generator": OmegaConf.to_container(generator.cfg),
        "vocoder": OmegaConf.to_container(vocoder.cfg),
    }
    with pytest.raises(ValueError, match="config key 'vocoder' must be a model config"):
        SpectrogramVocoderPipeline(cfg={"spectrogram_generator": good["spectrogram_generator"]})
    swapped = {"spectrogram_generator": good["vocoder"], "vocoder": good["vocoder"]}
    with pytest.raises(ValueError, match="spectrogram_generator.target"):
        SpectrogramVocoderPipeline(cfg=swapped)
    with pytest.raises(ValueError, match="mel settings differ .*sample_rate: 16000 vs 22050"):
        SpectrogramVocoderPipeline.from_models(*_parts(tmp_path, vocoder_rate=22050))
    with pytest.raises(TypeError, match="vocoder must be a Vocoder"):
        SpectrogramVocoderPipeline.from_models(generator, generator)
    with pytest.raises(NotImplementedError, match="inference pipeline"):
        SpectrogramVocoderPipeline.from_models(generator, vocoder).setup_training_data({})
    built = SpectrogramVocoderPipeline(cfg=good)  # from a config: fresh parts of the named classes
    assert isinstance(built.vocoder, ToyVocoder) and built.vocoder is not vocoder


def test_fastpitch_with_griffin_lim_batches_saves_and_restores(tmp_path):
    generator = tiny_tts_models.tiny_fastpitch()
    pipeline = SpectrogramVocoderPipeline.with_griffin_lim(generator, n_iters=2, nnls_iters=2)
    assert pipeline.vocoder.mel.hop_length == 256 and pipeline.vocoder.n_iters == 2 and pipeline.sample_rate == 22050

    first, second = pipeline.parse("Hello there, 42 cats!"), pipeline.parse("Good morning.")
    batch = torch.zeros(2, first.shape[1], dtype=torch.long)
    batch[0], batch[1, : second.shape[1]] = first[0], second[0]
    together = pipeline.convert_text_to_waveform(tokens=batch)
    alone = [pipeline.convert_text_to_waveform(tokens=t)[0] for t in (first, second)]
    for joint, single in zip(together, alone):
        assert joint.shape == single.shape and joint.shape[0] % 256 == 0 and joint.abs().max() > 0
        torch.testing.assert_close(joint, single)

    path = tmp_path / "fastpitch_griffin_lim.nemo"
    pipeline.save_to(str(path))
    restored = SpectrogramVocoderPipeline.restore_from(str(path), map_location="cpu")
    torch.testing.assert_close(restored.convert_text_to_waveform(tokens=first)[0], alone[0])

    with pytest.raises(ValueError, match="mel settings differ .*hop_length: 256 vs 128"):
        wrong = tiny_tts_models.griffin_lim()
        wrong = type(wrong)(
            cfg={**OmegaConf.to_container(wrong.cfg), "hop_length": 128, "win_length": 512, "n_fft": 512}
        )
        SpectrogramVocoderPipeline.from_models(generator, wrong)
