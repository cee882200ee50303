import copy
import pickle

import pytest

from nemo.core.neural_types import AxisKind, AxisKindAbstract, AxisType
from nemo.core.neural_types import axes as axes_module


def test_all_is_exactly_the_spec_list():
    assert axes_module.__all__ == ["AxisKindAbstract", "AxisKind", "AxisType"]


def test_members_and_values():
    expected = {
        "Batch": 0,
        "Time": 1,
        "Dimension": 2,
        "Width": 3,
        "Height": 4,
        "Any": 5,
        "Sequence": 6,
        "FlowGroup": 7,
        "Singleton": 8,
    }
    assert {kind.name: kind.value for kind in AxisKind} == expected


def test_channel_is_an_alias_of_dimension():
    assert AxisKind.Channel is AxisKind.Dimension
    assert AxisKind["Channel"] is AxisKind.Dimension
    assert AxisKind(2) is AxisKind.Dimension


def test_str_and_repr_are_lower_case_names():
    assert str(AxisKind.Batch) == "batch"
    assert repr(AxisKind.FlowGroup) == "flowgroup"
    assert str(AxisKind.Channel) == "dimension"


@pytest.mark.parametrize(
    "label, kind",
    [
        ("B", AxisKind.Batch),
        ("n", AxisKind.Batch),
        ("batch", AxisKind.Batch),
        ("T", AxisKind.Time),
        ("time", AxisKind.Time),
        ("D", AxisKind.Dimension),
        ("C", AxisKind.Dimension),
        ("channel", AxisKind.Dimension),
        ("W", AxisKind.Width),
        ("width", AxisKind.Width),
        ("H", AxisKind.Height),
        ("height", AxisKind.Height),
        ("S", AxisKind.Singleton),
        ("singleton", AxisKind.Singleton),
        ("flowgroup", AxisKind.FlowGroup),
        ("Any", AxisKind.Any),
        ("ANY", AxisKind.Any),
        ("  t ", AxisKind.Time),
    ],
)
def test_from_str_letters_and_words(label, kind):
    assert AxisKind.from_str(label) is kind


def test_from_str_round_trips_every_kind():
    for kind in AxisKind:
        assert AxisKind.from_str(str(kind)) is kind


def test_from_str_rejects_unknown_labels():
    with pytest.raises(ValueError, match="Can't create AxisKind from 'X'"):
        AxisKind.from_str("X")


def test_user_defined_axis_kinds():
    class ImageAxes(AxisKindAbstract):
        Image = 0

    axis = AxisType(ImageAxes.Image, 3)
    assert axis.kind is ImageAxes.Image and axis.size == 3


def test_axis_type_attributes_and_repr():
    assert repr(AxisType(AxisKind.Batch)) == "batch"
    assert repr(AxisType(AxisKind.Time, 10)) == "time:10"
    assert repr(AxisType(AxisKind.Time, is_list=True)) == "time_listdim"
    axis = AxisType(AxisKind.Dimension, 4)
    assert (axis.kind, axis.size, axis.is_list) == (AxisKind.Dimension, 4, False)


def test_axis_type_rejects_size_with_list():
    with pytest.raises(ValueError, match="both a fixed size"):
        AxisType(AxisKind.Time, 5, True)


def test_axis_type_is_an_immutable_value():
    axis = AxisType(AxisKind.Batch, 8)
    assert axis == AxisType(AxisKind.Batch, 8)
    assert axis != AxisType(AxisKind.Batch, 9)
    assert axis != AxisType(AxisKind.Batch)
    assert hash(axis) == hash(AxisType(AxisKind.Batch, 8))
    with pytest.raises(AttributeError):
        axis.size = 3
    assert copy.deepcopy(axis) == axis
    assert pickle.loads(pickle.dumps(axis)) == axis
