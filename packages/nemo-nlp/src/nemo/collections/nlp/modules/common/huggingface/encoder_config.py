"""``EncoderConfig``: the ``config.json`` of a BERT-family encoder, readable under BERT's attribute names."""

import json
import os
from typing import Any, Dict, Mapping, Optional

__all__ = [
    "ALBERT_DEFAULTS",
    "BERT_DEFAULTS",
    "DISTILBERT_DEFAULTS",
    "ROBERTA_DEFAULTS",
    "EncoderConfig",
    "read_config_json",
]

# bert-base-uncased / distilbert-base-uncased / roberta-base / albert-base-v2 values, for keys a config leaves out.
BERT_DEFAULTS: Dict[str, Any] = {
    "model_type": "bert",
    "vocab_size": 30522,
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "attention_probs_dropout_prob": 0.1,
    "max_position_embeddings": 512,
    "type_vocab_size": 2,
    "initializer_range": 0.02,
    "layer_norm_eps": 1e-12,
    "pad_token_id": 0,
    "position_embedding_type": "absolute",
}
DISTILBERT_DEFAULTS: Dict[str, Any] = {
    "model_type": "distilbert",
    "vocab_size": 30522,
    "dim": 768,
    "n_layers": 6,
    "n_heads": 12,
    "hidden_dim": 3072,
    "activation": "gelu",
    "dropout": 0.1,
    "attention_dropout": 0.1,
    "max_position_embeddings": 512,
    "sinusoidal_pos_embds": False,
    "initializer_range": 0.02,
    "pad_token_id": 0,
}
ROBERTA_DEFAULTS: Dict[str, Any] = {
    **BERT_DEFAULTS,
    "model_type": "roberta",
    "vocab_size": 50265,
    "max_position_embeddings": 514,
    "type_vocab_size": 1,
    "layer_norm_eps": 1e-5,
    "pad_token_id": 1,
}
ALBERT_DEFAULTS: Dict[str, Any] = {
    **BERT_DEFAULTS,
    "model_type": "albert",
    "vocab_size": 30000,
    "embedding_size": 128,
    "num_hidden_groups": 1,
    "inner_group_num": 1,
    "hidden_act": "gelu_new",
    "hidden_dropout_prob": 0.0,
    "attention_probs_dropout_prob": 0.0,
}
_DEFAULTS = {
    "bert": BERT_DEFAULTS,
    "distilbert": DISTILBERT_DEFAULTS,
    "roberta": ROBERTA_DEFAULTS,
    "albert": ALBERT_DEFAULTS,
}
# DistilBERT's own key -> the BERT name it is also readable under (as HF's attribute_map does).
_DISTILBERT_ALIASES = {
    "hidden_size": "dim",
    "num_hidden_layers": "n_layers",
    "num_attention_heads": "n_heads",
    "intermediate_size": "hidden_dim",
    "hidden_act": "activation",
    "hidden_dropout_prob": "dropout",
    "attention_probs_dropout_prob": "attention_dropout",
}


def read_config_json(path: str) -> Dict[str, Any]:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Encoder config file {path!r} does not exist")
    with open(path, encoding="utf-8") as f:
        try:
            config = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}:{e.lineno}: not valid JSON: {e.msg}") from e
    if not isinstance(config, dict):
        raise ValueError(f"{path}: expected a JSON object, got {type(config).__name__}")
    return config


class EncoderConfig:
    """Config values of one encoder; DistilBERT configs also answer to BERT names (``hidden_size`` -> ``dim``)."""

    def __init__(self, values: Mapping[str, Any], model_type: Optional[str] = None) -> None:
        values = dict(values)
        model_type = model_type or values.get("model_type") or "bert"
        if model_type not in _DEFAULTS:
            raise ValueError(
                f"Encoder config: model_type {model_type!r} is not supported; expected one of {list(_DEFAULTS)}"
            )
        defaults = _DEFAULTS[model_type]
        if model_type == "distilbert":  # BERT-style keys given for a DistilBERT config are moved to its own names
            for bert_name, own in _DISTILBERT_ALIASES.items():
                if bert_name in values and own not in values:
                    values[own] = values.pop(bert_name)
        self._values = {**defaults, **values, "model_type": model_type}

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__.get("_values", {})
        if values.get("model_type") == "distilbert" and name in _DISTILBERT_ALIASES:
            name = _DISTILBERT_ALIASES[name]
        if name in values:
            return values[name]
        raise AttributeError(f"Encoder config has no {name!r}")

    def to_dict(self) -> Dict[str, Any]:
        return dict(self._values)

    def to_json_file(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self._values, f, indent=2, sort_keys=True)
            f.write("\n")

    def __repr__(self) -> str:
        return f"EncoderConfig({self._values})"
