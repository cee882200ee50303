import json

import pytest

from nemo.collections.nlp.modules.common.huggingface.encoder_config import EncoderConfig, read_config_json


def test_distilbert_answers_to_bert_names():
    config = EncoderConfig({"dim": 64, "n_layers": 3}, model_type="distilbert")
    assert (config.hidden_size, config.num_hidden_layers, config.num_attention_heads) == (64, 3, 12)
    moved = EncoderConfig({"hidden_size": 48}, model_type="distilbert")
    assert moved.dim == 48 and moved.to_dict()["dim"] == 48


def test_bert_defaults_fill_missing_keys_and_round_trip(tmp_path):
    config = EncoderConfig({"hidden_size": 32})
    assert config.intermediate_size == 3072 and config.model_type == "bert"
    path = tmp_path / "config.json"
    config.to_json_file(str(path))
    assert EncoderConfig(read_config_json(str(path))).to_dict() == config.to_dict()
    with pytest.raises(AttributeError, match="no 'nope'"):
        _ = config.nope


def test_unsupported_family_and_bad_json_are_reported(tmp_path):
    with pytest.raises(ValueError, match="model_type 'xlnet' is not supported"):
        EncoderConfig({"model_type": "xlnet"})
    path = tmp_path / "config.json"
    path.write_text('{\n  "hidden_size": 32,\n  oops\n}')
    with pytest.raises(ValueError, match=r"config.json:3: not valid JSON"):
        read_config_json(str(path))
    path.write_text(json.dumps([1, 2]))
    with pytest.raises(ValueError, match="expected a JSON object"):
        read_config_json(str(path))
