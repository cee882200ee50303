"""``Typing`` and ``@typecheck()``: inputs, outputs, containers, overrides, errors and metadata caching."""

import inspect
from collections import OrderedDict

import pytest
import torch

from nemo.core.classes.typecheck import TypecheckMetadata, Typing, typecheck
from nemo.core.neural_types import (
    AcousticEncodedRepresentation,
    AudioSignal,
    AxisKind,
    AxisType,
    LengthsType,
    LogitsType,
    LossType,
    MelSpectrogramType,
    NeuralType,
    SpectrogramType,
)

pytestmark = pytest.mark.usefixtures("full_typecheck")


class Encoder(torch.nn.Module, Typing):
    """The docs' ConvASREncoder types, with a trivial forward."""

    @property
    def input_types(self):
        return OrderedDict(
            {
                "audio_signal": NeuralType(("B", "D", "T"), SpectrogramType()),
                "length": NeuralType(tuple("B"), LengthsType()),
            }
        )

    @property
    def output_types(self):
        return OrderedDict(
            {
                "outputs": NeuralType(("B", "D", "T"), AcousticEncodedRepresentation()),
                "encoded_lengths": NeuralType(tuple("B"), LengthsType()),
            }
        )

    @typecheck()
    def forward(self, audio_signal, length=None):
        return audio_signal * 2, length


def spectrogram(rank=3):
    return torch.zeros((2, 4, 5)[:rank])


def test_docs_encoder_outputs_carry_types():
    out, lengths = Encoder()(audio_signal=spectrogram(), length=torch.tensor([5, 3]))
    assert out.neural_type == NeuralType(("B", "D", "T"), AcousticEncodedRepresentation())
    assert lengths.neural_type == NeuralType(("B",), LengthsType())
    assert isinstance(out, torch.Tensor) and out.shape == (2, 4, 5)


def test_typed_outputs_feed_a_typed_consumer_and_mismatches_are_caught():
    class Decoder(torch.nn.Module, Typing):
        @property
        def input_types(self):
            return {"encoder_output": NeuralType(("B", "D", "T"), AcousticEncodedRepresentation())}

        @property
        def output_types(self):
            return {"logits": NeuralType(("B", "T", "D"), LogitsType())}

        @typecheck()
        def forward(self, encoder_output):
            return encoder_output.transpose(1, 2)

    encoded, _ = Encoder()(audio_signal=spectrogram(), length=torch.tensor([5, 3]))
    logits = Decoder()(encoder_output=encoded)
    assert logits.neural_type.elements_type == LogitsType()
    with pytest.raises(TypeError) as info:
        Decoder()(encoder_output=logits)  # logits are not an encoded representation
    message = str(info.value)
    assert message.startswith(
        "Decoder.forward: input 'encoder_output' expected NeuralType(axis=(batch, dimension, time)"
    )
    assert "AcousticEncodedRepresentation" in message and "element_type=LogitsType" in message
    assert "rank 3 with shape (2, 5, 4)" in message and "comparison result: INCOMPATIBLE" in message


def test_subtypes_are_accepted_and_supertypes_rejected():
    enc = Encoder()
    mel = spectrogram()
    mel.neural_type = NeuralType(("B", "D", "T"), MelSpectrogramType())
    enc(audio_signal=mel, length=torch.tensor([1, 2]))  # GREATER: accepted

    class MelOnly(Encoder):
        @property
        def input_types(self):
            return {
                "audio_signal": NeuralType(("B", "D", "T"), MelSpectrogramType()),
                "length": NeuralType(("B",), LengthsType()),
            }

    plain = spectrogram()
    plain.neural_type = NeuralType(("B", "D", "T"), SpectrogramType())
    with pytest.raises(TypeError, match="comparison result: LESS"):
        MelOnly()(audio_signal=plain, length=torch.tensor([1, 2]))


def test_parameter_mismatch_message_names_the_parameters():
    class Resampler(torch.nn.Module, Typing):
        @property
        def input_types(self):
            return {"signal": NeuralType(("B", "T"), AudioSignal(16000))}

        @typecheck()
        def forward(self, signal):
            return signal

    signal = torch.zeros(2, 8)
    signal.neural_type = NeuralType(("B", "T"), AudioSignal(8000))
    with pytest.raises(TypeError) as info:
        Resampler()(signal=signal)
    message = str(info.value)
    assert "Resampler.forward: input 'signal'" in message
    assert "type parameters {'freq': 16000}" in message and "type parameters {'freq': 8000}" in message
    assert "SAME_TYPE_INCOMPATIBLE_PARAMS" in message


def test_positional_arguments_are_rejected_for_typed_inputs():
    with pytest.raises(TypeError) as info:
        Encoder()(spectrogram(), torch.tensor([1, 2]))
    assert str(info.value) == (
        "Encoder.forward: all arguments must be passed by keyword for typed methods; got 2 positional argument(s), "
        "expected keywords ['audio_signal', 'length']"
    )


