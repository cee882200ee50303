"""Corpus-level BLEU compatible with sacreBLEU's defaults (13a tokenisation, 'exp' smoothing, 4-grams).

Implemented here so the NLP collection does not pull in sacrebleu and its dependencies just for validation scores.
"""

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import List, Sequence

__all__ = ["BLEUScore", "corpus_bleu", "tokenize_13a"]

_13A_RULES = [
    (re.compile(r"([\{-\~\[-\` -\&\(-\+\:-\@\/])"), r" \1 "),
    (re.compile(r"([^0-9])([\.,])"), r"\1 \2 "),
    (re.compile(r"([\.,])([^0-9])"), r" \1 \2"),
    (re.compile(r"([0-9])(-)"), r"\1 \2 "),
]


def tokenize_13a(line: str) -> str:
    """mteval-v13a tokenisation: split punctuation and symbols from words (numbers keep their ``.``/``,``)."""
    line = line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
    if "&" in line:
        line = line.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    line = f" {line} "
    for pattern, replacement in _13A_RULES:
        line = pattern.sub(replacement, line)
    return " ".join(line.split())


@dataclass
class BLEUScore:
    """A corpus BLEU result; ``score`` and ``precisions`` are percentages as sacreBLEU reports them."""

    score: float
    precisions: List[float]
    brevity_penalty: float
    sys_len: int
    ref_len: int


def _ngrams(tokens: List[str], max_order: int) -> Counter:
    counts: Counter = Counter()
    for n in range(1, max_order + 1):
        for i in range(len(tokens) - n + 1):
            counts[tuple(tokens[i : i + n])] += 1
    return counts


def _closest_ref_len(hyp_len: int, ref_lens: Sequence[int]) -> int:
    return min(ref_lens, key=lambda ref_len: (abs(ref_len - hyp_len), ref_len))


def corpus_bleu(
    hypotheses: Sequence[str],
    references: Sequence[Sequence[str]],
    tokenize: bool = True,
    lowercase: bool = False,
    max_order: int = 4,
) -> BLEUScore:
    """BLEU of ``hypotheses`` against one or more reference streams (``references[k][i]`` is the k-th reference of
    sentence ``i``), as ``sacrebleu.corpus_bleu(hypotheses, references)`` computes it by default."""
    if isinstance(references, str) or (references and isinstance(references[0], str)):
        raise TypeError("corpus_bleu: references must be a list of reference streams, e.g. [refs] for one reference")
    for k, stream in enumerate(references):
        if len(stream) != len(hypotheses):
            raise ValueError(
                f"corpus_bleu: reference stream {k} has {len(stream)} sentences, expected {len(hypotheses)}"
            )

    def prepare(text: str) -> List[str]:
        text = text.lower() if lowercase else text
        return (tokenize_13a(text) if tokenize else text.strip()).split()

    matches, totals = [0] * max_order, [0] * max_order
    sys_len = ref_len = 0
    for i, hyp in enumerate(hypotheses):
        hyp_tokens = prepare(hyp)
        refs = [prepare(stream[i]) for stream in references]
        sys_len += len(hyp_tokens)
        ref_len += _closest_ref_len(len(hyp_tokens), [len(r) for r in refs])
        max_ref_counts: Counter = Counter()
        for ref in refs:
            max_ref_counts |= _ngrams(ref, max_order)
        for ngram, count in _ngrams(hyp_tokens, max_order).items():
            matches[len(ngram) - 1] += min(count, max_ref_counts[ngram])
        for n in range(1, max_order + 1):
            totals[n - 1] += max(0, len(hyp_tokens) - n + 1)
    return _score(matches, totals, sys_len, ref_len)


def _score(matches: List[int], totals: List[int], sys_len: int, ref_len: int) -> BLEUScore:
    precisions = [0.0] * len(matches)
    smooth = 1.0
    for n, (match, total) in enumerate(zip(matches, totals)):
        if total == 0:
            break
        if match == 0:
            smooth *= 2.0
            precisions[n] = 100.0 / (smooth * total)
        else:
            precisions[n] = 100.0 * match / total
    brevity_penalty = _brevity_penalty(sys_len, ref_len)
    if sys_len == 0 or min(precisions) == 0.0:
        return BLEUScore(0.0, precisions, brevity_penalty, sys_len, ref_len)
    log_mean = sum(math.log(p) for p in precisions) / len(precisions)
    return BLEUScore(brevity_penalty * math.exp(log_mean), precisions, brevity_penalty, sys_len, ref_len)


def _brevity_penalty(sys_len: int, ref_len: int) -> float:
    if sys_len >= ref_len:
        return 1.0
    return math.exp(1.0 - ref_len / sys_len) if sys_len > 0 else 0.0
