"""Inference-only CPU convolutions through oneDNN with the batch norm and activation after the convolution fused into
it, the weight optionally prepacked: ``activation(norm(conv(x)))`` in one primitive call.

Evaluated on CPU in float32, a ``Conv1d`` spends part of its time outside the arithmetic: ``F.conv1d`` hands oneDNN
a plain weight that it reorders into its blocked layout on every call, routes 1x1 kernels to a GEMM instead of
oneDNN, and the batch norm and activation after it are two more passes over memory. Here, in evaluation without
gradients, the norm is folded into the weight and bias (``W * s``, ``(b - mean) * s + beta`` with ``s = gamma /
sqrt(var + eps)``), the weight reordered once by ``mkldnn_reorder_conv2d_weight`` and the activation run as the
primitive's post-op (``mkldnn._convolution_pointwise``, the op ``torch.compile`` emits for the same fusion).

Which of the two forms a layer takes is a fixed rule of its shape (:func:`packed_weight_preferred`), never of
timings, so a model computes the same numbers on every run. Measured per layer on the shapes the shipped models feed
it (torch 2.13, AMD EPYC, batch 4, 1 and 2 threads, medians of 15 interleaved calls, time relative to the modules):
the fused call on the plain folded weight 0.88-1.03 everywhere (1x1 convolutions 0.88-0.97); the packed weight, on
which oneDNN picks other kernels and answers channels last, 0.82-0.96 on FastPitch's feed-forward (its input a
``[B, T, C]`` view, which the packed call takes without copies) and 0.85-0.97 on Jasper's undilated kernels of 17-25
taps, but 1.05-1.09 at 13 taps, 1.15-1.20 on the dilated 29 taps and up to 1.2 on 1x1 convolutions. So: the packed
weight for inputs that are not contiguous and for undilated kernels of at least ``MIN_PACKED_KERNEL`` taps, the plain
folded weight otherwise. Layers of fewer than ``MIN_MULTIPLY_ADDS`` (there the fused call measured within timing noise
of the modules in a whole model) run ``conv1d`` on the folded weight and bias, the activation in place after it: the
norm's pass saved, 0.81-0.94 of the modules' time per layer (1x1 convolutions of 64-256 channels, 4 x 52-208 steps),
conf/config.yaml's inference 21.98 -> 21.09 ms and Citrinet-small's 20.68 -> 20.26 ms (interleaved, best of 25).

The folded weight (packed, or for a layer that ``spectral_conv1d`` runs its spectrum: ``CACHE_SPECTRUM``) is cached
per convolution (a weak map, so state dicts, archives, ``deepcopy`` and pickling never see it) and keyed by the
storage, in-place version, dtype and device of every tensor it reads: an optimizer step, ``load_state_dict`` or
``.to()`` repacks. Edits through ``.data`` bump no version; a call in train mode drops the cache. The fused path
runs only where it cannot change what autograd or a captured graph sees: the modules in eval mode (the norm a
``BatchNorm1d`` with running statistics), gradients disabled, eager mode
(:func:`~nemo.collections.common.parts.graph_capture.capturing_graph`), no forward hooks, float32 CPU tensors outside
autocast, oneDNN available. Results equal the unfused layers up to float rounding. ``NEMO_PACKED_CONV=0`` in the
environment (read at import) or ``packed_conv.ENABLED = False`` turns it off.
"""

import weakref
from typing import List, Optional, Tuple

import torch
from torch import nn

from nemo.collections.common.parts.cpu_autocast import cpu_autocast_dtype
from nemo.collections.common.parts.graph_capture import capturing_graph
from nemo.collections.common.parts.spectral_conv import spectral_conv1d, spectral_preferred, weight_spectrum
from nemo.collections.common.parts.winograd_conv import winograd_conv1d, winograd_preferred
from nemo.utils.env_flag import env_flag

__all__ = [
    "CACHE_SPECTRUM",
    "ENABLED",
    "MIN_MULTIPLY_ADDS",
    "MIN_PACKED_KERNEL",
    "conv_norm_act",
    "fused_activation",
    "packed_weight_preferred",
    "packing_possible",
]

ENABLED = env_flag("NEMO_PACKED_CONV")
"""``False`` sends every call of :func:`conv_norm_act` to the plain modules (default from ``NEMO_PACKED_CONV``)."""

