"""Exportable: ONNX and TorchScript export of a typed NeuralModule, checked by running the exported files."""

import warnings

import modelpt_testing as mt
import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from nemo.core.classes.exportable import Exportable, ExportFormat
from nemo.core.classes.module import NeuralModule
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import (
    AcousticEncodedRepresentation,
    ChannelType,
    LengthsType,
    NeuralType,
    SpectrogramType,
)
from nemo.utils.scoped import scoped

# Loading TorchScript back is part of what these tests check; torch 2.13 flags torch.jit as deprecated.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:DeprecationWarning")


class ToyEncoder(NeuralModule, Exportable):
    """A conv encoder with an ASR-like signature: (B, D, T) features and (B,) lengths in and out."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = torch.nn.Conv1d(4, 3, kernel_size=3, padding=1)
        self.dropout = torch.nn.Dropout(0.5)  # makes train-mode outputs differ: export must run in eval mode

    @property
    def input_types(self):
        return {
            "audio_signal": NeuralType(("B", "D", "T"), SpectrogramType()),
            "length": NeuralType(tuple("B"), LengthsType()),
        }

    @property
    def output_types(self):
        return {
            "outputs": NeuralType(("B", "D", "T"), AcousticEncodedRepresentation()),
            "encoded_lengths": NeuralType(tuple("B"), LengthsType()),
        }

    def input_example(self):
        return torch.randn(2, 4, 10), torch.tensor([10, 7])

    @typecheck()
    def forward(self, audio_signal, length):
        return self.dropout(torch.relu(self.conv(audio_signal))), length + 0


class ToyEncoderForDeployment(ToyEncoder):
    """Exports only the features: lengths are not part of the deployed graph."""

    @property
    def disabled_deployment_output_names(self):
        return {"encoded_lengths"}

    def forward_for_export(self, audio_signal, length):
        return 2 * torch.relu(self.conv(audio_signal))


def _run_onnx(path, feeds):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return [o.name for o in session.get_outputs()], session.run(None, feeds)


def _new_inputs():
    # Different batch size and length than input_example(): only works if those axes are dynamic.
    return torch.randn(3, 4, 17), torch.tensor([17, 12, 5])


def test_onnx_export_runs_in_onnxruntime_with_other_batch_and_length(tmp_path):
    model = ToyEncoder()
    path = tmp_path / "encoder.onnx"
    outputs, descr = model.export(str(path))
    assert outputs == [str(path)]
    assert descr == [f"{ToyEncoder.__module__}.ToyEncoder exported to ONNX"]

    graph = onnx.load(str(path)).graph
    assert [i.name for i in graph.input] == ["audio_signal", "length"]
    assert [o.name for o in graph.output] == ["outputs", "encoded_lengths"]
    dims = [d.dim_param or d.dim_value for d in graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["audio_signal_dim0", 4, "audio_signal_dim2"]  # batch and time symbolic, features fixed

    signal, length = _new_inputs()
    names, (ort_out, ort_len) = _run_onnx(path, {"audio_signal": signal.numpy(), "length": length.numpy()})
    assert names == ["outputs", "encoded_lengths"]
    model.eval()
    with torch.no_grad():
        expected, expected_len = model(audio_signal=signal, length=length)
    np.testing.assert_allclose(ort_out, expected.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(ort_len, expected_len.numpy())


@pytest.mark.parametrize("ext", [".ts", ".pt"])
def test_torchscript_export_loads_back_and_matches(tmp_path, ext):
    model = ToyEncoder()
    path = tmp_path / f"encoder{ext}"
    _, descr = model.export(str(path))
    assert descr == [f"{ToyEncoder.__module__}.ToyEncoder exported to TORCHSCRIPT"]
    loaded = torch.jit.load(str(path))
    signal, length = _new_inputs()
    out, out_len = loaded(signal, length)
    model.eval()
    with torch.no_grad():
        expected, expected_len = model(audio_signal=signal, length=length)
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(out_len, expected_len)


@pytest.mark.parametrize("ext", [".onnx", ".ts"])
def test_keyword_inputs_in_the_example(tmp_path, ext):
    model = ToyEncoder()
    signal, length = model.input_example()
    model.export(str(tmp_path / f"kw{ext}"), input_example=(signal, {"length": length}))
    signal, length = _new_inputs()
    model.eval()
    with torch.no_grad():
        expected, _ = model(audio_signal=signal, length=length)
    if ext == ".onnx":
        _, (out, _) = _run_onnx(tmp_path / "kw.onnx", {"audio_signal": signal.numpy(), "length": length.numpy()})
        np.testing.assert_allclose(out, expected.numpy(), rtol=1e-4, atol=1e-5)
    else:
        out, _ = torch.jit.load(str(tmp_path / "kw.ts"))(signal, length)
        torch.testing.assert_close(out, expected)


def test_forward_for_export_is_used_on_the_instance_only_and_restored(tmp_path):
    model = ToyEncoderForDeployment()
    path = tmp_path / "deploy.onnx"
    model.export(str(path))
    assert "forward" not in model.__dict__  # the instance forward is gone again
    assert ToyEncoderForDeployment.forward is ToyEncoder.forward  # the class was never patched

    # forward_for_export ignores the lengths, so the exporter leaves them out of the graph.
    assert [i.name for i in onnx.load(str(path)).graph.input] == ["audio_signal"]
    signal, length = _new_inputs()
    names, (out,) = _run_onnx(path, {"audio_signal": signal.numpy()})
    assert names == ["outputs"]
    with torch.no_grad():
        np.testing.assert_allclose(out, model.forward_for_export(signal, length).numpy(), rtol=1e-4, atol=1e-5)


def test_explicit_forward_method(tmp_path):
    model = ToyEncoder()

    def features_only(self, audio_signal, length):
        return torch.relu(self.conv(audio_signal)) - 1

    path = tmp_path / "explicit.ts"
    model.export(str(path), forward_method=features_only)
    signal, length = _new_inputs()
    loaded = torch.jit.load(str(path))
    with torch.no_grad():
        torch.testing.assert_close(loaded(signal, length), features_only(model, signal, length))
    assert "forward" not in model.__dict__


def test_try_script_falls_back_to_tracing_with_a_warning(tmp_path):
    model = ToyEncoder()
    # NeuralModule has Python-only members (e.g. the num_weights property) that TorchScript cannot compile.
    with pytest.warns(UserWarning, match="torch.jit.script failed for ToyEncoder"):
        model.export(str(tmp_path / "m.ts"), try_script=True)
    signal, length = _new_inputs()
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(torch.jit.load(str(tmp_path / "m.ts"))(signal, length)[0], model.conv(signal).relu())


@pytest.mark.parametrize("level", ["full", "off"])
def test_typecheck_steps_aside_during_export_and_comes_back(tmp_path, level):
    with scoped(typecheck.get_typecheck_level, typecheck.set_typecheck_level, level):
        # Tracing calls forward positionally, which typecheck forbids when it is active.
        ToyEncoder().export(str(tmp_path / "m.onnx"))
        assert typecheck.get_typecheck_level() == level
    with pytest.raises(TypeError, match="by keyword"):
        ToyEncoder()(*ToyEncoder().input_example())


def test_train_and_eval_modes_are_restored(tmp_path):
    model = ToyEncoder().train()
    model.conv.eval()  # e.g. a frozen part
    model.export(str(tmp_path / "m.ts"))
    assert model.training and model.dropout.training
    assert not model.conv.training


def test_dynamic_axes_from_neural_types():
    model = ToyEncoder()
    assert model.get_input_names() == ["audio_signal", "length"]
    assert model.get_input_dynamic_axes(model.get_input_names()) == {"audio_signal": [0, 2], "length": [0]}
    assert model.get_output_dynamic_axes(["outputs"]) == {"outputs": [0, 2]}
    image = NeuralType(("B", "C", "H", "W"), ChannelType())
    assert Exportable._extract_dynamic_axes("image", image) == {"image": [0, 2, 3]}
    assert Exportable._extract_dynamic_axes("listed", [[image]]) == {"listed": [0, 2, 3]}
    assert Exportable._extract_dynamic_axes("feat", NeuralType(("D",), ChannelType())) == {}
    assert Exportable._extract_dynamic_axes("loss", NeuralType(None, LengthsType())) == {}


def test_formats():
    assert ExportFormat.ONNX.value == (1,) and ExportFormat.TORCHSCRIPT.value == (2,)
    assert Exportable.get_format("a/b.onnx") is ExportFormat.ONNX
    assert Exportable.get_format("m.TS") is ExportFormat.TORCHSCRIPT
    assert Exportable.get_format("m.pt") is ExportFormat.TORCHSCRIPT
    assert ToyEncoder().supported_export_formats == [ExportFormat.ONNX, ExportFormat.TORCHSCRIPT]


def test_unknown_extension_names_the_file_and_the_accepted_ones(tmp_path):
    with pytest.raises(ValueError, match=r"'model\.tflite'.*'\.tflite'.*\['\.onnx', '\.pt', '\.ts'\]"):
        ToyEncoder().export("model.tflite")


def test_missing_input_example_is_a_clear_error(tmp_path):
    class NoExample(ToyEncoder):
        def input_example(self):
            return None

    with pytest.raises(ValueError, match="no input_example given and NoExample.input_example\\(\\) returned None"):
        NoExample().export(str(tmp_path / "m.onnx"))


def test_untyped_module_cannot_name_its_ports():
    class Untyped(torch.nn.Module, Exportable):
        pass

    with pytest.raises(NotImplementedError, match="Untyped must define 'input_types'"):
        Untyped().get_input_names()


@pytest.mark.parametrize("try_script", [False, True])
def test_restored_model_without_a_trainer_exports_to_torchscript(tmp_path, try_script):
    class ExportableTinyModel(mt.TinyModel, Exportable):
        @property
        def input_types(self):
            return {"x": NeuralType(("B", "D"), ChannelType())}

        @property
        def output_types(self):
            return {"y": NeuralType(("B", "D"), ChannelType())}

        def input_example(self):
            return (torch.randn(2, mt.IN_FEATURES),)

    ExportableTinyModel(cfg=mt.base_config()).save_to(str(tmp_path / "tiny.nemo"))
    restored = ExportableTinyModel.restore_from(str(tmp_path / "tiny.nemo"), map_location="cpu")
    assert restored._trainer is None
    with pytest.raises(RuntimeError, match="not attached to a `Trainer`"):
        restored.trainer  # noqa: B018 - what torch.jit used to trip over
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # try_script: scripting a ModelPT fails, and tracing follows with a warning
        restored.export(str(tmp_path / "tiny.ts"), try_script=try_script)
    with pytest.raises(RuntimeError, match="not attached to a `Trainer`"):
        restored.trainer  # noqa: B018 - the Trainer check is back after the export
    x = torch.randn(5, mt.IN_FEATURES)
    torch.testing.assert_close(torch.jit.load(str(tmp_path / "tiny.ts"))(x), restored(x))
