"""``Exportable``: export a typed module to ONNX or TorchScript, with dynamic axes taken from its neural types.

A module's ``input_types``/``output_types`` already say which axes are batch, time, width or height; those are the
axes whose size varies between calls, so they become the ONNX dynamic axes without the user listing them. The file
extension picks the format (``.onnx`` -> ONNX, ``.ts``/``.pt`` -> TorchScript). During export the module runs in eval
mode with type checks stepped aside, and an optional ``forward_for_export`` replaces ``forward`` on the instance only.
"""

from __future__ import annotations

import inspect
import os
import types
import warnings
from abc import ABC
from contextlib import contextmanager
from enum import Enum
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple

import torch

from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import AxisKind, NeuralType

__all__ = ["ExportFormat", "Exportable"]


class ExportFormat(Enum):
    """Export targets; the values are 1-tuples as in NeMo 1."""

    ONNX = (1,)
    TORCHSCRIPT = (2,)


_EXT_TO_FORMAT = {".pt": ExportFormat.TORCHSCRIPT, ".ts": ExportFormat.TORCHSCRIPT, ".onnx": ExportFormat.ONNX}

# Axes whose size changes from call to call, hence dynamic in the exported graph.
_DYNAMIC_AXIS_KINDS = (AxisKind.Batch, AxisKind.Time, AxisKind.Width, AxisKind.Height)

# We deliberately use the TorchScript-based exporters (the dynamo ONNX exporter needs onnxscript); their deprecation
# notices are not actionable for our users.
_EXPORTER_DEPRECATIONS = r"(?s).*(legacy TorchScript-based ONNX export|torch\.jit\.\w+` is deprecated|will be removed)"


def _base_type(ntype: Any) -> Any:
    """The NeuralType inside a container declaration such as ``[[NeuralType(...)]]``."""
    while isinstance(ntype, (list, tuple)):
        ntype = ntype[0]
    return ntype


def _count_tensors(value: Any) -> int:
    if isinstance(value, torch.Tensor):
        return 1
    if isinstance(value, (list, tuple)):
        return sum(_count_tensors(v) for v in value)
    if isinstance(value, dict):
        return sum(_count_tensors(v) for v in value.values())
    return 0


@contextmanager
def _lightning_attributes_readable() -> Iterator[None]:
    """Let torch's TorchScript compiler read every attribute of a LightningModule that has no Trainer.

    ``torch.jit.trace``/``script`` call ``hasattr`` on every name in ``dir(module)``, which runs properties;
    Lightning's ``trainer`` property raises "not attached to a `Trainer`" unless ``_jit_is_scripting`` is set, as
    Lightning's own ``to_torchscript`` does (pytorch/pytorch#67146), so a restored model could not be exported.
    """
    try:
        from pytorch_lightning import LightningModule
    except ImportError:  # no Lightning, no LightningModule to export
        yield
        return
    previous = LightningModule._jit_is_scripting
    LightningModule._jit_is_scripting = True
    try:
        yield
    finally:
        LightningModule._jit_is_scripting = previous