CACHE_SPECTRUM = env_flag("NEMO_SPECTRUM_CACHE")
"""``True``: a layer that runs through ``spectral_conv1d`` keeps its folded weight's spectrum (2-2.6x the weight's
memory, instead of the folded weight itself) rather than transforming the weight on every call, which at small
batches costs about 60% of the per-frequency products (Jasper 10x1 inference, 4 x 4 s, one thread: 759 -> 680 ms;
peak RSS 1.33 -> 1.65 GB for 340 MB of weights). ``False`` (``NEMO_SPECTRUM_CACHE=0``) keeps the folded weight."""

MIN_MULTIPLY_ADDS = 1 << 27
"""Layers with fewer multiply-adds per call (batch x output steps x weight elements) run ``conv1d`` on the folded
weight instead of the fused call: there (e.g. 1x1 convolutions of 256 channels over 4 x 201 frames, 53M) the fused
call measured within timing noise of the modules in the shipped ASR models, ``conv1d`` on the folded weight 2-4%
faster. Without a norm to fold they run the modules."""

MIN_PACKED_KERNEL = 17
"""Undilated kernels of at least this many taps take the prepacked weight on contiguous inputs (Jasper's 17-25 taps:
0.85-0.97 of the modules' time; 13 taps: 1.05-1.09, so those keep the plain folded weight)."""

# conv -> [key, folded weight, folded bias, packed weight, weight spectrum]; weak, so a dropped model frees them.
_PACKED: "weakref.WeakKeyDictionary[nn.Conv1d, list]" = weakref.WeakKeyDictionary()


def fused_activation(activation: Optional[nn.Module]) -> Optional[Tuple[str, List[float], str]]:
    """oneDNN's post-op ``(name, scalars, algorithm)`` computing ``activation`` (``None``: no activation), or
    ``None`` when it has none (the caller applies the module)."""
    if activation is None or type(activation) is nn.Identity:
        return "none", [], ""
    kind = type(activation)
    if kind is nn.ReLU:
        return "relu", [], ""
    if kind is nn.Hardtanh:
        return "hardtanh", [float(activation.min_val), float(activation.max_val)], ""
    if kind is nn.LeakyReLU:
        return "leaky_relu", [float(activation.negative_slope)], ""
    if kind is nn.SiLU:
        return "swish", [], ""
    if kind is nn.GELU:
        return "gelu", [], activation.approximate
    return None


def _hooked(module: Optional[nn.Module]) -> bool:
    return module is not None and bool(module._forward_hooks or module._forward_pre_hooks)


def packing_possible(
    conv: nn.Conv1d, x: torch.Tensor, norm: Optional[nn.Module] = None, activation: Optional[nn.Module] = None
) -> bool:
    """Whether :func:`conv_norm_act` may run ``conv`` (and ``norm``) on ``x`` through the fused path right now (its
    size and :func:`packed_weight_preferred` then pick the way)."""
    if conv.training or (norm is not None and norm.training):
        _PACKED.pop(conv, None)
        return False
    return (
        ENABLED
        and not torch.is_grad_enabled()
        and type(conv) is nn.Conv1d
        and conv.padding_mode == "zeros"
        and not isinstance(conv.padding, str)
        and x.dim() == 3
        and x.shape[1] == conv.in_channels
        and x.device.type == "cpu"
        and x.dtype == conv.weight.dtype == torch.float32
        and conv.weight.device.type == "cpu"
        and (norm is None or _foldable(norm))
        and not (_hooked(conv) or _hooked(norm) or _hooked(activation))
        and torch.backends.mkldnn.is_available()
        and torch.backends.mkldnn.enabled
        and cpu_autocast_dtype() is None
        and not capturing_graph()
    )


def _foldable(norm: nn.Module) -> bool:
    return type(norm) is nn.BatchNorm1d and norm.running_mean is not None and norm.running_var is not None


def _key(tensors: Tuple[Optional[torch.Tensor], ...]) -> tuple:
    return tuple(None if t is None else (t.data_ptr(), t._version, t.dtype, t.device, tuple(t.shape)) for t in tensors)


def _folded(conv: nn.Conv1d, norm: Optional[nn.BatchNorm1d]) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """``conv``'s weight, as (out, in / groups, 1, k), and bias with ``norm`` folded in."""
    weight, bias = conv.weight, conv.bias
    if norm is not None:
        scale = torch.rsqrt(norm.running_var + norm.eps)
        if norm.weight is not None:
            scale = scale * norm.weight
        bias = (-norm.running_mean if bias is None else bias - norm.running_mean) * scale
        if norm.bias is not None:
            bias = bias + norm.bias
        weight = weight * scale[:, None, None]
    return weight.unsqueeze(2).contiguous(), bias


