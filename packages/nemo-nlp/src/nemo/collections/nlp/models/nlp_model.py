"""``NLPModel``: base of the NLP models; keeps tokenizer and encoder files inside the ``.nemo``.

The tokenizer's vocabulary (or SentencePiece model) and the encoder's ``config.json`` are registered as artifacts,
so a restored model rebuilds its tokenizer and its encoder without any file from the original machine. Data loaders
come from ModelPT's data-setup hook (``_build_dataset``), with NeMo v1's NLP conventions on top (see
``_setup_dataloader_from_config``).
"""

import os
import tempfile
from typing import Any, Dict, Optional, Tuple, Union

import pytorch_lightning as pl
from omegaconf import DictConfig, OmegaConf, open_dict

from nemo.collections.common.tokenizers.bert_wordpiece_tokenizer import BertWordPieceTokenizer
from nemo.collections.common.tokenizers.huggingface.auto_tokenizer import _lower_case_from_name
from nemo.collections.common.tokenizers.tokenizer_spec import TokenizerSpec
from nemo.collections.common.tokenizers.tokenizer_utils import get_tokenizer
from nemo.collections.nlp.modules.common.lm_utils import get_lm_model
from nemo.core.classes.artifacts import is_model_being_restored
from nemo.core.classes.exportable import Exportable
from nemo.core.classes.modelPT import ModelPT
from nemo.core.neural_types import NeuralType
from nemo.utils import logging
from nemo.utils.model_utils import convert_model_config_to_dict_config

__all__ = ["NLPModel"]

_CONFIG_FILE_KEY = "language_model.config_file"


