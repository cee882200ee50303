"""``spectral_conv1d``: a dense stride-1 ``conv1d`` with long kernels computed block by block in the frequency domain.

A convolution of ``C`` to ``O`` channels with ``K`` taps spanning ``S`` steps does ``K`` multiply-adds per channel
pair and output step. Cut the padded input into overlapping blocks of ``L`` steps (overlap-save: each block yields
``N = L - S + 1`` outputs), take each block's real DFT, and the convolution becomes one complex product per channel
pair and frequency (``L / 2 + 1`` of them per ``N`` outputs): about ``2 L / N`` real multiply-adds instead of ``K``,
4-7x fewer at Jasper's 13-29 taps (the weight's own transform aside). All three transforms are small matrix products
rather than FFTs (``L`` is a few dozen: one GEMM does them all at BLAS speed, any ``L``), and the per-frequency
product runs over chunks of output channels whose weight spectrum is built, used and dropped in cache
(:class:`_SpectralProduct`: the full spectrum, ``(L + 2) / K`` times the weight, is never stored, so training costs no
memory for it and needs no invalidation; inference may keep it instead, :func:`weight_spectrum`). The backward is
the same products transposed, so training gets the saving too.

Measured on Jasper 10x5's layers (``benchmarks/asr_conv_kernels.py``: torch 2.13, AMD EPYC, one thread, batch 4 x
200 steps; time relative to ``F.conv1d``) at 384-768 channels with 13-29 taps: forward 0.39-0.57, forward plus
backward (both gradients) 0.45-0.58; shorter inputs and narrower layers lose (see ``MIN_ROWS``, ``MIN_CHANNELS``),
and :func:`spectral_preferred` leaves those to ``conv1d``. Results equal ``conv1d``'s up to float rounding (relative
differences ~1e-6, from the transforms' sums). Autograd keeps the blocks' spectra (1.5-2x the input) where
``conv1d`` keeps the input. ``NEMO_SPECTRAL_CONV=0`` in the environment (read at import) or ``spectral_conv.ENABLED =
False`` turns it off.
"""

import math
from functools import cache
from typing import Iterable, Iterator, NamedTuple, Optional, Tuple, Union

import torch
from torch import nn
from torch.autograd.function import once_differentiable

from nemo.collections.common.parts.kernel_gate import own_kernel_rows
from nemo.utils.env_flag import env_flag

__all__ = [
    "ENABLED",
    "MIN_CHANNELS",
    "MIN_ROWS",
    "MIN_ROWS_KEPT_SPECTRUM",
    "MIN_SPAN",
    "WeightSpectrum",
    "block_length",
    "spectral_conv1d",
    "spectral_preferred",
    "weight_spectrum",
]

ENABLED = env_flag("NEMO_SPECTRAL_CONV")
"""``False`` keeps every convolution on ``conv1d`` (default from ``NEMO_SPECTRAL_CONV``)."""

MIN_SPAN = 13
"""Kernels spanning fewer steps (``dilation * (kernel - 1) + 1``) keep ``conv1d``: the saving is ``K`` against
``~2 L / N`` multiply-adds, and the transforms' fixed cost outweighs it below this (measured range: 13-57)."""

MIN_CHANNELS = 384
"""Both channel counts at least this: the per-frequency products are ``[2 x chunk, C] @ [C, 2 x blocks]`` GEMMs and
the input and output transforms cost per channel; at 256 channels and 11 taps the layer measured 0.74-0.84 of
``conv1d`` at 800 output rows but 0.9-1.17 at 384-512, so narrower layers keep ``conv1d`` (measured: 384-896)."""

MIN_ROWS = 512
"""Batch x output steps at least this per intra-op thread: the weight's transform (``2 (L/2 + 1) x K`` multiply-adds
per channel pair, three times in training) is paid once per call however few the rows, so short inputs keep
``conv1d`` (one thread, every Jasper shape it takes: 128 rows 1.4-2.3x its time, 256 rows 0.6-1.55x, 512 rows
0.45-0.73x). On two threads ``conv1d`` gains more than the many small products here (512 rows read 0.56-1.21x between
runs, 1024 rows 0.44-0.70x), hence the count per thread; more threads were not measured, and the rule keeps their
short inputs on ``conv1d``."""

