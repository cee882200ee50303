"""RNNTWER: the corpus WER/CER of transducer decoding, checked against an independent edit-distance count."""

import pytest
import torch
from rnnt_testing import random_transducer

from nemo.collections.asr.metrics.rnnt_wer import RNNTWER, RNNTDecoding
from nemo.collections.asr.metrics.rnnt_wer_bpe import RNNTBPEWER
from nemo.core.testing import reference_error_rate

VOCABULARY = [" ", "a", "b", "c"]


@pytest.mark.parametrize("use_cer", [False, True])
def test_wer_accumulates_over_updates_until_reset(use_cer):
    torch.manual_seed(1)
    decoder, joint = random_transducer(4, {"encoder_hidden": 6})
    decoding = RNNTDecoding({"strategy": "greedy_batch"}, decoder, joint, VOCABULARY)
    metric = RNNTWER(decoding, use_cer=use_cer, log_prediction=False)
    assert metric.blank_id == 4 and metric.labels_map == dict(enumerate(VOCABULARY))
    hypotheses, references = [], []
    for seed in range(2):
        generator = torch.Generator().manual_seed(seed)
        encoder_output, lengths = torch.randn(2, 6, 8, generator=generator), torch.tensor([8, 5])
        targets, target_lengths = torch.tensor([[1, 0, 2, 3], [3, 3, 0, 0]]), torch.tensor([4, 2])
        metric.update(encoder_output, lengths, targets, target_lengths)
        hypotheses += decoding.rnnt_decoder_predictions_tensor(encoder_output, lengths)[0]
        references += ["a bc", "cc"]
    wer, scores, words = metric.compute()
    assert float(wer) == pytest.approx(reference_error_rate(hypotheses, references, use_cer=use_cer))
    assert float(words) == (12 if use_cer else 6)
    metric.reset()
    assert int(metric.words) == 0 and issubclass(RNNTBPEWER, RNNTWER)
