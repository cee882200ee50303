import dataclasses
import functools
from typing import List, Optional

import pytest
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import ConfigAttributeError

from nemo.utils.model_utils import (
    convert_model_config_to_dict_config,
    import_class_by_path,
    maybe_update_config_version,
    resolve_subclass_pretrained_model_info,
)


def test_legacy_cls_params_are_converted_recursively():
    legacy = OmegaConf.create(
        {
            "cls": "pkg.Model",
            "params": {"hidden": 8, "encoder": {"cls": "pkg.Encoder", "params": {"layers": 2}}},
            "blocks": [{"cls": "pkg.Block", "params": {"k": 3}}],
            "sample_rate": 16000,
        }
    )
    updated = maybe_update_config_version(legacy)
    assert OmegaConf.to_container(updated) == {
        "_target_": "pkg.Model",
        "hidden": 8,
        "encoder": {"_target_": "pkg.Encoder", "layers": 2},
        "blocks": [{"_target_": "pkg.Block", "k": 3}],
        "sample_rate": 16000,
    }
    assert OmegaConf.is_struct(updated)
    assert "cls" in legacy and "params" in legacy  # the input is not modified


def test_new_style_config_is_kept_and_copied():
    cfg = OmegaConf.create({"_target_": "pkg.Model", "cls": "ignored.because.target.exists", "params": 3})
    updated = maybe_update_config_version(cfg)
    assert updated is not cfg
    assert updated._target_ == "pkg.Model" and updated.cls == "ignored.because.target.exists"
    assert updated.params == 3  # a scalar `params` value is an ordinary key, not the legacy node
    with pytest.raises(ConfigAttributeError):
        updated.new_key = 1


def test_maybe_update_accepts_dicts_and_passes_through_non_configs():
    assert maybe_update_config_version(None) is None
    assert maybe_update_config_version(5) == 5
    assert maybe_update_config_version({"cls": "a.B"}) == {"_target_": "a.B"}


@dataclasses.dataclass
class _TinyConfig:
    hidden: int = 4
    name: str = "tiny"
    sizes: List[int] = dataclasses.field(default_factory=lambda: [1, 2])


def test_convert_resolves_interpolations_to_plain_dict_config():
    cfg = OmegaConf.create({"rate": 16000, "pre": {"sample_rate": "${rate}"}})
    OmegaConf.set_struct(cfg, True)
    plain = convert_model_config_to_dict_config(cfg)
    assert isinstance(plain, DictConfig)
    assert OmegaConf.to_container(plain) == {"rate": 16000, "pre": {"sample_rate": 16000}}
    assert not OmegaConf.is_struct(plain)
    plain.extra = 1  # plain, so new keys are allowed


@pytest.mark.parametrize("source", [_TinyConfig, _TinyConfig(hidden=8), {"hidden": 8, "name": "tiny", "sizes": [1, 2]}])
def test_convert_dataclasses_and_dicts(source):
    plain = convert_model_config_to_dict_config(source)
    assert plain.name == "tiny" and list(plain.sizes) == [1, 2]
    assert OmegaConf.get_type(plain) is dict  # not a structured config any more
    plain.unknown = True


def test_convert_rejects_other_types_naming_them():
    with pytest.raises(ValueError, match="builtins.list"):
        convert_model_config_to_dict_config([1, 2])



def test_an_interpolation_of_a_value_never_set_names_both_keys():
    # the shape of the TTS example configs: `train_dataset: ???` at the top, `${train_dataset}` in the data config
    root = OmegaConf.create({"train_dataset": "???", "model": {"train_ds": {"dataset": {"manifest_filepath": "${train_dataset}"}}}})
    with pytest.raises(ValueError, match=r"model.train_ds.dataset.manifest_filepath points to train_dataset, which is "
                                         r"'\?\?\?' \(mandatory\) and was never set: set train_dataset=<value>"):
        convert_model_config_to_dict_config(root.model)

def test_import_class_by_path():
    assert import_class_by_path("collections.OrderedDict") is __import__("collections").OrderedDict
    assert import_class_by_path("omegaconf.dictconfig.DictConfig") is DictConfig
    assert import_class_by_path("dataclasses.Field.__init__") is dataclasses.Field.__init__


@pytest.mark.parametrize(
    "path, message",
    [
        ("no_such_package_xyz.Model", "no leading part"),
        ("collections.NoSuchClass", "has no attribute 'NoSuchClass'"),
        ("Model", "dotted class path"),
        ("", "dotted class path"),
    ],
)
def test_import_class_by_path_errors(path, message):
    with pytest.raises(ImportError, match=message):
        import_class_by_path(path)


@functools.total_ordering
@dataclasses.dataclass
class _Info:
    pretrained_model_name: str
    class_: Optional[type] = None

    def __hash__(self):
        return hash(self.pretrained_model_name)

    def __eq__(self, other):
        return self.pretrained_model_name == other.pretrained_model_name

    def __lt__(self, other):
        return self.pretrained_model_name < other.pretrained_model_name


class _Base:
    @classmethod
    def list_available_models(cls):
        return None


class _Child(_Base):
    @classmethod
    def list_available_models(cls):
        return [_Info("zeta"), _Info("alpha")]


class _GrandChild(_Child):
    @classmethod
    def list_available_models(cls):
        return [_Info("mid", class_=_Base), _Info("alpha")]


class _Sibling(_Base):
    pass


def test_resolve_subclass_pretrained_model_info_walks_all_subclasses():
    infos = resolve_subclass_pretrained_model_info(_Base)
    assert [info.pretrained_model_name for info in infos] == ["alpha", "mid", "zeta"]
    by_name = {info.pretrained_model_name: info for info in infos}
    assert by_name["zeta"].class_ is _Child
    assert by_name["mid"].class_ is _Base  # an explicit class_ is kept
    assert resolve_subclass_pretrained_model_info(_Sibling) == []


def test_config_version_update_leaves_mandatory_missing_values_alone():
    from omegaconf import OmegaConf

    from nemo.utils.model_utils import maybe_update_config_version

    cfg = OmegaConf.create({"train_ds": {"src_file_name": "???"}, "enc": {"cls": "a.B", "params": {"x": 1}}})
    out = maybe_update_config_version(cfg)
    assert OmegaConf.is_missing(out.train_ds, "src_file_name")
    assert out.enc == {"_target_": "a.B", "x": 1}
