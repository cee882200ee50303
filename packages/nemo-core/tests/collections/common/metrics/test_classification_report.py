import pytest
import torch
from torchmetrics.utilities.data import dim_zero_sum

from nemo.collections.common.metrics import ClassificationReport

PREDICTIONS = torch.tensor([0, 1, 2, 2, 1, 0, 3])
LABELS = torch.tensor([0, 1, 1, 2, 0, 0, 2])
# class 0: tp 2, fp 0, fn 1 | class 1: tp 1, fp 1, fn 1 | class 2: tp 1, fp 1, fn 1 | class 3: tp 0, fp 1, fn 0


def _report(mode, **kwargs):
    metric = ClassificationReport(num_classes=4, mode=mode, **kwargs)
    metric.update(PREDICTIONS, LABELS)
    return metric


def test_counts_and_per_class_values():
    metric = _report("all")
    assert metric.tp.tolist() == [2, 1, 1, 0] and metric.fp.tolist() == [0, 1, 1, 1]
    assert metric.fn.tolist() == [1, 1, 1, 0]
    precision, recall, f1 = metric.compute()
    assert precision.tolist() == pytest.approx([100.0, 50.0, 50.0, 0.0], abs=1e-4)
    assert recall.tolist() == pytest.approx([200 / 3, 50.0, 50.0, 0.0], abs=1e-4)
    assert f1.tolist() == pytest.approx([80.0, 50.0, 50.0, 0.0], abs=1e-4)


def test_averaging_modes():
    # macro divides by the 3 classes that occur in the labels (class 3 was only predicted)
    assert [v.item() for v in _report("macro").compute()] == pytest.approx([200 / 3, 500 / 9, 60.0], abs=1e-3)
    assert [v.item() for v in _report("micro").compute()] == pytest.approx([400 / 7, 400 / 7, 400 / 7], abs=1e-3)
    weighted = [v.item() for v in _report("weighted").compute()]
    assert weighted == pytest.approx([500 / 7, 400 / 7, 440 / 7], abs=1e-3)


def test_report_text_names_labels(caplog):
    metric = _report("macro", label_ids={"O": 0, "PER": 1, "LOC": 2, "ORG": 3})
    text = metric.format_report()
    assert "PER (label_id: 1)" in text and "micro avg" in text and "weighted avg" in text
    metric.compute()
    assert "ORG (label_id: 3)" in caplog.text


def test_states_are_summed_across_ranks():
    whole = _report("weighted")
    assert all(whole._reductions[name] is dim_zero_sum for name in ("tp", "fn", "fp"))
    rank0, rank1 = ClassificationReport(4, mode="weighted"), ClassificationReport(4, mode="weighted")
    rank0.update(PREDICTIONS[:4], LABELS[:4])
    rank1.update(PREDICTIONS[4:], LABELS[4:])
    rank0.merge_state(rank1)
    assert [v.item() for v in rank0.compute()] == [v.item() for v in whole.compute()]


def test_validation():
    with pytest.raises(ValueError, match="mode='median'"):
        ClassificationReport(3, mode="median")
    with pytest.raises(ValueError, match=r"outside \[0, 3\)"):
        ClassificationReport(3).update(torch.tensor([0, 3]), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="2 predictions but 3 labels"):
        ClassificationReport(3).update(torch.tensor([0, 1]), torch.tensor([0, 1, 2]))
