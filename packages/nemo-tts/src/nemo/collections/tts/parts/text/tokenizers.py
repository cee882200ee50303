"""Text tokenizers of TTS models: English characters or eSpeak NG IPA phonemes, with punctuation as pause tokens.

Both normalize the text first (``normalizer.normalize_text``), have a fixed vocabulary (ids are stable, so a model
config can name the tokenizer and its arguments instead of storing a vocabulary), use id 0 for padding, and raise
``ValueError`` naming the character and its position when the text holds something they cannot speak. Build one from
a config node: ``{_target_: nemo.collections.tts.parts.text.tokenizers.EnglishPhonemesTokenizer}``.
"""

from typing import Dict, List, Optional, Sequence

from nemo.collections.tts.parts.text.normalizer import normalize_text
from nemo.core.classes.construction import register_buildable_base

__all__ = ["BaseTokenizer", "EnglishCharsTokenizer", "EnglishPhonemesTokenizer", "PUNCTUATION", "PHONEMES"]

PAD = "<pad>"
BLANK = "<blank>"
SPACE = " "
PUNCTUATION = (",", ".", "?", "!", ";", ":", "-")
_LETTERS = tuple("abcdefghijklmnopqrstuvwxyz'")

# IPA inventory eSpeak NG's en-us voice produces (measured over ~86k English words); stress marks stay on vowels.
_CONSONANTS = ("p", "b", "t", "d", "k", "ɡ", "f", "v", "θ", "ð", "s", "z", "ʃ", "ʒ", "h", "m", "n", "ŋ", "l", "ɹ",
               "r", "w", "j", "tʃ", "dʒ", "ʔ", "ɾ", "x", "ɬ")  # fmt: skip
_VOWELS = ("i", "iː", "ɪ", "e", "eɪ", "ɛ", "æ", "a", "aɪ", "aʊ", "aɪɚ", "aɪə", "ɑ", "ɑː", "ɑːɹ", "ɒ", "ɔ", "ɔː",
           "ɔːɹ", "ɔɪ", "o", "oː", "oʊ", "ʊ", "ʊɹ", "u", "uː", "ʌ", "ə", "əl", "ɚ", "ɜ", "ɜː", "ɐ", "ᵻ", "iə", "ɪɹ",
           "ɛɹ", "n̩")  # fmt: skip
_STRESS = ("ˈ", "ˌ")
PHONEMES = _CONSONANTS + _VOWELS + tuple(mark + vowel for mark in _STRESS for vowel in _VOWELS)
_IGNORED_MARKS = ("ː", "̃")  # stray length/nasal marks eSpeak sometimes emits on rare words; they carry no phoneme


class BaseTokenizer:
    """A fixed vocabulary: ``<pad>`` (id 0), the speech symbols, pause punctuation, then ``<blank>`` if asked."""

    def __init__(self, symbols: Sequence[str], add_blank: bool = False, normalize: bool = True) -> None:
        self.tokens: List[str] = [PAD, SPACE, *symbols, *PUNCTUATION] + ([BLANK] if add_blank else [])
        if len(set(self.tokens)) != len(self.tokens):
            raise ValueError(f"{type(self).__name__}: duplicate tokens in the vocabulary")
        self._ids: Dict[str, int] = {token: idx for idx, token in enumerate(self.tokens)}
        self.pad = 0
        self.space = self._ids[SPACE]
        self.blank: Optional[int] = self._ids[BLANK] if add_blank else None
        self.add_blank = add_blank
        self.normalize = normalize
        self.punctuation_ids = frozenset(self._ids[p] for p in PUNCTUATION)

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def vocab_size(self) -> int:
        return len(self.tokens)

    def __call__(self, text: str) -> List[int]:
        return self.encode(text)

    def _prepare(self, text: str) -> str:
        if not isinstance(text, str):
            raise TypeError(f"{type(self).__name__}.encode expects a str, got {type(text).__name__}")
        return normalize_text(text) if self.normalize else text

    def _intersperse_blank(self, ids: List[int]) -> List[int]:
        if self.blank is None:
            return ids
        out = [self.blank]
        for idx in ids:
            out += [idx, self.blank]
        return out

    def encode(self, text: str) -> List[int]:
        raise NotImplementedError

    def decode(self, ids: Sequence[int]) -> str:
        """The symbols of ``ids`` joined (padding and blanks dropped); phonemes are separated by nothing."""
        skip = {self.pad, self.blank}
        out = []
        for idx in ids:
            idx = int(idx)
            if not 0 <= idx < len(self.tokens):
                raise ValueError(
                    f"{type(self).__name__}.decode: id {idx} is outside the vocabulary (0..{len(self) - 1})"
                )
            if idx not in skip:
                out.append(self.tokens[idx])
        return "".join(out)


