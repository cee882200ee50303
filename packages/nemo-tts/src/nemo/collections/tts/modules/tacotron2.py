"""Tacotron 2 building blocks: text encoder, location-sensitive attention decoder with a stop token, and postnet.

Submodule and parameter names follow NeMo 1 (``convolutions.0.0.conv.weight``, ``attention_rnn``,
``attention_layer.location_layer.location_conv.conv.weight``, ``linear_projection.linear_layer.weight``...), so the
weights of a NeMo 1 Tacotron 2 ``.nemo`` load strictly. The prenet's dropout stays on at inference, as in the paper
and in NeMo: it is the only source of variation in the generated spectrograms, so callers that need reproducible
output seed torch's generator first.
"""

from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from nemo.collections.common.data.masks import lengths_to_mask
from nemo.core.classes.module import NeuralModule
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import (
    EmbeddedTextType,
    LengthsType,
    LogitsType,
    MelSpectrogramType,
    NeuralType,
    SequenceToSequenceAlignmentType,
)
from nemo.utils import logging

__all__ = [
    "Attention",
    "ConvNorm",
    "Decoder",
    "Encoder",
    "LinearNorm",
    "LocationLayer",
    "Postnet",
    "Prenet",
    "get_mask_from_lengths",
]


# NeMo's name for ``[B, max_len]`` bool masks, True on the valid positions of each sequence (nemo-core's helper).
get_mask_from_lengths = lengths_to_mask


class LinearNorm(nn.Module):
    """``nn.Linear`` with Xavier-uniform weights scaled for the activation that follows."""

    def __init__(self, in_dim: int, out_dim: int, bias: bool = True, w_init_gain: str = "linear") -> None:
        super().__init__()
        self.linear_layer = nn.Linear(in_dim, out_dim, bias=bias)
        nn.init.xavier_uniform_(self.linear_layer.weight, gain=nn.init.calculate_gain(w_init_gain))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear_layer(x)


class ConvNorm(nn.Module):
    """``nn.Conv1d`` with "same" padding for odd kernels and Xavier-uniform weights scaled for the activation."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 1,
        stride: int = 1,
        padding: Optional[int] = None,
        dilation: int = 1,
        bias: bool = True,
        w_init_gain: str = "linear",
    ) -> None:
        super().__init__()
        if padding is None:
            if kernel_size % 2 != 1:
                raise ValueError(f"ConvNorm: 'same' padding needs an odd kernel_size, got {kernel_size}")
            padding = dilation * (kernel_size - 1) // 2
        self.conv = nn.Conv1d(
            in_channels, out_channels, kernel_size, stride=stride, padding=padding, dilation=dilation, bias=bias
        )
        nn.init.xavier_uniform_(self.conv.weight, gain=nn.init.calculate_gain(w_init_gain))

    def forward(self, signal: torch.Tensor) -> torch.Tensor:
        return self.conv(signal)


class LocationLayer(nn.Module):
    """Features of the previous and cumulative attention weights, so attention keeps moving forward."""

    def __init__(self, attention_n_filters: int, attention_kernel_size: int, attention_dim: int) -> None:
        super().__init__()
        self.location_conv = ConvNorm(
            2,
            attention_n_filters,
            kernel_size=attention_kernel_size,
            padding=(attention_kernel_size - 1) // 2,
            bias=False,
        )
        self.location_dense = LinearNorm(attention_n_filters, attention_dim, bias=False, w_init_gain="tanh")

    def forward(self, attention_weights_cat: torch.Tensor) -> torch.Tensor:
        processed = self.location_conv(attention_weights_cat).transpose(1, 2)
        return self.location_dense(processed)


class Attention(nn.Module):
    """Location-sensitive additive attention (Chorowski et al. 2015) over the encoder outputs."""

    def __init__(
        self,
        attention_rnn_dim: int,
        embedding_dim: int,
        attention_dim: int,
        attention_location_n_filters: int,
        attention_location_kernel_size: int,
    ) -> None:
        super().__init__()
        self.query_layer = LinearNorm(attention_rnn_dim, attention_dim, bias=False, w_init_gain="tanh")
        self.memory_layer = LinearNorm(embedding_dim, attention_dim, bias=False, w_init_gain="tanh")
        self.v = LinearNorm(attention_dim, 1, bias=False)
        self.location_layer = LocationLayer(attention_location_n_filters, attention_location_kernel_size, attention_dim)
        self.score_mask_value = -float("inf")

    def get_alignment_energies(
        self, query: torch.Tensor, processed_memory: torch.Tensor, attention_weights_cat: torch.Tensor
    ) -> torch.Tensor:
        """``[B, T_in]`` unnormalized scores of every encoder position for the current decoder query."""
        processed_query = self.query_layer(query.unsqueeze(1))
        processed_weights = self.location_layer(attention_weights_cat)
        energies = self.v(torch.tanh(processed_query + processed_weights + processed_memory))
        return energies.squeeze(-1)

    def forward(
        self,
        attention_hidden_state: torch.Tensor,
        memory: torch.Tensor,
        processed_memory: torch.Tensor,
        attention_weights_cat: torch.Tensor,
        mask: Optional[torch.Tensor],
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(context [B, D_enc], weights [B, T_in])``; ``mask`` is True on padded encoder positions."""
        alignment = self.get_alignment_energies(attention_hidden_state, processed_memory, attention_weights_cat)
        if mask is not None:
            alignment = alignment.masked_fill(mask, self.score_mask_value)
        attention_weights = F.softmax(alignment, dim=1)
        attention_context = torch.bmm(attention_weights.unsqueeze(1), memory).squeeze(1)
        return attention_context, attention_weights


