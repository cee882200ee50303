"""A word n-gram language model in pure Python: training, ARPA files and backoff queries.

It replaces KenLM for the CTC beam search decoder (``BeamSearchDecoderWithLM``), so LM decoding needs no compiled
extension. ``train_ngram_lm`` builds an interpolated Kneser-Ney model (one absolute discount for every order) and
``NGramLanguageModel`` reads and writes the ARPA text format KenLM and SRILM use, and answers backoff queries.

Conventions (as in KenLM): sentences are padded with one ``<s>`` and one ``</s>``; ``<s>`` is only a context (its
unigram log-probability is the conventional -99); words not in the model are scored as ``<unk>``, and a model read
from an ARPA file without ``<unk>`` gets ``<unk>`` at log10 probability -100. For every context the probabilities of
``vocabulary`` (which holds ``<unk>``) and ``</s>`` sum to one.
"""

import gzip
import math
import os
import re
from collections import defaultdict
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Set, TextIO, Tuple

__all__ = ["BOS", "EOS", "UNK", "NGramLanguageModel", "train_ngram_lm"]

BOS, EOS, UNK = "<s>", "</s>", "<unk>"
_BOS_LOG10 = -99.0  # <s> is never predicted; ARPA files give it this placeholder
_MISSING_UNK_LOG10 = -100.0  # what KenLM assigns to <unk> when an ARPA file lacks it

NGram = Tuple[str, ...]


