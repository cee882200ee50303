"""The side-by-side JSON line: both values, the ratio ours / NeMo and the aim verdict (no timing is asserted)."""

from __future__ import annotations

import json

import pytest
from benchmark_scripts import load_script  # this folder is sys.path[0]

compare = load_script("peer/compare.py", "peer_compare")


def _runs(*values: float, **extra: object) -> list:
    return [{"figure": "f", "value": value, "unit": "CPU s per batch", **extra} for value in values]


def test_lower_is_better_keeps_each_sides_best_and_judges_the_ratio() -> None:
    line = compare.summarize("train:config", _runs(0.9, 0.6), _runs(1.0, 1.2))
    assert (line["ours"], line["nemo"], line["ratio"], line["repeats"]) == (0.6, 1.0, 0.6, 2)
    assert line["met"] is True and "0.7x" in line["aim"]
    assert json.loads(json.dumps(line)) == line  # one JSON line, nothing unserializable
    assert compare.summarize("train:config", _runs(0.8), _runs(1.0))["met"] is False


def test_a_bf16_line_says_its_precision_and_is_held_to_no_float32_aim() -> None:
    line = compare.summarize("train:config", _runs(0.5), _runs(1.0), precision="bf16")
    assert (line["ratio"], line["precision"]) == (0.5, "bf16")
    assert "aim" not in line and "met" not in line
    assert "precision" not in compare.summarize("train:config", _runs(0.5), _runs(1.0))


def test_throughput_keeps_the_highest_and_is_judged_against_librosa() -> None:
    line = compare.summarize("features", _runs(100.0, 300.0, librosa=200.0), _runs(150.0, 120.0, librosa=1.0))
    assert (line["ours"], line["nemo"], line["ratio"]) == (300.0, 150.0, 2.0)
    assert line["ours_over_librosa"] == 1.5 and line["met"] is False
    fast = compare.summarize("features", _runs(500.0, librosa=200.0), _runs(150.0, librosa=1.0, max_abs_diff=2e-6))
    assert fast["max_abs_diff"] == 2e-6 and fast["met"] is True
    off = compare.summarize("features", _runs(500.0, librosa=200.0, max_abs_diff=3e-4), _runs(150.0, librosa=1.0))
    assert off["met"] is False  # fast, but the values are not NeMo's
    assert compare.summarize("features", _runs(500.0, librosa=200.0), _runs(150.0, librosa=1.0))["met"] is False


def test_restore_needs_both_time_and_memory() -> None:
    fast_but_fat = compare.summarize("restore_100m", _runs(1.0, peak_rss_over_weights=2.0),
                                     _runs(4.0, peak_rss_over_weights=5.0))  # fmt: skip
    assert fast_but_fat["ratio"] == 0.25 and fast_but_fat["peak_rss_over_weights"] == {"ours": 2.0, "nemo": 5.0}
    assert fast_but_fat["met"] is False


def test_every_default_figure_has_an_aim() -> None:
    assert set(compare.FIGURES) <= set(compare.AIMS)


def test_a_figure_without_results_on_one_side_is_refused() -> None:
    with pytest.raises(ValueError):
        compare.summarize("typecheck", _runs(1.0), [])


def test_script_lines_keep_the_numeric_fields_that_differ() -> None:
    assert compare.numeric_leaves({"a": {"b": 1.5, "ok": True}, "c": "x", "n": 2}) == {"a.b": 1.5, "n": 2.0}
    ours = [{"benchmark": "s", "batch": 8, "rtf": {"transcribe": 0.02}}, {"batch": 8, "rtf": {"transcribe": 0.04}}]
    nemo = [{"benchmark": "s", "batch": 8, "rtf": {"transcribe": 0.06}}, {"batch": 8, "rtf": {"transcribe": 0.06}}]
    (line,) = compare.summarize_script("s.py", ours, nemo)  # the shared constant (batch 8) is no figure
    assert (line["figure"], line["ours"], line["nemo"], line["ratio"]) == ("rtf.transcribe", 0.03, 0.06, 0.5)


def test_alternation_rotates_which_side_goes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(compare, "run_one", lambda python, *_: calls.append(python) or {"value": 1.0})
    sides = {"ours": ("ours-py", None), "nemo": ("nemo-py", None)}
    results = compare.alternate(sides, ["x.py"], repeat=3, threads=1)
    assert calls == ["ours-py", "nemo-py", "nemo-py", "ours-py", "ours-py", "nemo-py"]
    assert [len(v) for v in results.values()] == [3, 3]
