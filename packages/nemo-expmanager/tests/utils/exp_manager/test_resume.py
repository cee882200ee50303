import logging as stdlib_logging
import os
from pathlib import Path

import pytest
import torch

from nemo.utils.exp_manager import NotFoundError, check_resume, find_resume_checkpoint
from nemo.utils.exp_manager.resume import archive_previous_run, is_complete_checkpoint


def write_ckpt(path: Path, mtime: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"global_step": 1, "state_dict": {}}, path)
    os.utime(path, (mtime, mtime))
    return path


def truncate(path: Path) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.fixture
def ckpt_dir(tmp_path):
    return tmp_path / "run" / "checkpoints"


def resume_lines(caplog):
    return [r.getMessage() for r in caplog.records if "resuming training from" in r.getMessage()]


def test_missing_checkpoint_folder_raises_not_found(tmp_path, make_trainer):
    with pytest.raises(NotFoundError, match="no such folder.*resume_ignore_no_checkpoint=True"):
        check_resume(make_trainer(), tmp_path / "run")


def test_missing_checkpoint_folder_is_ignored_on_request(tmp_path, make_trainer, caplog):
    trainer = make_trainer()
    with caplog.at_level(stdlib_logging.WARNING):
        assert check_resume(trainer, tmp_path / "run", resume_ignore_no_checkpoint=True) is None
    assert trainer.ckpt_path is None
    assert "not resuming" in caplog.text


def test_folder_without_last_or_end_checkpoint(ckpt_dir, make_trainer):
    write_ckpt(ckpt_dir / "m--val_loss=0.50-epoch=3.ckpt", 100)
    with pytest.raises(NotFoundError, match="no readable"):
        check_resume(make_trainer(), ckpt_dir.parent)
    assert find_resume_checkpoint(ckpt_dir.parent, resume_ignore_no_checkpoint=True)[0] is None


def test_single_last_checkpoint_is_set_as_the_trainers_ckpt_path(ckpt_dir, make_trainer, caplog):
    last = write_ckpt(ckpt_dir / "m--val_loss=0.50-epoch=3-last.ckpt", 100)
    write_ckpt(ckpt_dir / "m--val_loss=0.50-epoch=3.ckpt", 200)  # top-k files are never resumed from
    trainer = make_trainer()
    with caplog.at_level(stdlib_logging.INFO):
        assert check_resume(trainer, ckpt_dir.parent) == last
    assert trainer.ckpt_path == str(last)
    lines = resume_lines(caplog)
    assert len(lines) == 1 and str(last) in lines[0] and "newest last checkpoint" in lines[0]


def test_newest_of_several_last_checkpoints_wins(ckpt_dir, make_trainer, caplog):
    # e.g. a kill between writing the new last checkpoint and deleting the old one
    write_ckpt(ckpt_dir / "m--val_loss=0.50-epoch=3-last.ckpt", 100)
    newer = write_ckpt(ckpt_dir / "m--val_loss=0.40-epoch=4-last.ckpt", 200)
    write_ckpt(ckpt_dir / "m--val_loss=0.60-epoch=2-last-v1.ckpt", 50)
    with caplog.at_level(stdlib_logging.INFO):
        assert check_resume(make_trainer(), ckpt_dir.parent) == newer
    assert "2 older last checkpoint(s) ignored" in resume_lines(caplog)[0]


def test_truncated_last_checkpoint_is_skipped_with_a_warning(ckpt_dir, make_trainer, caplog):
    older = write_ckpt(ckpt_dir / "m--epoch=3-last.ckpt", 100)
    broken = truncate(write_ckpt(ckpt_dir / "m--epoch=4-last.ckpt", 200))
    with caplog.at_level(stdlib_logging.WARNING):
        assert check_resume(make_trainer(), ckpt_dir.parent) == older
    assert f"skipping {broken}" in caplog.text


def test_only_unreadable_checkpoints_count_as_none(ckpt_dir, make_trainer):
    truncate(write_ckpt(ckpt_dir / "m--epoch=4-last.ckpt", 200))
    (ckpt_dir / "x-last.ckpt").write_text("not a checkpoint")
    with pytest.raises(NotFoundError, match="no readable"):
        check_resume(make_trainer(), ckpt_dir.parent)


