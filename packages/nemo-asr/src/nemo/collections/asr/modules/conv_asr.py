"""Convolutional ASR encoder (Jasper, QuartzNet, Citrinet, MatchboxNet, TitaNet) and its CTC, classification and
speaker decoders.

Built from NeMo's YAML ``jasper:`` block lists; submodule names follow NeMo 1 so ``.nemo`` weights load strictly.
"""

from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple, Union

import torch
from torch import nn

from nemo.collections.asr.parts.jasper import JasperBlock, init_weights, jasper_activations
from nemo.collections.asr.parts.submodules.tdnn_attention import AttentivePoolLayer, StatsPoolLayer
from nemo.core.classes.exportable import Exportable
from nemo.core.classes.module import NeuralModule
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import (
    AcousticEncodedRepresentation,
    LengthsType,
    LogitsType,
    LogprobsType,
    NeuralType,
    SpectrogramType,
)

__all__ = ["ConvASRDecoder", "ConvASRDecoderClassification", "ConvASREncoder", "SpeakerDecoder"]

_REQUIRED_BLOCK_KEYS = ("filters", "repeat", "kernel", "stride", "dilation", "dropout", "residual")

_ENCODER_IN = NeuralType(("B", "D", "T"), SpectrogramType())
_ENCODER_OUT = NeuralType(("B", "D", "T"), AcousticEncodedRepresentation())
_LENGTHS = NeuralType(("B",), LengthsType())


def _to_block_dicts(jasper: Any) -> List[Dict[str, Any]]:
    try:
        from omegaconf import DictConfig, ListConfig, OmegaConf

        if isinstance(jasper, (ListConfig, DictConfig)):
            jasper = OmegaConf.to_container(jasper, resolve=True)
    except ImportError:  # omegaconf is optional here: plain lists of dicts work without it
        pass
    if not isinstance(jasper, (list, tuple)) or not jasper:
        raise ValueError(f"ConvASREncoder: 'jasper' must be a non-empty list of block dicts, got {jasper!r}")
    for i, block in enumerate(jasper):
        missing = [k for k in _REQUIRED_BLOCK_KEYS if k not in block]
        if missing:
            raise ValueError(f"ConvASREncoder: jasper[{i}] is missing key(s) {missing}; it has {sorted(block)}")
        if block.get("future_context", -1) != -1:  # NeMo 3's limited look-ahead (asymmetric padding)
            raise ValueError(
                f"ConvASREncoder: jasper[{i}].future_context={block['future_context']} is not supported "
                "(only -1, symmetric 'same' padding)"
            )
    return list(jasper)


