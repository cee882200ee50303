import pytest
import torch
from torchmetrics.utilities.data import dim_zero_sum

from nemo.collections.common.metrics import ClassificationReport

PREDICTIONS = torch.tensor([0, 1, 2, 2, 1, 0, 3])
LABELS = torch.tensor([0, 1, 1, 2, 0, 0, 2])
# 7 items | class 0: tp 2, fn 1, fp 0, tn 4 | class 1: tp 1, fn 1, fp 1, tn 4
#         | class 2: tp 1, fn 1, fp 1, tn 4 | class 3: tp 0, fn 0, fp 1, tn 6


def _report(mode, **kwargs):
    metric = ClassificationReport(num_classes=4, mode=mode, **kwargs)
    metric.update(PREDICTIONS, LABELS)
    return metric


def test_call_returns_the_batch_counts_per_class_and_accumulates():
    metric = ClassificationReport(num_classes=4)
    tp, fn, fp, tn = metric(PREDICTIONS, LABELS)
    assert tp.tolist() == [2, 1, 1, 0] and fn.tolist() == [1, 1, 1, 0]
    assert fp.tolist() == [0, 1, 1, 1] and tn.tolist() == [4, 4, 4, 6]
    # a second batch: the return value is that batch only, the states hold both
    tp, fn, fp, tn = metric.forward(torch.tensor([[3, 3], [0, 1]]), torch.tensor([[3, 0], [0, 2]]))
    assert tp.tolist() == [1, 0, 0, 1] and fn.tolist() == [1, 0, 1, 0]
    assert fp.tolist() == [0, 1, 0, 1] and tn.tolist() == [2, 3, 3, 2]
    assert metric.tp.tolist() == [3, 1, 1, 1] and metric.fn.tolist() == [2, 1, 2, 0]
    assert metric.fp.tolist() == [0, 2, 1, 2]


def test_counts_of_a_perfect_and_an_all_wrong_batch():
    tp, fn, fp, tn = ClassificationReport(3)(torch.tensor([2, 2, 0]), torch.tensor([2, 2, 0]))
    assert (tp.tolist(), fn.tolist(), fp.tolist(), tn.tolist()) == ([1, 0, 2], [0, 0, 0], [0, 0, 0], [2, 3, 1])
    tp, fn, fp, tn = ClassificationReport(3)(torch.tensor([1, 1]), torch.tensor([0, 2]))
    assert (tp.tolist(), fn.tolist(), fp.tolist(), tn.tolist()) == ([0, 0, 0], [1, 0, 1], [0, 2, 0], [1, 0, 1])


def test_update_returns_nothing_and_states_match_forward():
    metric = _report("all")
    assert metric.tp.tolist() == [2, 1, 1, 0] and metric.fp.tolist() == [0, 1, 1, 1]
    assert metric.fn.tolist() == [1, 1, 1, 0]
    assert ClassificationReport(4).update(PREDICTIONS, LABELS) is None


def test_compute_per_class_values_and_report():
    precision, recall, f1, report = _report("all").compute()
    assert precision.tolist() == pytest.approx([100.0, 50.0, 50.0, 0.0], abs=1e-4)
    assert recall.tolist() == pytest.approx([200 / 3, 50.0, 50.0, 0.0], abs=1e-4)
    assert f1.tolist() == pytest.approx([80.0, 50.0, 50.0, 0.0], abs=1e-4)
    assert precision.dtype == torch.float32
    lines = report.strip().splitlines()
    assert lines[0].split() == ["label", "precision", "recall", "f1", "support"]
    assert lines[1].split() == ["label_id:", "0", "100.00", "66.67", "80.00", "3"]


def test_averaging_modes():
    # macro divides by the 3 classes that occur in the labels (class 3 was only predicted)
    assert [v.item() for v in _report("macro").compute()[:3]] == pytest.approx([200 / 3, 500 / 9, 60.0], abs=1e-3)
    assert [v.item() for v in _report("micro").compute()[:3]] == pytest.approx([400 / 7, 400 / 7, 400 / 7], abs=1e-3)
    weighted = [v.item() for v in _report("weighted").compute()[:3]]
    assert weighted == pytest.approx([500 / 7, 400 / 7, 440 / 7], abs=1e-3)


def test_compute_without_any_labels_is_zero_not_nan():
    metric = ClassificationReport(2, mode="macro")
    metric.update(torch.tensor([], dtype=torch.long), torch.tensor([], dtype=torch.long))
    assert [v.item() for v in metric.compute()[:3]] == [0.0, 0.0, 0.0]


def test_report_text_names_labels():
    metric = _report("macro", label_ids={"O": 0, "PER": 1, "LOC": 2, "ORG": 3})
    text = metric.format_report()
    assert "PER (label_id: 1)" in text and "micro avg" in text and "weighted avg" in text
    assert "ORG (label_id: 3)" in metric.compute()[3]


def test_reset_starts_a_new_epoch():
    metric = _report("micro")
    metric.reset()
    metric.update(torch.tensor([1, 1]), torch.tensor([1, 1]))
    assert metric.tp.tolist() == [0, 2, 0, 0] and metric.compute()[0].item() == pytest.approx(100.0)


def test_states_are_summed_across_ranks():
    whole = _report("weighted")
    assert all(whole._reductions[name] is dim_zero_sum for name in ("tp", "fn", "fp"))
    rank0, rank1 = ClassificationReport(4, mode="weighted"), ClassificationReport(4, mode="weighted")
    rank0.update(PREDICTIONS[:4], LABELS[:4])
    rank1.update(PREDICTIONS[4:], LABELS[4:])
    rank0.merge_state(rank1)
    assert [v.item() for v in rank0.compute()[:3]] == [v.item() for v in whole.compute()[:3]]


def test_dist_sync_on_step_sums_the_returned_counts_over_ranks():
    # a stand-in for two processes: the gather function returns this rank's counts and another rank's
    other = torch.stack(ClassificationReport(4)(PREDICTIONS[4:], LABELS[4:]))
    metric = ClassificationReport(
        4, dist_sync_on_step=True, dist_sync_fn=lambda t, group=None: [t, other], distributed_available_fn=lambda: True
    )
    tp, fn, fp, tn = metric(PREDICTIONS[:4], LABELS[:4])
    assert tp.tolist() == [2, 1, 1, 0] and fn.tolist() == [1, 1, 1, 0] and fp.tolist() == [0, 1, 1, 1]
    assert tn.tolist() == [4, 4, 4, 6]
    assert metric.tp.tolist() == [1, 1, 1, 0]  # the state keeps this rank's batch only until compute syncs it


def test_validation():
    with pytest.raises(ValueError, match="mode='median'"):
        ClassificationReport(3, mode="median")
    with pytest.raises(ValueError, match=r"outside \[0, 3\)"):
        ClassificationReport(3).update(torch.tensor([0, 3]), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="2 predictions but 3 labels"):
        ClassificationReport(3)(torch.tensor([0, 1]), torch.tensor([0, 1, 2]))
