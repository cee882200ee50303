"""``get_tokenizer`` / ``get_nmt_tokenizer``: build a tokenizer from config names (local files or Hub model names)."""

from typing import Dict, List, Optional, Union

from nemo.collections.common.tokenizers.tokenizer_spec import TokenizerSpec
from nemo.utils import logging

__all__ = ["get_tokenizer", "get_nmt_tokenizer", "get_tokenizer_list", "NMT_LIBRARIES"]

NMT_LIBRARIES = ("yttm", "huggingface", "sentencepiece", "byte-level", "char")
_BUILTIN = ("sentencepiece", "word", "char")


def get_tokenizer_list() -> List[str]:
    """Tokenizer names ``get_tokenizer`` handles itself; other names are Hugging Face models (``AutoTokenizer``)."""
    return list(_BUILTIN)


def get_tokenizer(
    tokenizer_name: str,
    tokenizer_model: Optional[str] = None,
    vocab_file: Optional[str] = None,
    merges_file: Optional[str] = None,
    special_tokens: Optional[Union[Dict[str, str], List[str]]] = None,
    use_fast: Optional[bool] = False,
    bpe_dropout: Optional[float] = 0.0,
) -> TokenizerSpec:
    """Tokenizer for NLP models (``model.tokenizer`` config).

    ``sentencepiece`` loads ``tokenizer_model`` (legacy mode, so ``special_tokens`` are added), ``word``/``char``
    read ``vocab_file``; any other name goes to :class:`AutoTokenizer` (a Hub repository, a local model directory, or
    a family name with ``vocab_file``), ``yttm`` a YouTokenToMe model file with ``bpe_dropout``.
    """
    from nemo.collections.common.tokenizers.char_tokenizer import CharTokenizer
    from nemo.collections.common.tokenizers.huggingface.auto_tokenizer import AutoTokenizer
    from nemo.collections.common.tokenizers.sentencepiece_tokenizer import SentencePieceTokenizer
    from nemo.collections.common.tokenizers.word_tokenizer import WordTokenizer

    if tokenizer_name == "yttm":
        from nemo.collections.common.tokenizers.youtokentome_tokenizer import YouTokenToMeTokenizer

        return YouTokenToMeTokenizer(model_path=tokenizer_model, bpe_dropout=bpe_dropout or 0.0)
    if tokenizer_name == "sentencepiece":
        return SentencePieceTokenizer(model_path=tokenizer_model, special_tokens=special_tokens, legacy=True)
    named = _as_named(special_tokens, tokenizer_name)
    if tokenizer_name == "word":
        return WordTokenizer(vocab_file=vocab_file, **named)
    if tokenizer_name == "char":
        return CharTokenizer(vocab_file=vocab_file, **named)
    logging.info(f"Getting AutoTokenizer for {tokenizer_name!r} with vocab_file={vocab_file!r}, special tokens {named}")
    return AutoTokenizer(
        pretrained_model_name=tokenizer_name, vocab_file=vocab_file, merges_file=merges_file, use_fast=use_fast, **named
    )


def get_nmt_tokenizer(
    library: str = "yttm",
    model_name: Optional[str] = None,
    tokenizer_model: Optional[str] = None,
    vocab_file: Optional[str] = None,
    special_tokens: Optional[Dict[str, str]] = None,
    use_fast: Optional[bool] = False,
    bpe_dropout: Optional[float] = 0.0,
) -> TokenizerSpec:
    """Tokenizer for machine translation (``encoder_tokenizer``/``decoder_tokenizer`` configs), by ``library``."""
    from nemo.collections.common.tokenizers.bytelevel_tokenizers import ByteLevelTokenizer
    from nemo.collections.common.tokenizers.char_tokenizer import CharTokenizer
    from nemo.collections.common.tokenizers.huggingface.auto_tokenizer import AutoTokenizer
    from nemo.collections.common.tokenizers.sentencepiece_tokenizer import SentencePieceTokenizer

    if library == "yttm":
        from nemo.collections.common.tokenizers.youtokentome_tokenizer import YouTokenToMeTokenizer

        if not tokenizer_model:
            raise ValueError("get_nmt_tokenizer(library='yttm') needs tokenizer_model (a YouTokenToMe model file)")
        return YouTokenToMeTokenizer(model_path=tokenizer_model, bpe_dropout=bpe_dropout or 0.0)
    if library == "sentencepiece":
        return SentencePieceTokenizer(
            model_path=tokenizer_model, special_tokens=special_tokens or None, legacy=bool(special_tokens)
        )
    if library == "byte-level":
        return ByteLevelTokenizer()
    named = _as_named(special_tokens, library)
    if library == "huggingface":
        if not model_name:
            raise ValueError("get_nmt_tokenizer(library='huggingface') needs model_name")
        return AutoTokenizer(pretrained_model_name=model_name, vocab_file=vocab_file, use_fast=use_fast, **named)
    if library == "char":
        return CharTokenizer(vocab_file=vocab_file, **named)
    raise ValueError(f"get_nmt_tokenizer: library={library!r} is not supported; expected one of {NMT_LIBRARIES}")


def _as_named(special_tokens: Optional[Union[Dict[str, str], List[str]]], name: str) -> Dict[str, str]:
    """Word, char and HuggingFace tokenizers take special tokens as keyword arguments (``pad_token=...``)."""
    if not special_tokens:
        return {}
    if not isinstance(special_tokens, dict):
        raise ValueError(
            f"special_tokens for the {name!r} tokenizer must be a mapping such as {{'pad_token': '<pad>'}}, "
            f"got {special_tokens!r}"
        )
    return dict(special_tokens)
