"""EncDecRNNTBPEModel: labels, decoding and WER from the tokenizer, and the NGC listing (what both sub-word models
share is tested in tests/parts/mixins/test_mixins.py)."""

from asr_models_testing import bpe_config, make_tokenizer_dir
from rnnt_testing import rnnt_config

from nemo.collections.asr.metrics.rnnt_wer_bpe import RNNTBPEWER
from nemo.collections.asr.models import ASRModel, EncDecRNNTBPEModel
from nemo.collections.asr.parts.submodules.rnnt_decoding import RNNTBPEDecoding


def test_labels_decoding_and_wer_come_from_the_tokenizer(tmp_path, tokenizer_dir):
    model = EncDecRNNTBPEModel(cfg=bpe_config(rnnt_config(), tokenizer_dir))
    assert list(model.cfg.labels) == model.tokenizer.vocab
    assert isinstance(model.decoding, RNNTBPEDecoding) and isinstance(model.wer, RNNTBPEWER)
    assert model.decoding.decode_tokens_to_str(model.tokenizer.text_to_ids("hello world")) == "hello world"
    model.change_vocabulary(str(make_tokenizer_dir(tmp_path / "other", vocab_size=20)), "bpe")
    assert model.decoding.blank_id == 20 and list(model.cfg.labels) == model.tokenizer.vocab


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