class Prenet(nn.Module):
    """Two ReLU layers with dropout that is always on (training and inference), as Tacotron 2 prescribes.

    At inference one dropout mask is drawn per step and shared by the whole batch, so an utterance decodes the same
    way alone or in a batch (given the same random state).
    """

    def __init__(self, in_dim: int, sizes: Sequence[int], p_dropout: float = 0.5) -> None:
        super().__init__()
        in_sizes = [in_dim, *sizes[:-1]]
        self.layers = nn.ModuleList(
            [LinearNorm(in_size, out_size, bias=False) for in_size, out_size in zip(in_sizes, sizes)]
        )
        self.p_dropout = p_dropout

    def forward(self, x: torch.Tensor, inference: bool = False) -> torch.Tensor:
        for linear in self.layers:
            x = F.relu(linear(x))
            if self.p_dropout <= 0.0:
                continue
            if inference:
                keep = torch.bernoulli(torch.full_like(x[:1], 1.0 - self.p_dropout))
                x = x * keep / (1.0 - self.p_dropout)
            else:
                x = F.dropout(x, p=self.p_dropout, training=True)
        return x


class Encoder(NeuralModule):
    """Character/phoneme encoder: ``encoder_n_convolutions`` conv+BN+ReLU layers, then one bidirectional LSTM.

    Padded positions are zeroed before each convolution and skipped by the LSTM (an addition to NeMo 1, whose
    convolutions saw the padding); an unpadded utterance encodes exactly as in NeMo 1.
    """

    def __init__(self, encoder_n_convolutions: int, encoder_embedding_dim: int, encoder_kernel_size: int) -> None:
        super().__init__()
        if encoder_embedding_dim % 2:
            raise ValueError(
                f"Encoder: encoder_embedding_dim must be even (BiLSTM halves), got {encoder_embedding_dim}"
            )
        self.convolutions = nn.ModuleList(
            [
                nn.Sequential(
                    ConvNorm(
                        encoder_embedding_dim,
                        encoder_embedding_dim,
                        kernel_size=encoder_kernel_size,
                        padding=(encoder_kernel_size - 1) // 2,
                        w_init_gain="relu",
                    ),
                    nn.BatchNorm1d(encoder_embedding_dim),
                )
                for _ in range(encoder_n_convolutions)
            ]
        )
        self.lstm = nn.LSTM(encoder_embedding_dim, encoder_embedding_dim // 2, 1, batch_first=True, bidirectional=True)

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return OrderedDict(
            {
                "token_embedding": NeuralType(("B", "D", "T"), EmbeddedTextType()),
                "token_len": NeuralType(("B",), LengthsType()),
            }
        )

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return OrderedDict({"encoder_embedding": NeuralType(("B", "T", "D"), EmbeddedTextType())})

    @typecheck()
    def forward(self, *, token_embedding: torch.Tensor, token_len: torch.Tensor) -> torch.Tensor:
        # Zero the padding before every convolution, so an utterance encodes the same alone or in a padded batch.
        keep = get_mask_from_lengths(token_len.to(token_embedding.device), max_len=token_embedding.size(2))
        keep = keep.unsqueeze(1).to(token_embedding.dtype)
        x = token_embedding
        for conv in self.convolutions:
            x = F.dropout(F.relu(conv(x * keep)), 0.5, self.training)
        x = x.transpose(1, 2)
        packed = nn.utils.rnn.pack_padded_sequence(x, token_len.cpu(), batch_first=True, enforce_sorted=False)
        self.lstm.flatten_parameters()
        outputs, _ = self.lstm(packed)
        outputs, _ = nn.utils.rnn.pad_packed_sequence(outputs, batch_first=True, total_length=x.size(1))
        return outputs


class _DecoderState:
    """Recurrent state of one decoding pass (LSTM states, attention weights and context)."""

    def __init__(self, decoder: "Decoder", memory: torch.Tensor, mask: Optional[torch.Tensor]) -> None:
        batch, max_time = memory.size(0), memory.size(1)

        def zeros(*shape: int) -> torch.Tensor:
            return memory.new_zeros(*shape)

        self.attention_hidden = zeros(batch, decoder.attention_rnn_dim)
        self.attention_cell = zeros(batch, decoder.attention_rnn_dim)
        self.decoder_hidden = zeros(batch, decoder.decoder_rnn_dim)
        self.decoder_cell = zeros(batch, decoder.decoder_rnn_dim)
        self.attention_weights = zeros(batch, max_time)
        self.attention_weights_cum = zeros(batch, max_time)
        self.attention_context = zeros(batch, decoder.encoder_embedding_dim)
        self.memory = memory
        self.processed_memory = decoder.attention_layer.memory_layer(memory)
        self.mask = mask


class Decoder(NeuralModule):
    """Autoregressive mel decoder: prenet -> attention LSTM -> attention -> decoder LSTM -> mel frame + stop gate.

    In training mode ``forward`` is teacher-forced on ``decoder_inputs`` and returns ``(mel, gate, alignments)``; in
    eval mode it decodes freely until every item's gate passes ``gate_threshold`` (with ``early_stopping``) or
    ``max_decoder_steps`` frames, and also returns each item's length. ``train_forward``/``infer`` pick explicitly.
    """

    def __init__(
        self,
        n_mel_channels: int,
        n_frames_per_step: int,
        encoder_embedding_dim: int,
        attention_dim: int,
        attention_location_n_filters: int,
        attention_location_kernel_size: int,
        attention_rnn_dim: int,
        decoder_rnn_dim: int,
        prenet_dim: int,
        max_decoder_steps: int,
        gate_threshold: float,
        p_attention_dropout: float,
        p_decoder_dropout: float,
        early_stopping: bool,
        prenet_p_dropout: float = 0.5,
    ) -> None:
        super().__init__()
        if n_frames_per_step != 1:
            raise ValueError(f"Decoder: n_frames_per_step must be 1 (as in NeMo 1), got {n_frames_per_step}")
        self.n_mel_channels = n_mel_channels
        self.n_frames_per_step = n_frames_per_step
        self.encoder_embedding_dim = encoder_embedding_dim
        self.attention_rnn_dim = attention_rnn_dim
        self.decoder_rnn_dim = decoder_rnn_dim
        self.prenet_dim = prenet_dim
        self.max_decoder_steps = max_decoder_steps
        self.gate_threshold = gate_threshold
        self.p_attention_dropout = p_attention_dropout
        self.p_decoder_dropout = p_decoder_dropout
        self.early_stopping = early_stopping

        self.prenet = Prenet(n_mel_channels * n_frames_per_step, [prenet_dim, prenet_dim], prenet_p_dropout)
        self.attention_rnn = nn.LSTMCell(prenet_dim + encoder_embedding_dim, attention_rnn_dim)
        self.attention_layer = Attention(
            attention_rnn_dim,
            encoder_embedding_dim,
            attention_dim,
            attention_location_n_filters,
            attention_location_kernel_size,
        )
        self.decoder_rnn = nn.LSTMCell(attention_rnn_dim + encoder_embedding_dim, decoder_rnn_dim, True)
        self.linear_projection = LinearNorm(decoder_rnn_dim + encoder_embedding_dim, n_mel_channels * n_frames_per_step)
        self.gate_layer = LinearNorm(decoder_rnn_dim + encoder_embedding_dim, 1, bias=True, w_init_gain="sigmoid")

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return OrderedDict(
            {
                "memory": NeuralType(("B", "T", "D"), EmbeddedTextType()),
                "decoder_inputs": NeuralType(("B", "D", "T"), MelSpectrogramType(), optional=True),
                "memory_lengths": NeuralType(("B",), LengthsType()),
            }
        )

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        types = OrderedDict(
            {
                "mel_outputs": NeuralType(("B", "D", "T"), MelSpectrogramType()),
                "gate_outputs": NeuralType(("B", "T"), LogitsType()),
                "alignments": NeuralType(("B", "T", "T"), SequenceToSequenceAlignmentType()),
            }
        )
        if not self.training:
            types["mel_lengths"] = NeuralType(("B",), LengthsType())
        return types

    @typecheck()
    def forward(
        self,
        *,
        memory: torch.Tensor,
        memory_lengths: torch.Tensor,
        decoder_inputs: Optional[torch.Tensor] = None,
    ) -> Tuple[torch.Tensor, ...]:
        if self.training:
            if decoder_inputs is None:
                raise ValueError("Decoder.forward in training mode needs `decoder_inputs` (the target mel frames)")
            return self.train_forward(memory=memory, decoder_inputs=decoder_inputs, memory_lengths=memory_lengths)
        return self.infer(memory=memory, memory_lengths=memory_lengths)

    def _decode(self, decoder_input: torch.Tensor, state: _DecoderState) -> Tuple[torch.Tensor, ...]:
        """One step: ``(mel frame [B, n_mel], gate logit [B, 1], attention weights [B, T_in])``."""
        cell_input = torch.cat((decoder_input, state.attention_context), -1)
        state.attention_hidden, state.attention_cell = self.attention_rnn(
            cell_input, (state.attention_hidden, state.attention_cell)
        )
        state.attention_hidden = F.dropout(state.attention_hidden, self.p_attention_dropout, self.training)
        weights_cat = torch.cat((state.attention_weights.unsqueeze(1), state.attention_weights_cum.unsqueeze(1)), 1)
        state.attention_context, state.attention_weights = self.attention_layer(
            state.attention_hidden, state.memory, state.processed_memory, weights_cat, state.mask
        )
        state.attention_weights_cum = state.attention_weights_cum + state.attention_weights
        decoder_input = torch.cat((state.attention_hidden, state.attention_context), -1)
        state.decoder_hidden, state.decoder_cell = self.decoder_rnn(
            decoder_input, (state.decoder_hidden, state.decoder_cell)
        )
        state.decoder_hidden = F.dropout(state.decoder_hidden, self.p_decoder_dropout, self.training)
        hidden_context = torch.cat((state.decoder_hidden, state.attention_context), dim=1)
        return self.linear_projection(hidden_context), self.gate_layer(hidden_context), state.attention_weights

    def _go_frame(self, memory: torch.Tensor) -> torch.Tensor:
        return memory.new_zeros(memory.size(0), self.n_mel_channels * self.n_frames_per_step)

    @staticmethod
    def _padding_mask(memory: torch.Tensor, memory_lengths: torch.Tensor) -> torch.Tensor:
        return ~get_mask_from_lengths(memory_lengths, max_len=memory.size(1))

    @staticmethod
    def _stack_outputs(
        mels: List[torch.Tensor], gates: List[torch.Tensor], alignments: List[torch.Tensor]
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mel = torch.stack(mels, dim=2)  # [B, n_mel, T_out]
        gate = torch.cat(gates, dim=1)  # [B, T_out]
        alignment = torch.stack(alignments, dim=1)  # [B, T_out, T_in]
        return mel, gate, alignment

    def train_forward(
        self, *, memory: torch.Tensor, decoder_inputs: torch.Tensor, memory_lengths: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Teacher-forced decoding: frame ``t`` is predicted from target frame ``t-1`` (a zero frame first)."""
        frames = decoder_inputs.permute(2, 0, 1)  # [T_out, B, n_mel]
        frames = torch.cat((self._go_frame(memory).unsqueeze(0), frames), dim=0)
        prenet_out = self.prenet(frames)
        state = _DecoderState(self, memory, self._padding_mask(memory, memory_lengths))
        mels, gates, alignments = [], [], []
        for step in range(decoder_inputs.size(2)):
            mel, gate, weights = self._decode(prenet_out[step], state)
            mels.append(mel)
            gates.append(gate)
            alignments.append(weights)
        return self._stack_outputs(mels, gates, alignments)

    def infer(
        self, *, memory: torch.Tensor, memory_lengths: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Free-running decoding; each item's length counts its frames before the gate first fired."""
        frame = self._go_frame(memory)
        state = _DecoderState(self, memory, self._padding_mask(memory, memory_lengths))
        lengths = torch.zeros(memory.size(0), dtype=torch.int32, device=memory.device)
        not_finished = torch.ones_like(lengths)
        mels, gates, alignments = [], [], []
        while True:
            mel, gate, weights = self._decode(self.prenet(frame, inference=True), state)
            mels.append(mel)
            gates.append(gate)
            alignments.append(weights)
            continuing = (torch.sigmoid(gate.detach()) <= self.gate_threshold).to(torch.int32).squeeze(1)
            not_finished = not_finished * continuing
            lengths = lengths + not_finished
            if self.early_stopping and int(not_finished.sum()) == 0:
                break
            if len(mels) >= self.max_decoder_steps:
                logging.warning(f"Tacotron 2 decoder reached max_decoder_steps={self.max_decoder_steps}")
                break
            frame = mel
        mel, gate, alignment = self._stack_outputs(mels, gates, alignments)
        return mel, gate, alignment, lengths


class Postnet(NeuralModule):
    """Five 1-D convolutions (tanh between them) predicting a residual that refines the decoder's mel frames."""

    def __init__(
        self,
        n_mel_channels: int,
        postnet_embedding_dim: int,
        postnet_kernel_size: int,
        postnet_n_convolutions: int,
        p_dropout: float = 0.5,
    ) -> None:
        super().__init__()
        if postnet_n_convolutions < 2:
            raise ValueError(f"Postnet: postnet_n_convolutions must be >= 2, got {postnet_n_convolutions}")
        padding = (postnet_kernel_size - 1) // 2
        channels = [n_mel_channels] + [postnet_embedding_dim] * (postnet_n_convolutions - 1) + [n_mel_channels]
        layers = []
        for index, (c_in, c_out) in enumerate(zip(channels[:-1], channels[1:])):
            gain = "linear" if index == postnet_n_convolutions - 1 else "tanh"
            layers.append(
                nn.Sequential(
                    ConvNorm(c_in, c_out, kernel_size=postnet_kernel_size, padding=padding, w_init_gain=gain),
                    nn.BatchNorm1d(c_out),
                )
            )
        self.convolutions = nn.ModuleList(layers)
        self.p_dropout = p_dropout

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return OrderedDict({"mel_spec": NeuralType(("B", "D", "T"), MelSpectrogramType())})

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return OrderedDict({"mel_spec": NeuralType(("B", "D", "T"), MelSpectrogramType())})

    @typecheck()
    def forward(self, *, mel_spec: torch.Tensor) -> torch.Tensor:
        x = mel_spec
        last = len(self.convolutions) - 1
        for index, conv in enumerate(self.convolutions):
            x = conv(x)
            if index < last:
                x = torch.tanh(x)
            x = F.dropout(x, self.p_dropout, self.training)
        return mel_spec + x
