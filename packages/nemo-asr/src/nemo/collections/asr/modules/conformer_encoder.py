"""``ConformerEncoder``: the encoder of Conformer-CTC (Gulati et al., 2020, "Conformer: Convolution-augmented
Transformer for Speech Recognition"), with NVIDIA NeMo's constructor arguments and state-dict keys.

Layout (NeMo's names): ``pre_encode`` (``ConvSubsampling``: ``striding``, ``dw_striding``, ``vggnet``,
``striding_conv1d``, ``dw_striding_conv1d``; ``StackingSubsampling``: ``stacking``, ``stacking_norm``; a
``Linear(feat_in, d_model)`` when ``subsampling`` is null or the factor 1) -> ``pos_enc`` (``RelPositionalEncoding``
for ``rel_pos``, ``PositionalEncoding`` for ``abs_pos``; scales the input by ``sqrt(d_model)`` when ``xscaling``) ->
``layers.N`` (``ConformerLayer``) -> ``out_proj`` (only when ``feat_out`` differs from ``d_model``).
With ``untie_biases: false`` and ``rel_pos`` every layer shares one ``pos_bias_u``/``pos_bias_v`` pair (in each
layer's state-dict entries, as in NeMo).

Padded frames are masked everywhere: in the subsampling convolutions (as NeMo 3 does), as attention keys (and padded
queries attend to nothing), and before each depthwise convolution; ``att_context_size: [left, right]`` limits
attention to that many frames on each side (-1: unlimited; ``att_context_style`` ``regular`` or ``chunked_limited``).
A batch with no padded frame (on CPU, in eager mode) skips the masking work: the layers get no masks (a limited
context keeps its band), which changes no result.
``stochastic_depth_drop_prob`` drops whole layers in training as NeMo does.

Not implemented (refused with an error rather than ignored): cache-aware streaming (caches, ``att_context_probs``
with several context sizes, ``chunked_limited_with_rc``, ``conv_context_style: dcc``), ``rel_pos_local_attn``
(Longformer attention and its global tokens), ``reduction`` after the subsampling, NeMo's InterCTC hooks and adapters.
``subsampling_conv_chunking_factor`` and ``sync_max_audio_length`` are accepted; they only work around CUDA indexing
limits and distributed buffer sizes in NeMo and change no result.
"""

import math
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
from torch import nn

from nemo.collections.asr.parts.submodules.conformer_modules import ConformerLayer
from nemo.collections.asr.parts.submodules.multi_head_attention import PositionalEncoding, RelPositionalEncoding
from nemo.collections.asr.parts.submodules.subsampling import ConvSubsampling, StackingSubsampling
from nemo.collections.asr.parts.time_mask import lengths_cover
from nemo.core.classes.exportable import Exportable
from nemo.core.classes.module import NeuralModule
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import AcousticEncodedRepresentation, LengthsType, NeuralType, SpectrogramType

__all__ = ["ConformerEncoder", "compute_stochastic_depth_drop_probs"]

_CONV_SUBSAMPLING = ("vggnet", "striding", "dw_striding", "striding_conv1d", "dw_striding_conv1d")
_STACKING_SUBSAMPLING = ("stacking", "stacking_norm")
_ATT_CONTEXT_STYLES = ("regular", "chunked_limited")


def compute_stochastic_depth_drop_probs(
    num_layers: int,
    stochastic_depth_drop_prob: float = 0.0,
    stochastic_depth_mode: str = "linear",
    stochastic_depth_start_layer: int = 1,
) -> List[float]:
    """Drop probability per layer (NeMo's rule): 0 before ``start_layer``; then ``linear`` grows to the given
    probability at the last layer, ``uniform`` uses it throughout."""
    if not 0 <= stochastic_depth_drop_prob < 1.0:
        raise ValueError("stochastic_depth_drop_prob has to be in [0, 1).")
    if not 1 <= stochastic_depth_start_layer <= num_layers:
        raise ValueError("stochastic_depth_start_layer has to be in [1, num layers].")
    probs = [0.0] * stochastic_depth_start_layer
    remaining = num_layers - stochastic_depth_start_layer
    if remaining > 0:
        if stochastic_depth_mode == "linear":
            probs += [i / remaining * stochastic_depth_drop_prob for i in range(1, remaining + 1)]
        elif stochastic_depth_mode == "uniform":
            probs += [stochastic_depth_drop_prob] * remaining
        else:
            raise ValueError(
                f'stochastic_depth_mode has to be one of ["linear", "uniform"], got {stochastic_depth_mode}'
            )
    return probs


