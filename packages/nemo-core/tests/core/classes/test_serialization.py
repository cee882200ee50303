import dataclasses
import os
import stat

import pytest
import torch
from omegaconf import DictConfig, OmegaConf

from nemo.core.classes.construction import trusted_config
from nemo.core.classes.module import NeuralModule
from nemo.core.classes.serialization import FileIO, Serialization

CALLS = []


def record_call(**kwargs):
    """Stands in for a dangerous callable named by an untrusted config."""
    CALLS.append(kwargs)
    return kwargs


def _path(klass) -> str:
    return f"{klass.__module__}.{klass.__qualname__}"


class Encoder(NeuralModule):
    def __init__(self, dim: int, scale: float = 1.0):
        super().__init__()
        self.dim, self.scale = dim, scale
        self.proj = torch.nn.Linear(dim, dim)


class Wrapper(NeuralModule):
    def __init__(self, encoder, out_dim: int):
        super().__init__()
        self.encoder = encoder
        self.head = torch.nn.Linear(encoder.dim, out_dim)


class CfgModule(NeuralModule):
    """Takes its whole config like ModelPT does."""

    def __init__(self, cfg, trainer=None):
        super().__init__()
        self._cfg = cfg
        self.trainer = trainer


class CfgChild(CfgModule):
    pass


class Unrelated(NeuralModule):
    def __init__(self, cfg=None):
        super().__init__()


@pytest.fixture(autouse=True)
def clear_calls():
    CALLS.clear()


def test_target_form_builds_the_named_class_and_keeps_config():
    module = NeuralModule.from_config_dict({"_target_": _path(Encoder), "dim": 3, "scale": 0.5})
    assert type(module) is Encoder and module.dim == 3 and module.scale == 0.5
    assert isinstance(module._cfg, DictConfig) and module._cfg.dim == 3
    assert OmegaConf.is_struct(module._cfg)
    assert type(Encoder.from_config_dict(OmegaConf.create({"_target_": _path(Encoder), "dim": 2}))) is Encoder


def test_nested_target_configs_are_instantiated_recursively():
    cfg = OmegaConf.create(
        {"_target_": _path(Wrapper), "out_dim": 2, "encoder": {"_target_": _path(Encoder), "dim": "${..out_dim}"}}
    )
    module = NeuralModule.from_config_dict(cfg)
    assert isinstance(module.encoder, Encoder) and module.encoder.dim == 2
    assert module.head.out_features == 2
    assert module._cfg.encoder.dim == 2  # interpolations are resolved in the stored config


def test_legacy_cls_params_form():
    module = Encoder.from_config_dict({"cls": _path(Encoder), "params": {"dim": 4}})
    assert type(module) is Encoder and module.dim == 4
    assert module._cfg == OmegaConf.create({"_target_": _path(Encoder), "dim": 4})


def test_target_key_written_by_modelpt_passes_the_whole_config():
    module = CfgModule.from_config_dict({"target": _path(CfgChild), "hidden": 7})
    assert type(module) is CfgChild and module._cfg.hidden == 7 and module._cfg.target == _path(CfgChild)
    # a config saved by a base class restores as the more specific class the caller asked for
    assert type(CfgChild.from_config_dict({"target": _path(CfgModule)})) is CfgChild


def test_config_without_target_builds_cls_and_forwards_trainer():
    trainer = object()
    module = CfgModule.from_config_dict({"hidden": 1}, trainer=trainer)
    assert type(module) is CfgModule and module.trainer is trainer and module._cfg.hidden == 1


def test_dataclass_config_is_accepted():
    @dataclasses.dataclass
    class EncoderConfig:
        _target_: str = _path(Encoder)
        dim: int = 5

    assert Encoder.from_config_dict(EncoderConfig()).dim == 5


def test_unimportable_modelpt_target_falls_back_to_cls():
    module = CfgModule.from_config_dict({"target": "renamed.package.OldModel", "hidden": 2})
    assert type(module) is CfgModule


def test_unimportable_hydra_target_names_the_key():
    with pytest.raises(ImportError, match="Config key '_target_'.*no_such_pkg.Encoder"):
        NeuralModule.from_config_dict({"_target_": "no_such_pkg.Encoder", "dim": 1})


@pytest.mark.parametrize("key", ["_target_", "target"])
def test_target_outside_the_class_hierarchy_is_refused(key):
    with pytest.raises(ValueError, match=rf"Config key '{key}' names '.*record_call'.*CfgModule"):
        CfgModule.from_config_dict({key: _path(record_call), "hidden": 1})
    assert CALLS == []