class NGramLanguageModel:
    """A backoff n-gram model: per order, log10 probabilities and (for contexts) log10 backoff weights.

    Args:
        probs: ``probs[n - 1]`` maps each n-gram (a tuple of n words) to its log10 probability.
        backoffs: log10 backoff weight of each n-gram that is a context of a longer one (missing means 0).
    """

    def __init__(self, probs: Sequence[Mapping[NGram, float]], backoffs: Optional[Mapping[NGram, float]] = None):
        if not probs or not probs[0]:
            raise ValueError("An n-gram model needs at least one unigram")
        self._probs: List[Dict[NGram, float]] = [dict(level) for level in probs]
        for n, level in enumerate(self._probs, start=1):
            wrong = next((ngram for ngram in level if len(ngram) != n), None)
            if wrong is not None:
                raise ValueError(f"probs[{n - 1}] must hold {n}-grams, got {wrong!r}")
        self._backoffs: Dict[NGram, float] = dict(backoffs or {})
        if (UNK,) not in self._probs[0]:
            self._probs[0][(UNK,)] = _MISSING_UNK_LOG10
        self._vocabulary = frozenset(ngram[0] for ngram in self._probs[0]) - {BOS, EOS}

    @property
    def order(self) -> int:
        """The longest n-gram length."""
        return len(self._probs)

    @property
    def vocabulary(self) -> Set[str]:
        """The words the model predicts, ``<unk>`` included; the sentence markers ``<s>``/``</s>`` excluded."""
        return set(self._vocabulary)

    def ngram_counts(self) -> List[int]:
        """How many n-grams of each order the model holds (the ARPA header's counts)."""
        return [len(level) for level in self._probs]

    def log10_prob(self, word: str, context: Sequence[str] = ()) -> float:
        """log10 P(word | context) with backoff; ``context`` is the preceding words, oldest first (e.g. ``["<s>"]``).

        Only the last ``order - 1`` context words matter; unknown words (in ``word`` or ``context``) count as ``<unk>``.
        """
        unigrams = self._probs[0]
        if (word,) not in unigrams:
            word = UNK
        first = max(len(context) - self.order + 1, 0)
        history = tuple(w if (w,) in unigrams else UNK for w in context[first:])
        backoff = 0.0
        for start in range(len(history) + 1):
            h = history[start:]
            prob = self._probs[len(h)].get(h + (word,))
            if prob is not None:
                return backoff + prob
            backoff += self._backoffs.get(h, 0.0)
        raise AssertionError("unreachable: every word has a unigram")  # pragma: no cover

    # ------------------------------------------------------------------------------------------------ ARPA files
    @classmethod
    def from_arpa(cls, path: str) -> "NGramLanguageModel":
        """Read an ARPA file (``.arpa`` or gzip-compressed ``.arpa.gz``), as written by KenLM, SRILM or ``to_arpa``."""
        opener = gzip.open if str(path).endswith(".gz") else open
        try:
            with opener(path, "rt", encoding="utf-8") as handle:
                return cls._parse_arpa(handle, str(path))
        except UnicodeDecodeError as err:
            raise ValueError(
                f"{path}: not a UTF-8 ARPA text file (binary KenLM models are not supported): {err}"
            ) from err

    @classmethod
    def _parse_arpa(cls, handle: TextIO, path: str) -> "NGramLanguageModel":
        lines = enumerate(handle, start=1)
        number = 0
        for number, raw in lines:  # noqa: B007 - `number` names the last line when the header is missing
            if raw.strip() == "\\data\\":
                break
        else:
            raise ValueError(f"{path}:{number}: expected a '\\data\\' header, got the end of the file")
        declared: Dict[int, int] = {}
        probs: List[Dict[NGram, float]] = []
        backoffs: Dict[NGram, float] = {}
        order = 0  # the section being read; 0 while in the header
        for number, raw in lines:
            line = raw.strip()
            if not line:
                continue
            where = f"{path}:{number}"
            header = re.fullmatch(r"\\(\d+)-grams:", line)
            if line == "\\end\\" or header:
                if order and len(probs[order - 1]) != declared[order]:
                    raise ValueError(
                        f"{where}: expected {declared[order]} {order}-grams (as the header says), got "
                        f"{len(probs[order - 1])}"
                    )
                if line == "\\end\\":
                    if order != len(declared):
                        raise ValueError(f"{where}: expected the \\{order + 1}-grams: section, got {line!r}")
                    return cls(probs, backoffs)
                if not declared:
                    raise ValueError(f"{where}: expected 'ngram N=count' lines before the sections, got {line!r}")
                order += 1
                if int(header.group(1)) != order or order not in declared:
                    raise ValueError(f"{where}: expected the \\{order}-grams: section, got {line!r}")
                probs.append({})
                continue
            if not order:
                count = re.fullmatch(r"ngram\s+(\d+)\s*=\s*(\d+)", line)
                if count is None or int(count.group(1)) != len(declared) + 1:
                    raise ValueError(f"{where}: expected 'ngram {len(declared) + 1}=<count>', got {line!r}")
                declared[int(count.group(1))] = int(count.group(2))
                continue
            fields = line.split()
            if len(fields) not in (order + 1, order + 2):
                raise ValueError(
                    f"{where}: expected '<log10 prob> <{order} words> [<log10 backoff>]' ({order + 1} or "
                    f"{order + 2} fields), got {len(fields)} fields: {line!r}"
                )
            try:
                values = [float(fields[0])] + ([float(fields[-1])] if len(fields) == order + 2 else [])
            except ValueError as err:
                raise ValueError(f"{where}: expected numbers for the log10 probability/backoff, got {line!r}") from err
            ngram = tuple(fields[1 : order + 1])
            if ngram in probs[order - 1]:
                raise ValueError(f"{where}: expected each {order}-gram once, got {' '.join(ngram)!r} again")
            probs[order - 1][ngram] = values[0]
            if len(values) == 2:
                backoffs[ngram] = values[1]
        raise ValueError(f"{path}:{number}: expected '\\end\\', got the end of the file")

    def to_arpa(self, path: str) -> str:
        """Write the model as an ARPA file (atomically: a temporary file next to it, then renamed); return ``path``.

        Numbers are written with ``repr`` so that reading the file back gives bit-identical scores.
        """
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        partial = f"{path}.{os.getpid()}.partial"
        try:
            with open(partial, "w", encoding="utf-8") as handle:
                handle.write("\\data\\\n")
                for n, level in enumerate(self._probs, start=1):
                    handle.write(f"ngram {n}={len(level)}\n")
                for n, level in enumerate(self._probs, start=1):
                    handle.write(f"\n\\{n}-grams:\n")
                    for ngram in sorted(level):
                        backoff = self._backoffs.get(ngram)
                        tail = "" if backoff is None else f"\t{backoff!r}"
                        handle.write(f"{level[ngram]!r}\t{' '.join(ngram)}{tail}\n")
                handle.write("\n\\end\\\n")
            os.replace(partial, path)
        except BaseException:
            if os.path.exists(partial):
                os.unlink(partial)
            raise
        return path


