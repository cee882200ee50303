import inspect

import pytest

from nemo.core.neural_types import NeuralTypeComparisonResult as R
from nemo.core.neural_types import elements as el


def test_all_lists_every_element_type_but_the_two_private_ones():
    defined = {
        name
        for name, obj in vars(el).items()
        if inspect.isclass(obj) and issubclass(obj, el.ElementType) and obj.__module__ == el.__name__
    }
    assert set(el.__all__) == defined - {"BoolType", "ProbabilityDistributionSamplesType"}
    assert len(el.__all__) == len(set(el.__all__))


@pytest.mark.parametrize(
    "child, parent",
    [
        ("EmbeddedTextType", "ChannelType"),
        ("EncodedRepresentation", "ChannelType"),
        ("AcousticEncodedRepresentation", "EncodedRepresentation"),
        ("SpectrogramType", "ChannelType"),
        ("MelSpectrogramType", "SpectrogramType"),
        ("MFCCSpectrogramType", "SpectrogramType"),
        ("HypothesisType", "LabelsType"),
        ("PredictionsType", "LabelsType"),
        ("RegressionValuesType", "PredictionsType"),
        ("CategoricalValuesType", "PredictionsType"),
        ("MaskType", "PredictionsType"),
        ("ClassificationTarget", "Target"),
        ("NormalizedImageValue", "ImageValue"),
        ("ImageFeatureValue", "ImageValue"),
        ("StringLabel", "StringType"),
        ("TokenIndex", "IntType"),
        ("Length", "IntType"),
        ("NormalDistributionSamplesType", "ProbabilityDistributionSamplesType"),
    ],
)
def test_inheritance_tree(child, parent):
    assert getattr(el, child).__bases__ == (getattr(el, parent),)


@pytest.mark.parametrize(
    "name",
    [
        "VoidType",
        "ChannelType",
        "LogitsType",
        "LogprobsType",
        "LabelsType",
        "LengthsType",
        "LossType",
        "AudioSignal",
        "Index",
        "Target",
        "ImageValue",
        "StringType",
        "BoolType",
        "IntType",
        "FloatType",
        "ProbabilityDistributionSamplesType",
        "SequenceToSequenceAlignmentType",
        "NormalDistributionMeanType",
        "NormalDistributionLogVarianceType",
        "TokenDurationType",
        "TokenLogDurationType",
        "LogDeterminantType",
    ],
)
def test_direct_children_of_element_type(name):
    assert getattr(el, name).__bases__ == (el.ElementType,)


def test_element_type_is_instantiable_and_describes_itself():
    base = el.ElementType()
    assert base.type_parameters == {} and base.fields is None
    assert repr(el.LogitsType()) == "LogitsType"
    assert str(el.LogitsType()) == el.LogitsType.__doc__


def test_audio_signal_is_parametrized_by_frequency():
    assert el.AudioSignal().type_parameters == {"freq": None}
    assert el.AudioSignal(16000).type_parameters == {"freq": 16000}
    assert el.AudioSignal(freq=8000).type_parameters == {"freq": 8000}


def test_compare_same_class():
    assert el.LogitsType().compare(el.LogitsType()) == R.SAME


def test_compare_subclass_is_less_and_superclass_greater():
    assert el.MelSpectrogramType().compare(el.SpectrogramType()) == R.LESS
    assert el.SpectrogramType().compare(el.MelSpectrogramType()) == R.GREATER


def test_compare_unrelated_is_incompatible():
    assert el.LogitsType().compare(el.LogprobsType()) == R.INCOMPATIBLE
    assert el.LogitsType().compare(el.VoidType()) == R.INCOMPATIBLE


def test_compare_parameters():
    assert el.AudioSignal(16000).compare(el.AudioSignal(8000)) == R.SAME_TYPE_INCOMPATIBLE_PARAMS
    assert el.AudioSignal(16000).compare(el.AudioSignal(16000)) == R.SAME
    # None is a wildcard on either side
    assert el.AudioSignal().compare(el.AudioSignal(8000)) == R.SAME
    assert el.AudioSignal(8000).compare(el.AudioSignal()) == R.SAME


class _Box(el.ElementType):
    def __init__(self, fields=("x", "y", "w", "h"), **params):
        self._fields, self._params = fields, params

    @property
    def fields(self):
        return self._fields

    @property
    def type_parameters(self):
        return self._params


def test_compare_parameter_keys_and_fields():
    assert _Box(dtype="f").compare(_Box(scale=1)) == R.SAME_TYPE_INCOMPATIBLE_PARAMS
    assert _Box().compare(_Box(fields=("x", "y"))) == R.INCOMPATIBLE
    assert _Box(dtype="f").compare(_Box(dtype="f")) == R.SAME


def test_void_type_accepts_everything_one_way():
    assert el.VoidType().compare(el.LogitsType()) == R.SAME
    assert el.VoidType().compare(el.AudioSignal(16000)) == R.SAME
    assert el.LogitsType().compare(el.VoidType()) == R.INCOMPATIBLE


def test_equality_and_hash():
    assert el.LogitsType() == el.LogitsType()
    assert el.LogitsType() != el.LogprobsType()
    assert el.MelSpectrogramType() != el.SpectrogramType()
    assert el.AudioSignal(16000) == el.AudioSignal(16000)
    assert el.AudioSignal(16000) != el.AudioSignal(8000)
    assert hash(el.AudioSignal(16000)) == hash(el.AudioSignal(16000))
    assert _Box(fields=("x",)) != _Box(fields=("y",))
    assert len({el.LogitsType(), el.LogitsType(), el.LossType()}) == 2
