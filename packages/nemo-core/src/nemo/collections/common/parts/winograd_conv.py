"""``winograd_conv1d``: a dense stride-1 three-tap ``conv1d`` in Winograd's minimal filtering form F(4, 3).

A three-tap convolution does 3 multiply-adds per channel pair and output step. Winograd's F(4, 3) (Lavin and Gray,
"Fast Algorithms for Convolutional Neural Networks", 2016; interpolation points 0, 1, -1, 2, -2 and infinity) cuts
the input into tiles of 6 steps every 4, transforms each tile and the kernel to 6 points, multiplies them pointwise
and transforms back to 4 outputs: 6 multiply-adds per channel pair for 4 outputs, half the arithmetic. Summed over
the input channels, the pointwise products are 6 GEMMs (``[tiles, C] @ [C, O]``, one per point), and the three
transforms are small matrix products, so everything runs at BLAS speed. The backward pass is the same products
transposed (:class:`_WinogradConv`), so training gets the saving for both gradients too.

Measured on FastPitch's feed-forward shapes (torch 2.13, AMD EPYC, one thread, batch 4 x 173-199 steps, 256 <->
1024 channels, the input a ``[B, T, C]`` view; time relative to ``F.conv1d``): forward 0.65-0.76, forward plus
backward (both gradients) 0.60-0.69; shorter inputs and other layouts gain less (see ``MIN_ROWS`` and
:func:`winograd_preferred`). Results equal ``conv1d``'s up to float rounding (relative differences ~1e-6: the
transforms' entries are small integers and sixths). Autograd keeps the input tiles' transform (1.5x the input) and the
kernel's (2x the weight) where ``conv1d`` keeps the input. ``NEMO_WINOGRAD_CONV=0`` in the environment (read at
import) or ``winograd_conv.ENABLED = False`` turns it off.
"""

from functools import cache
from typing import Optional, Tuple

import torch
from torch import nn
from torch.autograd.function import once_differentiable

from nemo.collections.common.parts.kernel_gate import own_kernel_rows
from nemo.utils.env_flag import env_flag

__all__ = ["ENABLED", "MIN_CHANNELS", "MIN_ROWS", "TILE", "winograd_conv1d", "winograd_preferred"]

ENABLED = env_flag("NEMO_WINOGRAD_CONV")
"""``False`` keeps every three-tap convolution on ``conv1d`` (default from ``NEMO_WINOGRAD_CONV``)."""

MIN_CHANNELS = 256
"""Both channel counts at least this: the products are ``[tiles, C] @ [C, O]`` GEMMs and the transforms cost per
channel (measured: 256-1024, FastPitch's feed-forward and predictor layers)."""

MIN_ROWS = 160
"""Batch x output steps at least this per intra-op thread: on one thread 160 rows (FastPitch's 4 x 40 tokens)
measured 0.71-0.89 of ``conv1d``'s forward time and 0.78-0.96 with the backward; on two threads ``conv1d`` scales
better, 160 rows read 1.04-1.25 forward, 320 rows 1.0 (0.82 with the backward), 692-796 rows 0.74-0.82."""

TILE = 4
"""Outputs per tile (the ``m`` of F(m, 3)); each tile reads ``TILE + 2`` input steps."""

_POINTS = TILE + 2

_INPUT = torch.tensor(
    [
        [4, 0, -5, 0, 1, 0],
        [0, -4, -4, 1, 1, 0],
        [0, 4, -4, -1, 1, 0],
        [0, -2, -1, 2, 1, 0],
        [0, 2, -1, -2, 1, 0],
        [0, 4, 0, -5, 0, 1],
    ],
    dtype=torch.float64,
)
"""``B^T`` ``[6, 6]``: a tile of 6 input steps to its 6 points."""

_KERNEL = torch.tensor(
    [
        [1 / 4, 0, 0],
        [-1 / 6, -1 / 6, -1 / 6],
        [-1 / 6, 1 / 6, -1 / 6],
        [1 / 24, 1 / 12, 1 / 6],
        [1 / 24, -1 / 12, 1 / 6],
        [0, 0, 1],
    ],
    dtype=torch.float64,
)
"""``G`` ``[6, 3]``: the three taps to their 6 points."""

