import pytest
import torch

from nemo.collections.asr.parts.ctc_greedy_decoding import ctc_greedy_decode
from nemo.collections.asr.parts.rnnt_utils import Hypothesis, NBestHypotheses


def test_collapse_rule_and_timestamps():
    ids = torch.tensor([[2, 2, 0, 2, 1, 1, 0], [0, 0, 0, 0, 0, 0, 0]])
    labels, times, scores = ctc_greedy_decode(ids, torch.tensor([7, 3]), blank_id=0)
    assert labels == [[2, 2, 1], []]
    assert times == [[0, 3, 4], []]
    assert scores == [-1.0, -1.0]


def test_blank_at_the_end_of_the_vocabulary_and_lengths():
    ids = torch.tensor([[3, 1, 1, 3, 1, 2]])
    assert ctc_greedy_decode(ids, None, blank_id=3)[0] == [[1, 1, 2]]
    assert ctc_greedy_decode(ids, torch.tensor([4]), blank_id=3)[0] == [[1]]
    with pytest.raises(ValueError, match="predictions"):
        ctc_greedy_decode(torch.zeros(2), None, blank_id=0)


def test_hypothesis_defaults():
    hyp = Hypothesis(score=0.5, y_sequence=[1, 2])
    assert hyp.text is None and hyp.timestep == [] and hyp.length == 0
    assert Hypothesis(score=0.0, y_sequence=[]).timestep is not hyp.timestep
    assert NBestHypotheses([hyp]).n_best_hypotheses == [hyp]
