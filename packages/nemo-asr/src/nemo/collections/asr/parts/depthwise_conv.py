"""Depthwise 1D convolution for CPU, routed through the oneDNN primitives that are fast there, and the rule that
picks it over ``F.conv1d`` for a layer. Stride 1 is computed directly; stride 2 keeps every second output of the
stride-1 layer, where that beats oneDNN's strided kernels (``MIN_STRIDED_GRAD_PADDING``).

oneDNN (PyTorch's CPU convolution backend) has a fast depthwise forward kernel, but ``conv1d`` reaches it only with
at most 6 steps of implicit zero padding (with "same" padding: kernels of at most 13 taps) and no dilation;
QuartzNet's kernels of 15 to 87 taps fall to a path about 10x slower (measured: 30-60 ps per multiply-add at padding
6, 600-1000 at padding 7). Its depthwise backward-data kernel, though, is fast at any width. So, with the same
``weight`` (C, 1, k) and results equal to ``F.conv1d``'s up to float rounding:

- forward: undilated, ``conv1d`` itself at padding <= 6, else ``conv_transpose1d`` with the flipped kernel (a
  correlation is a transposed convolution with the kernel flipped); dilated, ``conv1d`` on an input padded
  beforehand (no implicit padding: the fast kernel);
- input gradient: undilated, ``conv_transpose1d`` with the kernel itself (what ``conv1d``'s own backward runs);
  dilated, ``conv1d`` with the flipped kernel on the gradient padded beforehand;
- weight gradient: with enough work per thread, one multiply-and-reduce pass per tap (``grad_w[c, j] = sum_{b,t}
  g[b, c, t] * x_pad[b, c, t + j * dilation]``, 1.2-2.7x faster than oneDNN's), in float32 on one thread all taps
  at once as one correlation on oneDNN's fast depthwise forward kernel (another 2-2.5x); else oneDNN's own kernel.

:func:`use_depthwise_kernel` is the rule ``MaskedConv1d`` and ``CausalConv1D`` apply (through
:func:`prefer_depthwise_kernel`) to each depthwise layer on CPU (float32, float64, or bfloat16 also under
autocast; eager mode; CUDA, TorchScript, tracing, ``torch.compile`` and ONNX export keep ``nn.Conv1d``): this module
where ``conv1d`` leaves its fast forward kernel (padding > 6 or dilation > 1) and the input is large enough to repay
the extra calls; with a gradient on one thread also at padding 2-6 for mid-sized inputs (only the backward differs
there: oneDNN's weight gradient is slow); else ``conv1d``. It is a function of shapes and the thread count, never of
timings. It was checked on every depthwise shape of the shipped example configs (``benchmarks/asr_conv_kernels.py``
prints them): forward plus backward and forward only, batches of 8 and 32, 1-16 threads, on an AMD EPYC (2 cores) and
an Intel Xeon (16 cores); wherever it picks this module, this module was faster (the padding 2-6 window: measured on
the EPYC, batches of 1-16). ``NEMO_ASR_DEPTHWISE_CONV=0`` in the environment (read at import) or
``depthwise_conv.ENABLED = False`` sends every layer to ``nn.Conv1d``.
"""

from typing import Optional, Tuple

import torch
import torch.nn.functional as F

from nemo.collections.common.parts.cpu_autocast import cpu_autocast_dtype
from nemo.collections.common.parts.graph_capture import capturing_graph
from nemo.utils.env_flag import env_flag

__all__ = [
    "COMPUTE_DTYPES",
    "ENABLED",
    "MAX_FAST_CONV1D_PADDING",
    "MAX_SMALL_PADDING_ELEMENTS",
    "MIN_ELEMENTS_WITH_GRAD",
    "MIN_ELEMENTS_WITH_GRAD_PER_THREAD",
    "MIN_ELEMENTS_NO_GRAD",
    "MIN_SMALL_PADDING_ELEMENTS",
    "MIN_STRIDED_GRAD_PADDING",
    "MIN_TAP_LOOP_ELEMENTS_PER_THREAD",
    "MIN_TAP_LOOP_PADDING",
    "compute_dtype",
    "depthwise_conv1d",
    "prefer_depthwise_kernel",
    "use_depthwise_kernel",
]

