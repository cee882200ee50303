"""Answers from start/end logits: the n-best spans of each question over its windows, and v2's no-answer rule.

As BERT's SQuAD post-processing (NeMo v1's): per window, every pair of the ``n_best_size`` best start and end
positions is a candidate when both lie in the context, the start is a token this window gives the most context, the
end does not precede the start and the span has at most ``max_answer_length`` sub-tokens; candidates are ranked by
start + end logit. A span's text is the original context's words, trimmed to the predicted sub-tokens
(``1895`` out of ``(1895-1943)``). With unanswerable questions (v2) the null answer scores ``start + end`` logit of
``[CLS]`` in the window where that is lowest, and is predicted when it beats the best span by more than
``null_score_diff_threshold``.
"""

import math
import unicodedata
from typing import Dict, List, NamedTuple, Sequence, Tuple

from nemo.collections.common.tokenizers.tokenizer_spec import TokenizerSpec
from nemo.collections.nlp.data.question_answering.qa_squad_processing import InputFeatures, SquadExample

__all__ = ["NBestEntry", "final_text", "get_predictions"]


class NBestEntry(NamedTuple):
    """One candidate answer (``text`` ``""`` is the null answer)."""

    text: str
    probability: float
    start_logit: float
    end_logit: float


class _Candidate(NamedTuple):
    feature_index: int
    start: int
    end: int
    start_logit: float
    end_logit: float


def _best_indexes(logits: Sequence[float], n: int) -> List[int]:
    return sorted(range(len(logits)), key=lambda i: logits[i], reverse=True)[:n]


def _basic_tokens(text: str, do_lower_case: bool) -> str:
    """``text`` split on whitespace and punctuation (and lower-cased without accents) as BERT's basic tokenizer
    does, joined with spaces: the form the sub-tokens are detokenized to."""
    if do_lower_case:
        text = "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn")
    pieces: List[str] = []
    for word in text.split():
        current = ""
        for char in word:
            if _is_punctuation(char):
                pieces.extend([current, char] if current else [char])
                current = ""
            else:
                current += char
        if current:
            pieces.append(current)
    return " ".join(pieces)


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _without_spaces(text: str) -> Tuple[str, Dict[int, int]]:
    """``text`` without spaces, and each kept character's index in ``text``."""
    kept, positions = [], {}
    for index, char in enumerate(text):
        if char != " ":
            positions[len(kept)] = index
            kept.append(char)
    return "".join(kept), positions


def final_text(predicted: str, original: str, do_lower_case: bool) -> str:
    """The part of ``original`` (whole context words) that the detokenized ``predicted`` sub-tokens cover, found by
    aligning the two without spaces; ``original`` itself when they cannot be aligned."""
    tokenized = _basic_tokens(original, do_lower_case)
    start = tokenized.find(predicted)
    if start < 0:
        return original
    end = start + len(predicted) - 1
    original_ns, original_map = _without_spaces(original)
    tokenized_ns, tokenized_map = _without_spaces(tokenized)
    if len(original_ns) != len(tokenized_ns):
        return original
    tokenized_to_ns = {index: ns for ns, index in tokenized_map.items()}
    if start not in tokenized_to_ns or end not in tokenized_to_ns:
        return original
    return original[original_map[tokenized_to_ns[start]] : original_map[tokenized_to_ns[end]] + 1]