class NLPModel(ModelPT, Exportable):
    """ModelPT with a ``model.tokenizer`` (its files registered as artifacts), the encoder config registered for
    BERT-based models, and NeMo v1's NLP data-config conventions.

    BERT-based subclasses call :meth:`setup_bert_model` after ``super().__init__`` (or create ``self.bert_model``
    themselves and call :meth:`register_bert_model`).
    """

    # Data config keys naming a model's data files: a ``*_ds`` node that leaves one of them empty builds no loader.
    data_file_keys: Tuple[str, ...] = ()
    # The flat ``*_ds`` shape of NeMo's NLP configs (no ``dataset``/``dataloader_params`` nodes).
    nested_data_config = False
    # v1's text classification draws its ``num_samples`` examples at random with the loader's ``shuffle``.
    dataset_loader_keys = frozenset({"shuffle"})

    def __init__(self, cfg: Union[DictConfig, Any], trainer: Optional[pl.Trainer] = None) -> None:
        cfg = convert_model_config_to_dict_config(cfg)
        # The tokenizer's files go into the config before ModelPT stores it (and its hyper-parameters), as ASR's BPE
        # models do; register_artifact reads this attribute.
        self._artifact_store = None
        self.tokenizer: Optional[TokenizerSpec] = None
        if cfg.get("tokenizer") is not None:
            self.setup_tokenizer(cfg.tokenizer)
        super().__init__(cfg=cfg, trainer=trainer)
        language_model = self._cfg.get("language_model")
        if language_model is not None:
            # A restored model reads its encoder config from the archive; its weights come from the archive too.
            self.register_artifact(_CONFIG_FILE_KEY, language_model.get("config_file"))
            if is_model_being_restored() and language_model.get("lm_checkpoint"):
                with open_dict(self._cfg):
                    self._cfg.language_model.lm_checkpoint = None

    @property
    def input_types(self) -> Optional[Dict[str, NeuralType]]:
        """The encoder's inputs (``input_ids``, ``token_type_ids``, ``attention_mask``) for a BERT-based model."""
        bert_model = getattr(self, "bert_model", None)
        return None if bert_model is None else bert_model.input_types

    def register_artifact(self, config_path: str, src: Optional[str], verify_src_exists: bool = False) -> Optional[str]:
        """As ModelPT's, optional by default (v1 NLP models pass ``verify_src_exists=False``)."""
        return super().register_artifact(config_path, src, verify_src_exists=verify_src_exists)

    def setup_tokenizer(self, cfg: DictConfig) -> None:
        """Build ``self.tokenizer`` from ``model.tokenizer`` and register its files (updating ``cfg`` in place).

        A WordPiece tokenizer named by a local model directory has its ``vocab.txt`` registered and its
        lower-casing recorded as ``do_lower_case``, so the restored model needs neither.
        """
        name = cfg.get("tokenizer_name")
        if not name:
            raise ValueError("model.tokenizer.tokenizer_name is required (e.g. bert-base-uncased or a model directory)")
        vocab_file = cfg.get("vocab_file")
        if not vocab_file and os.path.isfile(os.path.join(str(name), "vocab.txt")):
            vocab_file = os.path.join(str(name), "vocab.txt")
        vocab_file = self.register_artifact("tokenizer.vocab_file", vocab_file)
        tokenizer_model = self.register_artifact("tokenizer.tokenizer_model", cfg.get("tokenizer_model"))
        special_tokens = cfg.get("special_tokens")
        special = OmegaConf.to_container(special_tokens) if isinstance(special_tokens, DictConfig) else special_tokens
        if name in ("sentencepiece", "word", "char") or os.path.isdir(str(name)):
            tokenizer = get_tokenizer(
                tokenizer_name=name, tokenizer_model=tokenizer_model, vocab_file=vocab_file, special_tokens=special
            )
        elif vocab_file:
            # A WordPiece vocabulary (possibly extracted from a .nemo): no hub name lookup is needed.
            do_lower_case = cfg.get("do_lower_case")
            tokenizer = BertWordPieceTokenizer(
                vocab_file,
                do_lower_case=_lower_case_from_name(str(name)) if do_lower_case is None else bool(do_lower_case),
                **(special or {}),
            )
        else:
            tokenizer = get_tokenizer(tokenizer_name=name, special_tokens=special)
        do_lower_case = getattr(tokenizer, "do_lower_case", None)  # set by WordPiece tokenizers only
        if do_lower_case is not None and not vocab_file:  # a WordPiece vocab.txt from the Hub: pack it
            vocab_file = self.register_artifact("tokenizer.vocab_file", tokenizer.vocab_file)
        with open_dict(cfg):
            cfg.vocab_file = vocab_file
            cfg.tokenizer_model = tokenizer_model
            if do_lower_case is not None:
                cfg.do_lower_case = do_lower_case
        self.tokenizer = tokenizer

    def setup_bert_model(self) -> None:
        """``self.bert_model`` from ``model.language_model`` (its WordPiece vocabulary checked against
        ``model.tokenizer.vocab_file``), its config registered by :meth:`register_bert_model`."""
        language_model = self._cfg.language_model
        self.bert_model = get_lm_model(
            pretrained_model_name=language_model.pretrained_model_name,
            config_file=language_model.get("config_file"),
            config_dict=language_model.get("config"),
            checkpoint_file=language_model.get("lm_checkpoint"),
            vocab_file=self._cfg.tokenizer.get("vocab_file"),
        )
        self.register_bert_model()

    def register_bert_model(self) -> None:
        """Write ``self.bert_model.config`` as JSON and register it as ``language_model.config_file``."""
        config = getattr(getattr(self, "bert_model", None), "config", None)
        if _CONFIG_FILE_KEY in (getattr(self, "artifacts", None) or {}):
            return  # the encoder was built from a registered config file (a restored model): keep that one
        if config is None or not hasattr(config, "to_json_file"):
            logging.warning("register_bert_model: self.bert_model has no config to save; nothing registered")
            return
        self._bert_config_dir = tempfile.TemporaryDirectory(prefix="nemo_nlp_encoder_")
        path = os.path.join(self._bert_config_dir.name, "config.json")
        config.to_json_file(path)
        self.register_artifact(_CONFIG_FILE_KEY, path)

    def input_example(self, max_batch: int = 2, max_dim: int = 16) -> Any:
        """``(input_ids, token_type_ids, attention_mask)``: the order of the models' ``forward``."""
        input_ids, attention_mask, token_type_ids = self.bert_model.input_example(max_batch=max_batch, max_dim=max_dim)
        return input_ids, token_type_ids, attention_mask
