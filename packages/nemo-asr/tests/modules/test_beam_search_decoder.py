import itertools

import numpy as np
import pytest
import torch

from nemo.collections.asr.modules import BeamSearchDecoderWithLM
from nemo.collections.asr.modules.beam_search_decoder import CTCPrefixBeamSearch
from nemo.collections.asr.parts.ctc_greedy_decoding import ctc_greedy_decode
from nemo.collections.asr.parts.ngram_lm import train_ngram_lm
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import LengthsType, LogprobsType, PredictionsType


def frames(vocab, spec, peak=0.9):
    """Log-probabilities with one peaked class per frame: spec is a string of vocab characters, '_' = blank."""
    classes = len(vocab) + 1
    probs = np.full((len(spec), classes), (1.0 - peak) / (classes - 1))
    for t, char in enumerate(spec):
        probs[t, len(vocab) if char == "_" else vocab.index(char)] = peak
    return np.log(probs)


def ctc_log_prob(log_probs, labels, blank):
    """Exact ln P(labels | log_probs) by the CTC forward algorithm, for checking the search."""
    states = [blank]
    for label in labels:
        states += [label, blank]
    alpha = np.full(len(states), -np.inf)
    alpha[0] = log_probs[0, blank]
    if labels:
        alpha[1] = log_probs[0, labels[0]]
    for frame in log_probs[1:]:
        new = np.full(len(states), -np.inf)
        for s, label in enumerate(states):
            paths = [alpha[s]] + ([alpha[s - 1]] if s >= 1 else [])
            if s >= 2 and label != blank and label != states[s - 2]:
                paths.append(alpha[s - 2])
            new[s] = np.logaddexp.reduce(paths) + frame[label]
        alpha = new
    return float(np.logaddexp.reduce(alpha[-2:] if labels else alpha[-1:]))


def write_lm(tmp_path, sentences, order=2, name="lm.arpa"):
    return train_ngram_lm(sentences, order=order).to_arpa(str(tmp_path / name))


VOCAB = [" ", "a", "b"]


def test_module_ports_and_export():
    decoder = BeamSearchDecoderWithLM(VOCAB, beam_width=4, alpha=1.0, beta=0.5, lm_path=None)
    assert isinstance(decoder.input_types["log_probs"].elements_type, LogprobsType)
    assert len(decoder.input_types["log_probs"].axes) == 3
    assert isinstance(decoder.input_types["log_probs_length"].elements_type, LengthsType)
    assert isinstance(decoder.output_types["predictions"].elements_type, PredictionsType)
    with pytest.raises(TypeError, match="passed by keyword"):  # typed inputs, as every NeMo module
        decoder(torch.zeros(1, 2, 4), torch.tensor([2]))


def test_without_lm_equals_greedy_decoding_on_peaked_distributions():
    vocab = [" "] + [chr(c) for c in range(ord("a"), ord("f"))]
    rng = np.random.default_rng(0)
    ids = torch.tensor(rng.integers(0, len(vocab) + 1, size=(6, 40)))
    logits = torch.randn(6, 40, len(vocab) + 1, generator=torch.Generator().manual_seed(0))
    log_probs = torch.log_softmax(logits + 8.0 * torch.nn.functional.one_hot(ids, len(vocab) + 1), dim=-1)
    lengths = torch.tensor([40, 33, 12, 1, 0, 25])
    decoder = BeamSearchDecoderWithLM(vocab, beam_width=16, alpha=2.0, beta=3.0, lm_path=None)
    results = decoder(log_probs=log_probs, log_probs_length=lengths)
    labels, _, _ = ctc_greedy_decode(log_probs, lengths, blank_id=len(vocab))
    assert [r[0][1] for r in results] == ["".join(vocab[i] for i in seq) for seq in labels]
    assert all(1 <= len(r) <= 16 and [s for s, _ in r] == sorted((s for s, _ in r), reverse=True) for r in results)
    assert results[4] == [(0.0, "")]  # an empty utterance


def test_prefix_merging_beats_the_greedy_path():
    # greedy: blank, blank -> "" (0.36); but "a" collects a-a, a-blank and blank-a: 0.16 + 0.24 + 0.24 = 0.64
    log_probs = np.log(np.array([[0.0, 0.4, 0.0, 0.6]] * 2) + 1e-30)
    search = CTCPrefixBeamSearch(VOCAB, beam_width=4)
    best_score, best = search.decode(log_probs)[0]
    assert best == "a" and best_score == pytest.approx(np.log(0.64))
    assert ctc_greedy_decode(torch.tensor(log_probs)[None], None, blank_id=3)[0] == [[]]


