"""Restoring archives whose model ``target`` or weight names follow NVIDIA NeMo's layout: a registered model-class
rename (restore.resolve_restore_target) and the ``upgrade_state_dict`` hook of modules with an older weight layout."""

import sys

import modelpt_testing as mt
import pytest
import torch
from omegaconf import OmegaConf

from nemo.core.classes import construction
from nemo.core.classes.construction import (
    build_from_config,
    check_targets,
    register_renamed_target,
    renamed_target,
    scoped_renames,
)
from nemo.core.classes.modelPT import ModelPT
from nemo.core.classes.restore import load_checked_state_dict, resolve_restore_target, upgrade_state_dict

OLD_TARGET = "nemo.collections.legacy_models.tiny.TinyModel"  # where an older release kept the class


@pytest.fixture(autouse=True)
def _own_table(monkeypatch):
    monkeypatch.setattr(construction, "_RENAMED", dict(construction._RENAMED))


def _archive_with_target(tmp_path, target):
    path = tmp_path / "model.nemo"
    model = mt.TinyModel(mt.base_config())
    model.save_to(path)
    return model, path, OmegaConf.merge(mt.TinyModel.restore_from(path, return_config=True), {"target": target})


def test_a_renamed_model_target_restores_as_the_new_class(tmp_path):
    model, path, conf = _archive_with_target(tmp_path, OLD_TARGET)
    with pytest.raises(ValueError, match="not a loaded subclass"):
        ModelPT.restore_from(path, override_config_path=conf)
    register_renamed_target(OLD_TARGET, "modelpt_testing.TinyModel")
    assert resolve_restore_target(ModelPT, conf) is mt.TinyModel
    restored = ModelPT.restore_from(path, override_config_path=conf, strict=True, map_location="cpu")
    assert type(restored) is mt.TinyModel and torch.equal(restored.layer.weight, model.layer.weight)
    assert "nemo.collections.legacy_models" not in sys.modules


def test_a_renamed_target_outside_the_class_tree_is_still_refused(tmp_path):
    _, path, conf = _archive_with_target(tmp_path, OLD_TARGET)
    register_renamed_target(OLD_TARGET, "modelpt_testing.OtherModel")
    with pytest.raises(ValueError, match="refuses to build classes outside its hierarchy"):
        mt.TinyModel.restore_from(path, override_config_path=conf)


class Stages(torch.nn.Module):
    """Nested blocks (``blocks.<stage>.<block>``) that knew a flat layout (``blocks.<stage * 2 + block>``) before."""

    def __init__(self):
        super().__init__()
        self.blocks = torch.nn.ModuleList(
            torch.nn.ModuleList(torch.nn.Linear(2, 2) for _ in range(2)) for _ in range(2)
        )

    def upgrade_state_dict(self, state_dict, prefix=""):
        head = f"{prefix}blocks."
        renamed = {}
        for key, value in state_dict.items():
            parts = key[len(head) :].split(".") if key.startswith(head) else []
            if len(parts) == 2 and parts[0].isdigit():
                stage, block = divmod(int(parts[0]), 2)
                key = f"{head}{stage}.{block}.{parts[1]}"
            renamed[key] = value
        return renamed


def test_modules_rename_their_older_weight_layout_before_the_strict_check(tmp_path):
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), Stages())
    source = Stages()
    flat = {f"1.blocks.{i}.{name}": value for i, block in enumerate(b for g in source.blocks for b in g)
            for name, value in block.state_dict().items()}  # fmt: skip
    flat.update({f"0.{name}": value for name, value in model[0].state_dict().items()})
    upgraded = upgrade_state_dict(model, flat)
    assert set(upgraded) == set(model.state_dict())
    load_checked_state_dict(model, flat, strict=True, origin=tmp_path / "flat.nemo")
    assert torch.equal(model[1].blocks[1][0].weight, source.blocks[1][0].weight)
    with pytest.raises(RuntimeError, match="unexpected keys"):  # keys no module knows stay unexpected
        load_checked_state_dict(model, {**flat, "1.blocks.x": torch.zeros(1)}, strict=True, origin=tmp_path / "x.nemo")


SIBLING_TARGET = "nemo.collections.sibling_collection.modules.FrontEnd"  # a class path only another package defines


class WithFrontEnd(mt.TinyModel):
    """Reads a foreign front end's class path as its own, for itself only (as FastPitch reads NeMo's ASR one)."""

    archive_target_renames = {SIBLING_TARGET: "torch.nn.Identity"}

    def __init__(self, cfg, trainer=None):
        super().__init__(cfg, trainer)
        with scoped_renames(self.archive_target_renames):
            self.front = build_from_config(self.cfg.front, torch.nn.Module, "front")


def test_scoped_renames_hold_only_inside_their_block():
    assert renamed_target(SIBLING_TARGET) == SIBLING_TARGET
    with scoped_renames({SIBLING_TARGET: "torch.nn.Identity"}):
        assert renamed_target(SIBLING_TARGET) == "torch.nn.Identity"
    assert renamed_target(SIBLING_TARGET) == SIBLING_TARGET


def test_a_model_restores_archives_naming_its_scoped_renames_without_importing_them(tmp_path):
    model = WithFrontEnd(mt.base_config(front={"_target_": SIBLING_TARGET}))
    model.save_to(tmp_path / "front.nemo")
    restored = WithFrontEnd.restore_from(tmp_path / "front.nemo", strict=True, map_location="cpu")
    assert type(restored.front) is torch.nn.Identity and restored.cfg.front._target_ == SIBLING_TARGET
    assert "nemo.collections.sibling_collection" not in sys.modules
    with pytest.raises(ImportError, match="sibling_collection"):  # elsewhere the path means what it says
        check_targets(restored.cfg, torch.nn.Module, "")
