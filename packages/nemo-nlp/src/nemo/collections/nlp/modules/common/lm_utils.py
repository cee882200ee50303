"""``get_lm_model``: build a BERT-family encoder from a config, a local checkpoint directory or the model cache.

NeMo v1 went through ``transformers.AutoModel`` (downloading from the hub). Here a pretrained name resolves only to
a local directory holding ``config.json`` and ``model.safetensors``/``pytorch_model.bin``: the name itself, or
``<name>`` inside the NeMo model cache (``$NEMO_CACHE_DIR``, default ``~/.cache/nemo``). Nothing is downloaded.
"""

import os
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

from nemo.collections.nlp.modules.common.bert_module import BertModule
from nemo.collections.nlp.modules.common.huggingface.bert_encoder import BertEncoder
from nemo.collections.nlp.modules.common.huggingface.distilbert_encoder import DistilBertEncoder
from nemo.collections.nlp.modules.common.huggingface.encoder_config import EncoderConfig, read_config_json
from nemo.utils import logging

__all__ = [
    "get_lm_model",
    "get_pretrained_lm_models_list",
    "encoder_from_config",
    "encoder_from_pretrained",
    "resolve_pretrained_dir",
    "WEIGHT_FILES",
]

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
# Names v1 listed for the BERT-family encoders this implementation builds (weights must be on disk).
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
)


def get_pretrained_lm_models_list(include_external: bool = False) -> List[str]:
    """BERT-family model names the collection knows; ``include_external`` is kept for v1 compatibility."""
    return list(_KNOWN_MODELS)


def _model_type(values: Mapping[str, Any], name: Optional[str]) -> str:
    if values.get("model_type"):
        return str(values["model_type"])
    if "dim" in values or "n_layers" in values or (name and "distilbert" in name.lower()):
        return "distilbert"
    return "bert"


def encoder_from_config(values: Mapping[str, Any], name: Optional[str] = None) -> BertModule:
    """A randomly initialised encoder; the family comes from ``model_type``, DistilBERT keys or the model name."""
    config = EncoderConfig(values, model_type=_model_type(values, name))
    return DistilBertEncoder(config) if config.model_type == "distilbert" else BertEncoder(config)


def resolve_pretrained_dir(pretrained_model_name: str) -> Optional[Path]:
    """The local directory with ``config.json`` for a name: the path itself or ``<model cache>/<name>``."""
    from nemo.core.pretrained_cache import default_cache_dir

    for candidate in (Path(pretrained_model_name).expanduser(), default_cache_dir() / pretrained_model_name):
        if (candidate / "config.json").is_file():
            return candidate
    return None


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
) -> BertModule:
    """The encoder for ``model.language_model``: random from ``config_file``/``config_dict``, else pretrained.

    With a config the weights are random (as in v1), unless ``checkpoint_file`` gives them. Without one the
    pretrained name must resolve to a local checkpoint directory (see the module docstring). ``vocab_file`` is
    checked against the encoder's vocabulary size.
    """
    if config_file and config_dict:
        logging.warning("get_lm_model: both config_file and config_dict given; config_file is used")
    name = pretrained_model_name or ""
    if config_file:
        encoder = encoder_from_config(read_config_json(config_file), name=name)
    elif config_dict:
        values: Dict[str, Any] = _plain_dict(config_dict)
        encoder = encoder_from_config(values, name=name)
    else:
        directory = resolve_pretrained_dir(name) if name else None
        if directory is None:
            from nemo.core.pretrained_cache import default_cache_dir

            raise FileNotFoundError(
                f"get_lm_model: pretrained_model_name={name!r} is neither a local directory with config.json nor "
                f"cached under {default_cache_dir() / name} ($NEMO_CACHE_DIR); models are never downloaded. Put the "
                f"checkpoint directory (config.json, vocab.txt, {' or '.join(WEIGHT_FILES)}) there, or give "
                "language_model.config_file / language_model.config for a randomly initialised encoder"
            )
        encoder = encoder_from_pretrained(directory)
    if checkpoint_file:
        encoder.restore_weights(checkpoint_file)
    if vocab_file and os.path.isfile(vocab_file):
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
