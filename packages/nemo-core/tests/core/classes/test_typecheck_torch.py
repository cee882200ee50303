"""``@typecheck()`` with torch: grad-mode decorators, torch.compile, jit tracing and ONNX export."""

import importlib
import io

import pytest
import torch

from nemo.core.classes.typecheck import Typing, typecheck
from nemo.core.neural_types import LogitsType, NeuralType

# nemo.core.classes resolves `typecheck` lazily to the decorator class, so fetch the module itself.
typecheck_module = importlib.import_module("nemo.core.classes.typecheck")


pytestmark = pytest.mark.usefixtures("full_typecheck")


class Typed(torch.nn.Module, Typing):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(3, 3)

    @property
    def input_types(self):
        return {"x": NeuralType(("B", "D"))}

    @property
    def output_types(self):
        return {"y": NeuralType(("B", "D"), LogitsType())}

    @typecheck()
    def forward(self, x):
        return self.linear(x)


def _with_grad_mode(name: str, grad_mode, typecheck_outside: bool) -> type:
    """A ``Typed`` whose forward has both ``@typecheck()`` and ``@grad_mode()``, in the order asked for."""

    def forward(self, x):
        return self.linear(x)

    if typecheck_outside:
        forward = typecheck()(grad_mode()(forward))
    else:
        forward = grad_mode()(typecheck()(forward))
    return type(name, (Typed,), {"forward": forward})


TypecheckOutside = _with_grad_mode("TypecheckOutside", torch.no_grad, typecheck_outside=True)
TypecheckInside = _with_grad_mode("TypecheckInside", torch.no_grad, typecheck_outside=False)
InferenceOutside = _with_grad_mode("InferenceOutside", torch.inference_mode, typecheck_outside=True)
InferenceInside = _with_grad_mode("InferenceInside", torch.inference_mode, typecheck_outside=False)


@pytest.mark.parametrize("cls", [TypecheckOutside, TypecheckInside])
def test_composes_with_no_grad_in_either_order(cls):
    out = cls()(x=torch.ones(2, 3))
    assert not out.requires_grad
    assert out.neural_type == NeuralType(("B", "D"), LogitsType())
    with pytest.raises(TypeError, match=f"{cls.__name__}.forward: input 'x' expected rank 2"):
        cls()(x=torch.ones(3))


@pytest.mark.parametrize("cls", [InferenceOutside, InferenceInside])
def test_composes_with_inference_mode_in_either_order(cls):
    out = cls()(x=torch.ones(2, 3))
    assert out.is_inference()
    assert out.neural_type == NeuralType(("B", "D"), LogitsType())
    with pytest.raises(TypeError, match="all arguments must be passed by keyword"):
        cls()(torch.ones(2, 3))


def test_torch_compile_fullgraph_steps_aside():
    module = Typed()
    compiled = torch.compile(module, fullgraph=True, backend="eager")
    x = torch.randn(2, 3)
    out = compiled(x=x)
    assert torch.allclose(out, module.linear(x))
    assert not hasattr(out, "neural_type")  # no attribute was written inside the graph
    assert module(x=x).neural_type is not None  # eager calls are still checked afterwards


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_jit_trace_steps_aside():
    module = Typed().eval()
    x = torch.randn(2, 3)
    traced = torch.jit.trace(module, example_kwarg_inputs={"x": x})
    assert torch.allclose(traced(x), module.linear(x))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_steps_aside_during_onnx_export():
    onnx = pytest.importorskip("onnx")
    seen = []

    class Probing(Typed):
        @typecheck()
        def forward(self, x):
            seen.append((typecheck_module._in_onnx_export(), torch.onnx.is_in_onnx_export()))
            return self.linear(x)

    module = Probing().eval()
    module(x=torch.randn(2, 3))
    buffer = io.BytesIO()
    # A positional example input would fail a checked call: export must not run the checks.
    torch.onnx.export(module, (torch.randn(2, 3),), buffer, dynamo=False)
    assert onnx.load_from_string(buffer.getvalue()).graph.output
    assert seen[0] == (False, False) and (True, True) in seen[1:]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("cls", [Typed, TypecheckOutside])
def test_jit_script_compiles_the_undecorated_body(cls):
    module = cls().eval()
    scripted = torch.jit.script(module)  # input_types/output_types are skipped, the wrapper is looked through
    x = torch.randn(2, 3)
    assert torch.allclose(scripted(x), module.linear(x))
