"""SentencePiece tokenizer (the subword model of NeMo's BPE ASR and NMT models) and its training helper."""

import os
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

from nemo.collections.common.tokenizers.tokenizer_spec import TokenizerSpec
from nemo.utils import logging

__all__ = ["SentencePieceTokenizer", "create_spt_model"]

_MODEL_TYPES = ("unigram", "bpe", "char", "word")


def _as_list(values: Any) -> list:
    """Accept lists, tuples, numpy arrays and tensors of ids or tokens."""
    return values.tolist() if hasattr(values, "tolist") else list(values)


class SentencePieceTokenizer(TokenizerSpec):
    """Wraps a trained ``sentencepiece`` model.

    With ``legacy=True`` extra special tokens may be given (a list, or a dict such as ``{"sep_token": "[SEP]"}`` that
    also sets the attribute): tokens the model does not know get ids after its own pieces and are matched literally in
    the input text. With ``legacy=False`` special tokens must be part of the model (control or user symbols).
    """

    def __init__(
        self,
        model_path: str,
        special_tokens: Optional[Union[Dict[str, str], List[str]]] = None,
        legacy: bool = False,
    ) -> None:
        if not model_path or not os.path.isfile(model_path):
            raise ValueError(f"SentencePieceTokenizer: model_path {model_path!r} is not an existing model file")
        import sentencepiece

        self.tokenizer = sentencepiece.SentencePieceProcessor()
        self.tokenizer.Load(str(model_path))
        self.original_vocab_size = self.tokenizer.get_piece_size()
        self.vocab_size = self.original_vocab_size
        self.legacy = legacy
        self.special_token_to_id: Dict[str, int] = {}
        self.id_to_special_token: Dict[int, str] = {}
        if special_tokens:
            if not legacy:
                raise ValueError(
                    "SentencePieceTokenizer: special_tokens must be None when legacy=False; add them to the model at "
                    "training time (control_symbols / user_defined_symbols) or pass legacy=True"
                )
            self.add_special_tokens(special_tokens)

    def _split_on_special(self, text: str) -> Iterable[Tuple[bool, str]]:
        """Yield (is_special, piece) chunks, matching the earliest (then longest) added special token first."""
        start = 0
        while self.special_token_to_id:
            best = None
            for token in self.special_token_to_id:
                pos = text.find(token, start)
                if pos >= 0 and (best is None or pos < best[0] or (pos == best[0] and len(token) > len(best[1]))):
                    best = (pos, token)
            if best is None:
                break
            pos, token = best
            yield False, text[start:pos]
            yield True, token
            start = pos + len(token)
        yield False, text[start:]

    def text_to_tokens(self, text: str) -> List[str]:
        if not self.legacy:
            return self.tokenizer.encode_as_pieces(text)
        tokens: List[str] = []
        for special, chunk in self._split_on_special(text):
            tokens.extend([chunk] if special else self.tokenizer.encode_as_pieces(chunk))
        return tokens

    def text_to_ids(self, text: str) -> List[int]:
        if not self.legacy:
            return self.tokenizer.encode_as_ids(text)
        ids: List[int] = []
        for special, chunk in self._split_on_special(text):
            ids.extend([self.special_token_to_id[chunk]] if special else self.tokenizer.encode_as_ids(chunk))
        return ids

    def tokens_to_text(self, tokens: List[str]) -> str:
        return self.tokenizer.decode_pieces(_as_list(tokens))

    def ids_to_text(self, ids: List[int]) -> str:
        ids = [int(i) for i in _as_list(ids)]
        if not self.legacy:
            return self.tokenizer.decode_ids(ids)
        parts, run = [], []
        for i in ids:
            if i in self.id_to_special_token:
                parts.extend([self.tokenizer.decode_ids(run), self.id_to_special_token[i]])
                run = []
            else:
                run.append(i)
        parts.append(self.tokenizer.decode_ids(run))
        return " ".join(p for p in parts if p).strip()

    def token_to_id(self, token: str) -> int:
        if self.legacy and token in self.special_token_to_id:
            return self.special_token_to_id[token]
        return self.tokenizer.piece_to_id(token)

    def tokens_to_ids(self, tokens: Union[str, List[str]]) -> List[int]:
        if isinstance(tokens, str):
            tokens = [tokens]
        return [self.token_to_id(token) for token in tokens]

    def ids_to_tokens(self, ids: List[int]) -> List[str]:
        tokens = []
        for i in (int(i) for i in _as_list(ids)):
            if i in self.id_to_special_token:
                tokens.append(self.id_to_special_token[i])
            elif 0 <= i < self.original_vocab_size:
                tokens.append(self.tokenizer.id_to_piece(i))
            else:
                raise IndexError(f"SentencePieceTokenizer: id {i} is outside the vocabulary (size {self.vocab_size})")
        return tokens

    def add_special_tokens(self, special_tokens: Union[Dict[str, str], List[str]]) -> None:
        """Append tokens the model does not know (legacy mode only); a dict also sets ``<name>`` attributes."""
        if not self.legacy:
            raise AttributeError("SentencePieceTokenizer: special tokens can only be added when legacy=True")
        if isinstance(special_tokens, dict):
            for name, token in special_tokens.items():
                setattr(self, name, token)
            tokens = list(special_tokens.values())
        else:
            tokens = list(special_tokens)
        for token in tokens:
            if self.tokenizer.piece_to_id(token) == self.tokenizer.unk_id() and token not in self.special_token_to_id:
                self.special_token_to_id[token] = self.vocab_size
                self.id_to_special_token[self.vocab_size] = token
                self.vocab_size += 1

    @property
    def vocab(self) -> List[str]:
        """All pieces in id order, the added special tokens last."""
        pieces = [self.tokenizer.id_to_piece(i) for i in range(self.original_vocab_size)]
        return pieces + [self.id_to_special_token[i] for i in range(self.original_vocab_size, self.vocab_size)]

    def _model_or_legacy_id(self, attribute: str, model_id: int) -> Optional[int]:
        if self.legacy and getattr(self, attribute, None) is not None:
            return self.token_to_id(getattr(self, attribute))
        return model_id

    @property
    def pad_id(self) -> Optional[int]:
        """The model's pad id (-1 when it has none), or the legacy ``pad_token``'s id."""
        return self._model_or_legacy_id("pad_token", self.tokenizer.pad_id())

    @property
    def bos_id(self) -> Optional[int]:
        return self._model_or_legacy_id("bos_token", self.tokenizer.bos_id())

    @property
    def eos_id(self) -> Optional[int]:
        return self._model_or_legacy_id("eos_token", self.tokenizer.eos_id())

    @property
    def unk_id(self) -> int:
        return self.tokenizer.unk_id()