MIN_ROWS_KEPT_SPECTRUM = 192
"""``MIN_ROWS`` where the caller keeps the weight's spectrum (:func:`weight_spectrum`; ``packed_conv`` in inference):
without the weight's transform in the call the products win from fewer rows. Measured through ``packed_conv``
against its fused oneDNN call (Jasper's 384-896 channels, 13-29 taps, a batch norm and ReLU folded in): one thread,
208 rows 0.58-0.98, 416 rows 0.36-0.69, but 104 rows 0.79-1.43; two threads, 416 rows 0.38-0.93, 832 rows
0.29-0.73."""

_CHUNK_BYTES = 2 << 20
"""Size of one chunk's weight spectrum (``2 (L/2 + 1) x chunk x C`` floats): 8-32 output channels at Jasper's
sizes, where a chunk's spectrum stays in cache between its transform and its product (1.05-1.2x faster than 64-128)."""


def block_length(span: int) -> int:
    """The block length ``L`` for a kernel spanning ``span`` steps: about ``1.7 x span`` in multiples of 16, at
    least 32 (measured best or within 5% of it at spans 11-57: more outputs per block cost more frequencies)."""
    return max(32, 16 * math.ceil(1.7 * span / 16))


@cache
def _transforms(length: int, outputs: int) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The three real transform matrices for blocks of ``length`` steps yielding ``outputs`` each, built in float64.

    ``forward`` ``[2F, L]``: rows ``(frequency, real/imaginary)`` of the input blocks' DFT; ``kernel`` ``[2F, L]``:
    the kernel's conjugate DFT (a correlation, as ``conv1d``); ``inverse`` ``[N, 4F]``: the first ``N`` steps of
    the inverse real DFT read straight off the four real products ``(kernel part, input part)``, so the complex
    product's sum and difference are folded into it.
    """
    freqs = length // 2 + 1
    angle = 2 * math.pi * torch.outer(torch.arange(freqs, dtype=torch.float64), torch.arange(length)) / length
    cos, sin = torch.cos(angle), torch.sin(angle)
    forward = torch.stack([cos, -sin], 1).reshape(2 * freqs, length)
    kernel = torch.stack([cos, sin], 1).reshape(2 * freqs, length)
    weight = torch.full((freqs, 1), 2.0 / length, dtype=torch.float64)
    weight[0] = weight[-1 if length % 2 == 0 else 0] = 1.0 / length  # DC (and Nyquist) appear once in a real DFT
    real, imag = cos[:, :outputs] * weight, -sin[:, :outputs] * weight
    inverse = torch.stack([real, imag, imag, -real], 1).reshape(4 * freqs, outputs).T
    return forward.float(), kernel.float(), inverse.float().contiguous()


def _chunk(freqs: int, in_channels: int) -> int:
    return max(8, _CHUNK_BYTES // (8 * freqs * in_channels))


_Parts = Tuple[Tuple[int, int, torch.Tensor], ...]


class WeightSpectrum(NamedTuple):
    """A weight's spectrum as :func:`spectral_conv1d` builds it on every call, for a caller that keeps it across
    calls without gradients (``packed_conv``'s inference cache): :func:`weight_spectrum` makes it, and
    :func:`spectral_conv1d` takes it in place of the weight. ``(L + 2) / K`` times the weight's memory (2-2.6x at
    Jasper's 13-29 taps)."""

    shape: torch.Size
    """The weight's ``[O, C, K]``."""
    parts: _Parts
    """``(start, stop, [F, 2 (stop - start), C])`` per chunk of output channels."""


def _weight_parts(weight: torch.Tensor, kernel: torch.Tensor, chunk: int) -> Iterator[Tuple[int, int, torch.Tensor]]:
    """``weight``'s spectrum (``kernel`` ``[2F, K]``) chunk by chunk of ``chunk`` output channels."""
    freqs = kernel.shape[0] // 2
    out_channels, taps = weight.shape[0], weight.shape[2]
    for start in range(0, out_channels, chunk):
        stop = min(out_channels, start + chunk)
        part = torch.mm(kernel, weight[start:stop].reshape(-1, taps).t()).view(freqs, 2 * (stop - start), -1)
        yield start, stop, part


def _product(spectrum: torch.Tensor, parts: Iterable[Tuple[int, int, torch.Tensor]], out_channels: int):
    """``[F, 2, O, 2M]``: each chunk's spectrum ``part`` times the input's ``spectrum`` ``[F, 2M, C]``."""
    freqs, rows, _ = spectrum.shape
    product = spectrum.new_empty(freqs, 2, out_channels, rows)
    columns = spectrum.transpose(1, 2)
    for start, stop, part in parts:
        product[:, :, start:stop] = torch.bmm(part, columns).view(freqs, 2, stop - start, rows)
    return product


class _SpectralProduct(torch.autograd.Function):
    """``Y[f] = G[f] @ X[f]`` per frequency, ``G`` the weight's spectrum built chunk by chunk of output channels.

    ``spectrum`` ``[F, 2M, C]`` (rows: real parts of the ``M`` blocks, then imaginary), ``weight`` ``[O, C, K]``,
    ``kernel`` ``[2F, K]`` (the kernel transform's columns at the taps) -> ``[F, 2, O, 2M]`` (kernel part, output
    channel, input part and block). The backward recomputes each chunk's spectrum instead of keeping it; it is not
    itself differentiable (a double backward raises).
    """

    @staticmethod
    def forward(ctx, spectrum: torch.Tensor, weight: torch.Tensor, kernel: torch.Tensor, chunk: int):
        product = _product(spectrum, _weight_parts(weight, kernel, chunk), weight.shape[0])
        ctx.save_for_backward(spectrum, weight, kernel)
        ctx.chunk = chunk
        return product

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: torch.Tensor):
        spectrum, weight, kernel = ctx.saved_tensors
        freqs, rows, channels = spectrum.shape
        taps = weight.shape[2]
        grad_columns = spectrum.new_zeros(freqs, channels, rows)
        grad_weight = weight.new_empty(weight.shape)  # contiguous, whatever the strides of weight
        for start, stop, part in _weight_parts(weight, kernel, ctx.chunk):
            grad_part = grad[:, :, start:stop].reshape(freqs, 2 * (stop - start), rows)
            grad_columns.baddbmm_(part.transpose(1, 2), grad_part)
            grad_spectrum = torch.bmm(grad_part, spectrum).view(2 * freqs, -1)
            torch.mm(grad_spectrum.t(), kernel, out=grad_weight[start:stop].view(-1, taps))
        return grad_columns.transpose(1, 2), grad_weight, None, None