def test_every_mandatory_port_must_be_present_by_name():
    with pytest.raises(TypeError) as info:
        Encoder()(audio_signal=spectrogram())
    assert str(info.value) == (
        "Encoder.forward: mandatory input(s) ['length'] missing; 1 provided (['audio_signal']), the method has 2 "
        "inputs of which 2 are mandatory"
    )


def test_unknown_names_are_rejected():
    with pytest.raises(TypeError) as info:
        Encoder()(audio_signal=spectrogram(), lengths=torch.tensor([1, 2]))
    assert str(info.value) == (
        "Encoder.forward: input argument(s) ['lengths'] have no corresponding input type; declared inputs are "
        "['audio_signal', 'length']"
    )


def test_input_rank_is_checked():
    with pytest.raises(TypeError) as info:
        Encoder()(audio_signal=spectrogram(rank=2), length=torch.tensor([1, 2]))
    assert str(info.value) == (
        "Encoder.forward: input 'audio_signal' expected rank 3 (NeuralType(axis=(batch, dimension, time), "
        "element_type=SpectrogramType)) but received a Tensor of rank 2 with shape (2, 4)"
    )


class WithOptional(torch.nn.Module, Typing):
    @property
    def input_types(self):
        return {"x": NeuralType(("B", "T")), "mask": NeuralType(("B", "T"), optional=True)}

    @property
    def output_types(self):
        return {"y": NeuralType(("B", "T"))}

    @typecheck()
    def forward(self, x, mask=None):
        return x if mask is None else x * mask


def test_optional_ports_may_be_left_out():
    x = torch.ones(2, 3)
    assert WithOptional()(x=x).neural_type == NeuralType(("B", "T"))
    assert torch.equal(WithOptional()(x=x, mask=torch.zeros(2, 3)), torch.zeros(2, 3))
    with pytest.raises(TypeError, match=r"mandatory input\(s\) \['x'\] missing"):
        WithOptional()(mask=x)


def test_untyped_values_pass_rank_checks_only():
    WithOptional()(x=torch.ones(2, 3), mask=None)  # None has no shape and no type
    with pytest.raises(TypeError, match="input 'mask' expected rank 2"):
        WithOptional()(x=torch.ones(2, 3), mask=torch.ones(3))


def test_output_count_and_rank_are_checked():
    class Broken(Encoder):
        def __init__(self, result):
            super().__init__()
            self.result = result

        @typecheck()
        def forward(self, audio_signal, length=None):
            return self.result

    with pytest.raises(TypeError) as info:
        Broken((spectrogram(),))(audio_signal=spectrogram(), length=torch.tensor([1, 2]))
    assert str(info.value).startswith(
        "Broken.forward: number of outputs returned (1) does not match the 2 declared output types "
        "['outputs', 'encoded_lengths']"
    )
    with pytest.raises(TypeError) as info:
        Broken((spectrogram(), spectrogram()))(audio_signal=spectrogram(), length=torch.tensor([1, 2]))
    assert str(info.value) == (
        "Broken.forward: output 'encoded_lengths' expected rank 1 (NeuralType(axis=(batch,), element_type=LengthsType))"
        " but received a Tensor of rank 3 with shape (2, 4, 5)"
    )


def test_single_output_and_scalars():
    class Loss(torch.nn.Module, Typing):
        @property
        def input_types(self):
            return {"x": NeuralType(("B", "T"))}

        @property
        def output_types(self):
            return {"loss": NeuralType(elements_type=LossType())}

        @typecheck()
        def forward(self, x):
            return x.sum()

    class Counter(Loss):
        @typecheck()
        def forward(self, x):
            return 3  # ints cannot carry a type; that is fine

    assert Loss()(x=torch.ones(2, 2)).neural_type == NeuralType(elements_type=LossType())
    assert Counter()(x=torch.ones(2, 2)) == 3


class Lists(torch.nn.Module, Typing):
    """The docs' container example: one output, a list of lists of [B, D] logits."""

    def __init__(self, result=None):
        super().__init__()
        self.result = result

    @property
    def input_types(self):
        return {"xs": [NeuralType(("B", "D"), LogitsType())]}

    @property
    def output_types(self):
        return {
            "out": [[NeuralType(("B", "D"), LogitsType())]],
        }

    @typecheck()
    def forward(self, xs):
        return self.result if self.result is not None else [[x * 1 for x in xs], [x * 2 for x in xs]]


def test_container_outputs_are_typed_at_every_depth():
    xs = [torch.zeros(2, 3), torch.ones(2, 3)]
    out = Lists()(xs=xs)
    assert len(out) == 2 and all(len(inner) == 2 for inner in out)
    for inner in out:
        for tensor in inner:
            assert tensor.neural_type == NeuralType(("B", "D"), LogitsType())


