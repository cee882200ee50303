"""Whether a graph is being captured (TorchScript, tracing, ``torch.compile``, ONNX export): then the layers keep
their plain PyTorch paths and take no data-dependent shortcut, which the graph would bake in."""

import torch

__all__ = ["capturing_graph"]


def capturing_graph() -> bool:
    """True while scripting, tracing, compiling or exporting to ONNX."""
    return bool(
        torch.jit.is_scripting()
        or torch.jit.is_tracing()
        or torch.compiler.is_compiling()
        or torch.onnx.is_in_onnx_export()
    )