def _kernel_transform(taps: int) -> torch.Tensor:
    """``[2F, K]``: the kernel transform's columns at ``taps`` undilated taps (blocks of ``block_length(taps)``)."""
    length = block_length(taps)
    return _transforms(length, length - taps + 1)[1][:, :taps]


def weight_spectrum(weight: torch.Tensor) -> WeightSpectrum:
    """``weight`` ``[O, C, K]``'s spectrum, for :func:`spectral_conv1d` calls without gradients at any padding and
    dilation (a dilated kernel runs undilated over the input's phases, so its blocks depend on the taps alone)."""
    taps = weight.shape[2]
    kernel = _kernel_transform(taps).to(weight.dtype)
    chunk = _chunk(kernel.shape[0] // 2, weight.shape[1])
    with torch.no_grad():
        return WeightSpectrum(weight.shape, tuple(_weight_parts(weight, kernel, chunk)))


def spectral_conv1d(
    x: torch.Tensor,
    weight: Union[torch.Tensor, WeightSpectrum],
    bias: Optional[torch.Tensor] = None,
    padding: int = 0,
    dilation: int = 1,
) -> torch.Tensor:
    """``F.conv1d(x, weight, bias, padding=padding, dilation=dilation)`` (stride 1, one group) through overlap-save
    blocks in the frequency domain; differentiable in ``x``, ``weight`` and ``bias``. ``x`` ``[B, C, T]``; ``weight``
    ``[O, C, K]`` or, without gradients, its :func:`weight_spectrum` (no transform of the weight in the call).

    A dilated kernel runs undilated over the input's ``dilation`` phases as a batch ``dilation`` times larger (output
    ``d u + r`` reads only phase ``r``): blocks sized for the kernel's taps rather than its span, so fewer frequencies
    and no transform of the zeros between taps (Jasper's 29 taps dilated 2: 0.62 -> 0.45 of ``conv1d``'s time)."""
    batch, channels, steps = x.shape
    out_channels, _, taps = weight.shape
    if isinstance(weight, WeightSpectrum) and torch.is_grad_enabled() and x.requires_grad:
        raise ValueError("spectral_conv1d: a WeightSpectrum serves calls without gradients only")
    span = dilation * (taps - 1) + 1
    out_steps = steps + 2 * padding - span + 1
    if out_steps < 1:
        raise ValueError(f"spectral_conv1d: {steps} input steps + 2 x padding {padding} < kernel span {span}")
    if dilation > 1:
        phase_steps = -(-(steps + 2 * padding) // dilation)
        padded = nn.functional.pad(x, (padding, phase_steps * dilation - steps - padding))
        phases = padded.view(batch, channels, phase_steps, dilation).permute(0, 3, 1, 2)
        out = spectral_conv1d(phases.reshape(batch * dilation, channels, phase_steps), weight, bias)
        out = out.view(batch, dilation, out_channels, -1).permute(0, 2, 3, 1).reshape(batch, out_channels, -1)
        return out[..., :out_steps]
    length = block_length(span)
    outputs = length - span + 1
    blocks = -(-out_steps // outputs)
    rows = batch * blocks
    forward, _, inverse = _transforms(length, outputs)
    padded = nn.functional.pad(x, (padding, (blocks - 1) * outputs + length - steps - padding))
    windows = padded.unfold(2, length, outputs).permute(3, 0, 2, 1).reshape(length, rows * channels)
    freqs = length // 2 + 1
    spectrum = torch.mm(forward, windows).view(freqs, 2 * rows, channels)
    if isinstance(weight, WeightSpectrum):
        product = _product(spectrum, weight.parts, out_channels)
    else:
        product = _SpectralProduct.apply(spectrum, weight, _kernel_transform(taps), _chunk(freqs, channels))
    terms = product.view(freqs, 2, out_channels, 2, rows).permute(0, 1, 3, 2, 4).reshape(4 * freqs, -1)
    out = torch.mm(inverse, terms).view(outputs, out_channels, batch, blocks).permute(2, 1, 3, 0)
    out = out.reshape(batch, out_channels, blocks * outputs)[..., :out_steps]
    return out if bias is None else out + bias[:, None]


def spectral_preferred(conv: nn.Conv1d, x: torch.Tensor, spectrum_kept: bool = False) -> bool:
    """Whether ``conv`` on ``x`` runs faster through :func:`spectral_conv1d`: a plain one-group stride-1
    ``Conv1d`` (zero padding given as a number) spanning at least ``MIN_SPAN`` steps between at least
    ``MIN_CHANNELS`` channels each way, over at least ``MIN_ROWS`` output rows (batch x steps) per intra-op thread
    (``MIN_ROWS_KEPT_SPECTRUM`` when the caller keeps the weight's spectrum, ``spectrum_kept``), on float32 CPU
    tensors, outside autocast and graph capture (a traced or exported graph records ``conv1d``). A rule of shapes
    and the thread count, never of timings."""
    span = conv.dilation[0] * (conv.kernel_size[0] - 1) + 1
    min_rows = MIN_ROWS_KEPT_SPECTRUM if spectrum_kept else MIN_ROWS
    return (
        ENABLED
        and span >= MIN_SPAN
        and conv.in_channels >= MIN_CHANNELS
        and conv.out_channels >= MIN_CHANNELS
        and own_kernel_rows(conv, x) >= min_rows * torch.get_num_threads()
    )
