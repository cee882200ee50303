"""HiFi-GAN (Kong et al. 2020): the generator and its multi-period and multi-scale discriminators.

Layer names and the weight-norm parametrization (``weight_g``/``weight_v``) follow NeMo's ``hifigan_modules`` (NeMo 3's
nested ``resblocks.<stage>.<block>``; NeMo 1.0's flat names are renamed on load), so NeMo HiFi-GAN state dicts load
strictly. ``debug=True`` shrinks the discriminators' channels (as NeMo's ``debug`` flag does) for tests and CPU runs;
the generator's size comes from its config (v1/v2/v3 or smaller).
"""

import warnings
from collections import OrderedDict
from typing import Dict, List, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from nemo.collections.tts.parts.channels_last import Conv1d, ConvTranspose1d, from_channels_last, to_channels_last
from nemo.core.classes.construction import register_renamed_target
from nemo.core.classes.module import NeuralModule
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import AudioSignal, MelSpectrogramType, NeuralType, VoidType

__all__ = [
    "DiscriminatorP",
    "DiscriminatorS",
    "Generator",
    "MultiPeriodDiscriminator",
    "MultiScaleDiscriminator",
    "ResBlock1",
    "ResBlock2",
]

LRELU_SLOPE = 0.1

FeatureMaps = List[List[torch.Tensor]]