_PLAIN_WEIGHT, _BIAS, _PACKED_WEIGHT, _SPECTRUM = 1, 2, 3, 4
"""The cache entry's slots after its key: the forms of the folded weight, each built when first asked for."""


def _weights(conv: nn.Conv1d, norm: Optional[nn.BatchNorm1d], x: torch.Tensor, form: int):
    """``(weight, bias)`` of ``conv`` with ``norm`` folded in, the weight plain (``_PLAIN_WEIGHT``), packed for
    oneDNN (``_PACKED_WEIGHT``, for inputs shaped as ``x``; it serves later shapes too) or as its
    :func:`~nemo.collections.common.parts.spectral_conv.weight_spectrum` (``_SPECTRUM``), from the cache while the
    tensors they come from are unchanged. Only the form asked for is kept (a packed weight costs as much memory as
    the plain one, a spectrum 2-2.6x)."""
    tensors = (conv.weight, conv.bias)
    if norm is not None:
        tensors += (norm.weight, norm.bias, norm.running_mean, norm.running_var)
    key = _key(tensors) + (None if norm is None else norm.eps,)
    cached = _PACKED.get(conv)
    if cached is None or cached[0] != key:
        cached = _PACKED[conv] = [key, None, None, None, None]
    if cached[form] is None:
        weight, cached[_BIAS] = _folded(conv, norm)
        if form == _PACKED_WEIGHT:
            weight = torch._C._nn.mkldnn_reorder_conv2d_weight(
                weight.to_mkldnn(),
                [0, conv.padding[0]],
                [1, conv.stride[0]],
                [1, conv.dilation[0]],
                conv.groups,
                [x.shape[0], x.shape[1], 1, x.shape[2]],
            )
        elif form == _SPECTRUM:
            weight = weight_spectrum(weight.squeeze(2))
        cached[form] = weight
    return cached[form], cached[_BIAS]


def _fused(conv: nn.Conv1d, x: torch.Tensor, norm, post_op: Tuple[str, List[float], str], packed: bool):
    """One oneDNN call; the result is contiguous when ``x`` is (on a packed weight oneDNN answers channels last)."""
    weight, bias = _weights(conv, norm, x, _PACKED_WEIGHT if packed else _PLAIN_WEIGHT)
    name, scalars, algorithm = post_op
    out = torch.ops.mkldnn._convolution_pointwise(
        x.unsqueeze(2),
        weight,
        bias,
        [0, conv.padding[0]],
        [1, conv.stride[0]],
        [1, conv.dilation[0]],
        conv.groups,
        name,
        scalars,
        algorithm,
    ).squeeze(2)
    return out.contiguous() if x.is_contiguous() else out


def _plain(conv: nn.Conv1d, x: torch.Tensor, norm: Optional[nn.Module], activation: Optional[nn.Module]):
    out = conv(x)
    if norm is not None:
        out = norm(out)
    return out if activation is None else activation(out)


def _activated(out: torch.Tensor, activation: Optional[nn.Module]) -> torch.Tensor:
    """``activation(out)`` for the folded-weight ways, whose ``out`` is a fresh tensor: a ReLU or Hardtanh in place
    (no second buffer)."""
    if type(activation) is nn.ReLU:
        return out.relu_()
    if type(activation) is nn.Hardtanh:
        return nn.functional.hardtanh_(out, activation.min_val, activation.max_val)
    return out if activation is None else activation(out)


def _spectral(conv: nn.Conv1d, x: torch.Tensor, norm, activation: Optional[nn.Module]) -> torch.Tensor:
    """The folded weight's cached spectrum (``CACHE_SPECTRUM``; else the folded weight) through
    :func:`spectral_conv1d`, then the activation."""
    if CACHE_SPECTRUM:
        weight, bias = _weights(conv, norm, x, _SPECTRUM)
    else:
        weight, bias = _weights(conv, norm, x, _PLAIN_WEIGHT)
        weight = weight.squeeze(2)
    return _activated(spectral_conv1d(x, weight, bias, conv.padding[0], conv.dilation[0]), activation)


