"""Every NeuralTypeComparisonResult outcome, the spec's reference outcomes and the fixed ``Any`` handling."""

import pytest

from nemo.core.neural_types import (
    AcousticEncodedRepresentation,
    AudioSignal,
    AxisKind,
    AxisType,
    LengthsType,
    LossType,
    MelSpectrogramType,
    MFCCSpectrogramType,
    NeuralType,
    NeuralTypeComparisonResult,
    SpectrogramType,
    VoidType,
)
from nemo.core.neural_types import comparison as comparison_module

R = NeuralTypeComparisonResult


def test_members_and_values():
    assert comparison_module.__all__ == ["NeuralTypeComparisonResult"]
    assert {m.name: m.value for m in R} == {
        "SAME": 0,
        "LESS": 1,
        "GREATER": 2,
        "DIM_INCOMPATIBLE": 3,
        "TRANSPOSE_SAME": 4,
        "CONTAINER_SIZE_MISMATCH": 5,
        "INCOMPATIBLE": 6,
        "SAME_TYPE_INCOMPATIBLE_PARAMS": 7,
        "UNCHECKED": 8,
    }
    assert not hasattr(R, "UNCLASSIFIED")


def _sized(*sizes):
    kinds = (AxisKind.Batch, AxisKind.Time, AxisKind.Dimension)
    return tuple(AxisType(kind, size) for kind, size in zip(kinds, sizes))


BTD = ("B", "T", "D")
OUTCOMES = [
    # (expected, provided, result)
    (NeuralType(BTD, SpectrogramType()), NeuralType(BTD, SpectrogramType()), R.SAME),
    (NeuralType(BTD, MelSpectrogramType()), NeuralType(BTD, SpectrogramType()), R.LESS),
    (NeuralType(BTD, SpectrogramType()), NeuralType(BTD, MelSpectrogramType()), R.GREATER),
    (NeuralType(_sized(64, 10, 128), SpectrogramType()), NeuralType(BTD, SpectrogramType()), R.DIM_INCOMPATIBLE),
    (
        NeuralType(_sized(64, 10, 128), SpectrogramType()),
        NeuralType(_sized(64, 11, 128), SpectrogramType()),
        R.DIM_INCOMPATIBLE,
    ),
    (NeuralType(("B", "T", "C")), NeuralType(("T", "B", "C")), R.TRANSPOSE_SAME),
    (NeuralType(BTD, MelSpectrogramType()), NeuralType(BTD, MFCCSpectrogramType()), R.INCOMPATIBLE),
    (NeuralType(BTD, SpectrogramType()), NeuralType(("B", "T"), SpectrogramType()), R.INCOMPATIBLE),
    (
        NeuralType(("B", "T"), AudioSignal(8000)),
        NeuralType(("B", "T"), AudioSignal(16000)),
        R.SAME_TYPE_INCOMPATIBLE_PARAMS,
    ),
]


@pytest.mark.parametrize("expected, provided, result", OUTCOMES, ids=lambda v: getattr(v, "name", None))
def test_every_produced_outcome(expected, provided, result):
    assert expected.compare(provided) is result


def test_outcomes_no_compare_produces():
    produced = {result for _, _, result in OUTCOMES}
    assert set(R) - produced == {R.CONTAINER_SIZE_MISMATCH, R.UNCHECKED}


def test_transpose_with_different_elements_is_incompatible():
    a = NeuralType(("B", "T", "C"), SpectrogramType())
    assert a.compare(NeuralType(("T", "B", "C"), MelSpectrogramType())) is R.INCOMPATIBLE


def test_list_versus_tensor_axis_is_transpose_same():
    listed = NeuralType((AxisType(AxisKind.Batch, is_list=True), AxisType(AxisKind.Time)))
    assert listed.compare(NeuralType(("B", "T"))) is R.TRANSPOSE_SAME


def test_spec_reference_outcomes():
    long = NeuralType(
        (AxisType(AxisKind.Batch), AxisType(AxisKind.Dimension), AxisType(AxisKind.Time)), SpectrogramType()
    )
    short = NeuralType(("B", "D", "T"), SpectrogramType())
    assert long.compare(short) is R.SAME and short.compare(long) is R.SAME
    spec, mel, mfcc = (NeuralType(BTD, t()) for t in (SpectrogramType, MelSpectrogramType, MFCCSpectrogramType))
    assert spec.compare(mel) is R.GREATER and mel.compare(spec) is R.LESS and mel.compare(mfcc) is R.INCOMPATIBLE
    assert NeuralType(axes=None).compare(NeuralType(axes=None)) is R.SAME
    void_btc = NeuralType(("B", "T", "C"), VoidType())
    spec_btc = NeuralType(("B", "T", "C"), SpectrogramType())
    assert void_btc.compare(spec_btc) is R.SAME and spec_btc.compare(void_btc) is R.INCOMPATIBLE
    assert void_btc.compare(NeuralType(("B", "T"), SpectrogramType())) is R.INCOMPATIBLE
    assert NeuralType().compare(NeuralType(("B", "T"), LengthsType())) is R.SAME
    any_axes = NeuralType(("B", "Any", "Any"), SpectrogramType())
    assert any_axes.compare(spec_btc) is R.SAME and spec_btc.compare(any_axes) is R.INCOMPATIBLE


def test_axes_none_compares_elements_only():
    loss = NeuralType(elements_type=LossType())
    assert loss.compare(NeuralType(elements_type=LossType())) is R.SAME
    assert loss.compare(NeuralType(("B",), LossType())) is R.INCOMPATIBLE
    assert NeuralType(("B",), LossType()).compare(loss) is R.INCOMPATIBLE
    assert (
        NeuralType(elements_type=SpectrogramType()).compare(NeuralType(elements_type=AcousticEncodedRepresentation()))
        is R.INCOMPATIBLE
    )


def test_left_size_is_checked_right_none_size_is_not_a_wildcard():
    sized = NeuralType(_sized(64, 10, 128), SpectrogramType())
    free = NeuralType(BTD, SpectrogramType())
    assert free.compare(sized) is R.SAME
    assert sized.compare(NeuralType(_sized(64, 10, 128), SpectrogramType())) is R.SAME


def test_any_axis_does_not_erase_an_earlier_mismatch():
    # v1.0.0 reset its "same" flag on every Any axis, so ('T', 'Any') accepted ('B', 'T'): fixed.
    expected = NeuralType(("T", "Any"), SpectrogramType())
    assert expected.compare(NeuralType(("B", "T"), SpectrogramType())) is not R.SAME
    assert NeuralType(("B", "T", "Any")).compare(NeuralType(("B", "D", "T"))) is R.INCOMPATIBLE
    assert NeuralType(("B", "T", "Any")).compare(NeuralType(("B", "T", "D"))) is R.SAME


def test_any_axis_still_matches_its_own_position():
    expected = NeuralType(("Any", "T"), SpectrogramType())
    assert expected.compare(NeuralType(("B", "T"), SpectrogramType())) is R.SAME
    assert expected.compare(NeuralType(("D", "T"), SpectrogramType())) is R.SAME