def test_repeated_characters_need_a_blank_in_between():
    search = CTCPrefixBeamSearch(VOCAB, beam_width=8)
    assert search.decode(frames(VOCAB, "aa"))[0][1] == "a"
    assert search.decode(frames(VOCAB, "a_a"))[0][1] == "aa"
    assert search.decode(frames(VOCAB, "aab_bba"))[0][1] == "abba"
    log_probs = frames(VOCAB, "a_a", peak=0.6)
    scores = dict((text, score) for score, text in CTCPrefixBeamSearch(VOCAB, beam_width=100).decode(log_probs))
    for text in ("a", "aa", "ab", "aba"):
        assert scores[text] == pytest.approx(ctc_log_prob(log_probs, [VOCAB.index(c) for c in text], 3))


def test_a_wide_beam_finds_the_most_probable_labelling():
    rng = np.random.default_rng(1)
    log_probs = np.log(rng.dirichlet(np.ones(4), size=5))
    candidates = [seq for n in range(6) for seq in itertools.product(range(3), repeat=n)]
    exact = {seq: ctc_log_prob(log_probs, list(seq), 3) for seq in candidates}
    best = max(exact, key=exact.get)
    results = CTCPrefixBeamSearch(VOCAB, beam_width=500).decode(log_probs)
    assert results[0][1] == "".join(VOCAB[i] for i in best) and results[0][0] == pytest.approx(exact[best])
    feasible = {"".join(VOCAB[i] for i in seq): score for seq, score in exact.items() if np.isfinite(score)}
    assert len(results) == len(feasible) < 500  # every labelling that fits in 5 frames, with its exact score
    assert all(score == pytest.approx(feasible[text]) for score, text in results)


def test_the_lm_flips_an_ambiguous_word_to_the_likely_one(tmp_path):
    vocab = [" ", "a", "c", "o", "t"]
    log_probs = frames(vocab, "c_a_t_")
    log_probs[2] = np.log([0.01, 0.45, 0.01, 0.5, 0.01, 0.02])  # 'o' is slightly more probable than 'a'
    lm = write_lm(tmp_path, ["cat"] * 9 + ["cot"])
    plain = BeamSearchDecoderWithLM(vocab, 8, alpha=1.0, beta=0.0, lm_path=None)
    with_lm = BeamSearchDecoderWithLM(vocab, 8, alpha=1.0, beta=0.0, lm_path=lm)
    acoustic_only = BeamSearchDecoderWithLM(vocab, 8, alpha=0.0, beta=0.0, lm_path=lm)
    assert plain.decode([log_probs])[0][0][1] == "cot"
    assert with_lm.decode([log_probs])[0][0][1] == "cat"
    assert acoustic_only.decode([log_probs])[0][0][1] == "cot"


def test_out_of_vocabulary_words_are_not_produced(tmp_path):
    vocab = [" ", "d", "g", "o"]
    log_probs = frames(vocab, "d_g_o_ _g_o_d", peak=0.8)
    lm = write_lm(tmp_path, ["dog god", "god"])
    assert CTCPrefixBeamSearch(vocab, 16).decode(log_probs)[0][1] == "dgo god"
    results = BeamSearchDecoderWithLM(vocab, 16, alpha=0.5, beta=1.0, lm_path=lm).decode([log_probs])[0]
    assert all(set(text.split()) <= {"dog", "god"} and "  " not in text for _, text in results)
    assert results[0][1] in ("dog god", "god god")


def test_padding_frames_are_ignored():
    batch = torch.tensor(np.stack([frames(VOCAB, "ab_a_b"), frames(VOCAB, "b_a_bb")]))
    decoder = BeamSearchDecoderWithLM(VOCAB, 8, alpha=0.0, beta=0.0, lm_path=None, input_tensor=True)
    results = decoder(log_probs=batch, log_probs_length=torch.tensor([3, 6]))
    assert [r[0][1] for r in results] == ["ab", "bab"]
    assert results[0] == decoder.decode([batch[0, :3]])[0]
    with pytest.raises(ValueError, match="within \\[0, 6\\], got \\[7\\]"):
        decoder(log_probs=batch, log_probs_length=torch.tensor([3, 7]))


