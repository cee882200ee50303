"""Weights mapped from the archive file: same tensors as a load, nothing read or copied, safe to re-save over."""

import io
import os
import tarfile
from collections import OrderedDict

import modelpt_testing as mt
import pytest
import torch

from nemo.core.archive import MODEL_WEIGHTS, NemoArchive, write_archive
from nemo.core.mapped_weights import map_checkpoint

CONFIG = "sample_rate: 16000\n"


@pytest.fixture
def state_dict():
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3), torch.nn.Embedding(5, 2).half())
    state = module.state_dict()
    state["view"] = state["0.weight"][1:, 2:]  # shares the weight's storage, at an offset
    return state


def _file_backed(tensor: torch.Tensor, path) -> bool:
    """Whether the tensor's memory lies in a mapping of ``path`` (per /proc/self/maps)."""
    address = tensor.data_ptr()
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            low, high = (int(bound, 16) for bound in fields[0].split("-"))
            if low <= address < high:
                return len(fields) >= 6 and os.path.isfile(fields[5]) and os.path.samefile(fields[5], path)
    return False


def _assert_same(loaded, expected):
    assert list(loaded) == list(expected)
    for key, value in expected.items():
        assert loaded[key].dtype == value.dtype and torch.equal(loaded[key], value), key


@pytest.mark.parametrize("form", ["tar", "folder"])
def test_mapped_weights_equal_loaded_ones_and_live_in_the_file(tmp_path, state_dict, form):
    path = tmp_path / "model.nemo"
    write_archive(path, config_yaml=CONFIG, state_dict=state_dict)
    if form == "folder":
        with tarfile.open(path) as tar:
            tar.extractall(tmp_path / "unpacked", filter="data")
        path = tmp_path / "unpacked"
    with NemoArchive(path) as archive:
        mapped = archive.load_state_dict(mmap=True)
        loaded = archive.load_state_dict()
    _assert_same(mapped, loaded)
    assert mapped._metadata == loaded._metadata  # torch's per-module versions survive
    backing = path / MODEL_WEIGHTS if form == "folder" else path
    if os.path.exists("/proc/self/maps"):
        assert _file_backed(mapped["0.weight"], backing) and not _file_backed(loaded["0.weight"], backing)
    assert mapped["view"].untyped_storage().data_ptr() == mapped["0.weight"].untyped_storage().data_ptr()
    mapped["0.weight"].add_(1.0)  # a private mapping: the archive is not written through
    with NemoArchive(path) as archive:
        _assert_same(archive.load_state_dict(), loaded)


def test_compressed_archives_and_legacy_checkpoints_are_loaded_as_usual(tmp_path, state_dict):
    path = tmp_path / "model.nemo"
    write_archive(path, config_yaml=CONFIG, state_dict=state_dict, compress=True)
    with NemoArchive(path) as archive:
        _assert_same(archive.load_state_dict(mmap=True), state_dict)
    legacy = io.BytesIO()
    torch.save(OrderedDict(state_dict), legacy, _use_new_zipfile_serialization=False)
    assert map_checkpoint(tmp_path / "unused", 0, legacy) is None  # not a zip: the caller loads it


def test_nested_tensors_are_mapped_and_a_hostile_pickle_is_still_refused(tmp_path):
    path = tmp_path / "nested.ckpt"
    torch.save({"w": torch.arange(6.0), "group": [torch.ones(2), (torch.zeros(1), 3)], "step": 7}, path)
    with open(path, "rb") as handle:
        mapped = map_checkpoint(path, 0, handle)
    assert torch.equal(mapped["w"], torch.arange(6.0)) and mapped["step"] == 7
    assert torch.equal(mapped["group"][0], torch.ones(2)) and mapped["group"][1][1] == 3

    class Payload:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    torch.save({"w": torch.ones(1), "evil": Payload()}, path, pickle_protocol=2)
    with open(path, "rb") as handle, pytest.raises(Exception, match="unsupported GLOBAL posix.system"):
        map_checkpoint(path, 0, handle)


def test_a_restored_model_can_be_saved_over_the_archive_it_maps(tmp_path):
    torch.manual_seed(0)
    path = tmp_path / "model.nemo"
    model = mt.TinyModel(mt.base_config())
    model.save_to(path)
    restored = mt.TinyModel.restore_from(path, map_location="cpu")
    if os.path.exists("/proc/self/maps"):
        assert _file_backed(restored.layer.weight, path)
    with torch.no_grad():
        restored.layer.weight.mul_(2.0)  # copy-on-write: the file keeps the saved values
    assert torch.equal(mt.TinyModel.restore_from(path, map_location="cpu").layer.weight, model.layer.weight)
    restored.save_to(path)  # a new file replaces the mapped one; the live tensors keep the old pages
    again = mt.TinyModel.restore_from(path, map_location="cpu")
    assert torch.equal(again.layer.weight, 2.0 * model.layer.weight)
    assert torch.equal(restored.layer.weight, 2.0 * model.layer.weight)


def test_a_file_that_cannot_be_mapped_is_read_instead(tmp_path, state_dict, monkeypatch):
    path = tmp_path / "model.nemo"
    write_archive(path, config_yaml=CONFIG, state_dict=state_dict)

    def no_mmap(*args, **kwargs):
        raise OSError("mmap: operation not supported on this file system")

    monkeypatch.setattr("nemo.core.archive.map_checkpoint", no_mmap)
    with NemoArchive(path) as archive:
        loaded = archive.load_state_dict(mmap=True)
    _assert_same(loaded, state_dict)
    if os.path.exists("/proc/self/maps"):
        assert not _file_backed(loaded["0.weight"], path)
