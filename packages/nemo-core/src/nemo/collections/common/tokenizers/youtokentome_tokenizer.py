"""YouTokenToMe BPE models read and applied in Python, giving ``youtokentome``'s ids without its C++ extension.

``youtokentome`` (the ``yttm`` library of NeMo's machine translation models) is unmaintained and builds on current
Pythons only from source, yet many NeMo MT archives carry yttm model files. The format is plain text: ``<chars>
<rules>``, one ``<unicode code point> <id>`` line per character, one ``<left id> <right id> <new id>`` line per merge
(in training order), then ``<unk> <pad> <bos> <eos>`` ids. Encoding follows yttm: text is split at whitespace, each
word starts with ``▁``, runs of characters outside the model become one ``<UNK>``, and adjacent pairs merge by rule
order (earliest rule first, leftmost first). With ``dropout_prob`` each merge is skipped with that probability (BPE
dropout), as yttm does at training time.
"""

import heapq
import random
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

from nemo.collections.common.tokenizers.tokenizer_spec import TokenizerSpec

__all__ = ["YouTokenToMeModel", "YouTokenToMeTokenizer"]

SPACE = "\u2581"
SPECIAL_TOKENS = ("<PAD>", "<UNK>", "<BOS>", "<EOS>")
_C_SPACES = frozenset(" \t\n\v\f\r")  # C's isspace() in the "C" locale, which yttm uses


def _is_space(char: str) -> bool:
    return char in _C_SPACES or char == SPACE


class YouTokenToMeModel:
    """A yttm BPE model file: its characters, merge rules and special ids, and yttm's encode/decode."""

    def __init__(self, model_path: Union[str, Path]) -> None:
        path = Path(model_path).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"YouTokenToMe model file {path} does not exist")
        try:
            values = [int(x) for x in path.read_bytes().decode("ascii").split()]
            n_chars, n_rules = values[0], values[1]
            chars = values[2 : 2 + 2 * n_chars]
            rules = values[2 + 2 * n_chars : 2 + 2 * n_chars + 3 * n_rules]
            unk, pad, bos, eos = values[2 + 2 * n_chars + 3 * n_rules : 6 + 2 * n_chars + 3 * n_rules]
        except (ValueError, IndexError) as err:  # UnicodeDecodeError is a ValueError: e.g. a binary SentencePiece model
            raise ValueError(f"{path} is not a YouTokenToMe model file (expected yttm's text format): {err}") from err
        self.char2id: Dict[str, int] = {chr(chars[i]): chars[i + 1] for i in range(0, len(chars), 2)}
        self.rules: List[Tuple[int, int, int]] = [tuple(rules[i : i + 3]) for i in range(0, len(rules), 3)]
        self.special = {"<UNK>": unk, "<PAD>": pad, "<BOS>": bos, "<EOS>": eos}
        if SPACE not in self.char2id:
            raise ValueError(f"{path}: the model has no '{SPACE}' (word start) character, so it is not a yttm model")
        self.rule_of_pair = {(x, y): index for index, (x, y, _) in enumerate(self.rules)}
        recipe: Dict[int, str] = {token: char for char, token in self.char2id.items()}
        for x, y, z in self.rules:
            recipe[z] = recipe[x] + recipe[y]
        self.id2piece = recipe
        self.piece2id = {piece: token for token, piece in recipe.items()}
        self.vocab_size = len(self.char2id) + len(self.rules) + sum(1 for v in self.special.values() if v != -1)

    # ---------------------------------------------------------------------------------------------------- encoding
    def encode(
        self,
        text: str,
        subwords: bool = False,
        bos: bool = False,
        eos: bool = False,
        reverse: bool = False,
        dropout_prob: float = 0.0,
        rng: Optional[random.Random] = None,
    ) -> Union[List[int], List[str]]:
        """yttm's ``encode`` of one sentence, as ids or (``subwords=True``) pieces."""
        out: List = []
        if bos:
            out.append(self._special("<BOS>", subwords))
        end = len(text)
        while end and _is_space(text[end - 1]):
            end -= 1
        position = 0
        while position < end:
            while position < end and _is_space(text[position]):
                position += 1
            start = position
            while position < end and not _is_space(text[position]):
                position += 1
            out.extend(self._encode_word(text[start:position], subwords, dropout_prob, rng or random))
        if eos:
            out.append(self._special("<EOS>", subwords))
        return out[::-1] if reverse else out

    def _special(self, name: str, subwords: bool) -> Union[int, str]:
        if self.special[name] == -1:
            raise ValueError(f"Can't add {name} token: the YouTokenToMe model was trained without it")
        return name if subwords else self.special[name]

    def _encode_word(self, word: str, subwords: bool, dropout_prob: float, rng: random.Random) -> List:
        # Each node: [token, prev, next]; unknown runs get ids >= 1e9 mapping to their text (yttm's scheme).
        unknown: Dict[int, str] = {}
        tokens = [self.char2id[SPACE]]
        index = 0
        while index < len(word):
            if word[index] in self.char2id:
                tokens.append(self.char2id[word[index]])
                index += 1
                continue
            stop = index
            while stop < len(word) and word[stop] not in self.char2id:
                stop += 1
            marker = 10**9 + len(unknown)
            unknown[marker] = word[index:stop]
            tokens.append(marker)
            index = stop
        prev = list(range(-1, len(tokens) - 1))
        nxt = list(range(1, len(tokens) + 1))
        nxt[-1] = -1
        heap: List[Tuple[int, int]] = []

        def push(pos: int) -> None:
            rule = self.rule_of_pair.get((tokens[pos], tokens[nxt[pos]]))
            if rule is not None:
                heapq.heappush(heap, (rule, pos))

        for pos in range(len(tokens) - 1):
            push(pos)
        while heap:
            if dropout_prob > 0:
                skipped = []
                while heap and rng.random() < dropout_prob:
                    skipped.append(heapq.heappop(heap))
                if not heap:
                    for item in skipped:
                        heapq.heappush(heap, item)
                    break
                rule, first = heapq.heappop(heap)
                for item in skipped:
                    heapq.heappush(heap, item)
            else:
                rule, first = heapq.heappop(heap)
            second = nxt[first]
            x, y, z = self.rules[rule]
            if tokens[first] != x or second == -1 or tokens[second] != y:
                continue  # a stale event: one side merged already
            before, after = prev[first], nxt[second]
            tokens[second] = 0
            prev[second] = nxt[second] = -1
            tokens[first], nxt[first] = z, after
            if after != -1:
                prev[after] = first
            if before != -1:
                push(before)
            if after != -1:
                push(first)
        out: List = []
        pos = next(i for i, token in enumerate(tokens) if token != 0)
        while pos != -1:
            token = tokens[pos]
            if token in unknown:
                out.append(unknown[token] if subwords else self.special["<UNK>"])
            else:
                out.append(self.id2piece[token] if subwords else token)
            pos = nxt[pos]
        return out

    # ---------------------------------------------------------------------------------------------------- decoding
    def id_to_subword(self, token: int, replace_space: bool = False) -> str:
        """The piece of id ``token`` (``▁`` kept unless ``replace_space``), or ``<UNK>``/``<PAD>``/``<BOS>``/``<EOS>``."""
        if not 0 <= token < self.vocab_size:
            raise ValueError(f"id must be in the range [0, {self.vocab_size - 1}], got {token}")
        for name, value in self.special.items():
            if value == token:
                return name
        piece = self.id2piece[token]
        return " " + piece[1:] if replace_space and piece.startswith(SPACE) else piece

    def subword_to_id(self, piece: str) -> int:
        if piece in self.special:
            return self.special[piece]
        return self.piece2id.get(piece, self.special["<UNK>"])

    def decode(self, ids: Sequence[int], ignore_ids: Sequence[int] = ()) -> str:
        """yttm's ``decode``: pieces joined with ``▁`` as spaces, the leading space dropped."""
        text = ""
        first = True
        for token in ids:
            if token in ignore_ids:
                continue
            text += self.id_to_subword(int(token), replace_space=True)
            if first and text.startswith(" "):
                text = text[1:]
            first = False
        return text

    def vocab(self) -> List[str]:
        return [self.id_to_subword(i) for i in range(self.vocab_size)]


