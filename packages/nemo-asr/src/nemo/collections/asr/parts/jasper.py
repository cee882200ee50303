"""Jasper/QuartzNet/Citrinet building blocks with NeMo 1's submodule layout.

The attribute names and list positions (``mconv``, ``res``, ``mout``; ``MaskedConv1d.conv``; ``SqueezeExcite.fc``)
reproduce NeMo's state-dict keys, e.g. ``encoder.0.mconv.0.conv.weight``, so NVIDIA checkpoints load strictly.
"""

from typing import List, Optional, Sequence, Tuple, Union

import torch
from torch import nn

from nemo.collections.asr.parts.depthwise_conv import depthwise_conv1d, prefer_depthwise_kernel
from nemo.collections.asr.parts.time_mask import relu_zero_beyond, zero_beyond, zero_beyond_
from nemo.collections.common.parts.batch_norm import batch_norm
from nemo.collections.common.parts.dense_conv import dense_conv1d
from nemo.collections.common.parts.graph_capture import capturing_graph
from nemo.collections.common.parts.packed_conv import conv_norm_act, fused_activation

__all__ = [
    "GroupShuffle",
    "JasperBlock",
    "MaskedConv1d",
    "SqueezeExcite",
    "compute_new_kernel_size",
    "get_same_padding",
    "init_weights",
    "jasper_activations",
]

# NeMo 3's activation registry (nemo.collections.common.parts.utils.activation_registry)
jasper_activations = {
    "identity": nn.Identity,
    "hardtanh": nn.Hardtanh,
    "relu": nn.ReLU,
    "selu": nn.SELU,
    "swish": nn.SiLU,
    "silu": nn.SiLU,
    "gelu": nn.GELU,
}

_NORMALIZATIONS = ("batch", "layer", "group", "instance")


def init_weights(module: nn.Module, mode: Optional[str] = "xavier_uniform") -> None:
    """Initialise conv/linear weights by ``mode`` and reset batch norms (use with ``Module.apply``)."""
    if isinstance(module, (nn.Conv1d, nn.Linear)):
        if mode is None:
            return
        if mode == "xavier_uniform":
            nn.init.xavier_uniform_(module.weight, gain=1.0)
        elif mode == "xavier_normal":
            nn.init.xavier_normal_(module.weight, gain=1.0)
        elif mode == "kaiming_uniform":
            nn.init.kaiming_uniform_(module.weight, nonlinearity="relu")
        elif mode == "kaiming_normal":
            nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
        else:
            raise ValueError(
                f"Unknown init_mode '{mode}'; expected xavier_uniform, xavier_normal, kaiming_uniform or kaiming_normal"
            )
    elif isinstance(module, nn.BatchNorm1d):
        if module.track_running_stats:
            module.reset_running_stats()
        if module.affine:
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)


def compute_new_kernel_size(kernel_size: int, kernel_width: float) -> int:
    """``kernel_size * kernel_width`` rounded down, at least 1, bumped to the next odd number."""
    new_size = max(int(kernel_size * kernel_width), 1)
    return new_size + 1 if new_size % 2 == 0 else new_size


def get_same_padding(kernel_size: int, stride: int, dilation: int) -> int:
    if stride > 1 and dilation > 1:
        raise ValueError(f"Only stride OR dilation may be greater than 1, got stride={stride}, dilation={dilation}")
    return (dilation * (kernel_size - 1)) // 2


def _first(value: Union[int, Sequence[int]]) -> int:
    return int(value[0]) if isinstance(value, (list, tuple)) else int(value)


