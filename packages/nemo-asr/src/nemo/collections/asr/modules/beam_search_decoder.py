"""CTC prefix beam search with an optional word n-gram language model: NeMo v1's ``BeamSearchDecoderWithLM``.

NeMo v1 wrapped Baidu's compiled ``ctc_decoders`` and KenLM; this is a pure Python/numpy implementation of the same
search (Hannun et al., 2014, "First-pass large vocabulary continuous speech recognition using bi-directional recurrent
DNNs") over the ARPA models of ``nemo.collections.asr.parts.ngram_lm``, so it installs with the collection.

Per frame every prefix in the beam keeps two log-probabilities, of the paths ending in a blank and of those ending in
its last character; a repeated character extends a prefix only across a blank, and paths reaching the same prefix are
merged. Each frame's candidates (every prefix, and every prefix extended by every character the frame keeps) are
scored with numpy at once and the ``beam_width`` best survive. A prefix's ranking score is its acoustic
log-probability plus ``alpha * ln P_lm(word | previous words) + beta`` for each completed word: a word completes at a
space, and the last word at the end of the utterance.

With an LM the characters of a word are constrained to prefixes of the LM's words (a character trie), a space may only
end an in-vocabulary word (no leading or double spaces), and a hypothesis whose last word is unfinished is returned
only when no hypothesis ends in a complete word: out-of-vocabulary words cannot be produced. LM words holding
characters outside ``vocab`` (and ``<unk>``) are left out of the trie.
"""

import math
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_all_start_methods, get_context
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from nemo.collections.asr.parts.ngram_lm import BOS, UNK, NGramLanguageModel
from nemo.core.classes.module import NeuralModule
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import LengthsType, LogprobsType, NeuralType, PredictionsType

__all__ = ["BeamSearchDecoderWithLM", "CTCPrefixBeamSearch"]

_NEG_INF = float("-inf")
_LN10 = math.log(10.0)
_WORD_SCORE_CACHE = 1_000_000  # memoised LM scores of (context, word), kept across utterances up to this many
_LOG_PROB_TOLERANCE = 1e-3  # log-probabilities above this are taken for probabilities (a caller's mistake)


class _TrieNode:
    """A node of the LM vocabulary's character trie; ``mask`` is 0 for the characters that may follow, else -inf."""

    __slots__ = ("children", "is_word", "mask")

    def __init__(self) -> None:
        self.children: Dict[int, _TrieNode] = {}
        self.is_word = False
        self.mask: Optional[np.ndarray] = None


class _Prefix:
    """One hypothesis: a node of the prefix tree. Its scores live in the search's per-frame arrays."""

    __slots__ = ("parent", "char", "children", "index", "lm_score", "context", "word", "trie", "word_score", "row")

    def __init__(self, parent: Optional["_Prefix"], char: int) -> None:
        self.parent = parent
        self.char = char  # class id of the last character; -1 for the empty prefix
        self.children: Dict[int, _Prefix] = {}
        self.index = -1  # position in the current beam, -1 when not in it
        self.lm_score = 0.0  # alpha * ln P + beta summed over the completed words
        self.context: Tuple[str, ...] = (BOS,)  # the last (order - 1) completed words
        self.word = ""  # the word being spelled
        self.trie: Optional[_TrieNode] = None
        self.word_score = _NEG_INF  # what completing `word` now would add (with an LM)
        self.row: Optional[np.ndarray] = None  # per character: lm_score plus what extending by it adds, or -inf

    def text(self, vocab: Sequence[str]) -> str:
        chars = []
        node = self
        while node.parent is not None:
            chars.append(vocab[node.char])
            node = node.parent
        return "".join(reversed(chars))