def test_zero_weights_with_an_lm_give_the_best_in_vocabulary_text(tmp_path):
    words = {"a", "ab", "b"}
    lm = write_lm(tmp_path, ["a ab b"])
    rng = np.random.default_rng(2)
    log_probs = np.log(rng.dirichlet(np.ones(4), size=6))

    def allowed(text):  # what the LM-constrained search may return: in-vocabulary words, single spaces
        body = text[:-1] if text.endswith(" ") else text
        return text == "" or (bool(body) and all(word in words for word in body.split(" ")))

    candidates = ["".join(VOCAB[i] for i in seq) for n in range(7) for seq in itertools.product(range(3), repeat=n)]
    exact = {text: ctc_log_prob(log_probs, [VOCAB.index(c) for c in text], 3) for text in candidates if allowed(text)}
    best = max(exact, key=exact.get)
    decoder = BeamSearchDecoderWithLM(VOCAB, 1000, alpha=0.0, beta=0.0, lm_path=lm)
    results = decoder.decode([log_probs])[0]
    assert results[0][1] == best and results[0][0] == pytest.approx(exact[best])
    assert {text for _, text in results} <= set(exact)
    assert all(score == pytest.approx(exact[text]) for score, text in results)


def test_cutoffs_prune_the_expanded_classes():
    rng = np.random.default_rng(3)
    log_probs = np.log(rng.dirichlet(np.ones(4), size=8))
    greedy = ctc_greedy_decode(torch.tensor(log_probs)[None], None, blank_id=3)[0][0]
    top1 = CTCPrefixBeamSearch(VOCAB, 16, cutoff_top_n=1).decode(log_probs)
    assert top1 == [(pytest.approx(log_probs.max(axis=1).sum()), "".join(VOCAB[i] for i in greedy))]
    pruned = np.full_like(log_probs, -np.inf)  # per frame: the most probable classes until 50% (at most 2)
    for t, frame in enumerate(log_probs):
        ranked = np.argsort(-frame)
        kept = 1 + int(np.argmax(np.cumsum(np.exp(frame[ranked])) >= 0.5))
        pruned[t, ranked[: min(kept, 2)]] = frame[ranked[: min(kept, 2)]]
    assert np.isinf(pruned).sum() >= 8  # the test prunes something
    tight = CTCPrefixBeamSearch(VOCAB, 64, cutoff_prob=0.5, cutoff_top_n=2).decode(log_probs)
    assert tight == CTCPrefixBeamSearch(VOCAB, 64).decode(pruned)


def test_pool_gives_the_same_results(tmp_path):
    lm = write_lm(tmp_path, ["a b", "ab a"])
    utterances = [frames(VOCAB, spec, peak=0.6) for spec in ("a_b", "ab_a", "b", "a b")]
    one = BeamSearchDecoderWithLM(VOCAB, 8, alpha=0.5, beta=0.5, lm_path=lm).decode(utterances)
    two = BeamSearchDecoderWithLM(VOCAB, 8, alpha=0.5, beta=0.5, lm_path=lm, num_cpus=2).decode(utterances)
    assert one == two


def test_bad_inputs_are_refused(tmp_path):
    decoder = BeamSearchDecoderWithLM(VOCAB, 4, alpha=0.0, beta=0.0, lm_path=None)
    with pytest.raises(ValueError, match=r"expected log-probabilities of shape \(T, 4\)"):
        decoder.decode([np.zeros((3, 5))])
    with pytest.raises(ValueError, match="not probabilities or logits"):
        decoder.decode([np.full((3, 4), 0.25)])
    with pytest.raises(TypeError, match="use decode\\(\\) for per-utterance arrays"), typecheck.disable_checks():
        decoder(log_probs=[np.zeros((3, 4))], log_probs_length=[3])
    lm = write_lm(tmp_path, ["ab"])
    with pytest.raises(ValueError, match="needs a character vocabulary"):
        BeamSearchDecoderWithLM(["a", "b"], 4, alpha=1.0, beta=0.0, lm_path=lm)
    with pytest.raises(ValueError, match="beam_width must be an integer >= 1, got 0"):
        BeamSearchDecoderWithLM(VOCAB, 0, alpha=1.0, beta=0.0, lm_path=None)
    with pytest.raises(ValueError, match="cutoff_prob must be in \\(0, 1\\], got 0"):
        BeamSearchDecoderWithLM(VOCAB, 4, alpha=1.0, beta=0.0, lm_path=None, cutoff_prob=0)
    with pytest.raises(FileNotFoundError):
        BeamSearchDecoderWithLM(VOCAB, 4, alpha=1.0, beta=0.0, lm_path=str(tmp_path / "missing.arpa"))
