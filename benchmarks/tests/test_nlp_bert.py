"""``nlp_bert.py``: its arguments, and the training-step line against transformers (no timing is asserted).

Needs torch and nemo-nlp (``/work/dev`` or ``nox -s bench``'s virtualenv); skipped where they are absent, as in the
``lint`` session, which runs this folder with the standard library only.
"""

from __future__ import annotations

import json

import pytest
from benchmark_scripts import load_script  # this folder is sys.path[0]

pytest.importorskip("torch")
pytest.importorskip("nemo.collections.nlp.models")

nlp_bert = load_script("nlp_bert.py", "nlp_bert")


def test_the_default_is_todays_forward_line_and_train_defaults_to_small_on_one_thread() -> None:
    forward = nlp_bert.parse_args([])
    assert (forward.mode, forward.size, forward.threads) == ("forward", "base", None)
    train = nlp_bert.parse_args(["--mode", "train"])
    assert (train.size, train.threads, train.steps) == ("small", 1, 5)
    assert nlp_bert.parse_args(["--mode", "train", "--size", "base", "--threads", "2"]).threads == 2


def test_train_mode_measures_cpu_seconds_only_and_bf16_is_a_train_option() -> None:
    with pytest.raises(SystemExit):
        nlp_bert.parse_args(["--mode", "train", "--device", "cuda"])
    with pytest.raises(SystemExit):
        nlp_bert.parse_args(["--precision", "bf16"])
    assert nlp_bert.parse_args(["--mode", "train", "--precision", "bf16"]).precision == "bf16"


def test_the_batch_is_seeded_padded_and_framed() -> None:
    import torch

    input_ids, types, mask, labels = nlp_bert.classification_batch(6, 16, 3)
    again = nlp_bert.classification_batch(6, 16, 3)
    assert all(torch.equal(a, b) for a, b in zip((input_ids, types, mask, labels), again))
    lengths = mask.sum(1)
    assert lengths[0] == 16 and bool((lengths >= 8).all()) and int(lengths.min()) < 16  # padding in some rows
    assert bool((input_ids[:, 0] == 2).all()) and bool((input_ids[mask == 0] == 0).all())
    assert bool((input_ids[torch.arange(6), lengths - 1] == 3).all()) and labels.max() < 3


def test_train_line_compares_the_same_function_on_both_sides(capsys: pytest.CaptureFixture) -> None:
    pytest.importorskip("transformers")
    nlp_bert.main(["--mode", "train", "--batch", "2", "--seq-len", "16", "--steps", "1"])
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["benchmark"] == "nlp_bert_train_step" and line["unit"] == "CPU s per step"
    assert (line["size"], line["batch"], line["seq_len"], line["threads"]) == ("small", 2, 16, 1)
    assert line["precision"] == "fp32"
    assert line["params_m"] > 20 and (line["lr"], line["weight_decay"]) == (5e-5, 0.01)  # the example's optim
    assert line["max_logit_diff"] < 1e-4  # our weights in HF's model give our logits
    assert line["ours"] > 0 and line["transformers"] > 0
    assert line["ratio"] == pytest.approx(line["ours"] / line["transformers"], rel=0.05)


def test_the_sides_alternate_rotating_which_goes_first() -> None:
    calls: list = []
    best = nlp_bert.best_cpu_seconds({"ours": lambda: calls.append("o"), "transformers": lambda: calls.append("t")}, 3)
    assert "".join(calls) == "ot" + "ot" + "to" + "ot"  # the warm-up, then three rounds
    assert set(best) == {"ours", "transformers"} and min(best.values()) >= 0