def test_sibling_class_is_refused_and_legacy_cls_is_checked_too():
    with pytest.raises(ValueError, match=r"Unrelated.*not .*CfgModule or a subclass"):
        CfgModule.from_config_dict({"target": _path(Unrelated)})
    with pytest.raises(ValueError, match="'_target_' names 'subprocess.Popen'"):
        Encoder.from_config_dict({"cls": "subprocess.Popen", "params": {"args": ["true"]}})


def test_model_builds_a_module_part_from_its_target_as_nemo_models_do():
    # NeMo models write ``self.encoder = EncDecCTCModel.from_config_dict(cfg.encoder)``: a module-kind _target_
    # outside the model's own hierarchy is allowed, while the model-class ``target`` key stays strict.
    encoder = CfgModule.from_config_dict({"_target_": _path(Encoder), "dim": 3})
    assert isinstance(encoder, Encoder) and encoder.dim == 3
    linear = CfgModule.from_config_dict({"_target_": "torch.nn.Linear", "in_features": 2, "out_features": 1})
    assert isinstance(linear, torch.nn.Linear)
    with pytest.raises(ValueError, match=r"Config key 'target' names '.*Encoder'"):
        CfgModule.from_config_dict({"target": _path(Encoder), "dim": 3})


def test_nested_target_must_be_a_module_dataset_or_serialization_class():
    cfg = {"_target_": _path(Wrapper), "out_dim": 2, "encoder": {"_target_": _path(record_call), "dim": 2}}
    with pytest.raises(ValueError, match=r"'encoder._target_' names '.*record_call'"):
        NeuralModule.from_config_dict(cfg)
    assert CALLS == []


def test_base_serialization_is_checked_and_builds_any_target_only_for_trusted_configs():
    with pytest.raises(ValueError, match=r"'_target_' names '.*record_call', which is not a class"):
        Serialization.from_config_dict({"_target_": _path(record_call), "value": 3})
    assert CALLS == []
    with trusted_config():
        result = Serialization.from_config_dict({"_target_": _path(record_call), "value": 3})
    assert result == {"value": 3} and CALLS == [{"value": 3}]


def test_from_config_dict_rejects_non_config_input():
    with pytest.raises(ValueError, match="builtins.str"):
        Encoder.from_config_dict("dim: 3")


def test_to_config_dict_resolves_and_upgrades_the_config():
    module = CfgModule(cfg=OmegaConf.create({"rate": 8, "pre": {"rate": "${rate}", "cls": "a.B", "params": {"n": 1}}}))
    cfg = module.to_config_dict()
    assert OmegaConf.to_container(cfg) == {"rate": 8, "pre": {"rate": 8, "_target_": "a.B", "n": 1}}
    assert OmegaConf.is_struct(cfg) and module._cfg is cfg


def test_to_config_dict_without_config_is_not_implemented():
    with pytest.raises(NotImplementedError, match="_cfg"):
        Encoder(dim=2).to_config_dict()


def test_config_file_round_trip(tmp_path):
    module = NeuralModule.from_config_dict({"_target_": _path(Encoder), "dim": 3, "scale": 2.0})
    path = tmp_path / "encoder.yaml"
    module.to_config_file(path)
    assert OmegaConf.load(path) == OmegaConf.create({"_target_": _path(Encoder), "dim": 3, "scale": 2.0})
    assert os.listdir(tmp_path) == ["encoder.yaml"]  # no temp file left behind
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask  # like a plainly created file, not mkstemp's 0600
    rebuilt = Encoder.from_config_file(str(path))
    assert type(rebuilt) is Encoder and rebuilt.scale == 2.0


def test_to_config_file_keeps_the_old_file_when_writing_fails(tmp_path):
    module = CfgModule(cfg=OmegaConf.create({"value": "${missing}"}))
    path = tmp_path / "model.yaml"
    path.write_text("old: 1\n")
    with pytest.raises(Exception, match="missing"):
        module.to_config_file(path)
    assert path.read_text() == "old: 1\n" and os.listdir(tmp_path) == ["model.yaml"]


def test_file_io_defaults(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.yaml"):
        Encoder.from_config_file(tmp_path / "nope.yaml")
    with pytest.raises(NotImplementedError):
        Encoder(dim=1).save_to(str(tmp_path / "x.nemo"))
    with pytest.raises(NotImplementedError):
        Encoder.restore_from(str(tmp_path / "x.nemo"))
    with pytest.raises(NotImplementedError):
        Encoder(dim=1).to_config_file(tmp_path / "x.yaml")

    class OnlyFileIO(FileIO):
        pass

    with pytest.raises(NotImplementedError, match="not a Serialization subclass"):
        OnlyFileIO.from_config_file(tmp_path / "x.yaml")