COMPUTE_DTYPES = (torch.float32, torch.float64, torch.bfloat16)
"""The dtypes this module computes in. bfloat16 (a bf16 input, or float32 under CPU bf16 autocast, which Lightning's
``precision="bf16-mixed"`` enters) follows the same rule: oneDNN's bf16 depthwise ``conv1d`` leaves its fast kernel
at the same paddings (measured, AMD EPYC with AVX512-BF16, 1 thread, forward + backward: 29 taps dilated 2 at 256
channels 3.9 ms vs 12.3 ms; 33 taps 4.2 vs 6.5 ms; 13 taps, padding 6, 3.8 vs 2.1 ms: ``conv1d`` keeps those)."""


ENABLED = env_flag("NEMO_ASR_DEPTHWISE_CONV")
"""``False`` makes :func:`use_depthwise_kernel` always answer ``False`` (default from ``NEMO_ASR_DEPTHWISE_CONV``)."""

MAX_FAST_CONV1D_PADDING = 6
"""The widest implicit padding with which oneDNN's depthwise ``conv1d`` forward stays on its fast kernel (measured:
padding 6 runs at 30-60 ps per multiply-add, 7 at 600-1000, for kernels of 13 to 33 taps)."""

MIN_ELEMENTS_WITH_GRAD = 1 << 15
MIN_ELEMENTS_WITH_GRAD_PER_THREAD = 1 << 14
"""When a gradient is needed, inputs (batch * channels * steps) smaller than ``max(MIN_ELEMENTS_WITH_GRAD,
MIN_ELEMENTS_WITH_GRAD_PER_THREAD * threads)`` stay on ``conv1d``: below that the autograd function's and the extra
primitive calls' overhead is not repaid (measured: one 0.5 s utterance at 256 channels ties on one thread; on 16
threads batches of 8 at 64-256 channels lose up to 15%, batches of 32 win 1.4-2.9x)."""

MIN_ELEMENTS_NO_GRAD = 1 << 13
"""The same threshold for forward only (no autograd function, one primitive call), at any thread count."""

MIN_TAP_LOOP_ELEMENTS_PER_THREAD = 1 << 15
"""The weight gradient loops over taps (two element-wise ops each) when the output gradient has at least this many
elements per intra-op thread, else it runs oneDNN's weight-gradient kernel (what ``conv1d``'s backward runs). The loop
is 1.2-2.7x faster than oneDNN on 1-4 threads; on 8-16 threads each op's fork-join costs tens of microseconds, and the
loop only wins from about 50,000 elements per thread (measured on a 16-core Xeon)."""


MIN_STRIDED_GRAD_PADDING = 7
"""A stride-2 depthwise layer whose ``conv1d`` leaves the fast forward kernel (padding > 6) runs as the stride-1
layer here with every second output kept: the same sums, and oneDNN's stride-2 depthwise kernels are the slow ones
(measured interleaved in three processes, AMD EPYC, one thread, batch 4: forward 3-7x faster at 15-33 taps and
64-512 channels, e.g. 0.66 -> 0.17 ms at 19 taps x 192 channels x 104 steps). With a gradient the stride-1 layer's
backward does twice the work and still wins on one thread: forward plus backward at 17 taps 0.43-0.85 of
``conv1d``'s at 64-1024 channels and 104-416 steps (53k-850k elements), 19 taps 1.7 -> 0.8 ms, 25 taps 5.1 -> 4.5,
33 taps at 64 channels 3.2 -> 2.2; at 15 taps 0.33-0.82 at 104-208 steps and a tie at 416 (0.78-1.16, one shape
flipping between runs: oneDNN's kernels move with the buffers' placement); Citrinet-small's training step (its
15-tap stride-2 layer, 192 channels x 208 steps) 1.6-2.7% faster in four processes. On two threads the forward still
won 3-5x, forward plus backward was mixed (0.74-1.08x). So: without a gradient from padding 7, with one from this
padding on one thread; else, and for other strides, ``conv1d``."""