def _weight_norm(module: nn.Module) -> nn.Module:
    """Weight normalization with NeMo 1's parameter names (``weight_g``/``weight_v``), for checkpoint compatibility.

    The parametrization-based replacement in ``torch.nn.utils.parametrizations`` renames the parameters, so the
    original function is kept; its deprecation notice is not actionable for users.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return nn.utils.weight_norm(module)


def _remove_weight_norm(module: nn.Module) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        nn.utils.remove_weight_norm(module)


def _spectral_norm(module: nn.Module) -> nn.Module:
    return nn.utils.spectral_norm(module)


def get_padding(kernel_size: int, dilation: int = 1) -> int:
    """Padding that keeps the length of a stride-1 convolution."""
    return (kernel_size * dilation - dilation) // 2


def init_weights(module: nn.Module, mean: float = 0.0, std: float = 0.01) -> None:
    """Normal(0, 0.01) init of convolution weights, as in the HiFi-GAN paper."""
    if isinstance(module, (nn.Conv1d, nn.ConvTranspose1d)):
        module.weight.data.normal_(mean, std)


class ResBlock1(nn.Module):
    """Residual block of the multi-receptive-field fusion: dilated conv then plain conv, three times (v1, v2)."""

    def __init__(self, channels: int, kernel_size: int = 3, dilation: Sequence[int] = (1, 3, 5)) -> None:
        super().__init__()
        self.convs1 = nn.ModuleList(
            [
                _weight_norm(
                    Conv1d(channels, channels, kernel_size, 1, dilation=d, padding=get_padding(kernel_size, d))
                )
                for d in dilation
            ]
        )
        self.convs2 = nn.ModuleList(
            [
                _weight_norm(Conv1d(channels, channels, kernel_size, 1, dilation=1, padding=get_padding(kernel_size)))
                for _ in dilation
            ]
        )
        self.convs1.apply(init_weights)
        self.convs2.apply(init_weights)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv1, conv2 in zip(self.convs1, self.convs2):
            # the residual summed into the convolution's own output (no backward reads it): one buffer fewer
            x = conv2(F.leaky_relu(conv1(F.leaky_relu(x, LRELU_SLOPE)), LRELU_SLOPE, inplace=True)).add_(x)
        return x

    def remove_weight_norm(self) -> None:
        for conv in [*self.convs1, *self.convs2]:
            _remove_weight_norm(conv)


class ResBlock2(nn.Module):
    """Lighter residual block: one dilated conv per dilation (v3)."""

    def __init__(self, channels: int, kernel_size: int = 3, dilation: Sequence[int] = (1, 3)) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            [
                _weight_norm(
                    Conv1d(channels, channels, kernel_size, 1, dilation=d, padding=get_padding(kernel_size, d))
                )
                for d in dilation
            ]
        )
        self.convs.apply(init_weights)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv in self.convs:
            x = conv(F.leaky_relu(x, LRELU_SLOPE)).add_(x)  # as in ResBlock1
        return x

    def remove_weight_norm(self) -> None:
        for conv in self.convs:
            _remove_weight_norm(conv)


class Generator(NeuralModule):
    """Mel -> waveform: a 7-tap input conv, transposed-conv upsampling stages each followed by the mean of several
    residual blocks (multi-receptive-field fusion), and a 7-tap output conv with tanh.

    The hop length of the matching mel front end must equal the product of ``upsample_rates``.
    """

    def __init__(
        self,
        resblock: int,
        upsample_rates: Sequence[int],
        upsample_kernel_sizes: Sequence[int],
        upsample_initial_channel: int,
        resblock_kernel_sizes: Sequence[int],
        resblock_dilation_sizes: Sequence[Sequence[int]],
        initial_input_size: int = 80,
        apply_weight_init_conv_pre: bool = False,
    ) -> None:
        super().__init__()
        if resblock not in (1, 2):
            raise ValueError(f"Generator: resblock must be 1 or 2, got {resblock}")
        if len(upsample_rates) != len(upsample_kernel_sizes):
            raise ValueError(
                f"Generator: upsample_rates {list(upsample_rates)} and upsample_kernel_sizes "
                f"{list(upsample_kernel_sizes)} must have the same length"
            )
        if len(resblock_kernel_sizes) != len(resblock_dilation_sizes):
            raise ValueError(
                f"Generator: resblock_kernel_sizes {list(resblock_kernel_sizes)} and resblock_dilation_sizes "
                f"{[list(d) for d in resblock_dilation_sizes]} must have the same length"
            )
        if not resblock_kernel_sizes or not all(len(dilation) for dilation in resblock_dilation_sizes):
            raise ValueError(
                f"Generator: resblock_kernel_sizes {list(resblock_kernel_sizes)} and resblock_dilation_sizes "
                f"{[list(d) for d in resblock_dilation_sizes]}: at least one residual block, each with a dilation"
            )
        if upsample_initial_channel % (2 ** len(upsample_rates)):
            raise ValueError(
                f"Generator: upsample_initial_channel={upsample_initial_channel} must be divisible by "
                f"2**len(upsample_rates)={2 ** len(upsample_rates)} (each stage halves the channels)"
            )
        self.num_kernels = len(resblock_kernel_sizes)
        # On CPU oneDNN's channels-last kernels win on every shipped generator up to 256 initial channels (v2, v3,
        # small: 8-45% forward and backward) and tie on v1's 512 (kept on torch's 1-D path there)
        self.channels_last = upsample_initial_channel <= 256
        self.num_upsamples = len(upsample_rates)
        self.conv_pre = _weight_norm(Conv1d(initial_input_size, upsample_initial_channel, 7, 1, padding=3))
        block_cls = ResBlock1 if resblock == 1 else ResBlock2

        self.ups = nn.ModuleList()
        for i, (rate, kernel) in enumerate(zip(upsample_rates, upsample_kernel_sizes)):
            c_in, c_out = upsample_initial_channel // (2**i), upsample_initial_channel // (2 ** (i + 1))
            self.ups.append(_weight_norm(ConvTranspose1d(c_in, c_out, kernel, rate, padding=(kernel - rate) // 2)))

        # One group of residual blocks per upsampling stage (NeMo >= 1.x's layout, resblocks.<stage>.<block>; NeMo
        # 1.0's flat resblocks.<stage * blocks + block> is renamed on load, see upgrade_state_dict)
        self.resblocks = nn.ModuleList()
        channels = upsample_initial_channel
        for i in range(len(self.ups)):
            channels = upsample_initial_channel // (2 ** (i + 1))
            self.resblocks.append(
                nn.ModuleList(
                    block_cls(channels, kernel, tuple(dilation))
                    for kernel, dilation in zip(resblock_kernel_sizes, resblock_dilation_sizes)
                )
            )

        self.conv_post = _weight_norm(Conv1d(channels, 1, 7, 1, padding=3))
        self.ups.apply(init_weights)
        self.conv_post.apply(init_weights)
        if apply_weight_init_conv_pre:
            self.conv_pre.apply(init_weights)
        self.register_load_state_dict_pre_hook(self._upgrade_on_load)

    def upgrade_state_dict(self, state_dict: Dict[str, torch.Tensor], prefix: str = "") -> Dict[str, torch.Tensor]:
        """``state_dict`` with NeMo 1.0's flat residual-block names (``resblocks.<stage * blocks + block>.``) renamed
        to the nested ones (``resblocks.<stage>.<block>.``), as NeMo 3's ``HifiGanModel.load_state_dict`` does;
        ``prefix`` is this generator's path in the model. Other entries are kept as they are.

        ``nemo.core.classes.restore.load_checked_state_dict`` calls it before checking the keys, and plain
        ``load_state_dict`` calls through a pre-hook, so both a NeMo 1.0 archive and a Lightning checkpoint load.
        """
        head = f"{prefix}resblocks."
        renamed = {}
        for key, value in state_dict.items():
            parts = key[len(head) :].split(".") if key.startswith(head) else []
            if len(parts) > 1 and parts[0].isdigit() and not parts[1].isdigit():
                stage, block = divmod(int(parts[0]), self.num_kernels)
                key = f"{head}{stage}.{block}.{'.'.join(parts[1:])}"
            renamed[key] = value
        return renamed

    def _upgrade_on_load(self, module, state_dict, prefix, *args) -> None:  # torch's load_state_dict pre-hook
        upgraded = self.upgrade_state_dict(state_dict, prefix)
        if list(upgraded) != list(state_dict):
            state_dict.clear()
            state_dict.update(upgraded)

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return OrderedDict({"x": NeuralType(("B", "D", "T"), MelSpectrogramType())})

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return OrderedDict({"audio": NeuralType(("B", "S", "T"), AudioSignal())})

    @typecheck()
    def forward(self, *, x: torch.Tensor) -> torch.Tensor:
        channels_last = self.channels_last and x.device.type == "cpu"  # measured on oneDNN (CPU) only
        x = self.conv_pre(to_channels_last(x) if channels_last else x)
        for upsample, group in zip(self.ups, self.resblocks):
            # in place where the input is this forward's own intermediate (no backward reads it)
            x = upsample(F.leaky_relu(x, LRELU_SLOPE, inplace=True))
            # the blocks' outputs summed and averaged in the first one's buffer, which its own residual sum made
            fused = group[0](x)
            for block in group[1:]:
                fused.add_(block(x))
            x = fused.div_(self.num_kernels)
        x = torch.tanh(self.conv_post(F.leaky_relu(x, inplace=True)))
        return from_channels_last(x) if channels_last else x

    def remove_weight_norm(self) -> None:
        """Fold the weight norm into plain weights (faster inference; training afterwards is not supported)."""
        for layer in self.ups:
            _remove_weight_norm(layer)
        for group in self.resblocks:
            for block in group:
                block.remove_weight_norm()
        _remove_weight_norm(self.conv_pre)
        _remove_weight_norm(self.conv_post)


class _Discriminator(NeuralModule):
    """A stack of leaky-ReLU convolutions (``convs``, then ``conv_post``) whose every output is a feature map; the
    period and scale discriminators differ in their layers, their input view (``_view``) and ``feature_axes``."""

    feature_axes: Tuple[str, ...]

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return OrderedDict({"x": NeuralType(("B", "S", "T"), AudioSignal())})

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return OrderedDict(
            {
                "decision": NeuralType(("B", "T"), VoidType()),
                "feature_maps": [NeuralType(self.feature_axes, VoidType())],
            }
        )

    def _view(self, x: torch.Tensor) -> torch.Tensor:
        return x

    @typecheck()
    def forward(self, *, x: torch.Tensor) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        feature_maps = []
        x = self._view(x)
        for conv in self.convs:
            x = F.leaky_relu(conv(x), LRELU_SLOPE)
            feature_maps.append(x)
        x = self.conv_post(x)
        feature_maps.append(x)
        return torch.flatten(x, 1, -1), feature_maps


class DiscriminatorP(_Discriminator):
    """Period discriminator: the waveform folded into ``[T / period, period]`` and judged by 2-D convolutions."""

    feature_axes = ("B", "C", "H", "W")

    def __init__(
        self, period: int, kernel_size: int = 5, stride: int = 3, use_spectral_norm: bool = False, debug: bool = False
    ) -> None:
        super().__init__()
        self.period = period
        norm = _spectral_norm if use_spectral_norm else _weight_norm
        channels = [1, 32, 128, 512, 1024] if not debug else [1, 8, 12, 32, 64]
        pad = (get_padding(kernel_size, 1), 0)
        layers = [
            norm(nn.Conv2d(c_in, c_out, (kernel_size, 1), (stride, 1), padding=pad))
            for c_in, c_out in zip(channels[:-1], channels[1:])
        ]
        layers.append(norm(nn.Conv2d(channels[-1], channels[-1], (kernel_size, 1), 1, padding=pad)))
        self.convs = nn.ModuleList(layers)
        self.conv_post = norm(nn.Conv2d(channels[-1], 1, (3, 1), 1, padding=(1, 0)))

    def _view(self, x: torch.Tensor) -> torch.Tensor:
        batch, channels, time = x.shape
        if time % self.period:
            pad = self.period - (time % self.period)
            mode = "reflect" if pad < time else "replicate"  # reflect needs more samples than the padding
            x = F.pad(x, (0, pad), mode)
            time += pad
        return x.view(batch, channels, time // self.period, self.period)


class DiscriminatorS(_Discriminator):
    """Scale discriminator: grouped strided 1-D convolutions over the (possibly average-pooled) waveform."""

    feature_axes = ("B", "C", "T")

    def __init__(self, use_spectral_norm: bool = False, debug: bool = False) -> None:
        super().__init__()
        norm = _spectral_norm if use_spectral_norm else _weight_norm
        c1, c2, c3, c4 = (128, 256, 512, 1024) if not debug else (16, 32, 32, 64)
        groups = (4, 16)  # NeMo's grouping, debug size included
        specs = [
            (1, c1, 15, 1, 1, 7),
            (c1, c1, 41, 2, groups[0], 20),
            (c1, c2, 41, 2, groups[1], 20),
            (c2, c3, 41, 4, groups[1], 20),
            (c3, c4, 41, 4, groups[1], 20),
            (c4, c4, 41, 1, groups[1], 20),
            (c4, c4, 5, 1, 1, 2),
        ]
        self.convs = nn.ModuleList([norm(nn.Conv1d(ci, co, k, s, groups=g, padding=p)) for ci, co, k, s, g, p in specs])
        self.conv_post = norm(nn.Conv1d(c4, 1, 3, 1, padding=1))


class _MultiDiscriminator(NeuralModule):
    """Runs each of ``discriminators`` on the real and the generated waveform (``_inputs`` gives each its view) and
    gathers their scores and feature maps."""

    feature_axes: Tuple[str, ...]

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return OrderedDict(
            {"y": NeuralType(("B", "S", "T"), AudioSignal()), "y_hat": NeuralType(("B", "S", "T"), AudioSignal())}
        )

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return OrderedDict(
            {
                "real_scores": [NeuralType(("B", "T"), VoidType())],
                "fake_scores": [NeuralType(("B", "T"), VoidType())],
                "real_feature_maps": [[NeuralType(self.feature_axes, VoidType())]],
                "fake_feature_maps": [[NeuralType(self.feature_axes, VoidType())]],
            }
        )

    def _inputs(self, index: int, y: torch.Tensor, y_hat: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        return y, y_hat

    @typecheck()
    def forward(
        self, *, y: torch.Tensor, y_hat: torch.Tensor
    ) -> Tuple[List[torch.Tensor], List[torch.Tensor], FeatureMaps, FeatureMaps]:
        real_scores, fake_scores, real_maps, fake_maps = [], [], [], []
        for index, discriminator in enumerate(self.discriminators):
            y, y_hat = self._inputs(index, y, y_hat)
            score, maps = discriminator(x=y)
            real_scores.append(score)
            real_maps.append(maps)
            score, maps = discriminator(x=y_hat)
            fake_scores.append(score)
            fake_maps.append(maps)
        return real_scores, fake_scores, real_maps, fake_maps


class MultiPeriodDiscriminator(_MultiDiscriminator):
    """Period discriminators for periods 2, 3, 5, 7 and 11 (co-prime, so they see different sample patterns)."""

    feature_axes = DiscriminatorP.feature_axes

    def __init__(self, debug: bool = False, periods: Sequence[int] = (2, 3, 5, 7, 11)) -> None:
        super().__init__()
        self.discriminators = nn.ModuleList([DiscriminatorP(period, debug=debug) for period in periods])


class MultiScaleDiscriminator(_MultiDiscriminator):
    """Scale discriminators on the raw waveform (spectral norm) and on 2x and 4x average-pooled copies."""

    feature_axes = DiscriminatorS.feature_axes

    def __init__(self, debug: bool = False) -> None:
        super().__init__()
        self.discriminators = nn.ModuleList(
            [
                DiscriminatorS(use_spectral_norm=True, debug=debug),
                DiscriminatorS(debug=debug),
                DiscriminatorS(debug=debug),
            ]
        )
        self.meanpools = nn.ModuleList([nn.AvgPool1d(4, 2, padding=2), nn.AvgPool1d(4, 2, padding=2)])

    def _inputs(self, index: int, y: torch.Tensor, y_hat: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        if index == 0:
            return y, y_hat
        pool = self.meanpools[index - 1]  # each further scale pools the previous one's input again
        return pool(y), pool(y_hat)


# NVIDIA NeMo (1.0 to 3.0) keeps these classes in ``hifigan_modules``; its configs name the generator there.
for _name in ("Generator", "MultiPeriodDiscriminator", "MultiScaleDiscriminator"):
    register_renamed_target(f"nemo.collections.tts.modules.hifigan_modules.{_name}", f"{__name__}.{_name}")
