"""The table of known renames: class paths NVIDIA NeMo writes that name other modules here resolve without importing
what the config names (construction.register_renamed_target, consulted by every ``_target_``)."""

import sys

import pytest
import torch
from omegaconf import OmegaConf

from nemo.core.classes import construction
from nemo.core.classes.construction import (
    ConfigTargetError,
    archive_config,
    build_from_config,
    check_targets,
    register_renamed_target,
    renamed_target,
    renamed_targets,
    resolve_target,
)

OLD = "nemo.collections.nowhere.old_modules.Projection"  # a module that does not exist
OUTSIDE = "vendor_package_never_installed.layers.Projection"  # outside the namespaces an archive may import


class Projection(torch.nn.Linear):
    """The class the old paths are renamed to."""


NEW = f"{Projection.__module__}.{Projection.__qualname__}"


@pytest.fixture(autouse=True)
def _own_table(monkeypatch):
    """Each test starts from the collections' registrations and leaves them as they were."""
    monkeypatch.setattr(construction, "_RENAMED", dict(construction._RENAMED))


def test_a_registered_old_path_resolves_to_the_new_class_without_importing_it():
    register_renamed_target(OLD, NEW)
    assert resolve_target(OLD, torch.nn.Module, "model.proj._target_") is Projection
    assert renamed_target(OLD) == NEW and renamed_target("torch.nn.Linear") == "torch.nn.Linear"
    assert "nemo.collections.nowhere" not in sys.modules
    linear = build_from_config({"_target_": OLD, "in_features": 2, "out_features": 3}, torch.nn.Module, "proj")
    assert type(linear) is Projection and linear.out_features == 3


def test_unregistered_old_paths_still_fail_and_name_the_key():
    with pytest.raises(ImportError, match="Config key 'proj._target_'"):
        resolve_target(OLD, torch.nn.Module, "proj._target_")


def test_archives_may_use_renames_outside_the_importable_namespaces():
    """A restored archive may not import new modules outside nemo/torch; a registered rename is no import of the old
    path, so it resolves; the same path unregistered is refused before any import."""
    config = OmegaConf.create({"encoder": {"_target_": OUTSIDE, "in_features": 1, "out_features": 1}})
    with archive_config(), pytest.raises(ConfigTargetError, match="whose module is not imported"):
        check_targets(config, torch.nn.Module, "")
    register_renamed_target(OUTSIDE, NEW)
    with archive_config():
        check_targets(config, torch.nn.Module, "")
        assert type(build_from_config(config.encoder, torch.nn.Module, "encoder")) is Projection
    assert "vendor_package_never_installed" not in sys.modules


def test_the_new_class_must_still_fit_the_bases_of_the_key():
    register_renamed_target(OLD, "torch.optim.SGD")
    with pytest.raises(ConfigTargetError, match=f"names '{OLD}', which does not derive from any allowed base"):
        resolve_target(OLD, torch.nn.Module, "encoder._target_")


def test_a_rename_to_a_missing_class_names_both_paths():
    register_renamed_target(OLD, "torch.nn.NoSuchLayer")
    with pytest.raises(ImportError, match=rf"'{OLD}' \(known as 'torch.nn.NoSuchLayer'\)"):
        resolve_target(OLD, torch.nn.Module, "encoder._target_")


def test_registrations_are_explicit_and_consistent():
    register_renamed_target(OLD, NEW)
    register_renamed_target(OLD, NEW)  # a module imported twice registers the same pair again
    assert renamed_targets()[OLD] == NEW
    with pytest.raises(ValueError, match="already renamed"):
        register_renamed_target(OLD, "torch.nn.Linear")
    with pytest.raises(ValueError, match="chain"):
        register_renamed_target("nemo.collections.older.Projection", OLD)
    with pytest.raises(ValueError, match="chain"):
        register_renamed_target(NEW, "torch.nn.Linear")
    with pytest.raises(ValueError, match="two dotted class paths"):
        register_renamed_target("Projection", NEW)
    with pytest.raises(ValueError, match="two dotted class paths"):
        register_renamed_target(OLD, "torch.nn.Linear; import os")
    with pytest.raises(ValueError, match="to itself"):
        register_renamed_target(NEW, NEW)
    table = renamed_targets()
    table["x.Y"] = "z.W"
    assert "x.Y" not in renamed_targets()  # a copy