register_buildable_base(BaseTokenizer)  # `text_tokenizer` nodes build these; restore_from checks them upfront


class EnglishCharsTokenizer(BaseTokenizer):
    """Letters ``a-z``, apostrophe, word space and pause punctuation ``, . ? ! ; : -`` of normalized text."""

    def __init__(self, add_blank: bool = False, normalize: bool = True) -> None:
        super().__init__(_LETTERS, add_blank=add_blank, normalize=normalize)

    def encode(self, text: str) -> List[int]:
        """Ids of ``text`` after normalization; ``ValueError`` names the first character it cannot speak."""
        prepared = self._prepare(text)
        ids = []
        for position, char in enumerate(prepared):
            idx = self._ids.get(char)
            if idx is None:
                raise ValueError(
                    f"EnglishCharsTokenizer cannot speak character {char!r} (U+{ord(char):04X}) at position {position} "
                    f"of the normalized text {prepared!r} (from {text!r})"
                )
            ids.append(idx)
        return self._intersperse_blank(ids)


class EnglishPhonemesTokenizer(BaseTokenizer):
    """IPA phonemes from eSpeak NG (``voice``, default ``en-us``), word boundaries as a space token, punctuation as
    pause tokens. The inventory ``PHONEMES`` is fixed; a phoneme outside it that cannot be split into known ones is a
    ``ValueError`` naming it and the word."""

    def __init__(self, voice: str = "en-us", add_blank: bool = False, normalize: bool = True) -> None:
        super().__init__(PHONEMES, add_blank=add_blank, normalize=normalize)
        self.voice = voice
        self._longest = max(len(p) for p in PHONEMES)

    def __getstate__(self) -> dict:
        return dict(self.__dict__)  # the eSpeak handle lives in a process-wide cache, never on the instance

    def _split_unknown(self, phoneme: str, word: str) -> List[int]:
        """Longest-match split of a phoneme outside the inventory into known ones (e.g. ``ææ`` -> ``æ æ``)."""
        ids, stress, position = [], "", 0
        while position < len(phoneme):
            char = phoneme[position]
            if char in _STRESS:
                stress, position = char, position + 1
                continue
            if char in _IGNORED_MARKS:
                position += 1
                continue
            for size in range(min(self._longest, len(phoneme) - position), 0, -1):
                piece = phoneme[position : position + size]
                if stress + piece in self._ids or piece in self._ids:
                    ids.append(self._ids.get(stress + piece, self._ids.get(piece)))
                    stress, position = "", position + size
                    break
            else:
                raise ValueError(
                    f"EnglishPhonemesTokenizer: eSpeak phoneme {phoneme!r} (character {char!r} at position {position}) "
                    f"of word {word!r} is not in the phoneme inventory"
                )
        return ids

    def _chunk_ids(self, chunk: str) -> List[int]:
        from nemo.collections.common.data.espeak import get_phonemizer

        ids: List[int] = []
        for word in get_phonemizer(self.voice).phonemize(chunk):
            if ids:
                ids.append(self.space)
            for phoneme in word:
                idx = self._ids.get(phoneme)
                ids += [idx] if idx is not None else self._split_unknown(phoneme, "".join(word))
        return ids

    def encode(self, text: str) -> List[int]:
        """Phoneme ids of ``text`` after normalization; ``ValueError`` names a character eSpeak cannot read."""
        prepared = self._prepare(text)
        for position, char in enumerate(prepared):
            if not (char in _LETTERS or char == SPACE or char in PUNCTUATION):
                raise ValueError(
                    f"EnglishPhonemesTokenizer cannot speak character {char!r} (U+{ord(char):04X}) at position "
                    f"{position} of the normalized text {prepared!r} (from {text!r})"
                )
        ids: List[int] = []
        chunk = ""
        for char in prepared:
            if char in PUNCTUATION and not (char == "-" and chunk and chunk[-1] != SPACE):
                ids += self._chunk_ids(chunk)
                ids.append(self._ids[char])
                chunk = ""
            elif char == "-":
                chunk += SPACE  # a hyphen inside a compound word is not a pause
            else:
                chunk += char
        ids += self._chunk_ids(chunk)
        return self._intersperse_blank(ids)

    def decode(self, ids: Sequence[int]) -> str:
        """The IPA string of ``ids`` (word boundaries as spaces)."""
        return super().decode(ids)
