import copy
import pickle

import pytest

from nemo.core.neural_types import (
    AudioSignal,
    AxisKind,
    AxisType,
    LengthsType,
    LogitsType,
    LossType,
    NeuralPortNameMismatchError,
    NeuralPortNmTensorMismatchError,
    NeuralType,
    NeuralTypeComparisonResult,
    NeuralTypeError,
    SpectrogramType,
    VoidType,
)
from nemo.core.neural_types import neural_type as nt_module


def test_all_is_exactly_the_spec_list():
    assert nt_module.__all__ == [
        "NeuralType",
        "NeuralTypeError",
        "NeuralPortNameMismatchError",
        "NeuralPortNmTensorMismatchError",
    ]


def test_defaults():
    t = NeuralType()
    assert t.axes is None and isinstance(t.elements_type, VoidType) and t.optional is False


def test_short_notation_becomes_axis_types():
    t = NeuralType(("B", "D", "T"), SpectrogramType(), optional=True)
    assert t.axes == (AxisType(AxisKind.Batch), AxisType(AxisKind.Dimension), AxisType(AxisKind.Time))
    assert t.optional is True
    assert NeuralType(tuple("B"), LengthsType()).axes == (AxisType(AxisKind.Batch),)
    assert NeuralType(["B"] + ["ANY"] * 2).axes[1:] == (AxisType(AxisKind.Any),) * 2


def test_long_notation_is_kept():
    axes = (AxisType(AxisKind.Batch, 4), AxisType(AxisKind.Time, is_list=False))
    assert NeuralType(axes, LogitsType()).axes == axes


def test_elements_type_must_be_an_instance():
    with pytest.raises(ValueError, match="Did you pass a class instead"):
        NeuralType(("B",), LogitsType)


def test_mixed_notation_is_rejected():
    with pytest.raises(ValueError, match="Either use full class names or all strings"):
        NeuralType((AxisType(AxisKind.Batch), "T"))
    with pytest.raises(ValueError, match="Either use full class names or all strings"):
        NeuralType(("B", AxisType(AxisKind.Time)))


def test_non_axis_items_are_rejected():
    with pytest.raises(ValueError, match="Axis 1 must be a string or an AxisType, got int"):
        NeuralType((AxisType(AxisKind.Batch), 3))


def test_list_axes_must_precede_tensor_axes():
    NeuralType((AxisType(AxisKind.Batch, is_list=True), AxisType(AxisKind.Time)))
    with pytest.raises(ValueError, match="List axes must come before tensor axes"):
        NeuralType((AxisType(AxisKind.Batch), AxisType(AxisKind.Time, is_list=True)))


def test_str_and_repr():
    t = NeuralType(("B", "T"), SpectrogramType())
    assert str(t) == "axes: (batch, time); elements_type: SpectrogramType"
    assert repr(t) == "NeuralType(axis=(batch, time), element_type=SpectrogramType)"
    assert repr(NeuralType(elements_type=LossType(), optional=True)) == (
        "NeuralType(axis=None, element_type=LossType, optional=True)"
    )


def test_equality_is_boolean_and_structural():
    a = NeuralType(("B", "D", "T"), SpectrogramType())
    assert (a == NeuralType(("B", "C", "T"), SpectrogramType())) is True
    assert (a == NeuralType(("B", "T", "D"), SpectrogramType())) is False
    assert (a == NeuralType(("B", "D", "T"), LogitsType())) is False
    assert (a == "not a type") is False
    sized = (AxisType(AxisKind.Batch, 2), AxisType(AxisKind.Dimension), AxisType(AxisKind.Time))
    assert a != NeuralType(sized, SpectrogramType())
    assert NeuralType(("B", "T"), AudioSignal(16000)) != NeuralType(("B", "T"), AudioSignal(8000))
    # optional is a property of a port, not of the values it describes
    assert NeuralType(("B",), LengthsType(), optional=True) == NeuralType(("B",), LengthsType())


def test_hash_agrees_with_equality():
    a = NeuralType(("B", "D", "T"), SpectrogramType())
    b = NeuralType((AxisType(AxisKind.Batch), AxisType(AxisKind.Channel), AxisType(AxisKind.Time)), SpectrogramType())
    assert a == b and hash(a) == hash(b)
    assert len({a, b, NeuralType(("B", "T"), SpectrogramType())}) == 2
    c, d = NeuralType(("B",), _Unhashable([1])), NeuralType(("B",), _Unhashable([1]))
    assert c == d and hash(c) == hash(d)


class _Unhashable(LogitsType):
    def __init__(self, value):
        self._value = value

    @property
    def type_parameters(self):
        return {"value": self._value}


def test_is_immutable_and_survives_copies():
    t = NeuralType(("B", "T"), AudioSignal(16000), optional=True)
    with pytest.raises(AttributeError):
        t.axes = None
    for clone in (copy.deepcopy(t), pickle.loads(pickle.dumps(t))):
        assert clone == t and hash(clone) == hash(t) and clone.optional is True
        assert clone.elements_type.type_parameters == {"freq": 16000}


def test_compare_and_raise_error():
    port = NeuralType(("B", "T"), SpectrogramType())
    port.compare_and_raise_error("Encoder", "audio", NeuralType(("B", "T"), SpectrogramType()))

    class Tensorish:
        neural_type = NeuralType(("B", "T"), LogitsType())

    with pytest.raises(NeuralPortNmTensorMismatchError) as info:
        port.compare_and_raise_error("Encoder", "audio", Tensorish())
    assert isinstance(info.value, NeuralTypeError)
    assert "Encoder" in info.value.message and "'audio'" in info.value.message
    assert "INCOMPATIBLE" in info.value.message


def test_error_classes():
    error = NeuralPortNameMismatchError("signal")
    assert isinstance(error, NeuralTypeError) and "signal" in error.message and str(error) == error.message
    error = NeuralPortNmTensorMismatchError("M", "p", "a", "b", NeuralTypeComparisonResult.INCOMPATIBLE)
    assert str(error) == error.message


def test_compare_rejects_non_types():
    with pytest.raises(TypeError, match="expects a NeuralType, got str"):
        NeuralType(("B",)).compare("B")
