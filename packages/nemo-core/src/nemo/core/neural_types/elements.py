"""Element types: the "semantics" half of a neural type, ordered by Python inheritance.

A port declared with element type ``A`` accepts values whose element type is ``A`` or a subclass of it. Element types
are values: two are equal when they have the same class, ``type_parameters`` and ``fields``; a subclass that carries
state must expose it through ``type_parameters`` so that comparisons and equality see it.
"""

from __future__ import annotations

from abc import ABC
from typing import Any, Dict, Optional, Tuple

from nemo.core.neural_types.comparison import NeuralTypeComparisonResult

__all__ = [
    "ElementType",
    "VoidType",
    "ChannelType",
    "AcousticEncodedRepresentation",
    "AudioSignal",
    "SpectrogramType",
    "MelSpectrogramType",
    "MFCCSpectrogramType",
    "LogitsType",
    "LabelsType",
    "HypothesisType",
    "LossType",
    "RegressionValuesType",
    "CategoricalValuesType",
    "PredictionsType",
    "LogprobsType",
    "LengthsType",
    "EmbeddedTextType",
    "EncodedRepresentation",
    "MaskType",
    "Target",
    "ClassificationTarget",
    "ImageFeatureValue",
    "Index",
    "ImageValue",
    "NormalizedImageValue",
    "StringLabel",
    "StringType",
    "TokenIndex",
    "Length",
    "IntType",
    "FloatType",
    "NormalDistributionSamplesType",
    "NormalDistributionMeanType",
    "NormalDistributionLogVarianceType",
    "TokenDurationType",
    "TokenLogDurationType",
    "LogDeterminantType",
    "SequenceToSequenceAlignmentType",
]

_R = NeuralTypeComparisonResult


class ElementType(ABC):  # noqa: B024 - ABC for isinstance registration; instantiable on purpose
    """Base of all element types; subclass it (it has no abstract methods) to add your own semantics."""

    # True when a class keeps the base type_parameters, fields and __eq__: its instances are then equal to, and
    # compare SAME with, every instance of the same class, which lets equality and comparison skip the properties.
    _plain = True
    _plain_key: Optional[Tuple[type]] = None  # (cls,) for plain classes: their whole equality key

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._plain = (
            cls.type_parameters is ElementType.type_parameters
            and cls.fields is ElementType.fields
            and cls.__eq__ is ElementType.__eq__
        )
        cls._plain_key = (cls,) if cls._plain else None

    def __str__(self) -> str:
        return self.__doc__ or type(self).__name__

    def __repr__(self) -> str:
        return type(self).__name__

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if type(other) is not type(self):
            return False
        if self._plain:
            return True
        return self.type_parameters == other.type_parameters and self.fields == other.fields

    def __hash__(self) -> int:
        # Only the class: type parameters may be unhashable, and equal objects always share their class.
        return hash(type(self))

    @property
    def type_parameters(self) -> Dict[str, Any]:
        """Parameters that must agree for two values of the same class to match (``None`` is a wildcard)."""
        return {}

    @property
    def fields(self) -> Optional[Tuple]:
        """Names of the record fields packed in the last axis (e.g. a bounding box's x, y, w, h), if any."""
        return None

    def compare(self, second: ElementType) -> NeuralTypeComparisonResult:
        """Compare ``self`` (the expected type) with ``second`` (the provided one) by class, parameters, fields."""
        first_t, second_t = type(self), type(second)
        if first_t is not second_t:
            if issubclass(first_t, second_t):
                return _R.LESS
            if issubclass(second_t, first_t):
                return _R.GREATER
            return _R.INCOMPATIBLE
        if first_t._plain:
            return _R.SAME
        params, other_params = self.type_parameters, second.type_parameters
        if params or other_params:
            if params.keys() != other_params.keys():
                return _R.SAME_TYPE_INCOMPATIBLE_PARAMS
            for key, value in params.items():
                other = other_params[key]
                if value is not None and other is not None and value != other:
                    return _R.SAME_TYPE_INCOMPATIBLE_PARAMS
        return _R.SAME if self.fields == second.fields else _R.INCOMPATIBLE