def get_predictions(
    examples: Sequence[SquadExample],
    features: Sequence[InputFeatures],
    start_logits: Sequence[Sequence[float]],
    end_logits: Sequence[Sequence[float]],
    tokenizer: TokenizerSpec,
    n_best_size: int = 20,
    max_answer_length: int = 30,
    version_2_with_negative: bool = False,
    null_score_diff_threshold: float = 0.0,
    do_lower_case: bool = True,
) -> Tuple[Dict[str, str], Dict[str, List[NBestEntry]], Dict[str, float]]:
    """``(answer per question id, its n-best list, null score - best span score per question id)``.

    ``start_logits[i]``/``end_logits[i]`` are the scores of ``features[i]``'s tokens (longer lists are cut to its
    tokens; None: not scored, and its question is left out). The score difference is only computed with
    ``version_2_with_negative`` (else empty).
    """
    by_example: Dict[int, List[int]] = {}
    for index, feature in enumerate(features):
        by_example.setdefault(feature.example_index, []).append(index)
    predictions: Dict[str, str] = {}
    nbest: Dict[str, List[NBestEntry]] = {}
    score_diffs: Dict[str, float] = {}
    for example_index, example in enumerate(examples):
        if any(start_logits[i] is None for i in by_example.get(example_index, [])):
            continue
        candidates: List[_Candidate] = []
        null: Tuple[float, int, float, float] = (math.inf, -1, 0.0, 0.0)
        for feature_index in by_example.get(example_index, []):
            feature = features[feature_index]
            starts = list(start_logits[feature_index][: len(feature.tokens)])
            ends = list(end_logits[feature_index][: len(feature.tokens)])
            if version_2_with_negative and starts[0] + ends[0] < null[0]:
                null = (starts[0] + ends[0], feature_index, starts[0], ends[0])
            for s in _best_indexes(starts, n_best_size):
                if s not in feature.token_to_orig_map or not feature.token_is_max_context.get(s, False):
                    continue
                for e in _best_indexes(ends, n_best_size):
                    if e in feature.token_to_orig_map and s <= e < s + max_answer_length:
                        candidates.append(_Candidate(feature_index, s, e, starts[s], ends[e]))
        if version_2_with_negative and null[1] >= 0:
            candidates.append(_Candidate(null[1], 0, 0, null[2], null[3]))
        candidates.sort(key=lambda c: c.start_logit + c.end_logit, reverse=True)
        entries = _nbest(example, features, candidates, tokenizer, n_best_size, do_lower_case)
        if version_2_with_negative and not any(entry.text == "" for entry in entries) and null[1] >= 0:
            entries.append(NBestEntry("", 0.0, null[2], null[3]))
        if not entries:
            entries.append(NBestEntry("empty", 0.0, 0.0, 0.0))
        entries = _with_probabilities(entries)
        nbest[example.qas_id] = entries
        best_span = next((entry for entry in entries if entry.text), None)
        if not version_2_with_negative:
            predictions[example.qas_id] = entries[0].text
            continue
        span_score = best_span.start_logit + best_span.end_logit if best_span else -math.inf
        diff = null[0] - span_score
        score_diffs[example.qas_id] = diff
        predictions[example.qas_id] = "" if diff > null_score_diff_threshold or best_span is None else best_span.text
    return predictions, nbest, score_diffs


def _nbest(
    example: SquadExample,
    features: Sequence[InputFeatures],
    candidates: List[_Candidate],
    tokenizer: TokenizerSpec,
    n_best_size: int,
    do_lower_case: bool,
) -> List[NBestEntry]:
    """Up to ``n_best_size`` entries with distinct texts, best first."""
    entries: List[NBestEntry] = []
    seen = set()
    for candidate in candidates:
        if len(entries) >= n_best_size:
            break
        if candidate.start == 0:  # the null answer ([CLS])
            text = ""
        else:
            feature = features[candidate.feature_index]
            first, last = feature.token_to_orig_map[candidate.start], feature.token_to_orig_map[candidate.end]
            predicted = _detokenize(tokenizer, feature.tokens[candidate.start : candidate.end + 1])
            text = final_text(predicted, " ".join(example.doc_tokens[first : last + 1]), do_lower_case)
        if text in seen:
            continue
        seen.add(text)
        entries.append(NBestEntry(text, 0.0, candidate.start_logit, candidate.end_logit))
    return entries


def _detokenize(tokenizer: TokenizerSpec, tokens: Sequence[str]) -> str:
    """The sub-tokens as text (the tokenizer glues WordPiece pieces), without the ``##`` of a span that starts
    inside a word, as BERT's SQuAD post-processing drops it."""
    return " ".join(tokenizer.tokens_to_text(list(tokens)).replace("##", "").split())


def _with_probabilities(entries: List[NBestEntry]) -> List[NBestEntry]:
    """The softmax of the entries' total scores as their probabilities."""
    scores = [entry.start_logit + entry.end_logit for entry in entries]
    top = max(scores)
    weights = [math.exp(score - top) for score in scores]
    total = sum(weights)
    return [entry._replace(probability=weight / total) for entry, weight in zip(entries, weights)]
