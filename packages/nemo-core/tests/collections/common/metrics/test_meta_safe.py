import pytest
import torch

from nemo.collections.common.metrics import (
    ClassificationReport,
    GlobalAverageLossMetric,
    Perplexity,
    TopKClassificationAccuracy,
)

# (metric, one batch for update): each metric of nemo-core that counts in place
CASES = {
    "ClassificationReport": (lambda: ClassificationReport(3), (torch.tensor([0, 1, 2]), torch.tensor([0, 2, 2]))),
    "TopKClassificationAccuracy": (lambda: TopKClassificationAccuracy(), (torch.eye(3), torch.tensor([0, 1, 1]))),
    "GlobalAverageLossMetric": (lambda: GlobalAverageLossMetric(), (torch.tensor(2.0), torch.tensor(4))),
    "Perplexity": (lambda: Perplexity(), (None, torch.randn(2, 5).log_softmax(-1))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_states_reset_under_inference_mode_take_updates_outside_it(name):
    # Lightning's trainer.validate() resets metrics under inference_mode; a training step updates them afterwards
    make, batch = CASES[name]
    metric, reference = make(), make()
    with torch.inference_mode():
        metric.update(*batch)
        metric.compute()
        metric.reset()
    metric.update(*batch)
    reference.update(*batch)
    ours, expected = metric.compute(), reference.compute()
    ours, expected = (ours, expected) if isinstance(ours, tuple) else ((ours,), (expected,))
    assert all(torch.equal(a, b) for a, b in zip(ours, expected) if isinstance(a, torch.Tensor))
