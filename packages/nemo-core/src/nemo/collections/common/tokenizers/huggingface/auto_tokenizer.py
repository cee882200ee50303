"""``AutoTokenizer``: NeMo's tokenizer for Hugging Face model names, without ``transformers``.

NeMo v1 delegated to ``transformers.AutoTokenizer.from_pretrained``. Here the tokenizer files come from a local
directory or the Hub (``nemo.collections.common.hf_hub``: its cache, ``HF_HUB_OFFLINE``, revisions), and HF's Rust
``tokenizers`` library runs them: WordPiece from ``vocab.txt`` (BERT, DistilBERT), byte-level BPE from
``vocab.json`` + ``merges.txt`` (RoBERTa, GPT-2), and any other fast tokenizer from its ``tokenizer.json`` (ALBERT's
SentencePiece Unigram, ...).
"""

import json
import os
from typing import Any, Dict, Optional, Tuple

from nemo.collections.common.hf_hub import pretrained_model_dir
from nemo.collections.common.tokenizers.bert_wordpiece_tokenizer import (
    WORDPIECE_SPECIAL_TOKENS,
    read_wordpiece_vocab,
    wordpiece_pipeline,
)
from nemo.collections.common.tokenizers.fast_tokenizer import SPECIAL_TOKEN_NAMES, FastTokenizer
from nemo.utils.config_keys import refuse_unknown_keys

__all__ = ["AutoTokenizer", "TOKENIZER_FILES"]

_WORDPIECE_CLASSES = {
    "BertTokenizer",
    "DistilBertTokenizer",
    "ElectraTokenizer",
    "MobileBertTokenizer",
    "SqueezeBertTokenizer",
}
_BPE_CLASSES = {"RobertaTokenizer", "GPT2Tokenizer"}
# The files a tokenizer may need; only those a repository has are downloaded.
TOKENIZER_FILES = (
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "vocab.json",
    "merges.txt",
    "tokenizer.json",
)
_OPTION_KEYS = ("do_lower_case", "strip_accents", "tokenize_chinese_chars")
_WORDPIECE_TOKENS = {
    "unk_token": "[UNK]",
    "sep_token": "[SEP]",
    "pad_token": "[PAD]",
    "cls_token": "[CLS]",
    "mask_token": "[MASK]",
}
_TOKEN_CANDIDATES = {
    "unk_token": ("[UNK]", "<unk>"),
    "sep_token": ("[SEP]", "</s>"),
    "pad_token": ("[PAD]", "<pad>"),
    "cls_token": ("[CLS]", "<s>"),
    "mask_token": ("[MASK]", "<mask>"),
}
_ROBERTA_TOKENS = {
    "unk_token": "<unk>",
    "sep_token": "</s>",
    "pad_token": "<pad>",
    "cls_token": "<s>",
    "mask_token": "<mask>",
    "bos_token": "<s>",
    "eos_token": "</s>",
}


def _lower_case_from_name(name: str) -> bool:
    """BERT releases say "uncased"/"cased" in their names; Chinese BERT is cased; BERT's default is lower case."""
    name = name.lower()
    if "uncased" in name:
        return True
    return not ("cased" in name or "chinese" in name)


def _read_json(directory: str, name: str) -> Dict[str, Any]:
    path = os.path.join(directory, name)
    if not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as f:
        try:
            config = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}:{e.lineno}: not valid JSON: {e.msg}") from e
    return config if isinstance(config, dict) else {}


def _token_text(value: Any) -> Optional[str]:
    """Special tokens in tokenizer_config.json are strings or AddedToken dicts ``{"content": ...}``."""
    return value.get("content") if isinstance(value, dict) else value