# -------------------------------------------------------------------------------------------------------- training
def _count_ngrams(sentences: Iterable[str], order: int) -> List[Dict[NGram, int]]:
    counts: List[Dict[NGram, int]] = [defaultdict(int) for _ in range(order)]
    for index, sentence in enumerate(sentences):
        if not isinstance(sentence, str):
            raise TypeError(f"sentence {index}: expected a string, got {type(sentence).__name__}")
        words = sentence.split()
        if not words:
            continue
        if BOS in words or EOS in words:
            raise ValueError(f"sentence {index}: expected plain words, got the reserved marker {BOS} or {EOS}")
        padded = (BOS, *words, EOS)
        for n in range(1, order + 1):
            level = counts[n - 1]
            for start in range(len(padded) - n + 1):
                level[padded[start : start + n]] += 1
    return counts


def _adjusted_counts(raw: List[Dict[NGram, int]]) -> List[Dict[NGram, int]]:
    """Kneser-Ney counts: raw counts for the top order and for n-grams starting with ``<s>`` (which have no left
    neighbour); for the other lower-order n-grams the number of distinct words seen to their left."""
    adjusted = [dict(level) for level in raw]
    for n in range(len(raw) - 1):
        continuation: Dict[NGram, int] = defaultdict(int)
        for longer in raw[n + 1]:
            continuation[longer[1:]] += 1
        adjusted[n] = {ngram: (count if ngram[0] == BOS else continuation[ngram]) for ngram, count in raw[n].items()}
    return adjusted


def train_ngram_lm(sentences: Iterable[str], order: int = 2, discount: float = 0.7) -> NGramLanguageModel:
    """Train an interpolated Kneser-Ney word n-gram model on whitespace-tokenised sentences.

    Every order uses the absolute ``discount`` D: P(w|h) = max(c(h,w) - D, 0)/c(h) + gamma(h) P(w|h'), with
    gamma(h) = D * |{w: c(h,w) > 0}| / c(h), and the unigrams are interpolated with the uniform distribution over
    ``vocabulary`` + ``</s>`` (so ``<unk>`` gets probability mass). gamma(h) is exactly the ARPA backoff weight of
    h, so the backoff queries of the returned model reproduce the interpolated distribution. Empty sentences are skipped.
    """
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"order must be an integer >= 1, got {order!r}")
    if not 0.0 < discount < 1.0:
        raise ValueError(f"discount must be in (0, 1), got {discount!r}")
    raw = _count_ngrams(sentences, order)
    if not raw[0]:
        raise ValueError("train_ngram_lm: no words in the training sentences")
    adjusted = _adjusted_counts(raw)

    # Unigrams: everything but <s>, plus <unk> and </s>, share the uniform floor.
    predicted = {ngram: count for ngram, count in adjusted[0].items() if ngram[0] != BOS}
    events = set(predicted) | {(UNK,), (EOS,)}
    total = sum(predicted.values())
    gamma = discount * len(predicted) / total
    linear: List[Dict[NGram, float]] = [
        {ngram: max(predicted.get(ngram, 0) - discount, 0.0) / total + gamma / len(events) for ngram in events}
    ]
    gammas: Dict[NGram, float] = {}

    def lower(ngram: NGram) -> float:
        """The interpolated probability of ngram[-1] after ngram[:-1], through the orders built so far."""
        weight = 1.0
        for start in range(len(ngram)):
            suffix = ngram[start:]
            prob = linear[len(suffix) - 1].get(suffix)
            if prob is not None:
                return weight * prob
            weight *= gammas.get(suffix[:-1], 1.0)
        raise AssertionError(f"unreachable: {ngram[-1]!r} has a unigram")  # pragma: no cover

    for n in range(2, order + 1):
        by_context: Dict[NGram, Dict[str, int]] = defaultdict(dict)
        for ngram, count in adjusted[n - 1].items():
            by_context[ngram[:-1]][ngram[-1]] = count
        level: Dict[NGram, float] = {}
        for context, followers in by_context.items():
            context_total = sum(followers.values())
            context_gamma = discount * len(followers) / context_total
            for word, count in followers.items():
                level[context + (word,)] = (count - discount) / context_total + context_gamma * lower(
                    context[1:] + (word,)
                )
            gammas[context] = context_gamma
        linear.append(level)

    probs = [{ngram: math.log10(p) for ngram, p in level.items()} for level in linear]
    probs[0][(BOS,)] = _BOS_LOG10
    return NGramLanguageModel(probs, {ngram: math.log10(g) for ngram, g in gammas.items()})
