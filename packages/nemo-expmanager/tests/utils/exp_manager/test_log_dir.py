import logging as stdlib_logging
import os
import re
from pathlib import Path

import pytest
from pytorch_lightning.loggers import CSVLogger

from nemo.utils.exp_manager import LoggerMisconfigurationError, get_log_dir
from nemo.utils.exp_manager.log_dir import NEMO_ENV_VARNAME_VERSION, global_rank_of, next_version_number


def test_defaults_are_cwd_nemo_experiments_default_and_a_datetime(tmp_path, make_trainer):
    log_dir, exp_dir, name, version = get_log_dir(make_trainer())
    assert exp_dir == str(tmp_path / "nemo_experiments")
    assert name == "default"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d", version)
    assert log_dir == tmp_path / "nemo_experiments" / "default" / version
    assert not log_dir.exists()  # choosing is side-effect free


def test_numbered_versions_follow_existing_ones(tmp_path, make_trainer):
    (tmp_path / "exp" / "asr" / "version_0").mkdir(parents=True)
    (tmp_path / "exp" / "asr" / "version_3").mkdir()
    log_dir, _, _, version = get_log_dir(
        make_trainer(), exp_dir=str(tmp_path / "exp"), name="asr", use_datetime_version=False
    )
    assert version == "version_4"
    assert log_dir == tmp_path / "exp" / "asr" / "version_4"
    assert next_version_number(tmp_path / "missing") == 0


def test_given_version_wins_and_single_process_runs_do_not_export_it(make_trainer):
    log_dir, _, _, version = get_log_dir(make_trainer(), exp_dir="e", name="n", version="mine")
    assert (log_dir, version) == (Path("e/n/mine"), "mine")
    get_log_dir(make_trainer(), exp_dir="e", name="n")
    assert NEMO_ENV_VARNAME_VERSION not in os.environ


def test_version_is_exported_for_ddp_children_and_read_by_them(make_trainer, monkeypatch):
    trainer = make_trainer(strategy="ddp", devices=2)
    _, _, _, version = get_log_dir(trainer, exp_dir="e", name="n")
    assert os.environ[NEMO_ENV_VARNAME_VERSION] == version
    # A child rank started by Lightning's launcher inherits the variable and picks the same folder.
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert global_rank_of(trainer) == 1
    assert get_log_dir(trainer, exp_dir="e", name="n")[3] == version


def test_rank_without_inherited_version_warns(make_trainer, monkeypatch, caplog):
    monkeypatch.setenv("LOCAL_RANK", "1")
    with caplog.at_level(stdlib_logging.WARNING):
        log_dir, _, _, version = get_log_dir(make_trainer(strategy="ddp", devices=2), exp_dir="e", name="n")
    assert version == ""
    assert "set exp_manager.version" in caplog.text


def test_resume_if_exists_without_version_uses_no_version_folder(make_trainer, caplog):
    with caplog.at_level(stdlib_logging.WARNING):
        log_dir, _, _, version = get_log_dir(make_trainer(), exp_dir="e", name="n", resume_if_exists=True)
    assert (log_dir, version) == (Path("e/n"), "")
    assert "no version folder" in caplog.text


def test_explicit_log_dir_is_used_as_is_and_other_placement_keys_are_ignored(tmp_path, make_trainer, caplog):
    target = tmp_path / "here"
    target.mkdir()
    (target / "old.txt").write_text("x")
    with caplog.at_level(stdlib_logging.WARNING):
        result = get_log_dir(make_trainer(), exp_dir="ignored", version="v", explicit_log_dir=str(target))
    assert result == (target, str(target), "", "")
    assert "overrides exp_dir" in caplog.text
    assert "not empty" in caplog.text


def test_explicit_log_dir_with_a_trainer_logger_is_a_misconfiguration(tmp_path, make_trainer):
    trainer = make_trainer(logger=CSVLogger(str(tmp_path)))
    with pytest.raises(LoggerMisconfigurationError, match="explicit_log_dir.*logger=False"):
        get_log_dir(trainer, explicit_log_dir=str(tmp_path / "x"))


def test_a_trainer_logger_decides_the_folder(tmp_path, make_trainer):
    trainer = make_trainer(logger=CSVLogger(str(tmp_path / "csv"), name="mine", version=7))
    log_dir, exp_dir, name, version = get_log_dir(trainer)
    assert (exp_dir, name, version) == (str(tmp_path / "csv"), "mine", "version_7")
    assert log_dir == tmp_path / "csv" / "mine" / "version_7"


@pytest.mark.parametrize("key", ["exp_dir", "name"])
def test_a_trainer_logger_conflicts_with_exp_dir_or_name(tmp_path, make_trainer, key):
    trainer = make_trainer(logger=CSVLogger(str(tmp_path / "csv")))
    with pytest.raises(LoggerMisconfigurationError, match=f"exp_manager.{key}.*logger=False"):
        get_log_dir(trainer, **{key: "x"})
