"""The checked construction path: configs build only classes of the kinds their keys allow, archives run no code."""

import functools
import sys

import pytest
import torch
from omegaconf import DictConfig, ListConfig, OmegaConf

from nemo.core.archive import ArchiveError
from nemo.core.classes.construction import (
    ConfigTargetError,
    archive_config,
    build_from_config,
    buildable_bases,
    check_targets,
    register_buildable_base,
    resolve_target,
    trusted_config,
)
from nemo.core.classes.modelPT import ModelPT
from nemo.core.testing.archive_safety import assert_tampering_refused, tamper_points, tampered_copy, target_nodes


class Holder(torch.nn.Module):
    """Records what it was given, to check how arguments are converted."""

    def __init__(self, *args, **kwargs):
        super().__init__()
        self.args, self.kwargs = args, kwargs


def _path(klass) -> str:
    return f"{klass.__module__}.{klass.__qualname__}"


def test_builds_a_class_of_an_allowed_base_with_args_and_overrides():
    linear = build_from_config(
        {"_target_": "torch.nn.Linear", "in_features": 2, "out_features": 5}, torch.nn.Module, "enc", out_features=3
    )
    assert isinstance(linear, torch.nn.Linear) and linear.out_features == 3
    holder = build_from_config({"_target_": _path(Holder), "_args_": [1, 2], "k": "v"}, Holder, "h")
    assert holder.args == (1, 2) and holder.kwargs == {"k": "v"}
    optimizer = build_from_config(
        {"_target_": "torch.optim.SGD", "lr": 0.5}, torch.optim.Optimizer, "optim", [torch.nn.Parameter(torch.zeros(1))]
    )
    assert isinstance(optimizer, torch.optim.SGD) and optimizer.defaults["lr"] == 0.5


def test_refuses_functions_and_classes_outside_the_bases_naming_key_target_and_bases(tmp_path):
    marker = tmp_path / "made"
    with pytest.raises(ConfigTargetError, match=r"'model.pre._target_' names 'os.makedirs', which is not a class"):
        build_from_config({"_target_": "os.makedirs", "_args_": [str(marker)]}, torch.nn.Module, "model.pre")
    with pytest.raises(ConfigTargetError, match=r"'pre._target_' names 'logging.FileHandler'.*torch.nn.modules"):
        build_from_config({"_target_": "logging.FileHandler", "_args_": [str(marker)]}, torch.nn.Module, "pre")
    assert not marker.exists()


def test_nested_targets_are_checked_before_anything_is_built(tmp_path):
    marker = tmp_path / "log"
    config = {
        "_target_": "torch.nn.Sequential",
        "_args_": [{"_target_": "torch.nn.ReLU"}, {"_target_": "logging.FileHandler", "_args_": [str(marker)]}],
    }
    with pytest.raises(ConfigTargetError, match=r"'seq._args_\[1\]._target_' names 'logging.FileHandler'"):
        build_from_config(config, torch.nn.Module, "seq")
    assert not marker.exists()
    deep = {"_target_": _path(Holder), "inner": {"x": [{"_target_": "os.system", "_args_": ["true"]}]}}
    with pytest.raises(ConfigTargetError, match=r"'h.inner.x\[0\]._target_' names 'os.system'"):
        build_from_config(deep, Holder, "h")


def test_nested_nodes_are_built_and_converted_as_hydra_does():
    config = {"_target_": _path(Holder), "plain": {"a": [1, 2]}, "part": {"_target_": "torch.nn.ReLU"}}
    holder = build_from_config(config, Holder, "h")
    assert isinstance(holder.kwargs["plain"], DictConfig) and isinstance(holder.kwargs["part"], torch.nn.ReLU)
    converted = build_from_config({**config, "_convert_": "all"}, Holder, "h")
    assert converted.kwargs["plain"] == {"a": [1, 2]} and type(converted.kwargs["plain"]) is dict
    lists = build_from_config({"_target_": _path(Holder), "xs": [1, {"_target_": "torch.nn.ReLU"}]}, Holder, "h")
    assert isinstance(lists.kwargs["xs"][1], torch.nn.ReLU) and not isinstance(lists.kwargs["xs"], ListConfig)
    flat = build_from_config({**config, "_recursive_": False}, Holder, "h")
    assert isinstance(flat.kwargs["part"], DictConfig)  # not built: the receiver builds it (through this path)
    partial = build_from_config(
        {"_target_": "torch.nn.Linear", "_partial_": True, "in_features": 2}, torch.nn.Module, "p"
    )
    assert isinstance(partial, functools.partial) and partial(out_features=1).in_features == 2


def test_each_target_is_resolved_once_per_build(monkeypatch):
    from nemo.core.classes import construction

    resolved = []

    def counting_resolve(path, bases, key):
        resolved.append(key)
        return resolve_target(path, bases, key)

    monkeypatch.setattr(construction, "resolve_target", counting_resolve)
    config = {
        "_target_": "torch.nn.Sequential",
        "_args_": [
            {"_target_": "torch.nn.ReLU"},
            {"_target_": _path(Holder), "inner": [{"_target_": "torch.nn.Tanh"}]},
        ],
    }
    model = build_from_config(config, torch.nn.Module, "seq")
    assert isinstance(model[1].kwargs["inner"][0], torch.nn.Tanh)
    assert sorted(resolved) == [
        "seq._args_[0]._target_",
        "seq._args_[1]._target_",
        "seq._args_[1].inner[0]._target_",
        "seq._target_",
    ]