MIN_TAP_LOOP_PADDING = 2
MIN_SMALL_PADDING_ELEMENTS = 1 << 16
MAX_SMALL_PADDING_ELEMENTS = 1 << 19
"""Where ``conv1d``'s forward is fast (undilated, padding <= 6), its backward is not on one thread: oneDNN's
depthwise weight gradient runs 2.5-3x slower than the per-tap loop (AMD EPYC, (4, 256, 208): 13 taps 1.86 vs 0.74
ms; 11 taps at (4, 192, 416): 2.46 vs 0.87 ms). With a gradient and one intra-op thread, :func:`depthwise_conv1d`
then keeps ``conv1d``'s forward and runs this module's backward, for padding >= ``MIN_TAP_LOOP_PADDING`` (5-13 taps;
at 3 taps the loop loses, 1.4x) and inputs of ``MIN_SMALL_PADDING_ELEMENTS`` to ``MAX_SMALL_PADDING_ELEMENTS``
elements (forward plus backward 1.2-2x faster from 77k to 410k elements at 64-1024 channels, measured interleaved;
from 600k elements on, where each tap's pass leaves the cache, results were mixed, 0.6-1.6x; on two threads
``conv1d``'s backward halves and the loop lost, 1.0-2.2x: those keep ``conv1d``)."""


def use_depthwise_kernel(
    elements: int,
    padding: int,
    dilation: int,
    needs_grad: bool,
    threads: Optional[int] = None,
    dtype: torch.dtype = torch.float32,
    stride: int = 1,
) -> bool:
    """Whether :func:`depthwise_conv1d` beats ``F.conv1d`` for a depthwise layer on CPU.

    ``elements`` is the input's ``numel()``, ``needs_grad`` whether autograd will record the call, ``threads`` the
    intra-op thread count (default ``torch.get_num_threads()``), ``dtype`` the one computed in (the padding 2-6
    window is float32/float64 only: in bfloat16 it tied, 0.7-1.07x) and ``stride`` the layer's (2: see
    ``MIN_STRIDED_GRAD_PADDING``). The answer depends on these only, never on timings, so a model takes the same path
    on every run with the same settings.
    """
    if not ENABLED:
        return False
    threads = torch.get_num_threads() if threads is None else threads
    if stride != 1:  # stride 2 as the stride-1 layer, only past conv1d's fast padding (MIN_STRIDED_GRAD_PADDING)
        strided_ok = stride == 2 and dilation == 1 and padding > MAX_FAST_CONV1D_PADDING
        if not strided_ok or (needs_grad and (padding < MIN_STRIDED_GRAD_PADDING or threads != 1)):
            return False
    if dilation == 1 and padding <= MAX_FAST_CONV1D_PADDING:
        # conv1d's forward is fast here but its weight gradient is not: the autograd function keeps that forward.
        return (
            needs_grad
            and threads == 1
            and dtype in (torch.float32, torch.float64)
            and padding >= MIN_TAP_LOOP_PADDING
            and MIN_SMALL_PADDING_ELEMENTS <= elements <= MAX_SMALL_PADDING_ELEMENTS
        )
    if not needs_grad:
        return elements >= MIN_ELEMENTS_NO_GRAD
    return elements >= max(MIN_ELEMENTS_WITH_GRAD, MIN_ELEMENTS_WITH_GRAD_PER_THREAD * threads)


def compute_dtype(x: torch.Tensor) -> torch.dtype:
    """The dtype a convolution of ``x`` runs in: the autocast dtype under CPU autocast (floating ``x``), else
    ``x``'s."""
    if x.device.type == "cpu" and x.is_floating_point():
        return cpu_autocast_dtype() or x.dtype
    return x.dtype


