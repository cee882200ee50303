"""TypecheckMetadata's unrolled fast paths (fast_inputs / fast_outputs): they accept exactly what the general checks
accept without an error, answer False for everything else (the general checks then decide), and tag outputs."""

import pytest
import torch

from nemo.core.classes.typecheck_validation import TypecheckMetadata
from nemo.core.neural_types import AcousticEncodedRepresentation, LengthsType, NeuralType, SpectrogramType

SPEC = NeuralType(("B", "D", "T"), SpectrogramType())
LENGTHS = NeuralType(tuple("B"), LengthsType())
ENCODED = NeuralType(("B", "D", "T"), AcousticEncodedRepresentation())


def two_ports() -> TypecheckMetadata:
    return TypecheckMetadata({"audio_signal": SPEC, "length": LENGTHS})


@pytest.mark.parametrize(
    "types",
    [
        {"a": SPEC, "b": LENGTHS, "c": LENGTHS},  # three ports: the general loop
        {"a": [SPEC]},  # a container port
        {"a": NeuralType()},  # no axes: any rank
    ],
)
def test_only_one_or_two_plain_ranked_ports_are_unrolled(types):
    metadata = TypecheckMetadata(types)
    assert metadata.fast_inputs is None and metadata.fast_outputs is None


def test_inputs_of_the_declared_ranks_pass_in_any_keyword_order():
    fast = two_ports().fast_inputs
    x, length = torch.zeros(2, 3, 4), torch.tensor([4, 3])
    assert fast({"audio_signal": x, "length": length}, True)
    assert fast({"length": length, "audio_signal": x}, True)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"audio_signal": torch.zeros(2, 3), "length": torch.tensor([1, 2])},  # wrong rank
        {"audio_signal": torch.zeros(2, 3, 4)},  # a port missing
        {"audio_signal": torch.zeros(2, 3, 4), "lengths": torch.tensor([1, 2])},  # an unknown name
        {"audio_signal": torch.nn.Parameter(torch.zeros(2, 3, 4)), "length": torch.tensor([1, 2])},  # a subclass
        {"audio_signal": [torch.zeros(2, 3, 4)], "length": torch.tensor([1, 2])},  # not a tensor
    ],
)
def test_anything_else_is_left_to_the_general_checks(kwargs):
    assert not two_ports().fast_inputs(kwargs, True)


def test_a_neural_type_passes_once_the_port_accepted_it():
    metadata = two_ports()
    x, length = torch.zeros(2, 3, 4), torch.tensor([4, 3])
    x.neural_type = NeuralType(("B", "D", "T"), SpectrogramType())  # equal to the port's, another object
    assert not metadata.fast_inputs({"audio_signal": x, "length": length}, True)
    assert metadata.fast_inputs({"audio_signal": x, "length": length}, False)  # level "shapes": types not compared
    assert metadata.accepts("audio_signal", x.neural_type)
    assert metadata.fast_inputs({"audio_signal": x, "length": length}, True)


def test_two_outputs_are_tagged():
    metadata = TypecheckMetadata({"outputs": ENCODED, "encoded_lengths": LENGTHS})
    encoded, lengths = torch.zeros(2, 3, 4), torch.tensor([4, 3])
    assert metadata.fast_outputs((encoded, lengths))
    assert encoded.neural_type is metadata.base_types["outputs"]
    assert lengths.neural_type is metadata.base_types["encoded_lengths"]


@pytest.mark.parametrize(
    "outputs",
    [
        [torch.zeros(2, 3, 4), torch.tensor([4, 3])],  # a list
        (torch.zeros(2, 3), torch.tensor([4, 3])),  # wrong rank
        (torch.zeros(2, 3, 4),),  # one of two
        (torch.zeros(2, 3, 4), torch.tensor([4, 3]), torch.tensor([1])),  # three
    ],
)
def test_other_outputs_are_left_untagged_to_the_general_checks(outputs):
    metadata = TypecheckMetadata({"outputs": ENCODED, "encoded_lengths": LENGTHS})
    assert not metadata.fast_outputs(outputs)
    assert not any(hasattr(item, "neural_type") for item in outputs)


def test_one_output_is_a_bare_tensor():
    metadata = TypecheckMetadata({"outputs": ENCODED})
    encoded = torch.zeros(2, 3, 4)
    assert metadata.fast_outputs(encoded)
    assert encoded.neural_type is metadata.base_types["outputs"]
    assert not metadata.fast_outputs((torch.zeros(2, 3, 4),))
    assert not metadata.fast_outputs(torch.zeros(2, 3))