def test_completed_run_is_refused_without_resume_past_end(ckpt_dir, make_trainer):
    write_ckpt(ckpt_dir / "m--epoch=9-last.ckpt", 100)
    write_ckpt(ckpt_dir / "m--end.ckpt", 100)  # same time as the last one: the end checkpoint wins the tie
    with pytest.raises(ValueError, match="already completed.*resume_past_end=True"):
        check_resume(make_trainer(), ckpt_dir.parent)


def test_resume_past_end_resumes_from_the_end_checkpoint(ckpt_dir, make_trainer, caplog):
    # v1 quirk: with exactly one end checkpoint the resolver set nothing. Here it is used.
    write_ckpt(ckpt_dir / "m--epoch=9-last.ckpt", 100)
    end = write_ckpt(ckpt_dir / "m--end.ckpt", 110)
    trainer = make_trainer()
    with caplog.at_level(stdlib_logging.INFO):
        assert check_resume(trainer, ckpt_dir.parent, resume_past_end=True) == end
    assert trainer.ckpt_path == str(end)
    assert "resume_past_end is True" in resume_lines(caplog)[0]


def test_last_checkpoint_newer_than_the_end_one_is_resumed(ckpt_dir, make_trainer):
    # the run went past its end and was interrupted: its latest state is the last checkpoint
    write_ckpt(ckpt_dir / "m--end.ckpt", 100)
    last = write_ckpt(ckpt_dir / "m--epoch=12-last.ckpt", 200)
    assert check_resume(make_trainer(), ckpt_dir.parent) == last


def test_previous_run_files_move_into_numbered_run_folders(ckpt_dir, make_trainer):
    log_dir = ckpt_dir.parent
    write_ckpt(ckpt_dir / "m-last.ckpt", 100)
    (log_dir / "nemo_log_globalrank-0_localrank-0.txt").write_text("first")
    (log_dir / "events.out.tfevents.1").write_text("e")
    check_resume(make_trainer(), log_dir)
    assert sorted(p.name for p in (log_dir / "run_0").iterdir()) == [
        "events.out.tfevents.1",
        "nemo_log_globalrank-0_localrank-0.txt",
    ]
    assert (ckpt_dir / "m-last.ckpt").exists()  # folders stay
    (log_dir / "nemo_log_globalrank-0_localrank-0.txt").write_text("second")
    check_resume(make_trainer(), log_dir)
    assert (log_dir / "run_1" / "nemo_log_globalrank-0_localrank-0.txt").read_text() == "second"
    assert not [p for p in log_dir.iterdir() if p.is_file()]


def test_files_are_archived_even_when_nothing_is_resumed(tmp_path, make_trainer):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "cmd-args.log").write_text("x")
    check_resume(make_trainer(), tmp_path / "run", resume_ignore_no_checkpoint=True)
    assert (tmp_path / "run" / "run_0" / "cmd-args.log").exists()
    assert archive_previous_run(tmp_path / "run") is None  # nothing left to move
    assert archive_previous_run(tmp_path / "absent") is None


def test_only_global_rank_zero_archives(ckpt_dir, make_trainer, monkeypatch):
    write_ckpt(ckpt_dir / "m-last.ckpt", 100)
    (ckpt_dir.parent / "cmd-args.log").write_text("x")
    monkeypatch.setenv("LOCAL_RANK", "1")
    trainer = make_trainer(strategy="ddp", devices=2)
    assert check_resume(trainer, ckpt_dir.parent) == ckpt_dir / "m-last.ckpt"
    assert (ckpt_dir.parent / "cmd-args.log").exists()


def test_complete_checkpoint_detection(tmp_path):
    good = write_ckpt(tmp_path / "a.ckpt", 1)
    assert is_complete_checkpoint(good)
    assert not is_complete_checkpoint(truncate(write_ckpt(tmp_path / "b.ckpt", 1)))
    assert not is_complete_checkpoint(tmp_path / "missing.ckpt")
    (tmp_path / "c.ckpt").write_bytes(b"")
    assert not is_complete_checkpoint(tmp_path / "c.ckpt")


def test_empty_log_dir_argument_is_refused(make_trainer):
    with pytest.raises(ValueError, match="log dir"):
        check_resume(make_trainer(), "")