def test_legacy_cls_params_nodes_are_checked_too():
    with pytest.raises(ConfigTargetError, match="'enc._target_' names 'subprocess.Popen'"):
        build_from_config({"cls": "subprocess.Popen", "params": {"args": ["true"]}}, torch.nn.Module, "enc")


def test_trusted_config_builds_any_callable():
    with trusted_config():
        assert build_from_config({"_target_": "builtins.dict", "a": 1}, torch.nn.Module, "x") == {"a": 1}
    with pytest.raises(ConfigTargetError):
        build_from_config({"_target_": "builtins.dict", "a": 1}, torch.nn.Module, "x")


def test_an_archive_config_imports_nothing_outside_nemo_and_torch():
    assert "antigravity" not in sys.modules
    with archive_config(), pytest.raises(ConfigTargetError, match="'x._target_' names 'antigravity.Fly', whose module"):
        resolve_target("antigravity.Fly", object, "x._target_")
    assert "antigravity" not in sys.modules
    with archive_config():  # already-imported modules are fine: importing them runs nothing
        assert resolve_target(_path(Holder), torch.nn.Module, "x") is Holder


def test_registered_bases_join_the_upfront_check():
    class Plugin:
        pass

    class MyPlugin(Plugin):
        pass

    globals()["MyPlugin"] = MyPlugin  # importable by path for the check
    MyPlugin.__qualname__ = "MyPlugin"
    config = OmegaConf.create({"part": {"_target_": f"{__name__}.MyPlugin"}})
    with pytest.raises(ConfigTargetError):
        check_targets(config, buildable_bases, "", buildable_bases)
    register_buildable_base(Plugin)
    check_targets(config, buildable_bases, "", buildable_bases)


# ------------------------------------------------------------------------------------------- restoring archives
class PartsModel(ModelPT):
    """A model that builds its parts from config nodes, as every collection's models do."""

    def __init__(self, cfg, trainer=None):
        super().__init__(cfg=cfg, trainer=trainer)
        self.encoder = PartsModel.from_config_dict(self._cfg.encoder)
        self.head = PartsModel.from_config_dict(self._cfg.head)

    @classmethod
    def list_available_models(cls):
        return None

    def forward(self, x):
        return self.head(self.encoder(x))

    def setup_training_data(self, cfg):
        pass

    def setup_validation_data(self, cfg):
        pass


def _parts_config(**extra):
    return OmegaConf.create(
        {
            "encoder": {
                "_target_": "torch.nn.Sequential",
                "_args_": [{"_target_": "torch.nn.Linear", "in_features": 4, "out_features": 3}],
            },
            "head": {"_target_": "torch.nn.Linear", "in_features": 3, "out_features": 2},
            "optim": {"_target_": "torch.optim.SGD", "lr": 0.1},
            **extra,
        }
    )


def test_every_tampered_target_of_an_archive_is_refused_and_runs_nothing(tmp_path):
    archive = tmp_path / "parts.nemo"
    PartsModel(_parts_config()).save_to(str(archive))
    covered = assert_tampering_refused(PartsModel, archive, tmp_path)
    assert covered == ["encoder", "encoder._args_[0]", "head", "optim", "injected_by_attacker"]
    assert not list(tmp_path.glob("marker-*"))


def test_the_kit_notices_a_model_that_runs_a_tampered_target(tmp_path, monkeypatch):
    archive = tmp_path / "parts.nemo"
    PartsModel(_parts_config()).save_to(str(archive))
    original = PartsModel.restore_from.__func__
    monkeypatch.setattr(
        PartsModel, "restore_from", classmethod(lambda cls, path, **kw: original(cls, path, trusted=True, **kw))
    )
    with pytest.raises(AssertionError, match="PartsModel"):
        assert_tampering_refused(PartsModel, archive, tmp_path)
    assert list(tmp_path.glob("marker-*"))  # the trusted restore did run the tampered target


def test_an_archive_may_not_read_the_restoring_machine_through_resolvers(tmp_path, monkeypatch):
    monkeypatch.setenv("NEMO_TEST_SECRET", "hunter2")
    archive = tmp_path / "parts.nemo"
    PartsModel(_parts_config()).save_to(str(archive))
    tampered = tmp_path / "env.nemo"
    tampered_copy(
        archive,
        tampered,
        "head",
        {"_target_": "torch.nn.Linear", "in_features": 3, "out_features": 2, "secret": "${oc.env:NEMO_TEST_SECRET}"},
    )
    with pytest.raises(ArchiveError, match=r"config key 'head.secret' calls the resolver 'oc.env'"):
        PartsModel.restore_from(str(tampered))
    # Plain references between keys are kept, and a trusted archive may use resolvers.
    tampered_copy(
        archive,
        tampered,
        "head",
        {"_target_": "torch.nn.Linear", "in_features": "${encoder._args_[0].out_features}", "out_features": 2},
    )
    restored = PartsModel.restore_from(str(tampered))
    assert restored.head.in_features == 3
    tampered_copy(
        archive, tampered, "head", {"_target_": "torch.nn.Linear", "in_features": 3, "out_features": "${oc.decode:'2'}"}
    )
    assert PartsModel.restore_from(str(tampered), trusted=True).head.out_features == 2


def test_target_nodes_lists_every_node_with_a_target():
    config = {"a": {"_target_": "x"}, "b": [{"c": {"_target_": "y"}}], "_target_": "top"}
    assert list(target_nodes(config)) == ["a", "b[0].c"]
    assert tamper_points({**config, "d": {"x": 1}, "e": 3}) == ["a", "b[0].c", "d", "injected_by_attacker"]