def prefer_depthwise_kernel(
    x: torch.Tensor, weight: torch.Tensor, padding: int, dilation: int, stride: int = 1
) -> bool:
    """:func:`use_depthwise_kernel` for a depthwise layer's input ``x`` and ``weight``: only on CPU, in
    :data:`COMPUTE_DTYPES`, in eager mode (a captured graph keeps ``conv1d``)."""
    dtype = compute_dtype(x)
    return (
        x.device.type == "cpu"
        and dtype in COMPUTE_DTYPES
        and not capturing_graph()
        and use_depthwise_kernel(
            x.numel(),
            padding,
            dilation,
            torch.is_grad_enabled() and (x.requires_grad or weight.requires_grad),
            dtype=dtype,
            stride=stride,
        )
    )


def _use_tap_loop(elements: int, threads: int) -> bool:
    return elements >= MIN_TAP_LOOP_ELEMENTS_PER_THREAD * max(1, threads)


def _transposed_ok(padding: int, span: int, dilation: int) -> bool:
    # oneDNN's transposed depthwise kernel is fast only undilated; ``padding > span`` would need a negative padding.
    return dilation == 1 and padding <= span


def _forward(x: torch.Tensor, weight: torch.Tensor, padding: int, dilation: int) -> torch.Tensor:
    if dilation == 1 and padding <= MAX_FAST_CONV1D_PADDING:  # oneDNN's fast kernel
        return F.conv1d(x, weight, padding=padding, groups=weight.shape[0])
    span = dilation * (weight.shape[-1] - 1)
    if _transposed_ok(padding, span, dilation):
        return F.conv_transpose1d(x, weight.flip(-1), padding=span - padding, groups=weight.shape[0])
    return F.conv1d(F.pad(x, (padding, padding)), weight, dilation=dilation, groups=weight.shape[0])


def _input_grad(grad_out: torch.Tensor, weight: torch.Tensor, padding: int, dilation: int) -> torch.Tensor:
    span = dilation * (weight.shape[-1] - 1)
    if _transposed_ok(padding, span, dilation):
        return F.conv_transpose1d(grad_out, weight, padding=padding, groups=weight.shape[0])
    # Correlate the gradient, padded by ``span - padding`` (cropped where negative), with the flipped kernel.
    pad = span - padding
    return F.conv1d(F.pad(grad_out, (pad, pad)), weight.flip(-1), dilation=dilation, groups=weight.shape[0])


def _weight_grad(x: torch.Tensor, grad_out: torch.Tensor, kernel_size: int, padding: int, dilation: int):
    """``grad_w[c, 0, j] = sum_{b,t} grad_out[b, c, t] * x_pad[b, c, t + j * dilation]``."""
    channels, steps = grad_out.shape[1], grad_out.shape[2]
    if not _use_tap_loop(grad_out.numel(), torch.get_num_threads()):
        weight_size = (channels, 1, kernel_size)
        return torch.nn.grad.conv1d_weight(
            x, weight_size, grad_out, padding=padding, dilation=dilation, groups=channels
        )
    if x.dtype == torch.float32 and torch.get_num_threads() == 1:
        return _weight_grad_by_correlation(x, grad_out, kernel_size, padding, dilation)
    # One multiply-and-reduce pass per tap over channel-major copies (each tap's reduction is one contiguous
    # (batch * steps) row per channel).
    grad_c = grad_out.transpose(0, 1).contiguous()
    padded_c = F.pad(x, (padding, padding)).transpose(0, 1).contiguous()
    product = torch.empty_like(grad_c)
    grad_w = grad_out.new_empty(kernel_size, channels)
    for j in range(kernel_size):
        start = j * dilation
        torch.mul(grad_c, padded_c[:, :, start : start + steps], out=product)
        torch.sum(product.view(channels, -1), 1, out=grad_w[j])
    return grad_w.t().unsqueeze(1).contiguous()


