"""Reference word and character error rates in plain Python, to check a library's WER against an independent
computation (a dynamic programme, not the ``editdistance`` library the ASR collection uses)."""

from __future__ import annotations

from typing import Hashable, Sequence

__all__ = ["levenshtein", "reference_error_rate"]


def levenshtein(hypothesis: Sequence[Hashable], reference: Sequence[Hashable]) -> int:
    """Edit distance: substitutions, insertions and deletions each cost 1."""
    previous = list(range(len(reference) + 1))
    for i, hyp in enumerate(hypothesis, start=1):
        current = [i]
        for j, ref in enumerate(reference, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (hyp != ref)))
        previous = current
    return previous[-1]


def reference_error_rate(hypotheses: Sequence[str], references: Sequence[str], use_cer: bool = False) -> float:
    """Corpus WER (CER with ``use_cer``): total edits over total reference words (characters); ``inf`` if none."""
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses for {len(references)} references")

    def units(text: str) -> Sequence[str]:
        return list(text) if use_cer else text.split()

    edits = sum(levenshtein(units(hyp), units(ref)) for hyp, ref in zip(hypotheses, references))
    words = sum(len(units(ref)) for ref in references)
    return edits / words if words else float("inf")
