"""A save killed (SIGKILL) or terminated (SIGTERM) part-way: the previous archive survives, and no temp file outlives
the next save or restore in that folder (while a save that is still running keeps its own)."""

import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest
import torch

from nemo.core import archive
from nemo.core.archive import NemoArchive, remove_stale_temp_files, write_archive

pytestmark = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="needs fork() to start a writer quickly"
)

OLD_CONFIG = "version: old\n"
NEW_CONFIG = "version: new\n"
# Where the writer stops (and is then signalled): point -> compress.
POINTS = {
    "config": False,  # temp archive created, nothing in it yet
    "weights-streaming": False,  # torch.save streaming into the temp archive
    "weights-gz": True,  # weights temp file complete, about to be added to the gzip stream
    "artifact": False,  # weights in, an artifact being added
    "replace": True,  # everything written and fsynced, just before os.replace
}


def temp_files(folder: Path):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def _paused_writer(path: Path, artifact: Path, point: str, ready, weights: torch.Tensor) -> None:
    """Child process: start a save of a new archive over ``path`` and block at ``point`` until signalled."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # A forked child must not enter the parent's OpenMP thread pool (GNU OpenMP is not fork-safe: it would hang once
    # the parent has run a parallel op), so it works on one thread, on a tensor the parent made.
    torch.set_num_threads(1)

    def pause() -> None:
        if ready.is_set():  # once only: torch writes again while it unwinds
            return
        ready.set()
        time.sleep(30)
        os._exit(3)  # not signalled: the parent's assertions on the exit code fail

    add_member, append, replace = archive._add_member, archive._AppendOnly.write, os.replace

    def add_member_then_pause(tar, name, fileobj, size):
        if (point, name) in (
            ("config", "model_config.yaml"),
            ("weights-gz", "model_weights.ckpt"),
            ("artifact", "vocab.txt"),
        ):
            pause()
        return add_member(tar, name, fileobj, size)

    def write_then_pause(self, data):
        written = append(self, data)
        if point == "weights-streaming":
            pause()
        return written

    def pause_then_replace(src, dst):
        if point == "replace":
            pause()
        return replace(src, dst)

    archive._add_member = add_member_then_pause
    archive._AppendOnly.write = write_then_pause
    os.replace = pause_then_replace
    write_archive(
        path,
        config_yaml=NEW_CONFIG,
        state_dict={"w": weights},
        artifacts={"vocab.txt": artifact},
        compress=POINTS[point],
    )
    os._exit(0)


def start_paused_writer(path: Path, point: str):
    artifact = path.parent / "vocab.txt"
    artifact.write_text("a b c\n")
    context = multiprocessing.get_context("fork")
    ready = context.Event()
    weights = torch.arange(50_000.0)
    writer = context.Process(target=_paused_writer, args=(path, artifact, point, ready, weights), daemon=True)
    writer.start()
    if not ready.wait(20):
        writer.kill()
        pytest.fail(f"the writer never reached {point!r} (exit code {writer.exitcode})")
    return writer


def signal_and_wait(writer, signum: int) -> None:
    os.kill(writer.pid, signum)
    writer.join(20)
    assert writer.exitcode == -signum  # died of the signal, as it would have without our handler


@pytest.fixture
def previous(tmp_path):
    path = tmp_path / "model.nemo"
    write_archive(path, config_yaml=OLD_CONFIG, state_dict={"w": torch.ones(3)})
    return path, path.read_bytes()


@pytest.mark.parametrize("point", POINTS)
@pytest.mark.parametrize("then", ["restore", "save"])
def test_sigkill_keeps_previous_archive_and_next_access_removes_temp_files(previous, point, then):
    path, before = previous
    signal_and_wait(start_paused_writer(path, point), signal.SIGKILL)
    assert path.read_bytes() == before
    assert temp_files(path.parent)  # the kill left them: the case this test is about

    if then == "restore":
        with NemoArchive(path) as restored:
            assert restored.read_config() == OLD_CONFIG
    else:
        write_archive(path, config_yaml=NEW_CONFIG, state_dict={"w": torch.zeros(3)})
        with NemoArchive(path) as saved:
            assert saved.read_config() == NEW_CONFIG
    assert temp_files(path.parent) == []


@pytest.mark.parametrize("point", POINTS)
def test_sigterm_keeps_previous_archive_and_removes_its_own_temp_files(previous, point):
    path, before = previous
    signal_and_wait(start_paused_writer(path, point), signal.SIGTERM)
    assert path.read_bytes() == before
    assert temp_files(path.parent) == []  # removed by the terminated writer itself, before any sweep


def test_temp_files_of_a_running_save_are_kept(previous):
    path, before = previous
    writer = start_paused_writer(path, "weights-gz")  # both its temp archive and temp weights exist
    try:
        running = temp_files(path.parent)
        assert len(running) == 2
        with NemoArchive(path) as restored:
            assert restored.read_config() == OLD_CONFIG
        write_archive(path.parent / "other.nemo", config_yaml=NEW_CONFIG, state_dict={"w": torch.ones(1)})
        assert remove_stale_temp_files(path.parent) == []
        assert temp_files(path.parent) == running
    finally:
        signal_and_wait(writer, signal.SIGKILL)
    assert sorted(p.name for p in remove_stale_temp_files(path.parent)) == running
    assert path.read_bytes() == before


def test_sweep_removes_only_our_abandoned_files(tmp_path):
    ours = tmp_path / ".m.nemo.nemo-0123456789ab.tmp"
    orphan_weights = tmp_path / ".m.nemo.nemo-ba9876543210.weights.tmp"
    foreign = [tmp_path / ".m.nemo.0123456789ab.tmp", tmp_path / "m.nemo.nemo-0123456789ab.tmp", tmp_path / "x.tmp"]
    for path in [ours, orphan_weights, *foreign]:
        path.write_bytes(b"partial")
    removed = remove_stale_temp_files(tmp_path)
    assert sorted(removed) == sorted([ours, orphan_weights])
    assert all(path.exists() for path in foreign)


def test_sigterm_handler_is_only_borrowed_while_writing(tmp_path):
    def own_handler(signum, frame):
        pass

    previous_handler = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        write_archive(tmp_path / "a.nemo", config_yaml=OLD_CONFIG, state_dict={"w": torch.ones(1)})
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        signal.signal(signal.SIGTERM, own_handler)
        write_archive(tmp_path / "b.nemo", config_yaml=OLD_CONFIG, state_dict={"w": torch.ones(1)})
        assert signal.getsignal(signal.SIGTERM) is own_handler
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