_OUTPUT = torch.tensor(
    [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]], dtype=torch.float64
)
"""``A^T`` ``[4, 6]``: the 6 points' products to the tile's 4 outputs."""


@cache
def _transforms(dtype: torch.dtype, device: torch.device) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(B^T, G, A^T)`` in ``dtype`` on ``device``."""
    return tuple(matrix.to(device=device, dtype=dtype) for matrix in (_INPUT, _KERNEL, _OUTPUT))


def _tiles_of(x: torch.Tensor, padding: int, tiles: int) -> torch.Tensor:
    """The input tiles of ``x`` ``[B, C, T]`` as ``[6, B * tiles * C]`` (step within tile; batch, tile, channel):
    zero padded by ``padding`` on the left and to ``TILE * (tiles + 1)`` steps in all."""
    steps = x.shape[2]
    padded = nn.functional.pad(x.transpose(1, 2), (0, 0, padding, TILE * (tiles + 1) - steps - padding))
    return padded.unfold(1, _POINTS, TILE)[:, :tiles].permute(3, 0, 1, 2).reshape(_POINTS, -1)


def _write_outputs(out: torch.Tensor, tiles: torch.Tensor, bias: Optional[torch.Tensor]) -> None:
    """``out`` ``[B, O, T]`` (any strides) from the tiles' outputs ``[4, B, tiles, O]`` plus ``bias``: the whole
    tiles in one pass, the last partial one apart."""
    steps, whole = out.shape[2], out.shape[2] // TILE
    source = tiles.permute(1, 3, 2, 0)  # [B, O, tiles, 4]
    parts = [(source[:, :, :whole], out[..., : whole * TILE].unflatten(2, (whole, TILE)))]
    if steps > whole * TILE:
        parts.append((source[:, :, whole, : steps - whole * TILE], out[..., whole * TILE :]))
    for part, target in parts:
        if bias is None:
            target.copy_(part)
        else:
            torch.add(part, bias.view(-1, *[1] * (part.dim() - 2)), out=target)


class _WinogradConv(torch.autograd.Function):
    """``conv1d(x, weight, bias, padding)`` for three taps through F(4, 3); saves the input tiles' transform and
    the kernel's. The backward is not itself differentiable (a double backward raises)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor], padding: int):
        batch, channels, steps = x.shape
        out_channels = weight.shape[0]
        out_steps = steps + 2 * padding - 2
        tiles = -(-out_steps // TILE)
        rows = batch * tiles
        to_points, to_kernel, to_outputs = _transforms(x.dtype, x.device)
        points = torch.mm(to_points, _tiles_of(x, padding, tiles)).view(_POINTS, rows, channels)
        kernel = torch.mm(to_kernel, weight.reshape(-1, 3).t()).view(_POINTS, out_channels, channels)
        products = torch.bmm(points, kernel.transpose(1, 2))  # [6, rows, O]
        tile_out = torch.mm(to_outputs, products.view(_POINTS, -1)).view(TILE, batch, tiles, out_channels)
        channels_last = x.stride(1) < x.stride(2)
        if channels_last:  # the caller's [B, T, C] layout (not a view: the caller may run a ReLU in place on it)
            strides = (out_steps * out_channels, 1, out_channels)
        else:
            strides = (out_channels * out_steps, out_steps, 1)
        out = x.new_empty_strided((batch, out_channels, out_steps), strides)
        _write_outputs(out, tile_out, bias)
        ctx.save_for_backward(points, kernel)
        ctx.geometry = (batch, channels, steps, padding, tiles, channels_last, bias is not None)
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: torch.Tensor) -> Tuple[Optional[torch.Tensor], ...]:
        points, kernel = ctx.saved_tensors
        batch, channels, steps, padding, tiles, channels_last, has_bias = ctx.geometry
        out_channels, out_steps = grad.shape[1], grad.shape[2]
        rows = batch * tiles
        whole = out_steps // TILE
        to_points, to_kernel, to_outputs = _transforms(grad.dtype, grad.device)
        grad_tiles = grad.new_empty(TILE, batch, tiles, out_channels)  # only a partial last tile needs zeros
        grad_tiles[:, :, :whole] = grad[..., : whole * TILE].unflatten(2, (whole, TILE)).permute(3, 0, 2, 1)
        if out_steps > whole * TILE:
            grad_tiles[:, :, whole].zero_()
            grad_tiles[: out_steps - whole * TILE, :, whole] = grad[..., whole * TILE :].permute(2, 0, 1)
        grad_products = torch.mm(to_outputs.t(), grad_tiles.view(TILE, -1)).view(_POINTS, rows, out_channels)
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[1]:
            grad_kernel = torch.bmm(grad_products.transpose(1, 2), points)  # [6, O, C]
            grad_weight = torch.mm(to_kernel.t(), grad_kernel.view(_POINTS, -1)).view(3, out_channels, channels)
            grad_weight = grad_weight.permute(1, 2, 0).contiguous()
        if ctx.needs_input_grad[0]:
            grad_points = torch.bmm(grad_products, kernel)  # [6, rows, C]
            grad_windows = torch.mm(to_points.t(), grad_points.view(_POINTS, -1)).view(_POINTS, batch, tiles, channels)
            # overlap-add: tile t's step i lands on padded step TILE * t + i (the last two on the next tile's first)
            if channels_last:
                padded = grad.new_empty(batch, tiles + 1, TILE, channels)
                padded[:, :tiles].copy_(grad_windows[:TILE].permute(1, 2, 0, 3))
                padded[:, tiles].zero_()
                padded[:, 1:, : _POINTS - TILE] += grad_windows[TILE:].permute(1, 2, 0, 3)
                grad_x = padded.view(batch, -1, channels)[:, padding : padding + steps].transpose(1, 2)
            else:
                padded = grad.new_empty(batch, channels, tiles + 1, TILE)
                padded[:, :, :tiles].copy_(grad_windows[:TILE].permute(1, 3, 2, 0))
                padded[:, :, tiles].zero_()
                padded[:, :, 1:, : _POINTS - TILE] += grad_windows[TILE:].permute(1, 3, 2, 0)
                grad_x = padded.view(batch, channels, -1)[..., padding : padding + steps]
        if has_bias and ctx.needs_input_grad[2]:
            grad_bias = grad.sum((0, 2))
        return grad_x, grad_weight, grad_bias, None