class AutoTokenizer(FastTokenizer):
    """NeMo's ``AutoTokenizer(pretrained_model_name, vocab_file=None, merges_file=None, **options)``.

    ``pretrained_model_name`` is a local directory, a Hub repository (fetched at ``revision``), or, with
    ``vocab_file`` (and ``merges_file`` for byte-level BPE), just a family name that picks the defaults: WordPiece
    lower-casing follows "uncased"/"cased" in the name. Special tokens (``pad_token=...``) override the model's and
    are added to the vocabulary when new; ``bos``/``eos`` default to ``cls``/``sep`` as in NeMo. ``use_fast`` is
    accepted for compatibility: there is a single (Rust) implementation.
    """

    def __init__(
        self,
        pretrained_model_name: str,
        vocab_file: Optional[str] = None,
        merges_file: Optional[str] = None,
        **options: Any,
    ) -> None:
        """``options``: ``revision`` (of a Hub repository), ``use_fast`` (ignored) and special tokens."""
        refuse_unknown_keys(
            options, (*SPECIAL_TOKEN_NAMES, "revision", "use_fast"), f"AutoTokenizer({pretrained_model_name!r})"
        )
        revision = options.pop("revision", None)
        options.pop("use_fast", None)
        special_tokens = options
        self.pretrained_model_name = pretrained_model_name
        self.do_lower_case: Optional[bool] = None
        if vocab_file is not None and not os.path.isdir(pretrained_model_name):
            config: Dict[str, Any] = {"do_lower_case": _lower_case_from_name(pretrained_model_name)}
            files = {"vocab.txt" if merges_file is None else "vocab.json": vocab_file, "merges.txt": merges_file}
        else:
            directory = str(
                pretrained_model_dir(pretrained_model_name, TOKENIZER_FILES, TOKENIZER_FILES, revision=revision)
            )
            config = {
                **_read_json(directory, "special_tokens_map.json"),
                **_read_json(directory, "tokenizer_config.json"),
            }
            files = {name: os.path.join(directory, name) for name in TOKENIZER_FILES}
            files.update(
                {"vocab.txt": vocab_file or files["vocab.txt"], "merges.txt": merges_file or files["merges.txt"]}
            )
        pipeline, defaults, source = self._pipeline(config, files)
        defaults.update({key: _token_text(config[key]) for key in SPECIAL_TOKEN_NAMES if config.get(key)})
        tokens = {**defaults, **{k: v for k, v in special_tokens.items() if v is not None}}
        tokens.setdefault("bos_token", tokens.get("cls_token"))
        tokens.setdefault("eos_token", tokens.get("sep_token"))
        self.vocab_file = source
        # the mask token takes the space before it, as RoBERTa's and ALBERT's do (no effect on WordPiece)
        super().__init__(
            pipeline, {k: v for k, v in tokens.items() if v}, source, lstrip=[tokens.get("mask_token") or ""]
        )

    def _pipeline(self, config: Dict[str, Any], files: Dict[str, Optional[str]]) -> Tuple[Any, Dict[str, str], str]:
        """The ``tokenizers`` pipeline, its default special tokens and the file it was read from."""
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers

        name = self.pretrained_model_name
        exists = {key: bool(path) and os.path.isfile(path) for key, path in files.items()}
        tokenizer_class = str(config.get("tokenizer_class") or "").removesuffix("Fast")
        if tokenizer_class in _WORDPIECE_CLASSES or (not tokenizer_class and exists["vocab.txt"]):
            if not exists["vocab.txt"]:
                raise ValueError(
                    f"AutoTokenizer: {name!r} is a WordPiece model ({tokenizer_class}) but has no vocab.txt"
                )
            options = {key: config[key] for key in _OPTION_KEYS if key in config}
            self.do_lower_case = bool(options.get("do_lower_case", _lower_case_from_name(name)))
            pipeline = wordpiece_pipeline(
                read_wordpiece_vocab(files["vocab.txt"]),
                _token_text(config.get("unk_token")) or "[UNK]",
                self.do_lower_case,
                options.get("strip_accents"),
                options.get("tokenize_chinese_chars", True),
            )
            return pipeline, dict(WORDPIECE_SPECIAL_TOKENS), str(files["vocab.txt"])
        if exists["vocab.json"] and exists["merges.txt"] and tokenizer_class in _BPE_CLASSES | {""}:
            pipeline = Tokenizer(models.BPE.from_file(files["vocab.json"], files["merges.txt"]))
            pipeline.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=bool(config.get("add_prefix_space")))
            pipeline.decoder = decoders.ByteLevel()
            self.pair_separators, self.segment_ids = 2, False
            return pipeline, dict(_ROBERTA_TOKENS), str(files["vocab.json"])
        if exists.get("tokenizer.json"):
            pipeline = Tokenizer.from_file(files["tokenizer.json"])
            pipeline.no_truncation()
            pipeline.no_padding()
            # without a tokenizer_config.json, BERT/ALBERT-style or RoBERTa-style tokens, whichever the vocabulary has
            vocab = pipeline.get_vocab(with_added_tokens=True)
            found = {
                name: next((t for t in options if t in vocab), None) for name, options in _TOKEN_CANDIDATES.items()
            }
            return pipeline, {name: token for name, token in found.items() if token}, str(files["tokenizer.json"])
        found = sorted(key for key, present in exists.items() if present)
        raise ValueError(
            f"AutoTokenizer: {name!r} ({tokenizer_class or 'no tokenizer_class'}) has none of vocab.txt (WordPiece), "
            f"vocab.json + merges.txt (byte-level BPE) or tokenizer.json; found {found or 'no tokenizer files'}"
        )