def _weight_grad_by_correlation(
    x: torch.Tensor, grad_out: torch.Tensor, kernel_size: int, padding: int, dilation: int
) -> torch.Tensor:
    """:func:`_weight_grad` as one depthwise ``conv1d`` on oneDNN's fast kernel: per channel, the samples' padded
    inputs laid end to end (plus ``span`` zeros) correlated with their output gradients laid out alike (zeros past
    each sample's ``steps``, so no product crosses samples), ``stride=dilation`` picking the taps. 2-2.5x faster than
    the tap loop on one thread (float32, (4, 256, 208): 13 taps 0.31 vs 0.73 ms; 29 taps dilated 2: 0.63 vs 1.52 ms).
    Both operands sit in one buffer, gradients after inputs: with separate allocations oneDNN fell to a 5x slower
    path for some relative placements (3 of 8 trials at 17 taps), in one buffer in none of 120."""
    batch, channels, steps = grad_out.shape
    span = dilation * (kernel_size - 1)
    per_sample = steps + span  # each sample's padded input length
    length = batch * per_sample
    input_size = channels * (length + span)
    grad_start = -(-input_size // 1024) * 1024
    buffer = x.new_zeros(grad_start + channels * length)
    inputs = buffer[:input_size].view(channels, length + span)
    inputs[:, :length].view(channels, batch, per_sample)[:, :, padding : padding + x.shape[2]].copy_(x.transpose(0, 1))
    grads = buffer[grad_start:].view(channels, batch, per_sample)
    grads[:, :, :steps].copy_(grad_out.transpose(0, 1))
    weight_grad = F.conv1d(inputs.unsqueeze(0), grads.view(channels, 1, length), groups=channels, stride=dilation)
    return weight_grad.view(channels, 1, kernel_size)


class _DepthwiseConv1d(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, padding: int, dilation: int) -> torch.Tensor:
        ctx.save_for_backward(x, weight)
        ctx.padding, ctx.dilation = padding, dilation
        return _forward(x, weight, padding, dilation)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor) -> Tuple[Optional[torch.Tensor], Optional[torch.Tensor], None, None]:
        x, weight = ctx.saved_tensors
        grad_out = grad_out.contiguous()
        grad_x = grad_w = None
        if ctx.needs_input_grad[0]:
            grad_x = _input_grad(grad_out, weight, ctx.padding, ctx.dilation)
        if ctx.needs_input_grad[1]:
            grad_w = _weight_grad(x, grad_out, weight.shape[-1], ctx.padding, ctx.dilation)
        return grad_x, grad_w, None, None


def depthwise_conv1d(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: Optional[torch.Tensor] = None,
    padding: int = 0,
    dilation: int = 1,
    stride: int = 1,
) -> torch.Tensor:
    """``F.conv1d(x, weight, bias, stride, padding, dilation, groups=channels)`` for ``weight`` (C, 1, k); a stride
    above 1 keeps every ``stride``-th output of the stride-1 layer (a strided view)."""
    if weight.shape[1] != 1 or x.shape[1] != weight.shape[0]:
        raise ValueError(
            f"depthwise_conv1d expects weight (channels, 1, kernel) matching x's {x.shape[1]} channels, "
            f"got weight {tuple(weight.shape)}"
        )
    span = dilation * (weight.shape[-1] - 1)
    if x.shape[-1] + 2 * padding <= span:
        # Too short for even one output step: let conv1d raise its usual error.
        return F.conv1d(x, weight, bias, stride, padding, dilation, weight.shape[0])
    dtype = compute_dtype(x)
    if dtype != x.dtype or weight.dtype != dtype:
        # Autocast's cast, done here: the backward then sees one dtype (autocast does not reach into it).
        x, weight = x.to(dtype), weight.to(dtype)
        bias = None if bias is None else bias.to(dtype)
    with torch.autocast("cpu", enabled=False):
        if torch.is_grad_enabled() and (x.requires_grad or weight.requires_grad):
            out = _DepthwiseConv1d.apply(x, weight, padding, dilation)
        else:
            out = _forward(x, weight, padding, dilation)
        if stride > 1:
            out = out[..., ::stride]
        return out if bias is None else out + bias.unsqueeze(-1)