def winograd_conv1d(
    x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor] = None, padding: int = 1
) -> torch.Tensor:
    """``F.conv1d(x, weight, bias, padding=padding)`` for a three-tap ``weight`` ``[O, C, 3]`` (stride 1, one
    group, no dilation) through Winograd's F(4, 3); differentiable in ``x``, ``weight`` and ``bias``. ``x``
    ``[B, C, T]``, any strides, dtype or device; the output has the input's layout (``[B, T, C]`` memory for a
    transposed view, where ``conv1d`` answers ``[B, C, T]``)."""
    if weight.shape[2] != 3:
        raise ValueError(f"winograd_conv1d: a three-tap weight [O, C, 3] expected, got {list(weight.shape)}")
    if x.shape[2] + 2 * padding < 3:
        raise ValueError(f"winograd_conv1d: {x.shape[2]} input steps + 2 x padding {padding} < 3 taps")
    return _WinogradConv.apply(x, weight, bias, padding)


def winograd_preferred(conv: nn.Conv1d, x: torch.Tensor) -> bool:
    """Whether ``conv`` on ``x`` runs faster through :func:`winograd_conv1d`: a plain one-group stride-1 undilated
    three-tap ``Conv1d`` (zero padding given as a number) of at least ``MIN_CHANNELS`` channels each way, over at
    least ``MIN_ROWS`` output rows (batch x steps) per intra-op thread, on a float32 CPU input laid out ``[B, T, C]``
    (a transposed view, as transformers hand it: the tiles and outputs are then read and written along contiguous
    channels; a ``[B, C, T]`` input measured 0.96-1.03 of ``conv1d`` forward), outside autocast and graph capture.
    A rule of shapes, layout and the thread count, never of timings."""
    return (
        ENABLED
        and conv.kernel_size[0] == 3
        and conv.dilation[0] == 1
        and conv.in_channels >= MIN_CHANNELS
        and conv.out_channels >= MIN_CHANNELS
        and x.dim() == 3
        and x.stride(1) == 1 < x.stride(2)
        and own_kernel_rows(conv, x) >= MIN_ROWS * torch.get_num_threads()
    )