def _folded_conv(conv: nn.Conv1d, x: torch.Tensor, norm, activation: Optional[nn.Module]) -> torch.Tensor:
    """The folded weight and bias through ``conv1d`` (a 1x1 kernel's GEMM path), then the activation."""
    weight, bias = _weights(conv, norm, x, _PLAIN_WEIGHT)
    out = nn.functional.conv1d(x, weight.squeeze(2), bias, conv.stride, conv.padding, conv.dilation, conv.groups)
    return _activated(out, activation)


def _winograd(conv: nn.Conv1d, x: torch.Tensor, norm, activation: Optional[nn.Module]) -> torch.Tensor:
    """The folded weight through :func:`winograd_conv1d`, then the activation."""
    weight, bias = _weights(conv, norm, x, _PLAIN_WEIGHT)
    return _activated(winograd_conv1d(x, weight.squeeze(2), bias, conv.padding[0]), activation)


_PLAIN, _FUSED, _FUSED_PACKED, _SPECTRAL, _WINOGRAD, _FOLDED = 0, 1, 2, 3, 4, 5
"""The ways :func:`conv_norm_act` can run a layer: the modules, one oneDNN call on the plain folded weight or on
the packed one, the folded weight through :func:`spectral_conv1d` or :func:`winograd_conv1d`, or the folded weight
through ``conv1d``."""


def _run(way: int, conv: nn.Conv1d, x: torch.Tensor, norm, activation, post_op) -> torch.Tensor:
    if way == _PLAIN:
        return _plain(conv, x, norm, activation)
    if way == _SPECTRAL:
        return _spectral(conv, x, norm, activation)
    if way == _WINOGRAD:
        return _winograd(conv, x, norm, activation)
    if way == _FOLDED:
        return _folded_conv(conv, x, norm, activation)
    return _fused(conv, x, norm, post_op, packed=way == _FUSED_PACKED)


def packed_weight_preferred(conv: nn.Conv1d, x: torch.Tensor) -> bool:
    """Whether the fused call on ``x`` takes ``conv``'s prepacked weight (else the plain folded one): for inputs
    that are not contiguous (a ``[B, T, C]`` view) and undilated kernels of ``MIN_PACKED_KERNEL`` taps or more."""
    return not x.is_contiguous() or (conv.dilation[0] == 1 and conv.kernel_size[0] >= MIN_PACKED_KERNEL)


def _way(conv: nn.Conv1d, x: torch.Tensor, norm: Optional[nn.Module]) -> int:
    """How :func:`conv_norm_act` runs ``conv`` (then ``norm``) on ``x`` once :func:`packing_possible` holds."""
    if spectral_preferred(conv, x, spectrum_kept=CACHE_SPECTRUM):
        return _SPECTRAL
    if winograd_preferred(conv, x):
        return _WINOGRAD
    weight = conv.weight
    steps = (x.shape[2] + 2 * conv.padding[0] - conv.dilation[0] * (weight.shape[2] - 1) - 1) // conv.stride[0] + 1
    if x.shape[0] * steps * weight.numel() < MIN_MULTIPLY_ADDS:
        return _PLAIN if norm is None else _FOLDED
    return _FUSED_PACKED if packed_weight_preferred(conv, x) else _FUSED


def conv_norm_act(
    conv: nn.Conv1d, x: torch.Tensor, norm: Optional[nn.Module] = None, activation: Optional[nn.Module] = None
) -> torch.Tensor:
    """``activation(norm(conv(x)))`` (``norm``, ``activation`` optional): one fused oneDNN call on the norm-folded
    weight, plain or prepacked (:func:`packed_weight_preferred`), where :func:`packing_possible` holds and the layer
    has at least ``MIN_MULTIPLY_ADDS``, ``conv1d`` on the folded weight for smaller layers with a norm, else the
    modules themselves; layers that ``spectral_preferred`` or ``winograd_preferred`` take run the folded weight
    through that kernel instead. An activation without a oneDNN post-op (:func:`fused_activation`) runs after."""
    if not packing_possible(conv, x, norm, activation):
        return _plain(conv, x, norm, activation)
    post_op = fused_activation(activation)
    if post_op is None:  # no oneDNN post-op: the activation runs after the call
        return activation(_run(_way(conv, x, norm), conv, x, norm, None, ("none", [], "")))
    return _run(_way(conv, x, norm), conv, x, norm, activation, post_op)