class CTCPrefixBeamSearch:
    """The search behind ``BeamSearchDecoderWithLM``, usable on its own: ``decode(log_probs)`` for one utterance.

    Args:
        vocab: output characters; class ``len(vocab)`` is the CTC blank.
        beam_width: hypotheses kept per frame and returned at most.
        alpha / beta: LM weight and word insertion bonus (ignored without ``lm``).
        lm: a word n-gram model, or None for plain beam search.
        cutoff_prob / cutoff_top_n: per frame, only the most probable classes whose cumulative probability reaches
            ``cutoff_prob``, and at most ``cutoff_top_n`` of them, are expanded (the blank included).
    """

    def __init__(
        self,
        vocab: Sequence[str],
        beam_width: int,
        alpha: float = 0.0,
        beta: float = 0.0,
        lm: Optional[NGramLanguageModel] = None,
        cutoff_prob: float = 1.0,
        cutoff_top_n: int = 40,
    ) -> None:
        self.vocab = list(vocab)
        if not self.vocab or not all(isinstance(c, str) and c for c in self.vocab):
            raise ValueError(f"vocab must be a non-empty list of non-empty strings, got {vocab!r}")
        if not isinstance(beam_width, int) or beam_width < 1:
            raise ValueError(f"beam_width must be an integer >= 1, got {beam_width!r}")
        if not 0.0 < cutoff_prob <= 1.0:
            raise ValueError(f"cutoff_prob must be in (0, 1], got {cutoff_prob!r}")
        if not isinstance(cutoff_top_n, int) or cutoff_top_n < 1:
            raise ValueError(f"cutoff_top_n must be an integer >= 1, got {cutoff_top_n!r}")
        self.beam_width = beam_width
        self.alpha, self.beta = float(alpha), float(beta)
        self.cutoff_prob, self.cutoff_top_n = float(cutoff_prob), cutoff_top_n
        self.lm = lm
        self.space = self.vocab.index(" ") if " " in self.vocab else -1
        if lm is not None and (self.space < 0 or any(len(c) != 1 for c in self.vocab)):
            raise ValueError(
                "decoding with an LM needs a character vocabulary (single characters, with ' ' ending words), got "
                f"{vocab!r}"
            )
        self._word_scores: Dict[Tuple[Tuple[str, ...], str], float] = {}
        self._trie = self._build_trie(lm) if lm is not None else None

    def _build_trie(self, lm: NGramLanguageModel) -> _TrieNode:
        ids = {char: i for i, char in enumerate(self.vocab) if i != self.space}
        root = _TrieNode()
        for word in lm.vocabulary - {UNK}:
            if all(char in ids for char in word):
                node = root
                for char in word:
                    node = node.children.setdefault(ids[char], _TrieNode())
                node.is_word = True
        return root

    def _mask(self, node: _TrieNode) -> np.ndarray:
        if node.mask is None:
            node.mask = np.full(len(self.vocab), _NEG_INF)
            node.mask[list(node.children)] = 0.0
            if node.is_word:
                node.mask[self.space] = 0.0
        return node.mask

    def _score_word(self, context: Tuple[str, ...], word: str) -> float:
        key = (context, word)
        score = self._word_scores.get(key)
        if score is None:
            if len(self._word_scores) >= _WORD_SCORE_CACHE:
                self._word_scores.clear()
            score = self.alpha * _LN10 * self.lm.log10_prob(word, context) + self.beta
            self._word_scores[key] = score
        return score

    # ---------------------------------------------------------------------------------------------- prefix tree
    def _root(self) -> _Prefix:
        root = _Prefix(None, -1)
        if self.lm is not None:
            root.trie = self._trie
            root.row = self._mask(self._trie).copy()
        return root

    def _child(self, parent: _Prefix, char: int) -> _Prefix:
        child = parent.children.get(char)
        if child is not None:
            return child
        child = _Prefix(parent, char)
        parent.children[char] = child
        if self.lm is None:
            return child
        if char == self.space:
            child.lm_score = parent.lm_score + parent.word_score
            child.context = (parent.context + (parent.word,))[max(len(parent.context) + 2 - self.lm.order, 0) :]
            child.trie = self._trie
        else:
            child.lm_score, child.context = parent.lm_score, parent.context
            child.word = parent.word + self.vocab[char]
            child.trie = parent.trie.children[char]
            if child.trie.is_word:
                child.word_score = self._score_word(child.context, child.word)
        child.row = self._mask(child.trie) + child.lm_score
        if child.trie.is_word:
            child.row[self.space] += child.word_score
        return child

    # ------------------------------------------------------------------------------------------------- decoding
    def _kept_classes(self, log_probs: np.ndarray) -> Optional[np.ndarray]:
        """Per frame, a boolean mask of the classes to expand; None when nothing is pruned."""
        classes = log_probs.shape[1]
        if self.cutoff_prob >= 1.0 and self.cutoff_top_n >= classes:
            return None
        order = np.argsort(-log_probs, axis=1, kind="stable")
        cumulative = np.cumsum(np.exp(np.take_along_axis(log_probs, order, axis=1)), axis=1)
        # keep up to and including the class whose cumulative probability reaches cutoff_prob
        count = np.minimum((cumulative < self.cutoff_prob).sum(axis=1) + 1, min(self.cutoff_top_n, classes))
        keep = np.zeros_like(log_probs, dtype=bool)
        np.put_along_axis(keep, order, np.arange(classes)[None, :] < count[:, None], axis=1)
        return keep

    def decode(self, log_probs: Any) -> List[Tuple[float, str]]:
        """Beam search over one utterance's ``(T, len(vocab) + 1)`` log-probabilities (blank last).

        Returns up to ``beam_width`` ``(score, text)`` pairs, best first; the score is the natural-log acoustic
        probability of the text plus the LM terms.
        """
        log_probs = np.asarray(
            log_probs.detach().cpu().double() if isinstance(log_probs, torch.Tensor) else log_probs, dtype=np.float64
        )
        vocab_size = len(self.vocab)
        if log_probs.ndim != 2 or log_probs.shape[1] != vocab_size + 1:
            raise ValueError(
                f"expected log-probabilities of shape (T, {vocab_size + 1}) (len(vocab) characters and the blank), "
                f"got {log_probs.shape}"
            )
        if log_probs.size and float(log_probs.max()) > _LOG_PROB_TOLERANCE:
            raise ValueError(
                f"expected log-probabilities (<= 0), got values up to {float(log_probs.max()):.3g}: pass log_softmax "
                "outputs, not probabilities or logits (NeMo v1 took probabilities with input_tensor=False)"
            )
        keep = self._kept_classes(log_probs)
        if keep is not None:
            log_probs = np.where(keep, log_probs, _NEG_INF)
        with_lm = self.lm is not None
        beam = [self._root()]
        beam[0].index = 0
        pb, pnb = np.zeros(1), np.full(1, _NEG_INF)
        last = np.full(1, -1)
        columns = np.arange(vocab_size)
        # characters' log-probabilities with a -inf column last, so that last == -1 (the empty prefix) picks -inf
        chars = np.concatenate((log_probs[:, :vocab_size], np.full((len(log_probs), 1), _NEG_INF)), axis=1)
        for frame, frame_chars in zip(log_probs, chars):
            if keep is not None:
                columns = np.flatnonzero(np.isfinite(frame_chars))
            width = len(columns)
            size = len(beam)
            total = np.logaddexp(pb, pnb)
            stay_b = total + frame[vocab_size]
            stay_nb = pnb + frame_chars[last]
            ext = total[:, None] + (frame_chars[:vocab_size] if keep is None else frame_chars[columns])[None, :]
            if keep is None:
                position = last
            else:
                position = np.full(vocab_size + 1, -1)
                position[columns] = np.arange(width)
                position = position[last]
            repeat = np.flatnonzero(position >= 0)  # a repeated character needs a blank in between
            ext[repeat, position[repeat]] = pb[repeat] + frame[last[repeat]]
            if with_lm:
                rows = np.stack([p.row for p in beam])
                rank_ext = ext + (rows if keep is None else rows[:, columns])
            else:
                rank_ext = ext.copy()
            # paths that reach a prefix already in the beam merge into it
            merged_j, merged_i, merged_c = [], [], []
            for j, prefix in enumerate(beam):
                parent = prefix.parent
                if parent is not None and parent.index >= 0:
                    merged_j.append(j)
                    merged_i.append(parent.index)
                    merged_c.append(prefix.char)
            if merged_j:
                mi = np.array(merged_i)
                mc = np.array(merged_c) if keep is None else np.searchsorted(columns, merged_c)
                valid = mc < width
                valid[valid] &= columns[mc[valid]] == np.array(merged_c)[valid]
                mj, mi, mc = np.array(merged_j)[valid], mi[valid], mc[valid]
                stay_nb[mj] = np.logaddexp(stay_nb[mj], ext[mi, mc])
                rank_ext[mi, mc] = _NEG_INF
            stay = np.logaddexp(stay_b, stay_nb)
            rank_stay = stay + np.array([p.lm_score for p in beam]) if with_lm else stay
            ranks = np.concatenate((rank_stay, rank_ext.ravel()))
            if len(ranks) > self.beam_width:
                chosen = np.argpartition(ranks, len(ranks) - self.beam_width)[-self.beam_width :]
            else:
                chosen = np.arange(len(ranks))
            chosen = chosen[np.isfinite(ranks[chosen])]
            stays, extensions = chosen[chosen < size], chosen[chosen >= size] - size
            parents, cols = np.divmod(extensions, width) if width else (extensions, extensions)
            for prefix in beam:
                prefix.index = -1
            new_beam = [beam[j] for j in stays]
            new_beam += [self._child(beam[i], int(columns[c])) for i, c in zip(parents.tolist(), cols.tolist())]
            for j, prefix in enumerate(new_beam):
                prefix.index = j
            beam = new_beam
            pb = np.concatenate((stay_b[stays], np.full(len(extensions), _NEG_INF)))
            pnb = np.concatenate((stay_nb[stays], ext[parents, cols]))
            last = np.concatenate((last[stays], columns[cols]))
        return self._finish(beam, np.logaddexp(pb, pnb))

    def _finish(self, beam: List[_Prefix], acoustic: np.ndarray) -> List[Tuple[float, str]]:
        complete, unfinished = [], []
        for prefix, score in zip(beam, acoustic.tolist()):
            prefix.index = -1
            if self.lm is None:
                complete.append((score, prefix.text(self.vocab)))
            elif not prefix.word:
                complete.append((score + prefix.lm_score, prefix.text(self.vocab)))
            elif prefix.trie.is_word:
                complete.append((score + prefix.lm_score + prefix.word_score, prefix.text(self.vocab)))
            else:  # the last word is a proper prefix of LM words: scored as <unk>, kept only as a last resort
                unk = self._score_word(prefix.context, UNK)
                unfinished.append((score + prefix.lm_score + unk, prefix.text(self.vocab)))
        results = complete or unfinished
        results.sort(key=lambda pair: pair[0], reverse=True)
        return results[: self.beam_width]


