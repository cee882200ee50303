"""examples/asr/train_for_wall_time.py: training stops at the wall-time budget, the schedule is stretched over that
budget, and the test WER comes out as one JSON line."""

import json

import pytest
import torch
from asr_models_testing import TEXTS, write_corpus
from omegaconf import OmegaConf

from nemo.core.optim.lr_scheduler import CosineAnnealing
from nemo.core.testing import examples_dir, load_script

EXAMPLES = examples_dir("asr")


@pytest.fixture
def script():
    return load_script(EXAMPLES / "train_for_wall_time.py")


class _Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class _Trainer:
    """What WallTimeSchedule reads of a Trainer: the step and the schedulers."""

    def __init__(self, scheduler):
        self.global_step = 0
        self.lr_scheduler_configs = [type("Config", (), {"scheduler": scheduler})()]


def test_schedule_is_stretched_over_the_wall_time_budget(script, monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(script.time, "monotonic", clock)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = CosineAnnealing(optimizer, max_steps=50, warmup_ratio=0.1, min_lr=0.01)
    trainer = _Trainer(scheduler)
    callback = script.WallTimeSchedule(seconds=100.0, warmup_ratio=0.1)
    callback.on_train_start(trainer, None)
    # 20 steps in the first 10 s: on course for 200 steps in 100 s.
    trainer.global_step, clock.now = 20, 10.0
    callback.on_train_batch_start(trainer, None, None, 0)
    assert (scheduler.max_steps, scheduler.warmup_steps) == (200, 20)
    # Slower later on: 60 steps by half time means 120 steps in all; the learning rate is then halfway down.
    trainer.global_step, clock.now = 60, 50.0
    callback.on_train_batch_start(trainer, None, None, 0)
    assert (scheduler.max_steps, scheduler.warmup_steps) == (120, 12)
    scheduler.last_epoch = 65
    optimizer.step()
    scheduler.step()  # step 66: (66 - 12) / (120 - 12) is half of the annealing
    assert scheduler.get_last_lr()[0] == pytest.approx(0.01 + 0.99 * 0.5)
    # Before the first steps are timed, the first guess stays.
    trainer.global_step = 3
    scheduler.max_steps = 7
    callback.on_train_batch_start(trainer, None, None, 0)
    assert scheduler.max_steps == 7


def test_schedules_without_max_steps_are_refused(script):
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    trainer = _Trainer(torch.optim.lr_scheduler.StepLR(optimizer, step_size=1))
    with pytest.raises(ValueError, match="warmup/anneal schedule with max_steps.*got StepLR"):
        script.WallTimeSchedule(seconds=1.0, warmup_ratio=0.1).on_train_start(trainer, None)


def test_trains_for_the_given_minutes_and_prints_the_test_wer(script, tmp_path, capsys):
    corpus = tmp_path / "corpus"
    for split, count in (("train", 6), ("validation", 2), ("test", 3)):
        write_corpus(corpus, [{"text": t} for t in TEXTS[:count]], name=f"{split}_manifest.json")
    overrides = ["model.train_ds.batch_size=3", "trainer.enable_model_summary=false"]
    figures = script.main(["--config", str(EXAMPLES / "conf" / "config.yaml"), "--corpus", str(corpus),
                           "--minutes", "0.05", *overrides])  # fmt: skip
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == figures
    assert figures["model"] == "EncDecCTCModel" and figures["name"] == "QuartzNet_small"
    assert figures["train_seconds"] >= 3.0 and figures["steps"] >= 1 and figures["test_utterances"] == 3
    assert figures["epochs"] == pytest.approx(figures["steps"] / 2, abs=0.01)  # 2 batches of 3 per epoch
    assert figures["test_wer"] >= 0.0 and figures["test_cer"] >= 0.0 and figures["last_lr"] > 0.0
    with pytest.raises(SystemExit):
        script.main(["--config", "x.yaml", "--corpus", str(corpus), "--minutes", "0"])


def test_model_class_follows_the_config(script):
    from nemo.collections.asr.models import EncDecCTCModel, EncDecCTCModelBPE, EncDecRNNTBPEModel, EncDecRNNTModel

    def cls(**model):
        return script.model_class_for(OmegaConf.create({"model": model}))

    assert cls() is EncDecCTCModel and cls(tokenizer={}) is EncDecCTCModelBPE
    assert cls(joint={}) is EncDecRNNTModel and cls(joint={}, tokenizer={}) is EncDecRNNTBPEModel
