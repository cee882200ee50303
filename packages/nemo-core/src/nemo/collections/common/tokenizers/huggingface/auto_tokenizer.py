"""``AutoTokenizer``: NeMo's tokenizer for HuggingFace model names, resolved to local WordPiece files only.

NeMo v1 delegated to ``transformers.AutoTokenizer.from_pretrained``, which downloads from the hub. Here a name is
served only when its tokenizer is a BERT WordPiece one whose ``vocab.txt`` is on disk (given as ``vocab_file`` or
inside a local model directory); anything else fails with an error that says what to provide.
"""

import json
import os
from typing import Any, Dict, Optional

from nemo.collections.common.tokenizers.bert_wordpiece_tokenizer import BertWordPieceTokenizer

__all__ = ["AutoTokenizer", "WORDPIECE_MODEL_FAMILIES"]

# Model-name prefixes whose tokenizer is BERT WordPiece (v1's Megatron-BERT names use BERT vocabularies).
WORDPIECE_MODEL_FAMILIES = ("bert", "distilbert", "megatron", "biomegatron", "electra", "mobilebert", "squeezebert")
_WORDPIECE_CLASSES = {"BertTokenizer", "DistilBertTokenizer", "ElectraTokenizer", "MobileBertTokenizer",
                      "SqueezeBertTokenizer"}
_OPTION_KEYS = ("do_lower_case", "strip_accents", "tokenize_chinese_chars")


def _lower_case_from_name(name: str) -> bool:
    """BERT releases say "uncased"/"cased" in their names; Chinese BERT is cased; BERT's default is lower case."""
    name = name.lower()
    if "uncased" in name:
        return True
    return not ("cased" in name or "chinese" in name)


def _read_tokenizer_config(directory: str) -> Dict[str, Any]:
    path = os.path.join(directory, "tokenizer_config.json")
    if not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as f:
        try:
            config = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}:{e.lineno}: not valid JSON: {e.msg}") from e
    tokenizer_class = (config.get("tokenizer_class") or "BertTokenizer").removesuffix("Fast")
    if tokenizer_class not in _WORDPIECE_CLASSES:
        raise ValueError(
            f"{path}: tokenizer_class {config['tokenizer_class']!r} is not a WordPiece tokenizer; only "
            f"{sorted(_WORDPIECE_CLASSES)} can be loaded without transformers"
        )
    return config


def _token_text(value: Any) -> Optional[str]:
    """Special tokens in tokenizer_config.json are strings or AddedToken dicts ``{"content": ...}``."""
    return value.get("content") if isinstance(value, dict) else value


class AutoTokenizer(BertWordPieceTokenizer):
    """NeMo's ``AutoTokenizer(pretrained_model_name, vocab_file=None, ...)`` for WordPiece models, offline.

    ``pretrained_model_name`` is either a local directory holding ``vocab.txt`` (and optionally
    ``tokenizer_config.json`` with ``do_lower_case`` etc.), or a BERT-family name such as ``bert-base-uncased``
    together with ``vocab_file`` (lower-casing follows "uncased"/"cased" in the name). Given special tokens override
    the defaults and are added to the vocabulary when new; ``bos``/``eos`` default to ``cls``/``sep`` as in NeMo.
    ``use_fast`` is accepted for compatibility: there is a single (Rust) implementation.
    """

    def __init__(
        self,
        pretrained_model_name: str,
        vocab_file: Optional[str] = None,
        merges_file: Optional[str] = None,
        mask_token: Optional[str] = None,
        bos_token: Optional[str] = None,
        eos_token: Optional[str] = None,
        pad_token: Optional[str] = None,
        sep_token: Optional[str] = None,
        cls_token: Optional[str] = None,
        unk_token: Optional[str] = None,
        use_fast: Optional[bool] = False,
    ) -> None:
        if merges_file is not None:
            raise ValueError(
                f"AutoTokenizer({pretrained_model_name!r}): merges_file is for byte-level BPE tokenizers (GPT-2, "
                "RoBERTa), which need transformers; only WordPiece vocab.txt files are supported"
            )
        options: Dict[str, Any] = {}
        defaults: Dict[str, Any] = {}
        if os.path.isdir(pretrained_model_name):
            config = _read_tokenizer_config(pretrained_model_name)
            options = {key: config[key] for key in _OPTION_KEYS if key in config}
            defaults = {key: _token_text(config[key]) for key in ("unk_token", "sep_token", "pad_token", "cls_token",
                                                                   "mask_token") if config.get(key)}
            vocab_file = vocab_file or os.path.join(pretrained_model_name, "vocab.txt")
            if not os.path.isfile(vocab_file):
                raise ValueError(f"AutoTokenizer: model directory {pretrained_model_name!r} has no vocab.txt")
        else:
            family = pretrained_model_name.rsplit("/", 1)[-1].lower()
            if not family.startswith(WORDPIECE_MODEL_FAMILIES):
                raise ValueError(
                    f"AutoTokenizer: {pretrained_model_name!r} is not a BERT WordPiece model (known families: "
                    f"{', '.join(WORDPIECE_MODEL_FAMILIES)}); its tokenizer would have to come from the HuggingFace "
                    "hub, which this implementation never contacts. Pass a local model directory instead."
                )
            if vocab_file is None:
                raise ValueError(
                    f"AutoTokenizer: {pretrained_model_name!r} would have to be downloaded from the HuggingFace hub, "
                    "which this implementation never contacts; pass vocab_file=<its vocab.txt> or a local directory"
                )
            options["do_lower_case"] = _lower_case_from_name(pretrained_model_name)
        self.pretrained_model_name = pretrained_model_name
        given = dict(unk_token=unk_token, sep_token=sep_token, pad_token=pad_token, cls_token=cls_token,
                     mask_token=mask_token)
        tokens = {**{"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
                     "mask_token": "[MASK]"}, **defaults, **{k: v for k, v in given.items() if v is not None}}
        tokens["bos_token"] = bos_token or tokens["cls_token"]
        tokens["eos_token"] = eos_token or tokens["sep_token"]
        super().__init__(vocab_file, **options, **tokens)