def test_container_depth_mismatches_are_reported():
    with pytest.raises(TypeError) as info:
        Lists()(xs=[[torch.zeros(2, 3)]])
    assert str(info.value).startswith("Lists.forward: input 'xs' is declared with container depth 1")
    assert "at nesting depth 2" in str(info.value)
    with pytest.raises(TypeError, match="output 'out' is declared with container depth 2 .* at nesting depth 1"):
        Lists(result=[torch.zeros(2, 3)])(xs=[torch.zeros(2, 3)])


def test_container_leaves_are_rank_and_type_checked():
    with pytest.raises(TypeError, match="input 'xs' expected rank 2 .* rank 1 with shape \\(3,\\)"):
        Lists()(xs=[torch.zeros(2, 3), torch.zeros(3)])
    wrong = torch.zeros(2, 3)
    wrong.neural_type = NeuralType(("B", "D"), LossType())
    with pytest.raises(TypeError, match=r"input 'xs' expected .*LogitsType.*\(comparison result: INCOMPATIBLE\)"):
        Lists()(xs=[wrong])


def test_one_tuple_wrapping_the_list_of_a_singular_container():
    inner = [torch.zeros(2, 3)]
    out = Lists(result=([inner],))(xs=[torch.zeros(2, 3)])
    assert out[0][0][0].neural_type == NeuralType(("B", "D"), LogitsType())


def test_ignore_collections_skips_depth_checks():
    class Relaxed(Lists):
        @typecheck(ignore_collections=True)
        def forward(self, xs):
            return [torch.zeros(2, 3)]

    out = Relaxed()(xs=[[[torch.zeros(2, 3)]]])
    assert out[0].neural_type == NeuralType(("B", "D"), LogitsType())


def test_malformed_container_declarations():
    with pytest.raises(TypeError, match="Port 'x' is declared as .*must nest exactly one NeuralType"):
        TypecheckMetadata({"x": [NeuralType(), NeuralType()]})
    with pytest.raises(TypeError, match="Port 'x' is declared as 'B'"):
        TypecheckMetadata({"x": "B"})
    with pytest.raises(TypeError, match="must nest exactly one"):
        typecheck(output_types={"x": []})


def test_metadata_fields():
    meta = TypecheckMetadata(
        {"a": [[NeuralType(("B",))]], "b": NeuralType(("B", "T"), optional=True)}, ignore_collections=True
    )
    assert meta.has_container_types and not meta.is_singular_container_type
    assert meta.container_depth == {"a": 2, "b": 0}
    assert meta.base_types == {"a": NeuralType(("B",)), "b": NeuralType(("B", "T"))}
    assert list(meta.mandatory_types) == ["a"] and meta.ignore_collections
    assert TypecheckMetadata({"a": [NeuralType()]}).is_singular_container_type


def test_function_level_overrides():
    class Overridden(Encoder):
        @typecheck(
            input_types={"x": NeuralType(("B", "T"))},
            output_types={"y": NeuralType(("B", "T"), LogitsType())},
        )
        def forward(self, x):
            return x + 1

    out = Overridden()(x=torch.zeros(2, 3))
    assert out.neural_type == NeuralType(("B", "T"), LogitsType())
    with pytest.raises(TypeError, match="input 'x' expected rank 2"):
        Overridden()(x=torch.zeros(2))


def test_override_with_none_disables_that_direction():
    class InputsOnly(Encoder):
        @typecheck(output_types=None)
        def forward(self, audio_signal, length=None):
            return "anything"

    assert InputsOnly()(audio_signal=spectrogram(), length=torch.tensor([1, 2])) == "anything"
    assert typecheck.TypeState.UNINITIALIZED.value == 0 and len(typecheck.TypeState) == 1


def test_collate_fn_style_positional_arguments_with_output_types_only():
    class Data(Typing):
        @property
        def output_types(self):
            return {"audio": NeuralType(("B", "T"), AudioSignal()), "lengths": NeuralType(("B",), LengthsType())}

        @typecheck()
        def collate_fn(self, batch):
            return torch.stack([b[0] for b in batch]), torch.tensor([b[1] for b in batch])

    audio, lengths = Data().collate_fn([(torch.zeros(4), 4), (torch.ones(4), 3)])
    assert audio.neural_type.elements_type == AudioSignal() and lengths.neural_type.axes == (AxisType(AxisKind.Batch),)


def test_untyped_methods_pass_through():
    class Untyped(torch.nn.Module, Typing):
        @typecheck()
        def forward(self, x):
            return x

    x = torch.zeros(1)
    assert Untyped()(x) is x and not hasattr(x, "neural_type")