def create_spt_model(
    data_file: str,
    vocab_size: int,
    sample_size: int,
    do_lower_case: bool,
    tokenizer_type: str = "unigram",
    output_dir: Optional[str] = None,
    character_coverage: float = 1.0,
    train_extremely_large_corpus: bool = False,
    max_sentencepiece_length: int = -1,
    bos: bool = False,
    eos: bool = False,
    pad: bool = False,
    control_symbols: Optional[List[str]] = None,
    user_defined_symbols: Optional[List[str]] = None,
) -> Tuple[str, str]:
    """Train a SentencePiece model on ``data_file`` (one sentence per line).

    Writes ``tokenizer.model``/``tokenizer.vocab`` and a WordPiece-style ``vocab.txt`` (word-initial pieces without
    the ``▁`` marker, the others prefixed ``##``) to ``output_dir`` (default ``<data dir>/spt``); an existing
    ``tokenizer.model`` there is reused. ``sample_size`` > 0 caps the sentences loaded. ``unk`` gets id 0, then
    ``<s>``/``</s>``/``<pad>`` when enabled. Returns ``(model_path, vocab_txt_path)``.
    """
    if not data_file or not os.path.isfile(data_file):
        raise ValueError(f"create_spt_model: data_file {data_file!r} is not an existing file")
    if tokenizer_type not in _MODEL_TYPES:
        raise ValueError(f"create_spt_model: tokenizer_type={tokenizer_type!r}; expected one of {_MODEL_TYPES}")
    output_dir = output_dir or os.path.join(os.path.dirname(os.path.abspath(data_file)), "spt")
    model_path = os.path.join(output_dir, "tokenizer.model")
    vocab_txt = os.path.join(output_dir, "vocab.txt")
    if os.path.isfile(model_path):
        logging.info(f"Tokenizer model {model_path} already exists; not training a new one")
        return model_path, vocab_txt
    logging.info(f"Training a SentencePiece {tokenizer_type} model on {data_file} into {output_dir}")
    os.makedirs(output_dir, exist_ok=True)
    control_symbols, user_defined_symbols = list(control_symbols or []), list(user_defined_symbols or [])

    options: Dict[str, Any] = dict(
        input=data_file,
        model_prefix=os.path.join(output_dir, "tokenizer"),
        vocab_size=vocab_size,
        shuffle_input_sentence=True,
        hard_vocab_limit=False,
        model_type=tokenizer_type,
        character_coverage=character_coverage,
        bos_id=1 if bos else -1,
        eos_id=(1 + bos) if eos else -1,
        pad_id=(1 + bos + eos) if pad else -1,
    )
    if control_symbols:
        options["control_symbols"] = control_symbols
    if user_defined_symbols:
        options["user_defined_symbols"] = user_defined_symbols
    if do_lower_case:
        options["normalization_rule_name"] = "nmt_nfkc_cf"
    if sample_size > 0:
        options["input_sentence_size"] = sample_size
    if train_extremely_large_corpus:
        options["train_extremely_large_corpus"] = True
    if max_sentencepiece_length >= 0:
        options["max_sentencepiece_length"] = max_sentencepiece_length

    import sentencepiece

    sentencepiece.SentencePieceTrainer.train(**options)

    skipped = {"<s>", "</s>", "<pad>", "<unk>", *control_symbols, *user_defined_symbols}
    with open(os.path.join(output_dir, "tokenizer.vocab"), encoding="utf-8") as f:
        pieces = [line.split("\t")[0] for line in f]
    with open(vocab_txt, "w", encoding="utf-8") as f:
        for piece in pieces:
            if piece in skipped:
                continue
            word = piece[1:] if piece.startswith("▁") else f"##{piece}"
            f.write(f"{word or piece}\n")
    return model_path, vocab_txt
