"""EncDecRNNTBPEModel: the vocabulary and artifacts come from the tokenizer, training, transcription and a
save/restore without the tokenizer's folder, change_vocabulary to another tokenizer, and the NGC listing."""

import pytest
import torch
from asr_models_testing import TEXTS, manifest_paths
from rnnt_testing import rnnt_config

from nemo.collections.asr.metrics.rnnt_wer_bpe import RNNTBPEWER
from nemo.collections.asr.models import ASRModel, EncDecRNNTBPEModel
from nemo.collections.asr.parts.submodules.rnnt_decoding import RNNTBPEDecoding
from nemo.collections.common.tokenizers.sentencepiece_tokenizer import create_spt_model


def _tokenizer_dir(tmp_path, name, vocab_size, texts=TEXTS):
    corpus = tmp_path / f"{name}.txt"
    corpus.write_text("\n".join(list(texts) * 20) + "\n", encoding="utf-8")
    create_spt_model(
        str(corpus), vocab_size=vocab_size, sample_size=-1, do_lower_case=True, tokenizer_type="bpe",
        output_dir=str(tmp_path / name),
    )  # fmt: skip
    return tmp_path / name


def _bpe_config(tokenizer_dir, manifest=None):
    cfg = rnnt_config()
    cfg.pop("labels")
    cfg["tokenizer"] = {"dir": str(tokenizer_dir), "type": "bpe"}
    if manifest is not None:
        cfg["train_ds"] = {"manifest_filepath": str(manifest), "sample_rate": 16000, "batch_size": 3}
    return cfg


@pytest.fixture
def tokenizer_dir(tmp_path):
    return _tokenizer_dir(tmp_path, "spe", vocab_size=28)


def test_vocabulary_decoding_and_artifacts_come_from_the_tokenizer(tokenizer_dir):
    model = EncDecRNNTBPEModel(cfg=_bpe_config(tokenizer_dir))
    assert model.tokenizer.vocab_size == 28 and list(model.cfg.labels) == model.tokenizer.vocab
    assert model.joint.num_classes_with_blank == 29 and model.cfg.decoder.vocab_size == 28
    assert isinstance(model.decoding, RNNTBPEDecoding) and isinstance(model.wer, RNNTBPEWER)
    assert set(model.artifacts) == {"tokenizer.model_path", "tokenizer.vocab_path", "tokenizer.spe_tokenizer_vocab"}
    assert model.decoding.decode_tokens_to_str(model.tokenizer.text_to_ids("hello world")) == "hello world"
    cfg = _bpe_config(tokenizer_dir)
    del cfg["tokenizer"]
    with pytest.raises(ValueError, match="tokenizer"):
        EncDecRNNTBPEModel(cfg=cfg)


def test_trains_and_survives_save_restore_without_the_tokenizer_dir(tmp_path, tokenizer_dir, text_corpus):
    torch.manual_seed(0)
    model = EncDecRNNTBPEModel(cfg=_bpe_config(tokenizer_dir, text_corpus))
    batch = next(iter(model._train_dl))
    out = model.training_step(batch, 0)
    assert torch.isfinite(out["loss"]) and out["loss"].requires_grad and "training_batch_wer" in out["log"]
    files = manifest_paths(text_corpus)
    expected = model.transcribe(files, batch_size=3)
    assert len(expected) == len(files) and all(isinstance(t, str) for t in expected)
    path = tmp_path / "bpe.nemo"
    model.save_to(str(path))
    for item in tokenizer_dir.iterdir():
        item.unlink()
    tokenizer_dir.rmdir()
    restored = ASRModel.restore_from(str(path))
    assert type(restored) is EncDecRNNTBPEModel and restored.transcribe(files, batch_size=3) == expected
    assert restored.tokenizer.vocab == model.tokenizer.vocab


def test_change_vocabulary_switches_to_another_tokenizer(tmp_path, tokenizer_dir, text_corpus):
    model = EncDecRNNTBPEModel(cfg=_bpe_config(tokenizer_dir))
    encoder = {k: v.clone() for k, v in model.encoder.state_dict().items()}
    other = _tokenizer_dir(tmp_path, "other", vocab_size=20)
    model.change_vocabulary(str(other), "bpe")
    assert model.tokenizer.vocab_size == 20 and model.joint.num_classes_with_blank == 21
    assert model.decoding.blank_id == 20 and model.loss._blank == 20 and model.cfg.decoder.vocab_size == 20
    assert model.cfg.tokenizer.dir == str(other) and len(model.cfg.labels) == 20
    assert all(torch.equal(v, encoder[k]) for k, v in model.encoder.state_dict().items())
    texts = model.transcribe(manifest_paths(text_corpus)[:2])
    assert len(texts) == 2
    model.save_to(str(tmp_path / "other.nemo"))
    assert EncDecRNNTBPEModel.restore_from(str(tmp_path / "other.nemo")).tokenizer.vocab_size == 20
    with pytest.raises(NotADirectoryError):
        model.change_vocabulary(str(tmp_path / "missing"), "bpe")
    with pytest.raises(ValueError, match="bpe"):
        model.change_vocabulary(str(other), "chars")


def test_list_available_models_lists_nemos_transducers():
    models = {m.pretrained_model_name: m for m in EncDecRNNTBPEModel.list_available_models()}
    assert {"stt_en_contextnet_256", "stt_en_conformer_transducer_small", "stt_en_conformer_transducer_large"} <= set(
        models
    )
    assert models["stt_en_conformer_transducer_small"].location == (
        "https://api.ngc.nvidia.com/v2/models/nvidia/nemo/stt_en_conformer_transducer_small/versions/1.6.0/files/"
        "stt_en_conformer_transducer_small.nemo"
    )
    everything = {m.pretrained_model_name: m for m in ASRModel.list_available_models()}
    assert everything["stt_en_contextnet_512"].class_ is EncDecRNNTBPEModel