class MaskedConv1d(nn.Module):
    """Conv1d that zeroes frames at or beyond each sample's length first, and returns the output lengths.

    ``heads != -1`` shares one depthwise kernel set of ``heads`` channels across all channel groups.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        dilation: int = 1,
        groups: int = 1,
        heads: int = -1,
        bias: bool = False,
        use_mask: bool = True,
    ) -> None:
        super().__init__()
        if not (heads == -1 or groups == in_channels):
            raise ValueError(f"heads={heads} is only for depthwise convolutions (groups == in_channels={in_channels})")
        self.real_out_channels = out_channels
        if heads != -1:
            in_channels = out_channels = groups = heads
        self.conv = nn.Conv1d(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
            bias=bias,
        )
        self.use_mask = use_mask
        self.heads = heads
        conv = self.conv
        self._depthwise = (
            conv.groups == conv.in_channels == conv.out_channels
            and conv.padding_mode == "zeros"
            and isinstance(conv.padding, tuple)
        )

    def _convolve(self, x: torch.Tensor) -> torch.Tensor:
        conv = self.conv
        if self._depthwise:
            padding, dilation, stride = conv.padding[0], conv.dilation[0], conv.stride[0]
            if prefer_depthwise_kernel(x, conv.weight, padding, dilation, stride):
                return depthwise_conv1d(x, conv.weight, conv.bias, padding, dilation, stride)
        return dense_conv1d(conv, x)

    def get_seq_len(self, lens: torch.Tensor) -> torch.Tensor:
        return _conv_out_len(self.conv, lens)

    def _masked_input(self, x: torch.Tensor, lens: Optional[torch.Tensor], inplace: bool = False):
        """``x`` with the frames past ``lens`` zeroed (``use_mask``; ``inplace``: in ``x`` itself, which nothing
        else may read unmasked) and the output lengths."""
        if lens is not None:
            lens = lens.to(torch.long)
            if self.use_mask:
                x = zero_beyond_(x, lens) if inplace else zero_beyond(x, lens)
            lens = self.get_seq_len(lens)
        return x, lens

    def forward(self, x: torch.Tensor, lens: Optional[torch.Tensor]) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        x, lens = self._masked_input(x, lens)
        shape = x.shape
        if self.heads != -1:
            x = x.reshape(-1, self.heads, shape[-1])
        out = self._convolve(x)
        if self.heads != -1:
            out = out.reshape(shape[0], self.real_out_channels, -1)
        return out, lens


class GroupShuffle(nn.Module):
    """Interleave the channels of ``groups`` groups (ShuffleNet), so grouped convolutions mix information."""

    def __init__(self, groups: int, channels: int) -> None:
        super().__init__()
        self.groups = groups
        self.channels_per_group = channels // groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, _, steps = x.shape
        x = x.view(batch, self.groups, self.channels_per_group, steps).transpose(1, 2)
        return x.reshape(batch, self.groups * self.channels_per_group, steps)


class SqueezeExcite(nn.Module):
    """Squeeze-and-excitation over time, as in NeMo >= 1.x (and NeMo 3): frames at or past each sample's length are
    zeroed, the squeeze is the mean over the valid frames, and the gated output keeps those frames at zero.

    With ``context_window > 0`` training averages one random window of that many frames (the same window for the
    whole batch); evaluation uses every valid frame, as NeMo does. ``interpolation_mode`` is accepted for old configs
    and unused (NeMo no longer interpolates). ``lengths=None`` treats every frame as valid.
    """

    def __init__(
        self,
        channels: int,
        reduction_ratio: int,
        context_window: int = -1,
        interpolation_mode: str = "nearest",
        activation: Optional[nn.Module] = None,
    ) -> None:
        super().__init__()
        self.context_window = int(context_window)
        self.interpolation_mode = interpolation_mode
        self.fc = nn.Sequential(
            nn.Linear(channels, channels // reduction_ratio, bias=False),
            activation if activation is not None else nn.ReLU(inplace=True),
            nn.Linear(channels // reduction_ratio, channels, bias=False),
        )

    def forward(self, x: torch.Tensor, lengths: Optional[torch.Tensor] = None) -> torch.Tensor:
        dtype = x.dtype
        x = x.float()  # NeMo computes the squeeze-excite in float32 whatever the input's precision
        steps = x.shape[-1]
        x = zero_beyond(x, lengths)
        # Valid frames per sample, the squeeze's divisor: min(length, steps) (in the window: those past its start).
        valid = torch.full((x.shape[0],), steps, device=x.device) if lengths is None else lengths.to(x.device)
        if self.training and 0 < self.context_window <= steps:
            start = int(torch.randint(0, max(steps - self.context_window, 1), (1,)))
            counts = (valid - start).clamp(0, self.context_window).to(x.dtype).view(-1, 1, 1)
            y = x[:, :, start : start + self.context_window].sum(-1, keepdim=True) / (counts + 1e-8)
        else:
            y = x.sum(-1, keepdim=True) / valid.clamp(max=steps).to(x.dtype).view(-1, 1, 1)
        y = self.fc(y.transpose(1, -1)).transpose(1, -1)  # (B, C, 1)
        return (x * torch.sigmoid(y)).to(dtype)


class JasperBlock(nn.Module):
    """``repeat`` x (conv [+ pointwise if separable] + norm [+ shuffle]) with activation/dropout between, optional SE,
    a residual branch per pane (dense residual when ``residual_panes`` is given) and a final activation/dropout.

    ``forward((xs, lens))`` takes the list of earlier outputs (the last one is this block's input) and returns
    ``(xs + [out], lens)`` for dense residual blocks, else ``([out], lens)``.
    """

    def __init__(
        self,
        inplanes: int,
        planes: int,
        repeat: int = 3,
        kernel_size: Union[int, Sequence[int]] = 11,
        kernel_size_factor: float = 1,
        stride: Union[int, Sequence[int]] = 1,
        dilation: Union[int, Sequence[int]] = 1,
        padding: str = "same",
        dropout: float = 0.2,
        activation: Optional[nn.Module] = None,
        residual: bool = True,
        groups: int = 1,
        separable: bool = False,
        heads: int = -1,
        normalization: str = "batch",
        norm_groups: int = 1,
        residual_mode: str = "add",
        residual_panes: Optional[List[int]] = None,
        conv_mask: bool = False,
        se: bool = False,
        se_reduction_ratio: int = 16,
        se_context_window: int = -1,
        se_interpolation_mode: str = "nearest",
        stride_last: bool = False,
    ) -> None:
        super().__init__()
        if padding != "same":
            raise ValueError(f"JasperBlock: only padding='same' is supported, got '{padding}'")
        if normalization not in _NORMALIZATIONS:
            raise ValueError(f"JasperBlock: normalization '{normalization}' is not one of {list(_NORMALIZATIONS)}")
        if residual_mode not in ("add", "stride_add", "max"):
            raise ValueError(f"JasperBlock: residual_mode '{residual_mode}' is not one of ['add', 'stride_add', 'max']")
        kernel = compute_new_kernel_size(_first(kernel_size), float(kernel_size_factor))
        stride, dilation = _first(stride), _first(dilation)
        padding_val = get_same_padding(kernel, stride, dilation)
        self.conv_mask = conv_mask
        self.separable = separable
        self.residual_mode = residual_mode
        self.se = se

        conv = nn.ModuleList()
        in_loop = inplanes
        for index in range(max(repeat, 1)):
            last = index == max(repeat, 1) - 1
            conv.extend(
                self._conv_bn(
                    in_loop,
                    planes,
                    kernel,
                    stride if last or not stride_last else 1,  # stride_last: only the last sub-block strides
                    dilation,
                    padding_val,
                    groups,
                    heads,
                    separable,
                    normalization,
                    norm_groups,
                )
            )
            if not last:  # the block's last activation and dropout come after the residual sum
                conv.extend(self._act_dropout(dropout, activation))
            in_loop = planes
        if se:
            conv.append(SqueezeExcite(planes, se_reduction_ratio, se_context_window, se_interpolation_mode, activation))
        self.mconv = conv

        panes = list(residual_panes or [])
        self.dense_residual = residual and bool(panes)
        if residual:
            res_stride = stride if residual_mode == "stride_add" else 1
            self.res = nn.ModuleList(
                nn.ModuleList(self._conv_bn(p, planes, 1, res_stride, 1, 0, 1, -1, False, normalization, norm_groups))
                for p in (panes or [inplanes])
            )
        else:
            self.res = None
        self.mout = nn.Sequential(*self._act_dropout(dropout, activation))

    def _conv(
        self, cin: int, cout: int, kernel: int, stride: int, dilation: int, padding: int, groups: int, heads: int
    ):
        if self.conv_mask:
            return MaskedConv1d(cin, cout, kernel, stride, padding, dilation, groups, heads=heads, use_mask=True)
        return nn.Conv1d(
            cin, cout, kernel, stride=stride, padding=padding, dilation=dilation, groups=groups, bias=False
        )

    def _conv_bn(
        self, cin, cout, kernel, stride, dilation, padding, groups, heads, separable, normalization, norm_groups
    ) -> List[nn.Module]:
        if separable:
            layers = [
                self._conv(cin, cin, kernel, stride, dilation, padding, cin, heads),
                self._conv(cin, cout, 1, 1, 1, 0, groups, -1),
            ]
        else:
            layers = [self._conv(cin, cout, kernel, stride, dilation, padding, groups, -1)]
        if normalization == "batch":
            layers.append(nn.BatchNorm1d(cout, eps=1e-3, momentum=0.1))
        else:
            num_groups = {"group": cout if norm_groups == -1 else norm_groups, "instance": cout, "layer": 1}
            layers.append(nn.GroupNorm(num_groups=num_groups[normalization], num_channels=cout))
        if groups > 1:
            layers.append(GroupShuffle(groups, cout))
        return layers

    @staticmethod
    def _act_dropout(drop_prob: float, activation: Optional[nn.Module]) -> List[nn.Module]:
        activation = activation if activation is not None else nn.Hardtanh(min_val=0.0, max_val=20.0)
        return [activation, nn.Dropout(p=drop_prob)]

    def forward(self, input_: Tuple[List[torch.Tensor], Optional[torch.Tensor]]):
        xs, lens_orig = input_[0], (input_[1] if len(input_) == 2 else None)
        if torch.is_grad_enabled() or capturing_graph():
            out, lens = _run_recorded(self.mconv, xs[-1], lens_orig)
            res_outs = (_run_recorded(layers, pane, lens_orig)[0] for pane, layers in zip(xs, self.res or ()))
        else:  # the block's input masked once for the main and residual branches whose first layer masks it
            block_in, premasked = xs[-1], lens_orig is not None and _masks_input(self.mconv)
            if premasked:
                block_in = zero_beyond(block_in, lens_orig.to(torch.long))
            out, lens = _run_fused(self.mconv, block_in, lens_orig, premasked)
            res_outs = (
                _run_fused(layers, block_in, lens_orig, True)[0]
                if premasked and pane is xs[-1] and _masks_input(layers)
                else _run_fused(layers, pane, lens_orig)[0]
                for pane, layers in zip(xs, self.res or ())
            )
        # Without gradients the main branch's output is summed into and activated in place when it is a tensor made
        # here: no input pane, no hook saw it (nor waits on the activation).
        made_here = (
            not (torch.is_grad_enabled() or capturing_graph())
            and _storage_apart(out, xs)
            and not any(_hooked(layer) for layer in (*self.mconv, *self.mout))
        )
        for res_out in res_outs:
            if self.residual_mode == "max":
                out = torch.max(out, res_out)
            else:
                out = out.add_(res_out) if made_here else out + res_out
        if made_here or (torch.is_grad_enabled() and not capturing_graph()):  # a captured graph records ``mout``
            out, _ = _run_recorded(self.mout, out, None, fresh=True)
        else:
            out = self.mout(out)
        if self.res is not None and self.dense_residual:
            return xs + [out], lens
        return [out], lens


def _storage_apart(x: torch.Tensor, panes: Sequence[torch.Tensor]) -> bool:
    """Whether ``x`` shares memory with none of ``panes``."""
    own = x.untyped_storage().data_ptr()
    return all(pane.untyped_storage().data_ptr() != own for pane in panes)


def _run_one(layer: nn.Module, x: torch.Tensor, lens: Optional[torch.Tensor]):
    """One layer of a block on ``(x, lens)``."""
    if isinstance(layer, MaskedConv1d):
        return layer(x, lens)
    if isinstance(layer, SqueezeExcite):
        return layer(x, lens), lens
    x = layer(x)
    if isinstance(layer, nn.Conv1d) and lens is not None:
        lens = _conv_out_len(layer, lens)
    return x, lens


def _run_recorded(layers: Sequence[nn.Module], x: torch.Tensor, lens: Optional[torch.Tensor], fresh: bool = False):
    """The layers of a block under autograd: batch norms through ``batch_norm`` (faster training statistics), and a
    ReLU or Hardtanh right after one in place (no backward reads a batch norm's output; both activations' backward
    reads their own output, as out of place). ``fresh``: no backward reads ``x`` either (the residual sum), so a
    leading ReLU or Hardtanh runs in place too."""
    if capturing_graph():  # a traced or scripted graph records the modules themselves
        for layer in layers:
            x, lens = _run_one(layer, x, lens)
        return x, lens
    after_norm, masked = fresh, False
    for index, layer in enumerate(layers):
        if masked and isinstance(layer, MaskedConv1d):  # its input is already zero past ``lens``
            x, _ = layer(x, None)
            lens = layer.get_seq_len(lens.to(torch.long))
        elif after_norm and type(layer) is nn.ReLU and _masks_next(layers, index, lens):
            x, masked = relu_zero_beyond(x, lens, inplace=True), True
        elif after_norm and type(layer) in (nn.ReLU, nn.Hardtanh):
            x = torch.relu_(x) if type(layer) is nn.ReLU else nn.functional.hardtanh_(x, layer.min_val, layer.max_val)
        elif isinstance(layer, nn.BatchNorm1d):
            x = batch_norm(layer, x)
        else:
            x, lens = _run_one(layer, x, lens)
        after_norm = isinstance(layer, nn.BatchNorm1d)
        masked = masked and isinstance(layer, (nn.ReLU, nn.Dropout))
    return x, lens


def _masks_next(layers: Sequence[nn.Module], index: int, lens: Optional[torch.Tensor]) -> bool:
    """Whether the layer after ``layers[index]`` and its dropouts is a ``MaskedConv1d`` that masks its input by
    ``lens``: the ReLU then zeroes those frames itself (``relu_zero_beyond``, in place) and the convolution skips its
    mask (dropout keeps zeros zero)."""
    if lens is None:
        return False
    for layer in layers[index + 1 :]:
        if isinstance(layer, MaskedConv1d):
            return layer.use_mask
        if not isinstance(layer, nn.Dropout):
            return False
    return False


def _fusable_conv(layer: nn.Module) -> Optional[nn.Conv1d]:
    """The convolution of ``layer`` that ``conv_norm_act`` may run: a plain ``Conv1d``, or a ``MaskedConv1d``'s
    without shared heads, forward hooks or a depthwise kernel of its own."""
    if type(layer) is nn.Conv1d:
        return layer
    if isinstance(layer, MaskedConv1d) and layer.heads == -1 and not layer._depthwise:
        return None if layer._forward_hooks or layer._forward_pre_hooks else layer.conv
    return None


def _hooked(layer: nn.Module) -> bool:
    return bool(layer._forward_hooks or layer._forward_pre_hooks)


def _masks_input(layers: Sequence[nn.Module]) -> bool:
    """Whether the first of ``layers`` is a ``MaskedConv1d`` without hooks that masks its input."""
    first = layers[0] if len(layers) else None
    return isinstance(first, MaskedConv1d) and first.use_mask and not _hooked(first)


def _run_fused(layers: Sequence[nn.Module], x: torch.Tensor, lens: Optional[torch.Tensor], masked: bool = False):
    """The layers of a block without gradients: each convolution followed by a batch norm (and an activation) runs
    through ``conv_norm_act`` (norm folded, activation fused, the weight prepacked where its shape rule says so).
    A ``MaskedConv1d`` masks a tensor made here in place (``zero_beyond_``: the padded tails only) and ``x``, which
    the caller and other branches keep, into a new one; ``masked``: ``x`` is zero past ``lens`` already."""
    given = x.untyped_storage().data_ptr()
    index = 0
    while index < len(layers):
        layer, conv = layers[index], _fusable_conv(layers[index])
        own_mask = isinstance(layer, MaskedConv1d) and not _hooked(layer)
        if own_mask and masked:
            lens = None if lens is None else layer.get_seq_len(lens.to(torch.long))
        elif own_mask:
            x, lens = layer._masked_input(x, lens, inplace=x.untyped_storage().data_ptr() != given)
        masked = False
        norm = layers[index + 1] if conv is not None and index + 1 < len(layers) else None
        if isinstance(norm, nn.BatchNorm1d):
            if not own_mask and lens is not None:  # a plain Conv1d
                lens = _conv_out_len(conv, lens)
            activation = layers[index + 2] if index + 2 < len(layers) else None
            if activation is not None and fused_activation(activation) is None:
                activation = None
            x = conv_norm_act(conv, x, norm, activation)
            index += 2 if activation is None else 3
        elif own_mask:  # its own convolution (depthwise kernel, shared heads) on the input masked above
            x, index = layer(x, None)[0], index + 1
        else:
            x, lens = _run_one(layer, x, lens)
            index += 1
    return x, lens


def _conv_out_len(conv: nn.Conv1d, lens: torch.Tensor) -> torch.Tensor:
    span = conv.dilation[0] * (conv.kernel_size[0] - 1) + 1
    return torch.div(lens.to(torch.long) + 2 * conv.padding[0] - span, conv.stride[0], rounding_mode="floor") + 1