def _plain(value: Any) -> Any:
    """OmegaConf lists (from configs) as Python lists."""
    try:
        from omegaconf import ListConfig, OmegaConf

        if isinstance(value, ListConfig):
            return OmegaConf.to_container(value, resolve=True)
    except ImportError:  # omegaconf is optional here
        pass
    return value


class ConformerEncoder(NeuralModule, Exportable):
    """Conformer encoder: ``forward(audio_signal (B, feat_in, T), length (B,))`` -> ``(outputs (B, feat_out, T'),
    encoded_lengths (B,))`` with ``T' ~ T / subsampling_factor``. See the module docstring for what is supported.

    Args (NeMo's): ``feat_in``, ``n_layers``, ``d_model``, ``feat_out`` (-1: ``d_model``), ``causal_downsampling``,
    ``subsampling``, ``subsampling_factor``, ``subsampling_conv_chunking_factor``, ``subsampling_conv_channels`` (-1:
    ``d_model``), ``reduction`` (must be None), ``ff_expansion_factor``, ``self_attention_model`` (``rel_pos`` |
    ``abs_pos``), ``n_heads``, ``att_context_size``, ``att_context_probs``, ``att_context_style``, ``xscaling``,
    ``untie_biases``, ``pos_emb_max_len``, ``conv_kernel_size``, ``conv_norm_type``, ``conv_context_size`` (None,
    ``causal`` or ``[left, right]``), ``use_bias``, ``dropout``, ``dropout_pre_encoder``, ``dropout_emb``,
    ``dropout_att``, ``stochastic_depth_*``, ``use_pytorch_sdpa`` (None here by default: the faster implementation
    per call, see ``parts/submodules/multi_head_attention.py``), ``use_pytorch_sdpa_backends``.
    """

    def __init__(
        self,
        feat_in: int,
        n_layers: int,
        d_model: int,
        feat_out: int = -1,
        causal_downsampling: bool = False,
        subsampling: Optional[str] = "striding",
        subsampling_factor: int = 4,
        subsampling_conv_chunking_factor: int = 1,
        subsampling_conv_channels: int = -1,
        reduction: Optional[str] = None,
        reduction_position: Optional[int] = None,
        reduction_factor: int = 1,
        ff_expansion_factor: int = 4,
        self_attention_model: str = "rel_pos",
        n_heads: int = 4,
        att_context_size: Optional[Sequence[Any]] = None,
        att_context_probs: Optional[Sequence[float]] = None,
        att_chunk_context_size: Optional[Sequence[Any]] = None,
        att_context_style: str = "regular",
        xscaling: bool = True,
        untie_biases: bool = True,
        pos_emb_max_len: int = 5000,
        conv_kernel_size: int = 31,
        conv_norm_type: str = "batch_norm",
        conv_context_size: Optional[Union[str, Sequence[int]]] = None,
        conv_context_style: str = "regular",
        use_bias: bool = True,
        dropout: float = 0.1,
        dropout_pre_encoder: float = 0.1,
        dropout_emb: float = 0.1,
        dropout_att: float = 0.0,
        stochastic_depth_drop_prob: float = 0.0,
        stochastic_depth_mode: str = "linear",
        stochastic_depth_start_layer: int = 1,
        global_tokens: int = 0,
        global_tokens_spacing: int = 1,
        global_attn_separate: bool = False,
        use_pytorch_sdpa: Optional[bool] = None,
        use_pytorch_sdpa_backends: Optional[Sequence[str]] = None,
        sync_max_audio_length: bool = True,
    ) -> None:
        super().__init__()
        self._refuse_unsupported(
            reduction=reduction,
            reduction_factor=reduction_factor,
            self_attention_model=self_attention_model,
            att_chunk_context_size=att_chunk_context_size,
            att_context_style=att_context_style,
            conv_context_style=conv_context_style,
            global_tokens=global_tokens,
            global_attn_separate=global_attn_separate,
        )
        d_ff = d_model * ff_expansion_factor
        self.d_model = d_model
        self.n_layers = n_layers
        self._feat_in = feat_in
        self.att_context_style = att_context_style
        self.subsampling_factor = subsampling_factor
        self.subsampling_conv_chunking_factor = subsampling_conv_chunking_factor
        self.self_attention_model = self_attention_model
        self.use_pytorch_sdpa = use_pytorch_sdpa
        self.use_pytorch_sdpa_backends = list(_plain(use_pytorch_sdpa_backends) or [])
        self.sync_max_audio_length = sync_max_audio_length
        self.conv_context_style = conv_context_style
        self.conv_kernel_size = conv_kernel_size
        self.att_context_size_all, self.att_context_size, self.att_context_probs, self.conv_context_size = (
            self._calc_context_sizes(
                _plain(att_context_size), _plain(att_context_probs), att_context_style, _plain(conv_context_size),
                conv_kernel_size,
            )
        )  # fmt: skip
        self.xscale = math.sqrt(d_model) if xscaling else None

        if subsampling_conv_channels == -1:
            subsampling_conv_channels = d_model
        if subsampling and subsampling_factor > 1:
            if subsampling in _STACKING_SUBSAMPLING:
                self.pre_encode = StackingSubsampling(
                    subsampling_factor=subsampling_factor,
                    feat_in=feat_in,
                    feat_out=d_model,
                    norm=subsampling == "stacking_norm",
                )
            elif subsampling in _CONV_SUBSAMPLING:
                self.pre_encode = ConvSubsampling(
                    subsampling=subsampling,
                    subsampling_factor=subsampling_factor,
                    feat_in=feat_in,
                    feat_out=d_model,
                    conv_channels=subsampling_conv_channels,
                    subsampling_conv_chunking_factor=subsampling_conv_chunking_factor,
                    activation=nn.ReLU(inplace=True),  # on each conv's fresh output, as NeMo
                    is_causal=causal_downsampling,
                )
            else:
                raise ValueError(
                    f"Not valid sub-sampling: {subsampling}! Use one of {list(_CONV_SUBSAMPLING + _STACKING_SUBSAMPLING)}"
                )
        else:
            self.pre_encode = nn.Linear(feat_in, d_model)
        self.reduction_subsampling = None
        self.reduction_position = None

        if not untie_biases and self_attention_model == "rel_pos":
            d_head = d_model // n_heads
            pos_bias_u: Optional[nn.Parameter] = nn.Parameter(torch.zeros(n_heads, d_head))
            pos_bias_v: Optional[nn.Parameter] = nn.Parameter(torch.zeros(n_heads, d_head))
        else:
            pos_bias_u = pos_bias_v = None

        self.pos_emb_max_len = pos_emb_max_len
        if self_attention_model == "rel_pos":
            self.pos_enc: PositionalEncoding = RelPositionalEncoding(
                d_model=d_model,
                dropout_rate=dropout_pre_encoder,
                max_len=pos_emb_max_len,
                xscale=self.xscale,
                dropout_rate_emb=dropout_emb,
            )
        else:
            self.pos_enc = PositionalEncoding(
                d_model=d_model, dropout_rate=dropout_pre_encoder, max_len=pos_emb_max_len, xscale=self.xscale
            )

        self.layers = nn.ModuleList(
            ConformerLayer(
                d_model=d_model,
                d_ff=d_ff,
                self_attention_model=self_attention_model,
                n_heads=n_heads,
                conv_kernel_size=conv_kernel_size,
                conv_norm_type=conv_norm_type,
                conv_context_size=self.conv_context_size,
                dropout=dropout,
                dropout_att=dropout_att,
                pos_bias_u=pos_bias_u,
                pos_bias_v=pos_bias_v,
                att_context_size=self.att_context_size,
                use_bias=use_bias,
                use_pytorch_sdpa=use_pytorch_sdpa,
                use_pytorch_sdpa_backends=self.use_pytorch_sdpa_backends,
            )
            for _ in range(n_layers)
        )

        if feat_out > 0 and feat_out != d_model:
            self.out_proj: Optional[nn.Linear] = nn.Linear(d_model, feat_out)
            self._feat_out = feat_out
        else:
            self.out_proj = None
            self._feat_out = d_model
        self.max_audio_length = pos_emb_max_len
        self.use_pad_mask = True
        self.export_cache_support = False
        self.layer_drop_probs = compute_stochastic_depth_drop_probs(
            len(self.layers), stochastic_depth_drop_prob, stochastic_depth_mode, stochastic_depth_start_layer
        )

    # ------------------------------------------------------------------------------------------------- set-up
    @staticmethod
    def _refuse_unsupported(**kwargs: Any) -> None:
        problems = []
        if kwargs["reduction"] is not None and kwargs["reduction_factor"] > 1:
            problems.append("reduction (subsampling inside the encoder)")
        if kwargs["self_attention_model"] not in ("rel_pos", "abs_pos"):
            problems.append(f"self_attention_model '{kwargs['self_attention_model']}' (use rel_pos or abs_pos)")
        if kwargs["att_chunk_context_size"] is not None:
            problems.append("att_chunk_context_size")
        if kwargs["att_context_style"] not in _ATT_CONTEXT_STYLES:
            problems.append(
                f"att_context_style '{kwargs['att_context_style']}' (use {' or '.join(_ATT_CONTEXT_STYLES)})"
            )
        if kwargs["conv_context_style"] != "regular":
            problems.append(f"conv_context_style '{kwargs['conv_context_style']}'")
        if kwargs["global_tokens"] or kwargs["global_attn_separate"]:
            problems.append("global attention tokens (rel_pos_local_attn)")
        if problems:
            raise NotImplementedError(f"ConformerEncoder does not implement: {'; '.join(problems)}")

    @staticmethod
    def _calc_context_sizes(
        att_context_size: Optional[Sequence[Any]],
        att_context_probs: Optional[Sequence[float]],
        att_context_style: str,
        conv_context_size: Optional[Union[str, Sequence[int]]],
        conv_kernel_size: int,
    ) -> Tuple[List[List[int]], List[int], List[float], List[int]]:
        """NeMo's normalisation of the context sizes: ``([[l, r], ...], [l, r] in use, probs, conv [l, r])``."""
        if att_context_size:
            sizes = list(att_context_size)
            if isinstance(sizes[0], int):
                sizes = [sizes]
            sizes = [[int(v) for v in size] for size in sizes]
            for i, (left, right) in enumerate(sizes):
                if att_context_style == "chunked_limited":
                    if left > 0 and left % (right + 1) > 0:
                        raise ValueError(f"att_context_size[{i}][0] % (att_context_size[{i}][1] + 1) should be zero!")
                    if right < 0 and len(sizes) <= 1:
                        raise ValueError(
                            f"Right context (att_context_size[{i}][1]) can not be unlimited for chunked_limited style!"
                        )
        else:
            sizes = [[-1, -1]]
        if len(sizes) > 1:
            raise NotImplementedError(
                "ConformerEncoder does not implement several att_context_size (multi-lookahead streaming training)"
            )
        if att_context_probs:
            if len(att_context_probs) != len(sizes):
                raise ValueError("The size of the att_context_probs should be the same as att_context_size.")
            probs = [float(p) for p in att_context_probs]
        else:
            probs = [1.0 / len(sizes)] * len(sizes)
        if conv_context_size is None:
            conv = [(conv_kernel_size - 1) // 2, (conv_kernel_size - 1) // 2]
        elif conv_context_size == "causal":
            conv = [conv_kernel_size - 1, 0]
        elif isinstance(conv_context_size, (list, tuple)) and len(conv_context_size) == 2:
            conv = [int(c) for c in conv_context_size]
            if conv[0] + conv[1] + 1 != conv_kernel_size:
                raise ValueError(f"Invalid conv_context_size: {conv}! Its sum plus one must equal conv_kernel_size")
        else:
            raise ValueError("Invalid conv_context_size! It should be the string 'causal' or a list of two integers.")
        return sizes, sizes[0], probs, conv

    def set_max_audio_length(self, max_audio_length: int) -> None:
        """Make the positional table cover inputs of ``max_audio_length`` frames (before subsampling, as NeMo)."""
        self.max_audio_length = max_audio_length
        param = next(self.parameters())
        self.pos_enc.extend_pe(max_audio_length, param.device, param.dtype)

    def update_max_seq_length(self, seq_length: int, device: Optional[torch.device] = None) -> None:
        if seq_length > self.max_audio_length:
            self.set_max_audio_length(seq_length)

    def enable_pad_mask(self, on: bool = True) -> bool:
        """Switch padding masks on or off (returns the previous state), as NeMo's."""
        previous = self.use_pad_mask
        self.use_pad_mask = on
        return previous

    # ------------------------------------------------------------------------------------------------- types
    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return OrderedDict(
            {
                "audio_signal": NeuralType(("B", "D", "T"), SpectrogramType()),
                "length": NeuralType(("B",), LengthsType(), optional=True),
            }
        )

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return OrderedDict(
            {
                "outputs": NeuralType(("B", "D", "T"), AcousticEncodedRepresentation()),
                "encoded_lengths": NeuralType(("B",), LengthsType()),
            }
        )

    def input_example(self, max_batch: int = 1, max_dim: int = 256) -> Tuple[torch.Tensor, torch.Tensor]:
        """A random spectrogram batch and lengths (the longest one full), for tracing and export."""
        device = next(self.parameters()).device
        signal = torch.randn(max_batch, self._feat_in, max_dim, device=device)
        lengths = torch.randint(max_dim // 4, max_dim, (max_batch,), device=device, dtype=torch.int64)
        lengths[0] = max_dim
        return signal, lengths

    # ------------------------------------------------------------------------------------------------ forward
    @typecheck()
    def forward(
        self, audio_signal: torch.Tensor, length: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        if not (torch.jit.is_tracing() or torch.onnx.is_in_onnx_export()):
            # Python checks on sizes; a traced graph keeps the positional table it was traced with.
            if audio_signal.shape[-2] != self._feat_in:
                raise ValueError(
                    f"ConformerEncoder: audio_signal should have shape (batch, {self._feat_in}, n_frame) but got "
                    f"{tuple(audio_signal.shape)}"
                )
            self.update_max_seq_length(seq_length=audio_signal.size(2), device=audio_signal.device)
        return self.forward_internal(audio_signal, length)

    def forward_for_export(
        self, audio_signal: torch.Tensor, length: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """``forward`` without the type checks and the positional table's growth (exported graphs keep its size:
        ``pos_emb_max_len`` frames, 5000 by default, or the longest input seen before)."""
        return self.forward_internal(audio_signal, length)

    def forward_internal(
        self, audio_signal: torch.Tensor, length: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        if length is None:
            length = torch.full(
                (audio_signal.size(0),), audio_signal.size(-1), dtype=torch.int64, device=audio_signal.device
            )
        x = audio_signal.transpose(1, 2)
        if isinstance(self.pre_encode, nn.Linear):
            x = self.pre_encode(x)
        else:
            x, length = self.pre_encode(x=x, lengths=length)
        length = length.to(torch.int64)

        x, pos_emb = self.pos_enc(x=x)
        pad_mask, att_mask = self._create_masks(self.att_context_size, length, x.size(1), x.device)
        if not self.use_pad_mask:
            pad_mask = None
        elif lengths_cover(length, x.size(1)):
            # Nothing to mask: the layers skip their masking work (same results); a context limit keeps its band.
            pad_mask = None
            if self._unlimited_context():
                att_mask = None

        for drop_prob, layer in zip(self.layer_drop_probs, self.layers):
            original = x
            x = layer(x=x, att_mask=att_mask, pos_emb=pos_emb, pad_mask=pad_mask)
            if self.training and drop_prob > 0.0:
                if bool(torch.rand(1) < drop_prob):
                    x = x * 0.0 + original  # keeps every weight in the graph (DDP), as NeMo does
                else:
                    x = (x - original) / (1.0 - drop_prob) + original

        if self.out_proj is not None:
            x = self.out_proj(x)
        return x.transpose(1, 2), length

    def _unlimited_context(self) -> bool:
        left, right = self.att_context_size[0], self.att_context_size[1]
        return left < 0 and right < 0

    def _create_masks(
        self, att_context_size: Sequence[int], length: torch.Tensor, max_len: int, device: torch.device
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(pad_mask (B, T), att_mask (B, T, T))``, True where masked: padding, or outside the attention context."""
        steps = torch.arange(max_len, device=device)
        valid = steps.unsqueeze(0) < length.unsqueeze(-1)  # (B, T)
        att_valid = valid.unsqueeze(1) & valid.unsqueeze(2)  # (B, T, T): query and key both inside the utterance
        left, right = att_context_size[0], att_context_size[1]
        if self.att_context_style == "chunked_limited" and right >= 0:
            chunk = right + 1
            chunk_idx = torch.div(steps, chunk, rounding_mode="trunc")
            diff = chunk_idx.unsqueeze(1) - chunk_idx.unsqueeze(0)
            left_chunks = left // chunk if left >= 0 else 10000
            att_valid = att_valid & ((diff <= left_chunks) & (diff >= 0)).unsqueeze(0)
        elif left >= 0 or right >= 0:
            offset = steps.unsqueeze(1) - steps.unsqueeze(0)  # query index - key index
            band = torch.ones_like(offset, dtype=torch.bool)
            if left >= 0:
                band = band & (offset <= left)
            if right >= 0:
                band = band & (offset >= -right)
            att_valid = att_valid & band.unsqueeze(0)
        return ~valid, ~att_valid