class Exportable(ABC):  # noqa: B024 - an ABC as in NeMo 1, so isinstance checks against it keep working
    """Mixin for ``torch.nn.Module`` + ``Typing`` classes that can be exported to ONNX and TorchScript."""

    @property
    def input_module(self) -> Any:
        """Module whose ``input_types`` and ``input_example()`` describe the exported inputs."""
        return self

    @property
    def output_module(self) -> Any:
        """Module whose ``output_types`` describe the exported outputs."""
        return self

    @property
    def disabled_deployment_input_names(self) -> Set[str]:
        """Input ports that the exported graph does not take (e.g. lengths a deployment computes itself)."""
        return set()

    @property
    def disabled_deployment_output_names(self) -> Set[str]:
        """Output ports that the exported graph does not produce."""
        return set()

    @property
    def supported_export_formats(self) -> List[ExportFormat]:
        return [ExportFormat.ONNX, ExportFormat.TORCHSCRIPT]

    @staticmethod
    def get_format(filename: str) -> ExportFormat:
        """Export format for ``filename``, from its extension."""
        ext = os.path.splitext(filename)[1].lower()
        if ext not in _EXT_TO_FORMAT:
            raise ValueError(
                f"Cannot export to '{filename}': unknown extension '{ext}'; expected one of {sorted(_EXT_TO_FORMAT)} "
                f"(.onnx for ONNX, .ts or .pt for TorchScript)"
            )
        return _EXT_TO_FORMAT[ext]

    def _port_names(self, owner: Any, attr: str, disabled: Set[str]) -> List[str]:
        types_ = getattr(owner, attr, None)
        if types_ is None:
            raise NotImplementedError(
                f"{type(owner).__name__} must define '{attr}' to be exported: the port names come from it"
            )
        return [name for name in types_ if name not in disabled]

    def get_input_names(self) -> List[str]:
        return self._port_names(self.input_module, "input_types", self.disabled_deployment_input_names)

    def get_output_names(self) -> List[str]:
        return self._port_names(self.output_module, "output_types", self.disabled_deployment_output_names)

    @staticmethod
    def _extract_dynamic_axes(name: str, ntype: Any) -> Dict[str, List[int]]:
        """``{name: [indices of batch/time/width/height axes]}``; empty when the type has no such axis."""
        ntype = _base_type(ntype)
        if not isinstance(ntype, NeuralType) or ntype.axes is None:
            return {}
        dims = [i for i, axis in enumerate(ntype.axes) if axis.kind in _DYNAMIC_AXIS_KINDS]
        return {name: dims} if dims else {}

    def _dynamic_axes(self, types_: Dict[str, Any], names: Sequence[str]) -> Dict[str, List[int]]:
        axes: Dict[str, List[int]] = {}
        for name in names:
            axes.update(self._extract_dynamic_axes(name, types_[name]))
        return axes

    def get_input_dynamic_axes(self, input_names: Sequence[str]) -> Dict[str, List[int]]:
        return self._dynamic_axes(self.input_module.input_types, input_names)

    def get_output_dynamic_axes(self, output_names: Sequence[str]) -> Dict[str, List[int]]:
        return self._dynamic_axes(self.output_module.output_types, output_names)

    def _prepare_for_export(self, **kwargs: Any) -> None:  # noqa: B027 - optional hook, empty by default
        """Hook run right before tracing, with every ``export`` argument: replace export-unfriendly submodules here."""

    @contextmanager
    def _export_forward(self, forward_method: Optional[Callable]) -> Iterator[None]:
        """Use ``forward_method`` (or the class' ``forward_for_export``) as this instance's ``forward`` meanwhile."""
        if forward_method is None and hasattr(type(self), "forward_for_export"):
            forward_method = type(self).forward_for_export
        if forward_method is None:
            yield
            return
        if not isinstance(forward_method, types.MethodType):
            forward_method = types.MethodType(forward_method, self)
        had_own = "forward" in self.__dict__
        previous = self.__dict__.get("forward")
        self.forward = forward_method
        try:
            yield
        finally:
            if had_own:
                self.forward = previous
            else:
                del self.forward

    def export(
        self,
        output: str,
        input_example: Any = None,
        output_example: Any = None,
        verbose: bool = False,
        export_params: bool = True,
        do_constant_folding: bool = True,
        keep_initializers_as_inputs: bool = False,
        onnx_opset_version: int = 12,
        try_script: bool = False,
        set_eval: bool = True,
        check_trace: bool = True,
        use_dynamic_axes: bool = True,
        dynamic_axes: Optional[Dict[str, Any]] = None,
        check_tolerance: float = 0.01,
        forward_method: Optional[Callable] = None,
    ) -> Tuple[List[str], List[str]]:
        """Export to ``output`` (ONNX for ``.onnx``, TorchScript for ``.ts``/``.pt``); return ``([output], [descr])``.

        ``input_example`` defaults to ``self.input_module.input_example()``: a tuple of inputs, optionally ending with a
        dict of keyword inputs. ``output_example`` (computed when not given) only sets how many output names the ONNX
        graph gets; torch 2's exporters trace the outputs themselves. ONNX files are validated with ``onnx.checker``.
        ``try_script`` first tries ``torch.jit.script`` and falls back to tracing. The module's train/eval modes and
        the typecheck level are restored afterwards.
        """
        fmt = self.get_format(output)
        if fmt not in self.supported_export_formats:
            raise ValueError(
                f"{type(self).__name__} cannot be exported to {fmt.name} ('{output}'); it supports "
                f"{[f.name for f in self.supported_export_formats]}"
            )
        export_args = {k: v for k, v in locals().items() if k not in ("self", "fmt")}
        # Restored per submodule afterwards: a blanket train() would wake up submodules frozen in eval mode.
        modes = {m: m.training for m in self.modules()} if isinstance(self, torch.nn.Module) else {}
        with typecheck.disable_checks(), self._export_forward(forward_method), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_EXPORTER_DEPRECATIONS, category=DeprecationWarning)
            try:
                if set_eval:
                    self.eval()
                if input_example is None:
                    input_example = self.input_module.input_example()
                if input_example is None:
                    raise ValueError(
                        f"Cannot export {type(self).__name__}: no input_example given and "
                        f"{type(self.input_module).__name__}.input_example() returned None"
                    )
                if not isinstance(input_example, tuple):
                    input_example = (input_example,)
                self._prepare_for_export(**export_args)
                args, kwargs = input_example, {}
                if isinstance(input_example[-1], dict):
                    args, kwargs = input_example[:-1], input_example[-1]
                if output_example is None:
                    with torch.no_grad():
                        output_example = self.forward(*args, **kwargs)
                if fmt == ExportFormat.TORCHSCRIPT:
                    with _lightning_attributes_readable():
                        self._export_torchscript(output, args, kwargs, try_script, check_trace, check_tolerance)
                else:
                    self._export_onnx(
                        output,
                        args,
                        kwargs,
                        output_example,
                        verbose,
                        export_params,
                        do_constant_folding,
                        keep_initializers_as_inputs,
                        onnx_opset_version,
                        use_dynamic_axes,
                        dynamic_axes,
                    )
            finally:
                for module, training in modes.items():
                    module.training = training
        cls = type(self)
        return [output], [f"{cls.__module__}.{cls.__qualname__} exported to {fmt.name}"]

    def _export_torchscript(
        self, output: str, args: tuple, kwargs: dict, try_script: bool, check_trace: bool, check_tolerance: float
    ) -> None:
        scripted = None
        if try_script:
            try:
                scripted = torch.jit.script(self)
            except Exception as e:  # scripting fails on much ordinary Python; tracing is the documented fallback
                warnings.warn(f"torch.jit.script failed for {type(self).__name__} ({e}); tracing instead")
        if scripted is None:
            trace_inputs: Dict[str, Any] = {"example_inputs": args}
            if kwargs:  # torch.jit.trace takes either positional or keyword examples: name the positional ones
                bound = inspect.signature(self.forward).bind(*args, **kwargs)
                trace_inputs = {"example_kwarg_inputs": dict(bound.arguments)}
            scripted = torch.jit.trace(
                self, strict=False, check_trace=check_trace, check_tolerance=check_tolerance, **trace_inputs
            )
        scripted.save(output)

    def _export_onnx(
        self,
        output: str,
        args: tuple,
        kwargs: dict,
        output_example: Any,
        verbose: bool,
        export_params: bool,
        do_constant_folding: bool,
        keep_initializers_as_inputs: bool,
        opset_version: int,
        use_dynamic_axes: bool,
        dynamic_axes: Optional[Dict[str, Any]],
    ) -> None:
        import onnx

        # Graph inputs are the tensors actually passed: optional ports left out of the example are not inputs.
        input_names = self.get_input_names()[: _count_tensors(args) + len(kwargs)]
        output_names = self.get_output_names()[: _count_tensors(output_example)]
        if dynamic_axes is None and use_dynamic_axes:
            dynamic_axes = {**self.get_input_dynamic_axes(input_names), **self.get_output_dynamic_axes(output_names)}
        if dynamic_axes:
            # Named symbolic dims: torch warns about (and ONNX tools display poorly) anonymous ones.
            dynamic_axes = {
                name: dims if isinstance(dims, dict) else {d: f"{name}_dim{d}" for d in dims}
                for name, dims in dynamic_axes.items()
            }
        torch.onnx.export(
            self,
            args,
            output,
            kwargs=kwargs or None,
            input_names=input_names,
            output_names=output_names,
            verbose=verbose,
            export_params=export_params,
            do_constant_folding=do_constant_folding,
            keep_initializers_as_inputs=keep_initializers_as_inputs,
            dynamic_axes=dynamic_axes or None,
            opset_version=opset_version,
            dynamo=False,
        )
        onnx.checker.check_model(onnx.load(output), full_check=True)
