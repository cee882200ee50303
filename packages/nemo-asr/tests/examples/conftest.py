"""Fixtures of the example-script tests: a tiny spoken-text corpus, a quiet one-run script config, and a runner that
starts a script exactly as its command line would."""

import runpy
from typing import Any, Callable, Dict, Optional

import pytest
from asr_models_testing import TEXTS, write_corpus
from omegaconf import DictConfig

from nemo.core.testing import examples_dir

EXAMPLES = examples_dir("asr")


@pytest.fixture
def corpus(tmp_path) -> Dict[str, Any]:
    """Train (6), validation (2) and test (3) manifests of the corpus texts."""
    return {
        split: write_corpus(tmp_path / "corpus", [{"text": t} for t in TEXTS[:n]], name=f"{split}.json")
        for split, n in (("train", 6), ("validation", 2), ("test", 3))
    }


@pytest.fixture
def quiet_cfg(tmp_path) -> Callable[..., DictConfig]:
    """``quiet_cfg(cfg, manifests=None, epochs=1)``: a script config made to train ``epochs`` epochs without a
    progress bar, model summary or TensorBoard logger, its experiment in ``<tmp>/exp``; ``manifests`` (split ->
    path) set each split's manifest and a batch size of 3."""

    def quiet(cfg: DictConfig, manifests: Optional[Dict[str, Any]] = None, epochs: int = 1) -> DictConfig:
        for split, manifest in (manifests or {}).items():
            cfg.model[f"{split}_ds"].manifest_filepath = str(manifest)
            cfg.model[f"{split}_ds"].batch_size = 3
        cfg.trainer.max_epochs = epochs
        cfg.trainer.enable_progress_bar = False
        cfg.trainer.enable_model_summary = False
        cfg.exp_manager.exp_dir = str(tmp_path / "exp")
        cfg.exp_manager.create_tensorboard_logger = False
        return cfg

    return quiet


@pytest.fixture
def run_cli(tmp_path, monkeypatch) -> Callable[..., Dict[str, int]]:
    """``run_cli(script, model_class, *overrides)``: run ``examples/asr/<script>.py`` as ``python <script>.py
    <overrides>`` would (Hydra finds conf/ next to the file), one CPU device under fast_dev_run; return how many
    training and validation steps ``model_class`` ran."""
    from hydra.core.global_hydra import GlobalHydra

    def run(script: str, model_class: type, *overrides: str) -> Dict[str, int]:
        calls = {"training_step": 0, "validation_step": 0}
        for name in calls:
            original = getattr(model_class, name)

            def spy(self, *args, _name=name, _original=original, **kwargs):
                calls[_name] += 1
                return _original(self, *args, **kwargs)

            monkeypatch.setattr(model_class, name, spy)
        monkeypatch.chdir(tmp_path)  # config paths resolve against the script's folder, not the working directory
        quiet = ["+trainer.fast_dev_run=true", "++trainer.accelerator=cpu", "++trainer.devices=1",
                 "++trainer.enable_progress_bar=false", "++trainer.enable_model_summary=false",
                 f"exp_manager.exp_dir={tmp_path / 'exp'}"]  # fmt: skip
        for split in ("train_ds", "validation_ds"):
            quiet += [f"++model.{split}.num_workers=0", f"++model.{split}.pin_memory=false"]
            quiet += [f"model.{split}.batch_size=3"]
        path = str(EXAMPLES / f"{script}.py")
        monkeypatch.setattr("sys.argv", [path, *overrides, *quiet])
        try:
            runpy.run_path(path, run_name="__main__")
        finally:
            GlobalHydra.instance().clear()
        return calls

    return run
