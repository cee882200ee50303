"""Exact match and F1 as SQuAD's official evaluation scripts compute them (v2.0's script; v1.1 gives the same on
answerable questions).

Both compare normalized answers: lower-cased, punctuation removed, the articles ``a``/``an``/``the`` removed and
whitespace collapsed. F1 is over the normalized words (a bag, so repeats count). Each prediction is scored against
every gold answer of its question and keeps the best; an unanswerable question's gold answer is ``""``, which only
an empty prediction matches. Scores are percentages over all questions of the set (a missing prediction scores 0).
"""

import collections
import re
import string
from typing import Dict, List, Mapping

__all__ = ["exact_match_score", "f1_score", "normalize_answer", "squad_evaluate"]

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCTUATION = set(string.punctuation)


def normalize_answer(text: str) -> str:
    """Lower case, no punctuation, no articles, single spaces."""
    text = "".join(char for char in text.lower() if char not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match_score(prediction: str, gold: str) -> int:
    """1 when the normalized answers are equal."""
    return int(normalize_answer(prediction) == normalize_answer(gold))


def f1_score(prediction: str, gold: str) -> float:
    """Word-overlap F1 of the normalized answers (1 or 0 when either is empty: only both empty match)."""
    predicted, expected = normalize_answer(prediction).split(), normalize_answer(gold).split()
    if not predicted or not expected:
        return float(predicted == expected)
    common = sum((collections.Counter(predicted) & collections.Counter(expected)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(expected)
    return 2 * precision * recall / (precision + recall)


def squad_evaluate(gold_answers: Mapping[str, List[str]], predictions: Mapping[str, str]) -> Dict[str, float]:
    """``exact`` and ``f1`` (percent) and ``total`` over the questions of ``gold_answers`` (question id -> gold
    answers, ``[""]`` for an unanswerable one); with unanswerable questions present also ``HasAns_*`` and
    ``NoAns_*`` (the two halves, as the v2.0 script reports them)."""
    exact: Dict[str, float] = {}
    f1: Dict[str, float] = {}
    for qid, answers in gold_answers.items():
        answers = [a for a in answers if normalize_answer(a)] or [""]
        prediction = predictions.get(qid)
        if prediction is None:
            exact[qid] = f1[qid] = 0.0
            continue
        exact[qid] = max(exact_match_score(prediction, a) for a in answers)
        f1[qid] = max(f1_score(prediction, a) for a in answers)
    result = _percent(exact, f1, list(gold_answers))
    no_answer = [qid for qid, answers in gold_answers.items() if not any(normalize_answer(a) for a in answers)]
    if no_answer:
        has_answer = [qid for qid in gold_answers if qid not in set(no_answer)]
        for prefix, ids in (("HasAns", has_answer), ("NoAns", no_answer)):
            result.update({f"{prefix}_{key}": value for key, value in _percent(exact, f1, ids).items()})
    return result


def _percent(exact: Mapping[str, float], f1: Mapping[str, float], ids: List[str]) -> Dict[str, float]:
    total = len(ids)
    if total == 0:
        return {"exact": 0.0, "f1": 0.0, "total": 0}
    return {
        "exact": 100.0 * sum(exact[i] for i in ids) / total,
        "f1": 100.0 * sum(f1[i] for i in ids) / total,
        "total": total,
    }
