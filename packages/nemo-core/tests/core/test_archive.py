"""The .nemo archive layer: round trips in every form NeMo produces, atomic writes, and hostile archives refused."""

import io
import os
import pickle
import tarfile
from collections import OrderedDict
from pathlib import Path

import pytest
import torch

from nemo.core.archive import (
    MODEL_CONFIG_YAML,
    MODEL_WEIGHTS,
    MODEL_WEIGHTS_SAFETENSORS,
    ArchiveError,
    NemoArchive,
    write_archive,
)
from nemo.core.testing import run_if

CONFIG = "target: nemo.collections.asr.models.EncDecCTCModel\nsample_rate: 16000\nlabels: [a, b]\n"


@pytest.fixture
def state_dict():
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    return module.state_dict()


def assert_same_state(loaded, expected, ordered=True):
    assert list(loaded) == list(expected) if ordered else sorted(loaded) == sorted(expected)
    for key, value in expected.items():
        assert torch.equal(loaded[key], value), key


def tar_bytes(entries, mode="w"):
    """A tar built from ``(TarInfo, data)`` pairs; data None for non-file members."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tar:
        for info, data in entries:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def member(name, kind=tarfile.REGTYPE, linkname=""):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    return info


def weights_bytes(obj):
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def write_nemo_like_nvidia(folder: Path, path: Path) -> None:
    """How NeMo v1 packs a model: gzip tar of the whole folder added under arcname '.'."""
    with tarfile.open(path, "w:gz") as tar:
        tar.add(folder, arcname=".")


# ---------------------------------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_round_trip(tmp_path, state_dict, compress):
    artifact = tmp_path / "tokenizer.model"
    artifact.write_bytes(b"\x00sentencepiece\xff")
    path = tmp_path / "model.nemo"
    write_archive(
        path, config_yaml=CONFIG, state_dict=state_dict, artifacts={"0f_tokenizer.model": artifact}, compress=compress
    )

    with tarfile.open(path) as tar:  # what NeMo itself sees: it extracts everything, then torch.loads the file
        assert tar.getnames() == ["./model_config.yaml", "./model_weights.ckpt", "./0f_tokenizer.model"]
        tar.extractall(tmp_path / "as_nemo", filter="data")
    assert_same_state(torch.load(tmp_path / "as_nemo" / MODEL_WEIGHTS, weights_only=True), state_dict)
    assert (tmp_path / "as_nemo" / MODEL_CONFIG_YAML).read_text() == CONFIG
    assert path.read_bytes()[:2] == (b"\x1f\x8b" if compress else b"./")

    with NemoArchive(path) as archive:
        assert archive.names() == [MODEL_CONFIG_YAML, MODEL_WEIGHTS, "0f_tokenizer.model"]
        assert archive.artifact_names() == ["0f_tokenizer.model"]
        assert archive.read_config() == CONFIG
        assert archive.load_config()["labels"] == ["a", "b"]
        loaded = archive.load_state_dict()
        assert_same_state(loaded, state_dict)
        assert loaded._metadata == state_dict._metadata  # module versions survive for load_state_dict
        out = archive.extract(archive.artifact_names(), tmp_path / "unpacked")
    assert out == {"0f_tokenizer.model": (tmp_path / "unpacked" / "0f_tokenizer.model").resolve()}
    assert out["0f_tokenizer.model"].read_bytes() == artifact.read_bytes()


def test_weights_header_stays_one_block_beyond_8_gib():
    from nemo.core.archive import _member_info

    size = 10 * 2**30  # too big for the octal size field: GNU base-256 keeps the header in place
    header = _member_info(MODEL_WEIGHTS, size).tobuf(tarfile.GNU_FORMAT, "utf-8", "surrogateescape")
    assert len(header) == tarfile.BLOCKSIZE
    assert tarfile.TarInfo.frombuf(header, "utf-8", "surrogateescape").size == size


def test_directory_form(tmp_path, state_dict):
    folder = tmp_path / "unpacked"
    (folder / "mp_rank_00").mkdir(parents=True)
    (folder / MODEL_CONFIG_YAML).write_text(CONFIG)
    torch.save(state_dict, folder / MODEL_WEIGHTS)
    torch.save(state_dict, folder / "mp_rank_00" / MODEL_WEIGHTS)
    (folder / "vocab.txt").write_text("a\nb\n")
    with NemoArchive(folder) as archive:
        assert archive.is_directory
        assert set(archive.names()) == {MODEL_CONFIG_YAML, MODEL_WEIGHTS, "mp_rank_00/model_weights.ckpt", "vocab.txt"}
        assert archive.artifact_names() == ["vocab.txt"]
        assert_same_state(archive.load_state_dict(), state_dict)
        assert_same_state(archive.load_state_dict(name="mp_rank_00/model_weights.ckpt"), state_dict)
        assert archive.extract(["vocab.txt"], tmp_path / "out")["vocab.txt"].read_text() == "a\nb\n"
        assert archive.extract(["./vocab.txt"], folder)["vocab.txt"] == (folder / "vocab.txt").resolve()


def test_reads_archive_written_like_nvidia_nemo(tmp_path, state_dict):
    folder = tmp_path / "pack"
    folder.mkdir()
    (folder / MODEL_CONFIG_YAML).write_text(CONFIG)
    torch.save(state_dict, folder / MODEL_WEIGHTS)
    (folder / "3a9c_vocab.txt").write_text("hello")
    path = tmp_path / "nvidia.nemo"
    write_nemo_like_nvidia(folder, path)
    with tarfile.open(path) as tar:
        assert tar.getnames()[0] == "."  # the root directory member NeMo leaves in
    with NemoArchive(path) as archive:
        assert sorted(archive.names()) == sorted([MODEL_CONFIG_YAML, MODEL_WEIGHTS, "3a9c_vocab.txt"])
        assert archive.read_bytes("./3a9c_vocab.txt") == b"hello"
        assert_same_state(archive.load_state_dict(), state_dict)


def test_members_without_dot_prefix_and_safetensors(tmp_path, state_dict):
    from safetensors.torch import save

    tensors = {k: v.contiguous() for k, v in state_dict.items()}
    data = tar_bytes([(member(MODEL_CONFIG_YAML), CONFIG.encode()), (member(MODEL_WEIGHTS_SAFETENSORS), save(tensors))])
    for mode, path in (("plain", tmp_path / "st.nemo"), ("dir", tmp_path / "st_dir")):
        if mode == "plain":
            path.write_bytes(data)
        else:
            path.mkdir()
            with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                tar.extractall(path, filter="data")
        with NemoArchive(path) as archive:
            assert archive.names() == [MODEL_CONFIG_YAML, MODEL_WEIGHTS_SAFETENSORS]
            assert archive.artifact_names() == []
            assert_same_state(archive.load_state_dict(), tensors, ordered=False)  # safetensors sorts keys


def test_load_state_dict_maps_location(tmp_path, state_dict):
    path = tmp_path / "m.nemo"
    write_archive(path, config_yaml=CONFIG, state_dict=state_dict)
    with NemoArchive(path) as archive:
        loaded = archive.load_state_dict(map_location=torch.device("meta"))
    assert all(t.device.type == "meta" for t in loaded.values())


# ------------------------------------------------------------------------------------------------------ writing
@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_atomic_write_keeps_previous_archive_on_crash(tmp_path, state_dict, monkeypatch, compress):
    path = tmp_path / "model.nemo"
    write_archive(path, config_yaml=CONFIG, state_dict=state_dict, compress=compress)
    before = path.read_bytes()

    real_save = torch.save

    def crash_mid_write(obj, f, *args, **kwargs):
        real_save(obj, f, *args, **kwargs)  # the weights temp file is fully written...
        raise OSError("disk full")  # ...then the process 'dies'

    monkeypatch.setattr(torch, "save", crash_mid_write)
    with pytest.raises(OSError, match="disk full"):
        write_archive(path, config_yaml="changed: true\n", state_dict={"w": torch.ones(2)}, compress=compress)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.nemo"]


def test_atomic_write_cleans_up_when_artifact_copy_fails(tmp_path, state_dict, monkeypatch):
    path = tmp_path / "model.nemo"
    artifact = tmp_path / "vocab.txt"
    artifact.write_text("a")
    real_addfile = tarfile.TarFile.addfile

    def failing_addfile(self, info, fileobj=None, **kwargs):
        if info.name.endswith("vocab.txt"):
            raise RuntimeError("interrupted while adding an artifact")
        return real_addfile(self, info, fileobj, **kwargs)

    monkeypatch.setattr(tarfile.TarFile, "addfile", failing_addfile)
    with pytest.raises(RuntimeError, match="interrupted"):
        write_archive(path, config_yaml=CONFIG, state_dict=state_dict, artifacts={"vocab.txt": artifact})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vocab.txt"]


def test_write_archive_rejects_bad_artifacts(tmp_path, state_dict):
    with pytest.raises(ValueError, match=r"artifact name '\.\./x'.*'\.\.'"):
        write_archive(tmp_path / "m.nemo", config_yaml=CONFIG, state_dict=state_dict, artifacts={"../x": __file__})
    with pytest.raises(ValueError, match="already used"):
        write_archive(
            tmp_path / "m.nemo", config_yaml=CONFIG, state_dict=state_dict, artifacts={MODEL_WEIGHTS: __file__}
        )
    with pytest.raises(FileNotFoundError, match="expected a file at .*missing.bin, found nothing"):
        write_archive(
            tmp_path / "m.nemo", config_yaml=CONFIG, state_dict=state_dict, artifacts={"a": tmp_path / "missing.bin"}
        )
    with pytest.raises(TypeError, match="keys must be strings"):
        write_archive(tmp_path / "m.nemo", config_yaml=CONFIG, state_dict={1: torch.ones(1)})
    assert list(tmp_path.iterdir()) == []


def test_write_archive_moves_tensors_to_cpu_and_creates_parent(tmp_path):
    weights = OrderedDict(w=torch.ones(2, requires_grad=True) * 2)
    path = tmp_path / "new" / "sub" / "m.nemo"
    write_archive(path, config_yaml=CONFIG, state_dict=weights)
    with NemoArchive(path) as archive:
        loaded = archive.load_state_dict()
    assert not loaded["w"].requires_grad and torch.equal(loaded["w"], torch.full((2,), 2.0))


# ----------------------------------------------------------------------------------------------- hostile archives
HOSTILE_MEMBERS = {
    "traversal": (member("../evil"), b"pwned", "'../evil'", "'..' component"),
    "nested_traversal": (member("./sub/../../evil"), b"pwned", "'./sub/../../evil'", "'..' component"),
    "absolute": (member("/tmp/evil"), b"pwned", "'/tmp/evil'", "absolute path"),
    "symlink": (member("./link", tarfile.SYMTYPE, "/etc/passwd"), None, "'./link'", "symbolic link (to '/etc/passwd')"),
    "hardlink": (member("./hard", tarfile.LNKTYPE, "/etc/passwd"), None, "'./hard'", "hard link (to '/etc/passwd')"),
    "fifo": (member("./pipe", tarfile.FIFOTYPE), None, "'./pipe'", "FIFO"),
    "char_device": (member("./null", tarfile.CHRTYPE), None, "'./null'", "character device"),
    "block_device": (member("./sda", tarfile.BLKTYPE), None, "'./sda'", "block device"),
    "backslash": (member("..\\evil"), b"pwned", "'..\\\\evil'", "backslash"),
}


@pytest.mark.parametrize("compression", ["w", "w:gz"])
@pytest.mark.parametrize("case", sorted(HOSTILE_MEMBERS))
def test_hostile_member_is_refused_on_open(tmp_path, case, compression):
    bad, data, shown_name, reason = HOSTILE_MEMBERS[case]
    workdir = tmp_path / "work"
    workdir.mkdir()
    path = workdir / "hostile.nemo"
    entries = [(member("./model_config.yaml"), CONFIG.encode()), (bad, data)]
    path.write_bytes(tar_bytes(entries, compression))
    with pytest.raises(ArchiveError) as caught:
        NemoArchive(path)
    message = str(caught.value)
    assert str(path) in message and shown_name in message and reason in message
    assert "refusing unsafe member" in message
    assert sorted(p.name for p in workdir.iterdir()) == ["hostile.nemo"]
    assert not (tmp_path / "evil").exists()


def test_duplicate_members_are_refused(tmp_path):
    path = tmp_path / "dup.nemo"
    path.write_bytes(tar_bytes([(member("./model_config.yaml"), b"a: 1"), (member("model_config.yaml"), b"a: 2")]))
    with pytest.raises(ArchiveError, match="'model_config.yaml' appears more than once"):
        NemoArchive(path)


def test_directory_with_symlink_is_refused(tmp_path):
    folder = tmp_path / "unpacked"
    folder.mkdir()
    (folder / MODEL_CONFIG_YAML).write_text(CONFIG)
    (folder / "secret").symlink_to("/etc/passwd")
    with pytest.raises(ArchiveError, match="refusing unsafe member 'secret': it is a symbolic link"):
        NemoArchive(folder)


def test_extract_never_writes_through_symlinks_in_destination(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "sub").symlink_to(outside)
    path = tmp_path / "m.nemo"
    path.write_bytes(tar_bytes([(member("./sub/vocab.txt"), b"x")]))
    with NemoArchive(path) as archive, pytest.raises(ArchiveError, match="refusing to extract member 'sub/vocab.txt'"):
        archive.extract(["sub/vocab.txt"], dest)
    assert list(outside.iterdir()) == []


class _WritesFileWhenUnpickled:
    """A pickle payload: unpickling it calls ``open(target, 'w')``, i.e. runs code that creates a file."""

    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return (open, (self.target, "w"))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("encoding", ["torch_zip", "raw_pickle"])
def test_pickle_payload_in_weights_never_runs(tmp_path, encoding):
    target = tmp_path / "pwned"
    payload = {"w": _WritesFileWhenUnpickled(target)}
    data = weights_bytes(payload) if encoding == "torch_zip" else pickle.dumps(payload)
    # Control: the payload is live -- an unsafe loader really would create the file.
    unsafe = torch.load(io.BytesIO(data), weights_only=False) if encoding == "torch_zip" else pickle.loads(data)
    unsafe["w"].close()
    assert target.exists()
    target.unlink()

    path = tmp_path / "m.nemo"
    path.write_bytes(
        tar_bytes([(member("./model_config.yaml"), CONFIG.encode()), (member("./model_weights.ckpt"), data)])
    )
    with NemoArchive(path) as archive, pytest.raises(ArchiveError) as caught:
        archive.load_state_dict()
    message = str(caught.value)
    assert str(path) in message and "'model_weights.ckpt'" in message
    assert "weights_only=True" in message and "UnpicklingError" in message
    if encoding == "torch_zip":
        assert "Unsupported global" in message
    assert not target.exists()


def test_yaml_python_tag_is_refused(tmp_path, state_dict):
    target = tmp_path / "pwned"
    config = f"name: x\nhook: !!python/object/apply:builtins.open ['{target}', 'w']\n"
    path = tmp_path / "m.nemo"
    write_archive(path, config_yaml=config, state_dict=state_dict)
    with NemoArchive(path) as archive:
        assert archive.read_config() == config  # the text is available; only parsing refuses the tag
        with pytest.raises(ArchiveError, match=r"model_config.yaml is not plain YAML at line 2.*python/object/apply"):
            archive.load_config()
    assert not target.exists()


@pytest.mark.parametrize(
    ("config", "found"), [("", "an empty document"), ("- a\n- b\n", "a list"), ("a: [1\n", "not plain YAML")]
)
def test_config_must_be_a_yaml_mapping(tmp_path, state_dict, config, found):
    path = tmp_path / "m.nemo"
    write_archive(path, config_yaml=config, state_dict=state_dict)
    with NemoArchive(path) as archive, pytest.raises(ArchiveError, match=found):
        archive.load_config()


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("fraction", [0.02, 0.3, 0.7, 0.99])
def test_truncated_archive_is_refused(tmp_path, state_dict, compress, fraction):
    good = tmp_path / "good.nemo"
    write_archive(good, config_yaml=CONFIG, state_dict=state_dict, compress=compress)
    data = good.read_bytes()
    end = len(data) if compress else data.rstrip(b"\x00").__len__()  # cut inside content, not the zero padding
    path = tmp_path / "cut.nemo"
    path.write_bytes(data[: int(end * fraction)])
    with pytest.raises(ArchiveError, match=r"cut.nemo: not a readable .nemo archive.*(truncated|corrupt)"):
        NemoArchive(path)


def test_truncated_weights_member_is_refused(tmp_path, state_dict):
    weights = weights_bytes(state_dict)
    path = tmp_path / "m.nemo"
    path.write_bytes(
        tar_bytes([(member("./model_config.yaml"), CONFIG.encode()), (member(MODEL_WEIGHTS), weights[:-40])])
    )
    with NemoArchive(path) as archive, pytest.raises(ArchiveError, match="'model_weights.ckpt' could not be loaded"):
        archive.load_state_dict()


@pytest.mark.parametrize(
    ("content", "found"),
    [
        (b"", r"the file is empty \(0 bytes\)"),
        (os.urandom(4096), "expected a tar file"),
        (b"\x1f\x8b" + os.urandom(600), "gz-compressed file that is truncated or corrupt"),
        (b"PK\x03\x04" + b"\x00" * 600, "found a zip file"),
        (b"\x00" * 10240, "holds no files"),
    ],
    ids=["empty", "garbage", "bad_gzip", "zip", "empty_tar"],
)
def test_unreadable_files_are_refused(tmp_path, content, found):
    path = tmp_path / "bad.nemo"
    path.write_bytes(content)
    with pytest.raises(ArchiveError, match=f"bad.nemo: .*{found}"):
        NemoArchive(path)


def test_special_file_path_is_refused(tmp_path):
    fifo = tmp_path / "model.nemo"
    os.mkfifo(fifo)
    with pytest.raises(ArchiveError, match="expected a .nemo file or an unpacked folder, found a FIFO"):
        NemoArchive(fifo)


def test_missing_file_and_missing_members(tmp_path):
    with pytest.raises(FileNotFoundError, match="NeMo archive not found: .*nope.nemo"):
        NemoArchive(tmp_path / "nope.nemo")
    path = tmp_path / "m.nemo"
    path.write_bytes(tar_bytes([(member("./other.txt"), b"x")]))
    with NemoArchive(path) as archive:
        with pytest.raises(ArchiveError, match="no model_config.yaml member; found: other.txt"):
            archive.read_config()
        with pytest.raises(ArchiveError, match="no weights member: expected model_weights.ckpt"):
            archive.load_state_dict()
        with pytest.raises(ArchiveError, match="no member 'vocab.txt'; expected one of: other.txt"):
            archive.extract(["vocab.txt"], tmp_path / "out")


@pytest.mark.parametrize("value", [[torch.ones(1)], {1: torch.ones(1)}], ids=["list", "int_keys"])
def test_weights_must_be_a_state_dict(tmp_path, value):
    path = tmp_path / "m.nemo"
    path.write_bytes(tar_bytes([(member(MODEL_WEIGHTS), weights_bytes(value))]))
    with NemoArchive(path) as archive, pytest.raises(ArchiveError, match="must hold a state dict"):
        archive.load_state_dict()


def test_closed_archive_refuses_reads(tmp_path, state_dict):
    path = tmp_path / "m.nemo"
    write_archive(path, config_yaml=CONFIG, state_dict=state_dict)
    archive = NemoArchive(path)
    archive.close()
    with pytest.raises(ArchiveError, match="closed"):
        archive.read_config()


@pytest.mark.gpu
@run_if(min_cuda_gpus=1)
def test_cuda_weights_are_saved_as_cpu_and_mapped_back(tmp_path):
    weights = {"w": torch.arange(4.0, device="cuda")}
    path = tmp_path / "m.nemo"
    write_archive(path, config_yaml=CONFIG, state_dict=weights)
    with NemoArchive(path) as archive:
        assert archive.load_state_dict(map_location=None)["w"].device.type == "cpu"  # stored as CPU tensors
        loaded = archive.load_state_dict(map_location="cuda")
    assert loaded["w"].device.type == "cuda" and torch.equal(loaded["w"], weights["w"])