class YouTokenToMeTokenizer(TokenizerSpec):
    """NeMo's ``YouTokenToMeTokenizer`` over a yttm model file (no ``youtokentome`` package needed).

    ``bpe_dropout`` is applied whenever text is encoded (NeMo sets it for training data only); ``r2l`` reverses ids;
    ``legacy`` drops special ids in ``ids_to_tokens``.
    """

    pad_token, unk_token, bos_token, eos_token = SPECIAL_TOKENS

    def __init__(
        self, model_path: str, bpe_dropout: float = 0.0, legacy: bool = False, r2l: bool = False, seed: int = 0
    ) -> None:
        self.model = YouTokenToMeModel(model_path)
        self.vocab_size = self.model.vocab_size
        self.special_tokens = self.tokens_to_ids(list(SPECIAL_TOKENS))
        self.bpe_dropout = bpe_dropout
        self.legacy = legacy
        self.r2l = r2l
        self._rng = random.Random(seed)

    def _encode(self, text: str, subwords: bool) -> List:
        return self.model.encode(text, subwords, reverse=self.r2l, dropout_prob=self.bpe_dropout, rng=self._rng)

    def text_to_tokens(self, text: str) -> List[str]:
        return self._encode(text, subwords=True)

    def tokens_to_text(self, tokens: List[str]) -> str:
        return self.ids_to_text(self.tokens_to_ids(tokens))

    def text_to_ids(self, text: str) -> List[int]:
        return self._encode(text, subwords=False)

    def ids_to_text(self, ids: List[int]) -> str:
        kept = [token for token in ids if token not in self.special_tokens]
        return self.model.decode(kept[::-1] if self.r2l else kept)

    def tokens_to_ids(self, tokens: List[str]) -> List[int]:
        return [self.model.subword_to_id(token) for token in tokens]

    def ids_to_tokens(self, ids: List[int]) -> List[str]:
        kept = [token for token in ids if token not in self.special_tokens] if self.legacy else ids
        return [self.model.id_to_subword(int(token)) for token in kept]
