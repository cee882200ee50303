"""ModelPT.save_to / restore_from / extract_state_dict_from: round trips, options and the errors users get."""

import io
import json
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import modelpt_testing as mt
import pytest
import torch
import yaml
from omegaconf import DictConfig, OmegaConf

from nemo.core.archive import ArchiveError, NemoArchive
from nemo.core.classes.modelPT import ModelPT
from nemo.core.testing import quiet_cpu_trainer, run_if
from nemo.utils.app_state import AppState

pytestmark = pytest.mark.usefixtures("fresh_app_state")


def _trained(steps=4, **cfg_extra):
    torch.manual_seed(0)
    cfg = mt.base_config(train_ds={"num_samples": 32, "batch_size": 8}, optim={"name": "sgd", "lr": 0.1}, **cfg_extra)
    model = mt.TinyModel(cfg)
    quiet_cpu_trainer(max_steps=steps).fit(model)
    return model


def _tar(path, members):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(f"./{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _weights_bytes(state_dict):
    buffer = io.BytesIO()
    torch.save(state_dict, buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------- seed: Save and Restore
def test_seed_save_and_restore(tmp_path):
    model = _trained()
    path = str(tmp_path / "model.nemo")

    model.save_to(path)
    restored = model.restore_from(path, map_location="cpu")  # the seed calls it on an instance; it is a classmethod

    assert type(restored) is mt.TinyModel and restored is not model
    x = torch.randn(5, mt.IN_FEATURES)
    assert torch.equal(restored(x), model(x))
    assert tarfile.is_tarfile(path)  # "A .nemo file is simply an archive like any other .tar file"


def test_archive_layout_and_saved_config(tmp_path):
    model = _trained()
    path = tmp_path / "model.nemo"
    model.save_to(path)
    with open(path, "rb") as handle:
        assert handle.read(2) != b"\x1f\x8b"  # an uncompressed tar by default
    with tarfile.open(path, "r:") as tar:
        assert sorted(tar.getnames()) == ["./model_config.yaml", "./model_weights.ckpt"]
    legacy = tmp_path / "legacy.nemo"
    model.save_to(legacy, compress=True)  # the tar.gz that NeMo 1.0-1.6 read
    with tarfile.open(legacy, "r:gz") as tar:
        assert sorted(tar.getnames()) == ["./model_config.yaml", "./model_weights.ckpt"]
    assert torch.equal(type(model).restore_from(legacy, map_location="cpu").layer.weight, model.layer.weight)
    with NemoArchive(path) as archive:
        config = yaml.safe_load(archive.read_config())
        weights = archive.load_state_dict()
    assert config["target"] == "modelpt_testing.TinyModel"
    assert config["train_ds"] == {"num_samples": 32, "batch_size": 8}
    assert set(weights) == {"layer.weight", "layer.bias"}


@pytest.mark.slow(reason="a fresh interpreter imports torch and Lightning")
def test_restore_in_a_fresh_process_gives_identical_outputs(tmp_path):
    model = _trained(steps=6)
    path = tmp_path / "model.nemo"
    model.save_to(path)
    x = torch.randn(7, mt.IN_FEATURES, generator=torch.Generator().manual_seed(5))
    torch.save(x, tmp_path / "x.pt")
    with torch.no_grad():
        expected = model.eval()(x)

    script = textwrap.dedent(
        f"""
        import sys, torch
        sys.path.insert(0, {str(Path(mt.__file__).parent)!r})  # as the pythonpath pytest option does
        import modelpt_testing as mt
        from nemo.core.classes.modelPT import ModelPT
        model = ModelPT.restore_from({str(path)!r}, map_location="cpu")  # target picks TinyModel
        assert type(model) is mt.TinyModel, type(model)
        x = torch.load({str(tmp_path / "x.pt")!r}, weights_only=True)
        with torch.no_grad():
            torch.save(model.eval()(x), {str(tmp_path / "y.pt")!r})
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, timeout=120)
    assert torch.equal(torch.load(tmp_path / "y.pt", weights_only=True), expected)


def test_restore_sets_the_restore_path_and_map_location(tmp_path):
    path = tmp_path / "model.nemo"
    _trained().save_to(path)
    restored = mt.TinyModel.restore_from(str(path), map_location=torch.device("cpu"))
    assert restored.layer.weight.device == torch.device("cpu")
    assert AppState().model_restore_path == str(path.resolve())
    assert not ModelPT._is_model_being_restored()


def test_restore_does_not_set_up_data(tmp_path, caplog):
    path = tmp_path / "model.nemo"
    _trained().save_to(path)
    caplog.clear()
    restored = mt.TinyModel.restore_from(path, map_location="cpu")
    assert restored.train_dataloader() is None
    ours = [record for record in caplog.records if record.name == "nemo_logger"]
    assert [record.levelname for record in ours] == ["INFO"] and "successfully restored" in ours[0].message
    restored.setup_training_data(restored.cfg.train_ds)
    assert len(restored.train_dataloader()) == 4


def test_return_config(tmp_path):
    path = tmp_path / "model.nemo"
    _trained().save_to(path)
    conf = mt.TinyModel.restore_from(path, return_config=True)
    assert isinstance(conf, DictConfig)
    assert conf.target == "modelpt_testing.TinyModel" and conf.out_features == 1


def test_override_config_from_yaml_and_dictconfig(tmp_path):
    path = tmp_path / "model.nemo"
    model = _trained()
    model.save_to(path)
    override = OmegaConf.create({"model": {**OmegaConf.to_container(model.cfg), "note": "${.size}", "size": 3}})
    OmegaConf.save(override, tmp_path / "override.yaml")
    from_yaml = mt.TinyModel.restore_from(
        path, override_config_path=str(tmp_path / "override.yaml"), map_location="cpu"
    )
    assert from_yaml.cfg.note == 3  # the `model` sub-tree, resolved
    from_dictconfig = mt.TinyModel.restore_from(path, override_config_path=override.model, map_location="cpu")
    assert from_dictconfig.cfg.size == 3
    assert torch.equal(from_dictconfig.layer.weight, model.layer.weight)
    with pytest.raises(FileNotFoundError, match="override_config_path"):
        mt.TinyModel.restore_from(path, override_config_path=str(tmp_path / "missing.yaml"))


def test_target_subclass_is_built_when_restoring_through_a_base(tmp_path):
    class Wider(mt.TinyModel):
        pass

    path = tmp_path / "wider.nemo"
    Wider(mt.base_config()).save_to(path)
    assert type(mt.TinyModel.restore_from(path, map_location="cpu")) is Wider
    assert type(ModelPT.restore_from(path, map_location="cpu")) is Wider


def test_a_subclass_may_restore_an_archive_of_its_base(tmp_path):
    class Derived(mt.TinyModel):
        pass

    path = tmp_path / "tiny.nemo"
    _trained().save_to(path)
    assert type(Derived.restore_from(path, map_location="cpu")) is Derived


def test_save_on_a_non_zero_rank_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("RANK", "1")
    mt.TinyModel(mt.base_config()).save_to(tmp_path / "model.nemo")
    assert not (tmp_path / "model.nemo").exists()


def test_save_replaces_an_existing_archive_atomically(tmp_path):
    path = tmp_path / "model.nemo"
    first = _trained(steps=1)
    first.save_to(path)
    second = _trained(steps=5)
    second.save_to(path)
    assert torch.equal(mt.TinyModel.restore_from(path, map_location="cpu").layer.weight, second.layer.weight)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.nemo"]


def test_nested_restore_inside_a_constructor(tmp_path):
    inner_path = tmp_path / "inner.nemo"
    inner = _trained()
    inner.save_to(inner_path)

    class Outer(mt.TinyModel):
        def __init__(self, cfg, trainer=None):
            super().__init__(cfg, trainer)
            self.inner = mt.TinyModel.restore_from(cfg.inner_path, map_location="cpu")

    outer = Outer(mt.base_config(inner_path=str(inner_path), train_ds={"num_samples": 8}))
    assert outer.train_dataloader() is not None  # not restoring: data set up
    assert torch.equal(outer.inner.layer.weight, inner.layer.weight)
    outer_path = tmp_path / "outer.nemo"
    outer.save_to(outer_path)
    restored = Outer.restore_from(outer_path, map_location="cpu")
    assert restored.train_dataloader() is None
    assert torch.equal(restored.inner.layer.weight, inner.layer.weight)


# ---------------------------------------------------------------------------------------------------------- errors
class TestErrors:
    def test_missing_file(self, tmp_path):
        with pytest.raises(FileNotFoundError, match="missing.nemo does not exist"):
            mt.TinyModel.restore_from(tmp_path / "missing.nemo")

    def test_garbage_file(self, tmp_path):
        garbage = tmp_path / "garbage.nemo"
        garbage.write_bytes(b"this is not a tar archive at all" * 40)
        with pytest.raises(ArchiveError, match="garbage.nemo.*not a readable .nemo archive"):
            mt.TinyModel.restore_from(garbage)

    def test_missing_weights_member(self, tmp_path):
        config = OmegaConf.to_yaml(mt.TinyModel(mt.base_config()).cfg).encode()
        path = _tar(tmp_path / "no_weights.nemo", {"model_config.yaml": config})
        with pytest.raises(ArchiveError, match="no model_weights.ckpt member; found: model_config.yaml"):
            mt.TinyModel.restore_from(path)

    def test_missing_config_member(self, tmp_path):
        weights = _weights_bytes(mt.TinyModel(mt.base_config()).state_dict())
        path = _tar(tmp_path / "no_config.nemo", {"model_weights.ckpt": weights})
        with pytest.raises(ArchiveError, match="no model_config.yaml member"):
            mt.TinyModel.restore_from(path)

    def test_config_that_is_not_a_mapping(self, tmp_path):
        path = _tar(tmp_path / "list.nemo", {"model_config.yaml": b"- 1\n- 2\n", "model_weights.ckpt": b"x"})
        with pytest.raises(ValueError, match="must be a mapping, got ListConfig"):
            mt.TinyModel.restore_from(path)

    def test_shape_mismatch_lists_keys_and_shapes_even_when_not_strict(self, tmp_path):
        path = tmp_path / "model.nemo"
        mt.TinyModel(mt.base_config()).save_to(path)
        override = OmegaConf.merge(mt.TinyModel.restore_from(path, return_config=True), {"out_features": 3})
        for strict in (True, False):
            with pytest.raises(RuntimeError) as error:
                mt.TinyModel.restore_from(path, override_config_path=override, strict=strict)
            message = str(error.value)
            assert "model.nemo do not fit TinyModel" in message
            assert "layer.weight: checkpoint (1, 4) vs model (3, 4)" in message
            assert "layer.bias: checkpoint (1,) vs model (3,)" in message

    def test_missing_and_unexpected_keys(self, tmp_path, caplog):
        class WithHead(mt.TinyModel):
            def __init__(self, cfg, trainer=None):
                super().__init__(cfg, trainer)
                self.head = torch.nn.Linear(1, 1)

        path = tmp_path / "model.nemo"
        saved = mt.TinyModel(mt.base_config())
        saved.register_buffer("stale", torch.zeros(2))
        saved.save_to(path)
        with pytest.raises(RuntimeError) as error:
            WithHead.restore_from(path)
        message = str(error.value)
        assert "missing keys: ['head.weight', 'head.bias']" in message
        assert "unexpected keys: ['stale']" in message
        assert "strict=False" in message
        loose = WithHead.restore_from(path, strict=False, map_location="cpu")
        assert torch.equal(loose.layer.weight, saved.layer.weight)
        assert "missing keys ['head.weight', 'head.bias']" in caplog.text

    def test_target_outside_the_class_tree_is_refused(self, tmp_path):
        path = tmp_path / "other.nemo"
        mt.OtherModel(mt.base_config()).save_to(path)
        with pytest.raises(
            ValueError, match="'modelpt_testing.OtherModel' is not modelpt_testing.TinyModel or a subclass"
        ):
            mt.TinyModel.restore_from(path)
        conf = OmegaConf.merge(mt.TinyModel.restore_from(path, return_config=True), {"target": "torch.nn.Linear"})
        with pytest.raises(ValueError, match="refuses to build classes outside its hierarchy"):
            ModelPT.restore_from(path, override_config_path=conf)

    def test_unloaded_target_module_is_never_imported(self, tmp_path, monkeypatch):
        package = tmp_path / "pkg"
        package.mkdir()
        (package / "evil_target_module.py").write_text("import os\nos.environ['EVIL_IMPORTED'] = '1'\nclass M: pass\n")
        monkeypatch.syspath_prepend(str(package))
        monkeypatch.delenv("EVIL_IMPORTED", raising=False)
        path = tmp_path / "model.nemo"
        mt.TinyModel(mt.base_config()).save_to(path)
        conf = OmegaConf.merge(mt.TinyModel.restore_from(path, return_config=True), {"target": "evil_target_module.M"})
        with pytest.raises(ValueError, match="not a loaded subclass of nemo.core.classes.modelPT.ModelPT"):
            ModelPT.restore_from(path, override_config_path=conf)
        restored = mt.TinyModel.restore_from(
            path, override_config_path=conf, map_location="cpu"
        )  # a concrete class: built as itself
        assert type(restored) is mt.TinyModel
        assert "evil_target_module" not in sys.modules
        assert "EVIL_IMPORTED" not in __import__("os").environ

    def test_failed_constructor_leaves_no_restore_state(self, tmp_path):
        class Broken(mt.TinyModel):
            def __init__(self, cfg, trainer=None):
                super().__init__(cfg, trainer)
                raise RuntimeError("constructor failed")

        path = tmp_path / "model.nemo"
        mt.TinyModel(mt.base_config()).save_to(path)
        with pytest.raises(RuntimeError, match="constructor failed"):
            Broken.restore_from(path)
        assert not ModelPT._is_model_being_restored()


# --------------------------------------------------------------------------------------- extract_state_dict_from
def test_extract_state_dict_from(tmp_path):
    model = _trained()
    model.head = torch.nn.Linear(1, 2)
    path = tmp_path / "model.nemo"
    model.save_to(path)

    state = ModelPT.extract_state_dict_from(str(path), str(tmp_path / "whole"))
    assert set(state) == {"layer.weight", "layer.bias", "head.weight", "head.bias"}
    saved = torch.load(tmp_path / "whole" / "model_weights.ckpt", weights_only=True)
    assert torch.equal(saved["layer.weight"], model.layer.weight)

    ModelPT.extract_state_dict_from(path, tmp_path / "split", split_by_module=True)
    assert sorted(p.name for p in (tmp_path / "split").iterdir()) == ["head.ckpt", "layer.ckpt"]
    head = torch.load(tmp_path / "split" / "head.ckpt", weights_only=True)
    assert set(head) == {"weight", "bias"} and torch.equal(head["weight"], model.head.weight)
    fresh = torch.nn.Linear(1, 2)
    fresh.load_state_dict(head)


def test_extract_state_dict_from_a_missing_archive(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.nemo does not exist"):
        ModelPT.extract_state_dict_from(tmp_path / "nothing.nemo", tmp_path / "out")


def test_restores_a_nemo_v1_style_archive(tmp_path):
    """An archive laid out like NeMo v1 writes it (tar.gz, ``./`` members, legacy ``cls``/``params`` nodes)."""
    model = mt.TinyModel(mt.base_config())
    config = OmegaConf.to_container(model.cfg)
    config["encoder"] = {"cls": "torch.nn.Identity", "params": {"unused": 1}}
    members = {
        "model_config.yaml": yaml.safe_dump(config).encode(),
        "model_weights.ckpt": _weights_bytes(model.state_dict()),
    }
    restored = mt.TinyModel.restore_from(_tar(tmp_path / "v1.nemo", members), map_location="cpu")
    assert restored.cfg.encoder == {"_target_": "torch.nn.Identity", "unused": 1}
    assert torch.equal(restored.layer.weight, model.layer.weight)
    assert json.loads(json.dumps(OmegaConf.to_container(restored.cfg)))["target"] == "modelpt_testing.TinyModel"


def test_unpack_nemo_file(tmp_path):
    mt.TinyModel(mt.base_config()).save_to(tmp_path / "model.nemo")
    assert ModelPT._unpack_nemo_file(str(tmp_path / "model.nemo"), str(tmp_path / "out")) == str(tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["model_config.yaml", "model_weights.ckpt"]
    with pytest.raises(FileNotFoundError, match="nope.nemo does not exist"):
        ModelPT._unpack_nemo_file(str(tmp_path / "nope.nemo"), str(tmp_path / "out"))


@pytest.mark.gpu
@run_if(min_cuda_gpus=1)
def test_restore_defaults_to_cuda_and_loads_gpu_saved_weights(tmp_path):
    model = mt.TinyModel(
        mt.base_config(train_ds={"num_samples": 32, "batch_size": 8}, optim={"name": "sgd", "lr": 0.1})
    )
    quiet_cpu_trainer(max_steps=3, accelerator="gpu").fit(model)
    model.cuda()  # Lightning hands the module back on the CPU after fit; save it from the GPU
    model.save_to(tmp_path / "gpu.nemo")
    restored = mt.TinyModel.restore_from(tmp_path / "gpu.nemo")  # NeMo's default: cuda when available
    assert restored.layer.weight.device.type == "cuda"
    assert torch.equal(restored.layer.weight, model.layer.weight)
    on_cpu = mt.TinyModel.restore_from(tmp_path / "gpu.nemo", map_location="cpu")
    assert on_cpu.layer.weight.device.type == "cpu"
    assert torch.equal(on_cpu.layer.weight, model.layer.weight.cpu())


class TestRestoreWithoutRandomInit:
    """restore_from builds on the meta device and assigns the loaded tensors, falling back where that is unsafe."""

    def test_weights_are_the_loaded_tensors_and_stay_trainable(self, tmp_path):
        path = tmp_path / "model.nemo"
        model = _trained()
        model.save_to(path)
        restored = mt.TinyModel.restore_from(path, map_location="cpu")
        assert not any(t.is_meta for t in [*restored.parameters(), *restored.buffers()])
        assert all(p.requires_grad for p in restored.parameters())
        assert torch.equal(restored.layer.weight, model.layer.weight)

    def test_tied_weights_stay_tied(self, tmp_path):
        class Tied(mt.TinyModel):
            def __init__(self, cfg, trainer=None):
                super().__init__(cfg, trainer)
                self.twin = torch.nn.Linear(self.cfg.in_features, self.cfg.out_features)
                self.twin.weight = self.layer.weight

        path = tmp_path / "tied.nemo"
        Tied(mt.base_config()).save_to(path)
        restored = Tied.restore_from(path, map_location="cpu")
        assert restored.twin.weight is restored.layer.weight

    def test_non_persistent_buffers_are_built_normally(self, tmp_path):
        class WithScratch(mt.TinyModel):
            def __init__(self, cfg, trainer=None):
                super().__init__(cfg, trainer)
                self.register_buffer("window", torch.hann_window(8), persistent=False)

        path = tmp_path / "scratch.nemo"
        original = WithScratch(mt.base_config())
        original.save_to(path)
        restored = WithScratch.restore_from(path, map_location="cpu")
        assert not restored.window.is_meta
        assert torch.equal(restored.window, torch.hann_window(8))
        assert torch.equal(restored.layer.weight, original.layer.weight)


def test_plain_tensor_attributes_such_as_metric_states_are_built_normally(tmp_path):
    class WithState(mt.TinyModel):
        def __init__(self, cfg, trainer=None):
            super().__init__(cfg, trainer)
            self.counts = [torch.zeros(3)]  # like a torchmetrics list state: neither buffer nor parameter
            self.total = torch.zeros(1)

    path = tmp_path / "state.nemo"
    WithState(mt.base_config()).save_to(path)
    restored = WithState.restore_from(path, map_location="cpu")
    assert not restored.total.is_meta and not restored.counts[0].is_meta
