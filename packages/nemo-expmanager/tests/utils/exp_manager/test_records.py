import shutil
import subprocess
import sys

import pytest
import yaml

from nemo.utils import logging
from nemo.utils.exp_manager import exp_manager
from nemo.utils.exp_manager.records import git_info


def test_run_records_of_a_training_run(tmp_path, make_trainer, tiny_module, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["train.py", "trainer.max_epochs=1", "model.lr=0.1"])
    config = tmp_path / "model.yaml"
    config.write_text("lr: 0.1\n")
    trainer = make_trainer(max_epochs=1)
    log_dir = exp_manager(trainer, {"exp_dir": str(tmp_path / "exp"), "files_to_copy": [str(config)]})
    logging.warning("something odd")
    trainer.fit(tiny_module())
    assert (log_dir / "cmd-args.log").read_text() == "train.py trainer.max_epochs=1 model.lr=0.1"
    assert (log_dir / "model.yaml").read_text() == "lr: 0.1\n"
    assert "Experiments will be logged at" in (log_dir / "nemo_log_globalrank-0_localrank-0.txt").read_text()
    assert "something odd" in (log_dir / "nemo_error_log.txt").read_text()
    assert "`Trainer.fit` stopped" in (log_dir / "lightning_logs.txt").read_text()
    assert yaml.safe_load((log_dir / "hparams.yaml").read_text())["lr"] == 0.05
    assert not (log_dir / "git-info.log").exists()  # tmp_path is not in a git work tree


def test_hparams_yaml_is_written_without_tensorboard(tmp_path, make_trainer, tiny_module):
    trainer = make_trainer(max_epochs=1)
    log_dir = exp_manager(trainer, {"exp_dir": str(tmp_path / "exp"), "create_tensorboard_logger": False})
    assert trainer.loggers == []
    trainer.fit(tiny_module(lr=0.2))
    assert yaml.safe_load((log_dir / "hparams.yaml").read_text()) == {"lr": 0.2, "val_losses": None, "batch_size": 4}


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_info_inside_a_work_tree(tmp_path, make_trainer):
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run(git + ["init", "-q"], cwd=repo, check=True)
    (repo / "train.py").write_text("print(1)\n")
    subprocess.run(git + ["add", "train.py"], cwd=repo, check=True)
    subprocess.run(git + ["commit", "-q", "-m", "init"], cwd=repo, check=True)
    (repo / "train.py").write_text("print(2)\n")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
    text = git_info(repo)
    assert text.startswith(f"commit hash: {head}\n") and "+print(2)" in text
    assert git_info(tmp_path) is None


def test_missing_file_to_copy_fails_before_anything_is_created(tmp_path, make_trainer):
    with pytest.raises(FileNotFoundError, match=r"files_to_copy lists 'nope.yaml', which is not a file"):
        exp_manager(make_trainer(), {"exp_dir": str(tmp_path / "exp"), "files_to_copy": ["nope.yaml"]})
    assert not (tmp_path / "exp").exists()


def test_only_rank_zero_writes_shared_files(tmp_path, make_trainer, monkeypatch):
    monkeypatch.setenv("LOCAL_RANK", "1")
    log_dir = exp_manager(make_trainer(strategy="ddp", devices=2), {"exp_dir": str(tmp_path), "version": "v"})
    assert sorted(p.name for p in log_dir.iterdir()) == ["nemo_log_globalrank-1_localrank-1.txt"]
    assert logging.rank == 1


def test_a_second_experiment_stops_logging_into_the_first(tmp_path, make_trainer):
    first = exp_manager(make_trainer(), {"exp_dir": str(tmp_path), "name": "a"})
    second = exp_manager(make_trainer(), {"exp_dir": str(tmp_path), "name": "b"})
    logging.info("only in b")
    assert "only in b" not in (first / "nemo_log_globalrank-0_localrank-0.txt").read_text()
    assert "only in b" in (second / "nemo_log_globalrank-0_localrank-0.txt").read_text()