def test_only_typing_instances_may_use_the_decorator():
    @typecheck()
    def free(x=None):
        return x

    with pytest.raises(RuntimeError, match="Only classes which inherit nemo.core.Typing can use this decorator !"):
        free(x=1)

    class NotTyping:
        @typecheck()
        def method(self, x=None):
            return x

    with pytest.raises(RuntimeError, match="Only classes which inherit nemo.core.Typing"):
        NotTyping().method(x=1)


def test_legacy_ports_are_rejected():
    class Legacy(Encoder):
        input_ports = {}

    with pytest.raises(RuntimeError, match="input_ports/output_ports"):
        Legacy()(audio_signal=spectrogram(), length=torch.tensor([1, 2]))


def test_decorator_needs_parentheses():
    with pytest.raises(TypeError, match="forget the parentheses"):
        typecheck()(42)


def test_signature_and_metadata_are_kept():
    assert list(inspect.signature(Encoder.forward).parameters) == ["self", "audio_signal", "length"]
    assert list(inspect.signature(Encoder().forward).parameters) == ["audio_signal", "length"]
    assert Encoder.forward.__name__ == "forward" and Encoder.forward.__qualname__ == "Encoder.forward"


def test_explicit_validation_methods_of_typing():
    enc = Encoder()
    enc._validate_input_types(input_types=enc.input_types, audio_signal=spectrogram(), length=torch.tensor([1, 2]))
    with pytest.raises(TypeError, match="Encoder._validate_input_types: input 'audio_signal' expected rank 3"):
        enc._validate_input_types(input_types=enc.input_types, audio_signal=torch.zeros(1), length=torch.zeros(2))
    outputs = (spectrogram(), torch.tensor([1, 2]))
    enc._attach_and_validate_output_types(outputs, output_types=enc.output_types)
    assert outputs[1].neural_type == NeuralType(("B",), LengthsType())


class SampleRateDependent(torch.nn.Module, Typing):
    """Types depend on instance state and are rebuilt on every call, as in NeMo's ASR models."""

    def __init__(self, rate):
        super().__init__()
        self.rate = rate

    @property
    def input_types(self):
        return {"signal": NeuralType(("B", "T"), AudioSignal(self.rate))}

    @property
    def output_types(self):
        return {"signal_out": NeuralType(("B", "T"), AudioSignal(self.rate))}

    @typecheck()
    def forward(self, signal):
        return signal.clone()


def test_types_that_depend_on_instance_state_are_honoured():
    at16, at8 = SampleRateDependent(16000), SampleRateDependent(8000)
    out16 = at16(signal=torch.zeros(1, 4))
    out8 = at8(signal=torch.zeros(1, 4))
    assert out16.neural_type.elements_type.type_parameters == {"freq": 16000}
    assert out8.neural_type.elements_type.type_parameters == {"freq": 8000}
    at16(signal=out16)
    with pytest.raises(TypeError, match="SAME_TYPE_INCOMPATIBLE_PARAMS"):
        at16(signal=out8)
    at16.rate = 8000  # state changes take effect on the next call
    at16(signal=out8)
    with pytest.raises(TypeError, match="SAME_TYPE_INCOMPATIBLE_PARAMS"):
        at16(signal=out16)


def test_metadata_is_cached_by_identity_and_by_structure():
    decorator = typecheck()

    class Stable(torch.nn.Module, Typing):
        types = {"x": NeuralType(("B",))}

        @property
        def input_types(self):
            return self.types

        @decorator
        def forward(self, x):
            return x

    class Fresh(Stable):
        @property
        def input_types(self):
            return {"x": NeuralType(("B",))}

    Stable()(x=torch.zeros(1))
    first = decorator._inputs.get(Stable.types)
    Stable()(x=torch.zeros(1))
    assert decorator._inputs.get(Stable.types) is first
    Fresh()(x=torch.zeros(1))
    Fresh()(x=torch.zeros(1))
    assert decorator._inputs.get({"x": NeuralType(("B",))}) is first  # equal structure, same metadata
    changed = decorator._inputs.get({"x": NeuralType(("B",), optional=True)})
    assert changed is not first and changed.mandatory_names == frozenset()


def test_a_new_dict_with_other_types_is_not_served_stale_metadata():
    class Switching(torch.nn.Module, Typing):
        def __init__(self):
            super().__init__()
            self.types = {"x": NeuralType(("B", "T"))}

        @property
        def input_types(self):
            return self.types

        @typecheck()
        def forward(self, x):
            return x

    module = Switching()
    module(x=torch.zeros(1, 2))
    module.types = {"x": NeuralType(("B",))}
    module(x=torch.zeros(3))
    with pytest.raises(TypeError, match="expected rank 1"):
        module(x=torch.zeros(1, 2))