class VoidType(ElementType):
    """Any element semantics: as the expected type it accepts every element type (the reverse does not hold)."""

    def compare(self, second: ElementType) -> NeuralTypeComparisonResult:
        return _R.SAME


class ChannelType(ElementType):
    """Values along a channel / feature axis, e.g. a convolution's input or output."""


class EmbeddedTextType(ChannelType):
    """Vectors produced by a word or token embedding layer."""


class EncodedRepresentation(ChannelType):
    """Hidden representation produced by an encoder."""


class AcousticEncodedRepresentation(EncodedRepresentation):
    """Hidden representation produced by an acoustic (speech) encoder."""


class SpectrogramType(ChannelType):
    """A spectrogram of any flavour."""


class MelSpectrogramType(SpectrogramType):
    """A mel-scale spectrogram."""


class MFCCSpectrogramType(SpectrogramType):
    """Mel-frequency cepstral coefficients."""


class LogitsType(ElementType):
    """Unnormalised scores, before a softmax or sigmoid."""


class LogprobsType(ElementType):
    """Log-probabilities, e.g. the output of a log-softmax."""


class LabelsType(ElementType):
    """Labels of some kind; the base of more specific label and prediction types."""


class HypothesisType(LabelsType):
    """Decoded hypotheses (e.g. transcripts) produced by a decoding algorithm."""


class PredictionsType(LabelsType):
    """Predictions returned by a model."""


class RegressionValuesType(PredictionsType):
    """Real-valued predictions or targets of a regression task."""


class CategoricalValuesType(PredictionsType):
    """Class predictions or targets of a classification task."""


class MaskType(PredictionsType):
    """A mask marking which positions are valid."""


class LengthsType(ElementType):
    """Lengths of the sequences in a batch."""


class LossType(ElementType):
    """The value of a loss function."""


class AudioSignal(ElementType):
    """Raw audio samples; two signals match only when their sample rates (``freq``) agree or one is unknown."""

    def __init__(self, freq: Optional[int] = None) -> None:
        self._params = {"freq": freq}

    @property
    def type_parameters(self) -> Dict[str, Any]:
        return self._params


class Index(ElementType):
    """Indices into some collection."""


class Target(ElementType):
    """Target values a model is trained towards."""


class ClassificationTarget(Target):
    """Identifiers of the desired classes of a classification task."""


class ImageValue(ElementType):
    """Values of one image channel (e.g. the R of an RGB pixel)."""


class NormalizedImageValue(ImageValue):
    """Values of one image channel scaled to the 0..1 range."""


class ImageFeatureValue(ImageValue):
    """Values of an image feature map."""


class StringType(ElementType):
    """Python strings."""


class StringLabel(StringType):
    """Labels given as strings."""


class BoolType(ElementType):
    """Boolean flags."""


class IntType(ElementType):
    """Integers."""


class TokenIndex(IntType):
    """Indices of tokens in a vocabulary."""


class Length(IntType):
    """A length, counted in items."""


class FloatType(ElementType):
    """Real numbers."""


class ProbabilityDistributionSamplesType(ElementType):
    """Samples drawn from a probability distribution."""


class NormalDistributionSamplesType(ProbabilityDistributionSamplesType):
    """Samples drawn from a normal distribution."""


class SequenceToSequenceAlignmentType(ElementType):
    """An alignment between the positions of two sequences (e.g. text tokens and audio frames)."""


class NormalDistributionMeanType(ElementType):
    """Means of a normal distribution."""


class NormalDistributionLogVarianceType(ElementType):
    """Log-variances of a normal distribution."""


class TokenDurationType(ElementType):
    """How long each token lasts, in frames."""


class TokenLogDurationType(ElementType):
    """Logarithm of how long each token lasts."""


class LogDeterminantType(ElementType):
    """Log-determinants of Jacobians, as produced by normalising flows."""


ElementType._plain_key = (ElementType,)
