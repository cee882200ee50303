"""``get_lm_model``: build a BERT-family encoder from a config, a local checkpoint directory or the Hugging Face Hub.

A pretrained name is a local directory holding ``config.json`` and ``model.safetensors``/``pytorch_model.bin``, or
``<name>`` inside the NeMo model cache (``$NEMO_CACHE_DIR``, default ``~/.cache/nemo``), or else a Hub repository
fetched by ``huggingface_hub`` into its cache (``HF_HUB_OFFLINE=1`` uses that cache only; see
``nemo.collections.common.hf_hub``). Weights are read as tensors only; ``transformers`` is never needed.
"""

import os
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

from nemo.collections.common.hf_hub import pretrained_model_dir
from nemo.collections.nlp.modules.common.bert_module import BertModule
from nemo.collections.nlp.modules.common.huggingface.albert_encoder import AlbertEncoder
from nemo.collections.nlp.modules.common.huggingface.bert_encoder import BertEncoder
from nemo.collections.nlp.modules.common.huggingface.distilbert_encoder import DistilBertEncoder
from nemo.collections.nlp.modules.common.huggingface.encoder_config import EncoderConfig, read_config_json
from nemo.collections.nlp.modules.common.huggingface.roberta_encoder import RobertaEncoder
from nemo.utils import logging

__all__ = [
    "get_lm_model",
    "get_pretrained_lm_models_list",
    "encoder_from_config",
    "encoder_from_pretrained",
    "WEIGHT_FILES",
]

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
# Names v1 listed for the BERT-family encoders this implementation builds (any Hub repository of these families works).
_KNOWN_MODELS = (
    "bert-base-uncased",
    "bert-large-uncased",
    "bert-base-cased",
    "bert-large-cased",
    "bert-base-multilingual-uncased",
    "bert-base-multilingual-cased",
    "bert-base-chinese",
    "distilbert-base-uncased",
    "distilbert-base-cased",
    "distilbert-base-multilingual-cased",
    "roberta-base",
    "roberta-large",
    "distilroberta-base",
    "albert-base-v1",
    "albert-large-v1",
    "albert-xlarge-v1",
    "albert-xxlarge-v1",
    "albert-base-v2",
    "albert-large-v2",
    "albert-xlarge-v2",
    "albert-xxlarge-v2",
)
_ENCODERS = {"bert": BertEncoder, "distilbert": DistilBertEncoder, "roberta": RobertaEncoder, "albert": AlbertEncoder}


def get_pretrained_lm_models_list(include_external: bool = False) -> List[str]:
    """BERT-family model names the collection knows; ``include_external`` is kept for v1 compatibility."""
    return list(_KNOWN_MODELS)


def _model_type(values: Mapping[str, Any], name: Optional[str]) -> str:
    """``model_type`` of the config, else guessed from DistilBERT's own keys or the model name."""
    if values.get("model_type"):
        return str(values["model_type"])
    if "dim" in values or "n_layers" in values:
        return "distilbert"
    base = (name or "").rsplit("/", 1)[-1].lower()
    return next((family for family in ("distilbert", "roberta", "albert") if family in base), "bert")


def encoder_from_config(values: Mapping[str, Any], name: Optional[str] = None) -> BertModule:
    """A randomly initialised encoder; the family comes from ``model_type``, DistilBERT keys or the model name."""
    config = EncoderConfig(values, model_type=_model_type(values, name))
    return _ENCODERS[config.model_type](config)


def encoder_from_pretrained(directory: Path) -> BertModule:
    """Encoder with the weights of a checkpoint directory (``config.json`` + safetensors or weights-only .bin)."""
    weights = next((directory / f for f in WEIGHT_FILES if (directory / f).is_file()), None)
    if weights is None:
        raise FileNotFoundError(f"{directory}: no encoder weights; expected one of {', '.join(WEIGHT_FILES)}")
    encoder = encoder_from_config(read_config_json(str(directory / "config.json")), name=directory.name)
    encoder.restore_weights(str(weights))
    return encoder


def get_lm_model(
    pretrained_model_name: str,
    config_dict: Optional[Mapping[str, Any]] = None,
    config_file: Optional[str] = None,
    checkpoint_file: Optional[str] = None,
    vocab_file: Optional[str] = None,
    revision: Optional[str] = None,
) -> BertModule:
    """The encoder for ``model.language_model``: random from ``config_file``/``config_dict``, else pretrained.

    With a config the weights are random (as in v1), unless ``checkpoint_file`` gives them. Without one the
    pretrained name is a local directory, a NeMo-cache entry or a Hub repository (at ``revision``; see the module
    docstring). A WordPiece ``vocab_file`` is checked against the encoder's vocabulary size.
    """
    name = pretrained_model_name or ""
    if config_file:
        values = read_config_json(config_file)
        if config_dict:
            # A saved model keeps both (the config it was built from and the config.json written from its encoder):
            # only a disagreement is worth a warning.
            given = _plain_dict(config_dict)
            differing = sorted(k for k in given.keys() & values.keys() if given[k] != values[k])
            if differing:
                logging.warning(
                    f"get_lm_model: config_file {config_file} and config_dict differ in {', '.join(differing)}; "
                    "config_file is used"
                )
        encoder = encoder_from_config(values, name=name)
    elif config_dict:
        values: Dict[str, Any] = _plain_dict(config_dict)
        encoder = encoder_from_config(values, name=name)
    elif not name:
        raise ValueError(
            "get_lm_model: give language_model.pretrained_model_name (a Hub name or a checkpoint directory), "
            "language_model.config_file or language_model.config"
        )
    else:
        directory = pretrained_model_dir(
            name, ["config.json"], ["config.json"], revision=revision, alternatives=WEIGHT_FILES
        )
        encoder = encoder_from_pretrained(directory)
    if checkpoint_file:
        encoder.restore_weights(checkpoint_file)
    if vocab_file and vocab_file.endswith(".txt") and os.path.isfile(vocab_file):  # a WordPiece vocab.txt
        with open(vocab_file, encoding="utf-8") as f:
            vocab_size = sum(1 for _ in f)
        if vocab_size > encoder.config.vocab_size:
            logging.warning(
                f"{vocab_file} has {vocab_size} tokens but the encoder embeds only {encoder.config.vocab_size}"
            )
    return encoder


def _plain_dict(config: Mapping[str, Any]) -> Dict[str, Any]:
    """A DictConfig or mapping as a plain dict."""
    try:
        from omegaconf import DictConfig, OmegaConf

        if isinstance(config, DictConfig):
            return OmegaConf.to_container(config, resolve=True)  # type: ignore[return-value]
    except ImportError:  # pragma: no cover - omegaconf is a nemo-core dependency
        pass
    return dict(config)