class ConvASREncoder(NeuralModule, Exportable):
    """Stack of ``JasperBlock`` s. ``forward(audio_signal, length=None)`` returns ``(outputs, encoded_lengths)``, or
    only ``outputs`` when ``length`` is None (as in export)."""

    def __init__(
        self,
        jasper: Union[Sequence[Dict[str, Any]], Any],
        activation: str,
        feat_in: int,
        normalization_mode: str = "batch",
        residual_mode: str = "add",
        norm_groups: int = -1,
        conv_mask: bool = True,
        frame_splicing: int = 1,
        init_mode: Optional[str] = "xavier_uniform",
        quantize: bool = False,
    ) -> None:
        super().__init__()
        if quantize:
            raise ValueError(
                "ConvASREncoder: quantize=True needs NVIDIA's pytorch-quantization, which is not supported"
            )
        if activation not in jasper_activations:
            raise ValueError(f"ConvASREncoder: activation '{activation}' is not one of {sorted(jasper_activations)}")
        blocks = _to_block_dicts(jasper)
        act = jasper_activations[activation]()
        feat_in = feat_in * frame_splicing
        self._feat_in = feat_in
        residual_panes: List[int] = []
        layers = []
        self.dense_residual = False
        for lcfg in blocks:
            dense_res: List[int] = []
            if lcfg.get("residual_dense", False):
                residual_panes.append(feat_in)
                dense_res = residual_panes
                self.dense_residual = True
            layers.append(
                JasperBlock(
                    feat_in,
                    lcfg["filters"],
                    repeat=lcfg["repeat"],
                    kernel_size=lcfg["kernel"],
                    stride=lcfg["stride"],
                    dilation=lcfg["dilation"],
                    dropout=lcfg["dropout"],
                    residual=lcfg["residual"],
                    groups=lcfg.get("groups", 1),
                    separable=lcfg.get("separable", False),
                    heads=lcfg.get("heads", -1),
                    residual_mode=lcfg.get("residual_mode", residual_mode),
                    normalization=normalization_mode,
                    norm_groups=norm_groups,
                    activation=act,
                    residual_panes=dense_res,
                    conv_mask=conv_mask,
                    se=lcfg.get("se", False),
                    se_reduction_ratio=lcfg.get("se_reduction_ratio", 8),
                    se_context_window=lcfg.get("se_context_size", -1),
                    se_interpolation_mode=lcfg.get("se_interpolation_mode", "nearest"),
                    kernel_size_factor=lcfg.get("kernel_size_factor", 1.0),
                    stride_last=lcfg.get("stride_last", False),
                )
            )
            feat_in = lcfg["filters"]
        self._feat_out = feat_in
        self.encoder = nn.Sequential(*layers)
        self.apply(lambda m: init_weights(m, mode=init_mode))

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return OrderedDict({"audio_signal": _ENCODER_IN, "length": _LENGTHS})

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return OrderedDict({"outputs": _ENCODER_OUT, "encoded_lengths": _LENGTHS})

    @property
    def disabled_deployment_input_names(self) -> Set[str]:
        return {"length"}

    @property
    def disabled_deployment_output_names(self) -> Set[str]:
        return {"encoded_lengths"}

    def input_example(self) -> Tuple[torch.Tensor]:
        return (torch.randn(16, self._feat_in, 256, device=next(self.parameters()).device),)

    def forward(
        self, audio_signal: torch.Tensor, length: Optional[torch.Tensor] = None
    ) -> Union[torch.Tensor, Tuple[torch.Tensor, torch.Tensor]]:
        if length is None:
            return self._encode_unlengthed(audio_signal=audio_signal)
        return self._encode(audio_signal=audio_signal, length=length)

    @typecheck(
        input_types=OrderedDict({"audio_signal": _ENCODER_IN, "length": _LENGTHS}),
        output_types=OrderedDict({"outputs": _ENCODER_OUT, "encoded_lengths": _LENGTHS}),
    )
    def _encode(self, audio_signal: torch.Tensor, length: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        outputs, lengths = self.encoder(([audio_signal], length))
        return outputs[-1], lengths

    @typecheck(
        input_types=OrderedDict({"audio_signal": _ENCODER_IN}),
        output_types=OrderedDict({"outputs": _ENCODER_OUT}),
    )
    def _encode_unlengthed(self, audio_signal: torch.Tensor) -> torch.Tensor:
        outputs, _ = self.encoder(([audio_signal], None))
        return outputs[-1]


class _EncoderOutputDecoder(NeuralModule, Exportable):
    """A decoder of the encoder's output ``(B, D, T)``."""

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return OrderedDict({"encoder_output": _ENCODER_OUT})


class ConvASRDecoder(_EncoderOutputDecoder):
    """1x1 convolution to ``num_classes + 1`` outputs (blank is the last index) followed by log-softmax;
    ``add_blank=False`` (NeMo 3) makes ``num_classes`` outputs, and ``num_classes <= 0`` takes the vocabulary's size."""

    def __init__(
        self,
        feat_in: int,
        num_classes: int,
        init_mode: Optional[str] = "xavier_uniform",
        vocabulary: Optional[Sequence[str]] = None,
        add_blank: bool = True,
    ) -> None:
        super().__init__()
        if vocabulary is None and num_classes <= 0:
            raise ValueError("ConvASRDecoder: set `num_classes` or `vocabulary` (num_classes <= 0 takes its length)")
        if vocabulary is not None:
            vocabulary = list(vocabulary)
            if num_classes <= 0:  # NeMo 3: the vocabulary's size
                num_classes = len(vocabulary)
            if num_classes != len(vocabulary):
                raise ValueError(
                    f"ConvASRDecoder: num_classes ({num_classes}) must equal len(vocabulary) ({len(vocabulary)})"
                )
        self.__vocabulary = vocabulary
        self._feat_in = feat_in
        # NeMo 3's add_blank=False: the vocabulary already holds the blank (no extra output)
        self._num_classes = num_classes + 1 if add_blank else num_classes
        self.decoder_layers = nn.Sequential(nn.Conv1d(self._feat_in, self._num_classes, kernel_size=1, bias=True))
        self.apply(lambda m: init_weights(m, mode=init_mode))

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return OrderedDict({"logprobs": NeuralType(("B", "T", "D"), LogprobsType())})

    @typecheck()
    def forward(self, encoder_output: torch.Tensor) -> torch.Tensor:
        logits = self.decoder_layers(encoder_output).transpose(1, 2)
        if logits.dtype in (torch.float16, torch.bfloat16):
            # Under autocast the projection runs in half precision; its log-softmax (the CTC loss's input) in
            # float32: CPU autocast would keep it in bfloat16.
            logits = logits.float()
        return nn.functional.log_softmax(logits, dim=-1)

    def input_example(self) -> Tuple[torch.Tensor]:
        return (torch.randn(16, self._feat_in, 256, device=next(self.parameters()).device),)

    @property
    def vocabulary(self) -> Optional[List[str]]:
        return self.__vocabulary

    @property
    def num_classes_with_blank(self) -> int:
        return self._num_classes


class ConvASRDecoderClassification(_EncoderOutputDecoder):
    """Average/max pooling over time, then a linear layer to ``num_classes`` logits (or softmax probabilities)."""

    def __init__(
        self,
        feat_in: int,
        num_classes: int,
        init_mode: Optional[str] = "xavier_uniform",
        return_logits: bool = True,
        pooling_type: str = "avg",
    ) -> None:
        super().__init__()
        self._feat_in = feat_in
        self._return_logits = return_logits
        self._num_classes = num_classes
        if pooling_type == "avg":
            self.pooling = nn.AdaptiveAvgPool1d(1)
        elif pooling_type == "max":
            self.pooling = nn.AdaptiveMaxPool1d(1)
        else:
            raise ValueError(f"ConvASRDecoderClassification: pooling_type must be 'avg' or 'max', got '{pooling_type}'")
        self.decoder_layers = nn.Sequential(nn.Linear(self._feat_in, self._num_classes, bias=True))
        self.apply(lambda m: init_weights(m, mode=init_mode))

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return OrderedDict({"logits": NeuralType(("B", "D"), LogitsType())})

    @typecheck()
    def forward(self, encoder_output: torch.Tensor) -> torch.Tensor:
        logits = self.decoder_layers(self.pooling(encoder_output).flatten(1))
        return logits if self._return_logits else nn.functional.softmax(logits, dim=-1)

    def input_example(self) -> Tuple[torch.Tensor]:
        return (torch.randn(16, self._feat_in, 256, device=next(self.parameters()).device),)

    @property
    def num_classes(self) -> int:
        return self._num_classes


class SpeakerDecoder(NeuralModule, Exportable):
    """Speaker head: pooling over time, embedding layers, then a linear layer to ``num_classes`` speaker logits.

    ``pool_mode``: ``xvector`` (mean and standard deviation), ``tap`` (mean) or ``attention`` (attentive statistics,
    TitaNet). ``emb_sizes`` (an int or a list) are the embedding layers: linear + batch norm + ReLU after statistics
    pooling, batch norm + 1x1 conv after attentive pooling; the embedding is the last one's output before its ReLU.
    ``angular=True`` (set by the model for an angular loss) L2-normalizes the embedding before ``final`` and drops
    its bias. As in NeMo, ``final``'s weights are not normalized (its normalizing loop rebinds a local name only), so
    checkpoints trained with NeMo give the same logits here.
    """

    def __init__(
        self,
        feat_in: int,
        num_classes: int,
        emb_sizes: Union[int, Sequence[int]] = 256,
        pool_mode: str = "xvector",
        angular: bool = False,
        attention_channels: int = 128,
        init_mode: Optional[str] = "xavier_uniform",
    ) -> None:
        super().__init__()
        self.angular = angular
        self.input_feat_in = feat_in
        self._num_classes = num_classes
        self.pool_mode = pool_mode.lower()
        if self.pool_mode in ("xvector", "tap"):
            self._pooling = StatsPoolLayer(feat_in=feat_in, pool_mode=self.pool_mode)
            make_layer = self._linear_layer
        elif self.pool_mode == "attention":
            self._pooling = AttentivePoolLayer(inp_filters=feat_in, attention_channels=attention_channels)
            make_layer = self._conv_layer
        else:
            raise ValueError(f"SpeakerDecoder: pool_mode must be 'xvector', 'tap' or 'attention', got {pool_mode!r}")
        sizes = [emb_sizes] if isinstance(emb_sizes, int) else [int(size) for size in emb_sizes]
        if not sizes:
            raise ValueError("SpeakerDecoder: emb_sizes must name at least one embedding size")
        shapes = [self._pooling.feat_in, *sizes]
        self.emb_layers = nn.ModuleList(make_layer(i, o) for i, o in zip(shapes[:-1], shapes[1:]))
        self.final = nn.Linear(shapes[-1], num_classes, bias=not angular)
        self.apply(lambda m: init_weights(m, mode=init_mode))

    @staticmethod
    def _conv_layer(inp: int, out: int) -> nn.Sequential:
        return nn.Sequential(nn.BatchNorm1d(inp, affine=True, track_running_stats=True), nn.Conv1d(inp, out, 1))

    @staticmethod
    def _linear_layer(inp: int, out: int) -> nn.Sequential:
        return nn.Sequential(
            nn.Linear(inp, out), nn.BatchNorm1d(out, affine=False, track_running_stats=True), nn.ReLU()
        )

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return OrderedDict({"encoder_output": _ENCODER_OUT, "length": NeuralType(("B",), LengthsType(), optional=True)})

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return OrderedDict(
            {
                "logits": NeuralType(("B", "D"), LogitsType()),
                "embs": NeuralType(("B", "D"), AcousticEncodedRepresentation()),
            }
        )

    @typecheck()
    def forward(
        self, encoder_output: torch.Tensor, length: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        pooled = self._pooling(encoder_output, length)
        for layer in self.emb_layers[:-1]:
            pooled = layer(pooled)
        emb = self.emb_layers[-1][:2](pooled)  # before the linear layers' ReLU (the whole conv layer)
        out = self.emb_layers[-1][2:](emb).squeeze(-1)
        if self.angular:
            out = nn.functional.normalize(out, p=2, dim=1)
        return self.final(out), emb.squeeze(-1)

    def input_example(self, max_batch: int = 1, max_dim: int = 256) -> Tuple[torch.Tensor]:
        return (torch.randn(max_batch, self.input_feat_in, max_dim, device=next(self.parameters()).device),)

    @property
    def num_classes(self) -> int:
        return self._num_classes
