import dataclasses
from typing import Any, Optional

import pytest

from nemo.core.config import update_model_config as core_update_model_config
from nemo.utils.config_utils import assert_dataclass_signature_match, update_model_config


class Encoder:
    def __init__(self, feat_in: int, hidden: int = 8, dropout: float = 0.0, *args, **kwargs):
        self.feat_in = feat_in


@dataclasses.dataclass
class EncoderConfig:
    _target_: str = "pkg.Encoder"
    feat_in: int = 64
    hidden: int = 8
    dropout: float = 0.0


@dataclasses.dataclass
class WiderConfig(EncoderConfig):
    activation: str = "relu"
    in_features: Optional[Any] = None


def test_matching_names_pass_without_target_or_variadic_arguments():
    assert assert_dataclass_signature_match(Encoder, EncoderConfig) == (True, None, None)


def test_mismatches_are_returned_per_side():
    matched, only_in_class, only_in_dataclass = assert_dataclass_signature_match(Encoder, WiderConfig)
    assert not matched
    assert only_in_class == set()
    assert only_in_dataclass == {"activation", "in_features"}


def test_ignore_and_remap_reconcile_the_names():
    result = assert_dataclass_signature_match(
        Encoder, WiderConfig, ignore_args=["activation"], remap_args={"in_features": "feat_in"}
    )
    assert result == (True, None, None)


def test_instances_and_non_dataclasses_are_refused():
    with pytest.raises(TypeError, match="must be a class"):
        assert_dataclass_signature_match(Encoder(1), EncoderConfig)
    with pytest.raises(TypeError, match="must be a dataclass"):
        assert_dataclass_signature_match(Encoder, dict)


def test_update_model_config_is_v1s_path_to_the_one_implementation():
    assert update_model_config is core_update_model_config