_WORKER_SEARCH: Optional[CTCPrefixBeamSearch] = None


def _init_worker(search: CTCPrefixBeamSearch) -> None:
    global _WORKER_SEARCH
    _WORKER_SEARCH = search


def _decode_in_worker(log_probs: np.ndarray) -> List[Tuple[float, str]]:
    return _WORKER_SEARCH.decode(log_probs)


class BeamSearchDecoderWithLM(NeuralModule):
    """CTC beam search with an optional word n-gram LM (NeMo v1's module; no compiled decoder needed).

    Args:
        vocab: output characters of the acoustic model (index = class id; the blank is ``len(vocab)``), e.g.
            ``model.decoder.vocabulary``.
        beam_width: hypotheses kept per frame and returned per utterance.
        alpha: LM weight (on natural-log probabilities); beta: bonus per word.
        lm_path: an ARPA file (``.arpa`` or ``.arpa.gz``, e.g. from ``examples/asr/train_ngram_lm.py`` or KenLM's
            ``lmplz``), or None for plain beam search (alpha and beta are then ignored). With an LM, only words of its
            vocabulary can be produced.
        num_cpus: more than 1 decodes the utterances of a batch in a pool of that many processes (forked where the
            platform allows); the results are the same.
        cutoff_prob / cutoff_top_n: per frame, only the most probable classes (blank included) whose cumulative
            probability reaches ``cutoff_prob``, at most ``cutoff_top_n`` of them, are expanded (1.0 and 40 prune
            nothing for a 29-character model).
        input_tensor: kept for NeMo v1 signatures. Either way ``forward`` takes a padded ``(B, T, D)`` tensor (or
            array) of log-probabilities and the valid lengths; NeMo v1 took a list of per-utterance *probability*
            arrays when False, which is refused with a clear error here. ``decode`` takes per-utterance arrays.

    ``forward(log_probs=..., log_probs_length=...)`` returns, per utterance, up to ``beam_width`` ``(score, text)``
    pairs, best first, as in NeMo v1. The inputs are type-checked; the output, a Python list of tuples and not a
    tensor, is not: the core's ``@typecheck`` counts a returned list as that many outputs (one per utterance) and checks
    container depths against the declared tensor port, so ``output_types`` documents the port only.
    """

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return {
            "log_probs": NeuralType(("B", "T", "D"), LogprobsType()),
            "log_probs_length": NeuralType(("B",), LengthsType()),
        }

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return {"predictions": NeuralType(("B", "T"), PredictionsType())}

    def __init__(
        self,
        vocab: Sequence[str],
        beam_width: int,
        alpha: float,
        beta: float,
        lm_path: Optional[str],
        num_cpus: int = 1,
        cutoff_prob: float = 1.0,
        cutoff_top_n: int = 40,
        input_tensor: bool = False,
    ) -> None:
        super().__init__()
        if not isinstance(num_cpus, int) or num_cpus < 1:
            raise ValueError(f"num_cpus must be an integer >= 1, got {num_cpus!r}")
        self.vocab = list(vocab)
        self.lm_path = lm_path
        self.num_cpus = num_cpus
        self.input_tensor = input_tensor
        lm = NGramLanguageModel.from_arpa(lm_path) if lm_path is not None else None
        self.search = CTCPrefixBeamSearch(self.vocab, beam_width, alpha, beta, lm, cutoff_prob, cutoff_top_n)

    def decode(self, log_probs: Sequence[Any]) -> List[List[Tuple[float, str]]]:
        """Decode per-utterance ``(T_i, len(vocab) + 1)`` log-probability arrays (e.g. ``transcribe(logprobs=True)``)."""
        if self.num_cpus == 1 or len(log_probs) < 2:
            return [self.search.decode(p) for p in log_probs]
        method = "fork" if "fork" in get_all_start_methods() else None
        workers = min(self.num_cpus, len(log_probs))
        with ProcessPoolExecutor(workers, get_context(method), _init_worker, (self.search,)) as pool:
            return list(pool.map(_decode_in_worker, log_probs, chunksize=max(1, len(log_probs) // (4 * workers))))

    @typecheck(output_types=None)
    def forward(self, log_probs: Any, log_probs_length: Any) -> List[List[Tuple[float, str]]]:
        """Beam search over a padded batch; frames past each utterance's length are ignored."""
        if isinstance(log_probs, (list, tuple)):
            raise TypeError(
                "BeamSearchDecoderWithLM.forward: expected a padded (B, T, D) tensor of log-probabilities, got a "
                f"{type(log_probs).__name__}; use decode() for per-utterance arrays"
            )
        if isinstance(log_probs, torch.Tensor):
            log_probs = log_probs.detach().cpu().double().numpy()
        log_probs = np.asarray(log_probs, dtype=np.float64)
        lengths = [int(n) for n in torch.as_tensor(log_probs_length).reshape(-1).tolist()]
        if log_probs.ndim != 3 or len(lengths) != log_probs.shape[0]:
            raise ValueError(
                f"expected log_probs (B, T, D) and B lengths, got shape {log_probs.shape} and {len(lengths)} lengths"
            )
        bad = [n for n in lengths if not 0 <= n <= log_probs.shape[1]]
        if bad:
            raise ValueError(f"log_probs_length must be within [0, {log_probs.shape[1]}], got {bad}")
        return self.decode([utterance[:n] for utterance, n in zip(log_probs, lengths)])
