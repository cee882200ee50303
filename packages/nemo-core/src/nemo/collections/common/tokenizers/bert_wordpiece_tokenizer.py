"""BERT WordPiece tokenizer read from a ``vocab.txt``, with the ids of the reference BERT tokenizer.

NeMo v1 got this from HuggingFace ``transformers``; here HF's Rust ``tokenizers`` library does the normalising
(cleaning, lower-casing, accent stripping, CJK spacing), the splitting on whitespace and punctuation and the greedy
longest-match WordPiece, so ``transformers`` is not needed at run time.
"""

import os
from typing import Any, Dict, Optional, Tuple

from nemo.collections.common.tokenizers.fast_tokenizer import SPECIAL_TOKEN_NAMES, FastTokenizer
from nemo.utils.config_keys import refuse_unknown_keys

__all__ = ["BertWordPieceTokenizer", "WORDPIECE_SPECIAL_TOKENS", "read_wordpiece_vocab", "wordpiece_pipeline"]

WORDPIECE_SPECIAL_TOKENS = {
    "unk_token": "[UNK]",
    "sep_token": "[SEP]",
    "pad_token": "[PAD]",
    "cls_token": "[CLS]",
    "mask_token": "[MASK]",
}
_PIPELINE_OPTIONS = ("tokenize_chinese_chars", "max_input_chars_per_word")


def read_wordpiece_vocab(vocab_file: str) -> Dict[str, int]:
    """Token -> id, the id being the line number from 0 (as BERT reads it: a repeated token keeps its last line)."""
    if not vocab_file or not os.path.isfile(vocab_file):
        raise ValueError(f"WordPiece vocab_file {vocab_file!r} is not an existing file")
    with open(vocab_file, encoding="utf-8") as f:
        vocab = {line.rstrip("\n"): index for index, line in enumerate(f)}
    if not vocab:
        raise ValueError(f"WordPiece vocab_file {vocab_file!r} is empty")
    return vocab


def wordpiece_pipeline(
    vocab: Dict[str, int],
    unk_token: str,
    do_lower_case: bool,
    strip_accents: Optional[bool],
    tokenize_chinese_chars: bool,
    max_input_chars_per_word: int = 100,
) -> Any:
    """BERT's normaliser, pre-tokenizer, greedy longest-match WordPiece and decoder (``##`` pieces glued to the
    previous token, no other space clean-up) as a ``tokenizers.Tokenizer``."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers

    pipeline = Tokenizer(
        models.WordPiece(vocab, unk_token=unk_token, max_input_chars_per_word=max_input_chars_per_word)
    )
    pipeline.normalizer = normalizers.BertNormalizer(
        clean_text=True,
        handle_chinese_chars=tokenize_chinese_chars,
        strip_accents=strip_accents,
        lowercase=do_lower_case,
    )
    pipeline.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    pipeline.decoder = decoders.WordPiece(prefix="##", cleanup=False)
    return pipeline


class BertWordPieceTokenizer(FastTokenizer):
    """Uncased or cased BERT tokenization of ``vocab_file`` (one token per line, id = line number).

    ``strip_accents=None`` strips accents exactly when lower-casing, as BERT does. Special tokens are matched verbatim
    in the input text and never split; ones missing from the vocabulary are appended to it (with a warning), so a
    model using them must be resized to ``vocab_size``.
    """

    def __init__(
        self, vocab_file: str, do_lower_case: bool = True, strip_accents: Optional[bool] = None, **options: Any
    ) -> None:
        """``options``: ``tokenize_chinese_chars`` (True), ``max_input_chars_per_word`` (100) and special tokens
        (``unk_token="[UNK]"``, ``sep_token``, ``pad_token``, ``cls_token``, ``mask_token``, ``bos_token``,
        ``eos_token``; ``None`` leaves one out)."""
        refuse_unknown_keys(options, (*SPECIAL_TOKEN_NAMES, *_PIPELINE_OPTIONS), type(self).__name__)
        special = {**WORDPIECE_SPECIAL_TOKENS, **{k: v for k, v in options.items() if k in SPECIAL_TOKEN_NAMES}}
        vocab = read_wordpiece_vocab(vocab_file)
        if special["unk_token"] not in vocab:
            raise ValueError(f"{vocab_file}: the unknown token {special['unk_token']!r} is not in the vocabulary")
        self.vocab_file = vocab_file
        self.do_lower_case = do_lower_case
        pipeline = wordpiece_pipeline(
            vocab,
            special["unk_token"],
            do_lower_case,
            strip_accents,
            options.get("tokenize_chinese_chars", True),
            options.get("max_input_chars_per_word", 100),
        )
        super().__init__(pipeline, {name: token for name, token in special.items() if token is not None}, vocab_file)

    def save_vocabulary(self, save_directory: str, filename_prefix: Optional[str] = None) -> Tuple[str]:
        """Write the vocabulary (added tokens included) as ``[<prefix>-]vocab.txt``; returns ``(path,)``."""
        os.makedirs(save_directory, exist_ok=True)
        path = os.path.join(save_directory, f"{filename_prefix}-vocab.txt" if filename_prefix else "vocab.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(f"{token}\n" for token in self.vocab)
        return (path,)
