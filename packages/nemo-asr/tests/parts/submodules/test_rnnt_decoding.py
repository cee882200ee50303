"""RNNTDecoding behind NeMo's ``decoding`` config: strategies, NeMo's keys, ``(best, all)`` results, token sets."""

import pytest
import torch
from omegaconf import OmegaConf
from rnnt_testing import random_transducer

from nemo.collections.asr.parts.rnnt_utils import Hypothesis
from nemo.collections.asr.parts.submodules.rnnt_beam_decoding import BeamRNNTInfer
from nemo.collections.asr.parts.submodules.rnnt_decoding import RNNTDecoding, resolve_decoding_config
from nemo.collections.asr.parts.submodules.rnnt_greedy_decoding import GreedyBatchedRNNTInfer, GreedyRNNTInfer

VOCABULARY = ["a", "b", " ", "c"]


@pytest.fixture
def modules():
    torch.manual_seed(0)
    return random_transducer(len(VOCABULARY), {"encoder_hidden": 6}, vocabulary=VOCABULARY)


def test_strategies_and_nemos_keys(modules):
    decoder, joint = modules
    nemo_yaml = OmegaConf.create({"strategy": "greedy_batch", "greedy": {"max_symbols": 7}})
    decoding = RNNTDecoding(nemo_yaml, decoder, joint, VOCABULARY)
    assert isinstance(decoding.decoding, GreedyBatchedRNNTInfer) and decoding.decoding.max_symbols == 7
    assert decoding.blank_id == 4 and decoding.cfg.beam.beam_size == 4  # defaults fill the rest
    greedy = RNNTDecoding({"strategy": "greedy", "greedy": {"max_symbols_per_step": None}}, decoder, joint, VOCABULARY)
    assert isinstance(greedy.decoding, GreedyRNNTInfer) and greedy.decoding.max_symbols is None
    assert RNNTDecoding(None, decoder, joint, VOCABULARY).cfg.strategy == "greedy_batch"
    beam = RNNTDecoding(
        {"strategy": "beam", "beam": {"beam_size": 3, "tsd_max_sym_exp": 10}}, decoder, joint, VOCABULARY
    )
    assert isinstance(beam.decoding, BeamRNNTInfer) and beam.decoding.beam_size == 3
    with pytest.raises(ValueError, match="'tsd' is not implemented"):
        RNNTDecoding({"strategy": "tsd"}, decoder, joint, VOCABULARY)
    with pytest.raises(ValueError, match="must be one of"):
        RNNTDecoding({"strategy": "sampling"}, decoder, joint, VOCABULARY)
    assert resolve_decoding_config({"strategy": "beam"}).greedy.max_symbols_per_step == 10


def test_predictions_tensor_returns_best_and_all(modules):
    decoder, joint = modules
    encoder_output, lengths = torch.randn(3, 6, 10), torch.tensor([10, 6, 3])
    decoding = RNNTDecoding(
        {"strategy": "greedy_batch", "compute_hypothesis_token_set": True}, decoder, joint, VOCABULARY
    )
    texts, everything = decoding.rnnt_decoder_predictions_tensor(encoder_output, lengths)
    assert everything is None and len(texts) == 3 and all(isinstance(t, str) for t in texts)
    assert any(texts) and set("".join(texts)) <= set(VOCABULARY)
    hyps, _ = decoding.rnnt_decoder_predictions_tensor(encoder_output, lengths, return_hypotheses=True)
    assert all(isinstance(h, Hypothesis) for h in hyps) and [h.text for h in hyps] == texts
    assert hyps[0].tokens == [VOCABULARY[i] for i in hyps[0].y_sequence.tolist()]
    beam_cfg = {"strategy": "beam", "beam": {"beam_size": 3, "return_best_hypothesis": False}}
    beam = RNNTDecoding(beam_cfg, decoder, joint, VOCABULARY)
    best, nbest = beam.rnnt_decoder_predictions_tensor(encoder_output, lengths)
    assert len(nbest) == 3 and all(1 <= len(n) <= 3 for n in nbest) and best == [n[0] for n in nbest]
    best_hyps, nbest_hyps = beam.rnnt_decoder_predictions_tensor(encoder_output, lengths, return_hypotheses=True)
    assert best_hyps[0] is nbest_hyps[0][0] and best_hyps[0].text == best[0]
