"""FastPitch's networks: feed-forward transformer encoder/decoder, duration and pitch predictors, length regulation.

``FastPitchModule`` runs text -> encoder -> (durations, pitch) -> pitch embedding -> length regulation -> decoder ->
mel, with a jointly trained ``AlignmentEncoder`` whose hard alignment supplies the training durations (NeMo 1.x
FastPitch with ``learn_alignment``). Sizes come from the model config, so a CPU-sized model is a config change.
"""

from typing import Any, Dict, Optional, Tuple

import torch
from torch import nn

from nemo.collections.common.data.masks import lengths_to_mask
from nemo.collections.tts.modules.aligner import AlignmentEncoder, durations_from_alignment, mas
from nemo.core.classes.module import NeuralModule

__all__ = [
    "FFTransformer",
    "TemporalPredictor",
    "FastPitchModule",
    "regulate_len",
    "average_pitch",
    "lengths_to_mask",
]


class PositionalEmbedding(nn.Module):
    """Sinusoidal positions ``[T, d]`` (no parameters)."""

    def __init__(self, d_model: int) -> None:
        super().__init__()
        self.d_model = d_model
        self.reset_buffers()

    def reset_buffers(self) -> None:
        """(Re)compute the frequency table (not saved with the weights); a model built on the meta device calls it
        once its weights are assigned (``nemo.core.classes.restore.build_with_weights``)."""
        inv_freq = 1.0 / (10000 ** (torch.arange(0.0, self.d_model, 2.0) / self.d_model))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(self, length: int) -> torch.Tensor:
        positions = torch.arange(length, device=self.inv_freq.device, dtype=self.inv_freq.dtype)
        angles = positions[:, None] * self.inv_freq[None, :]
        return torch.cat([angles.sin(), angles.cos()], dim=1)


class MultiHeadAttention(nn.Module):
    """Self-attention with a key padding mask, written with plain matmuls.

    On CPU this trains about twice as fast as ``scaled_dot_product_attention``'s flash kernel, whose backward pass
    dominates a FastPitch step at mel-frame lengths.
    """

    def __init__(self, d_model: int, n_head: int, dropatt: float) -> None:
        super().__init__()
        if d_model % n_head:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_head ({n_head})")
        self.n_head, self.d_head = n_head, d_model // n_head
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out = nn.Linear(d_model, d_model)
        self.dropatt = nn.Dropout(dropatt)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        batch, length, _ = x.shape
        q, k, v = self.qkv(x).view(batch, length, 3, self.n_head, self.d_head).permute(2, 0, 3, 1, 4)
        scores = torch.matmul(q, k.transpose(-1, -2)) * self.d_head**-0.5  # B x H x T x T
        scores = scores.masked_fill(~mask[:, None, None, :], -1e4)
        weights = self.dropatt(torch.softmax(scores, dim=-1))
        context = torch.matmul(weights, v).transpose(1, 2).reshape(batch, length, -1)
        return self.out(context)


class FFTBlock(nn.Module):
    """Self-attention then a two-layer convolution, each with residual, dropout and post-LayerNorm."""

    def __init__(self, d_model: int, n_head: int, d_inner: int, kernel_size: int, dropout: float, dropatt: float):
        super().__init__()
        self.attn = MultiHeadAttention(d_model, n_head, dropatt)
        self.norm1 = nn.LayerNorm(d_model)
        self.conv = nn.Sequential(
            nn.Conv1d(d_model, d_inner, kernel_size, padding=kernel_size // 2),
            nn.ReLU(),
            nn.Conv1d(d_inner, d_model, 1),
        )
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.norm1(x + self.dropout(self.attn(x, mask))) * mask[..., None]
        conv = self.conv(x.transpose(1, 2)).transpose(1, 2)
        return self.norm2(x + self.dropout(conv)) * mask[..., None]


class FFTransformer(nn.Module):
    """A stack of ``FFTBlock``s with sinusoidal positions; with ``n_embed`` it embeds token ids first."""

    def __init__(
        self,
        n_layer: int = 4,
        n_head: int = 2,
        d_model: int = 128,
        d_inner: int = 512,
        kernel_size: int = 3,
        dropout: float = 0.1,
        dropatt: float = 0.1,
        n_embed: Optional[int] = None,
        padding_idx: int = 0,
    ) -> None:
        super().__init__()
        self.d_model = d_model
        self.word_emb = nn.Embedding(n_embed, d_model, padding_idx=padding_idx) if n_embed else None
        self.pos_emb = PositionalEmbedding(d_model)
        self.drop = nn.Dropout(dropout)
        self.layers = nn.ModuleList(
            FFTBlock(d_model, n_head, d_inner, kernel_size, dropout, dropatt) for _ in range(n_layer)
        )

    def forward(self, inputs: torch.Tensor, lengths: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(out [B, T, d_model], mask [B, T])`` of token ids ``[B, T]`` or vectors ``[B, T, d_model]``."""
        x = self.word_emb(inputs) if self.word_emb is not None else inputs
        mask = lengths_to_mask(lengths, x.shape[1])
        x = self.drop(x + self.pos_emb(x.shape[1])[None]) * mask[..., None]
        for layer in self.layers:
            x = layer(x, mask)
        return x, mask


class TemporalPredictor(nn.Module):
    """One value per position (log-duration or normalized pitch) from encoder states: conv-ReLU-LayerNorm x n."""

    def __init__(self, input_size: int, filter_size: int = 256, kernel_size: int = 3, dropout: float = 0.1,
                 n_layers: int = 2) -> None:  # fmt: skip
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv1d(input_size if index == 0 else filter_size, filter_size, kernel_size, padding=kernel_size // 2)
            for index in range(n_layers)
        )
        self.norms = nn.ModuleList(nn.LayerNorm(filter_size) for _ in range(n_layers))
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(filter_size, 1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``[B, T]`` predictions (0 at padding) of ``x`` ``[B, T, C]``."""
        x = x * mask[..., None]
        for conv, norm in zip(self.convs, self.norms):
            x = torch.relu(conv(x.transpose(1, 2))).transpose(1, 2)
            x = self.dropout(norm(x)) * mask[..., None]
        return self.fc(x).squeeze(-1) * mask


def regulate_len(
    durations: torch.Tensor, enc_out: torch.Tensor, pace: float = 1.0, max_frames: Optional[int] = None
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Repeat each token's state ``round(duration / pace)`` times: ``([B, T_out, C], lengths [B])``."""
    repeats = torch.clamp(torch.floor(durations.float() / pace + 0.5), min=0).long()
    lengths = repeats.sum(dim=1)
    total = max(int(lengths.max()), 1) if max_frames is None else max_frames
    ends = torch.cumsum(repeats, dim=1)  # B x T_text
    frames = torch.arange(total, device=enc_out.device)
    index = torch.searchsorted(ends, frames[None, :].expand(ends.shape[0], -1).contiguous(), right=True)
    index = index.clamp(max=enc_out.shape[1] - 1)
    out = torch.gather(enc_out, 1, index[..., None].expand(-1, -1, enc_out.shape[2]))
    out = out * lengths_to_mask(lengths, total)[..., None]
    return out, lengths


def average_pitch(pitch: torch.Tensor, durations: torch.Tensor) -> torch.Tensor:
    """Mean voiced pitch ``[B, T_text]`` of each token's frames (``pitch`` ``[B, T_mel]``, 0 = unvoiced)."""
    ends = torch.cumsum(durations.long(), dim=1)
    starts = ends - durations.long()
    padded = nn.functional.pad(torch.cumsum(pitch, dim=1), (1, 0))
    voiced = nn.functional.pad(torch.cumsum((pitch != 0).float(), dim=1), (1, 0))
    ends, starts = ends.clamp(max=pitch.shape[1]), starts.clamp(max=pitch.shape[1])
    total = torch.gather(padded, 1, ends) - torch.gather(padded, 1, starts)
    count = torch.gather(voiced, 1, ends) - torch.gather(voiced, 1, starts)
    return torch.where(count > 0, total / count.clamp(min=1), torch.zeros_like(total))


class FastPitchModule(NeuralModule):
    """Text to mel with duration and pitch prediction and a learned aligner (see the module docstring)."""

    def __init__(
        self,
        n_symbols: int,
        n_mel_channels: int = 80,
        input_fft: Optional[Dict[str, Any]] = None,
        output_fft: Optional[Dict[str, Any]] = None,
        duration_predictor: Optional[Dict[str, Any]] = None,
        pitch_predictor: Optional[Dict[str, Any]] = None,
        alignment: Optional[Dict[str, Any]] = None,
        n_speakers: int = 1,
        padding_idx: int = 0,
        max_token_duration: int = 75,
        pitch_embedding_kernel_size: int = 3,
    ) -> None:
        super().__init__()
        self.encoder = FFTransformer(**(input_fft or {}), n_embed=n_symbols, padding_idx=padding_idx)
        d_model = self.encoder.d_model
        self.decoder = FFTransformer(**{**(output_fft or {}), "d_model": (output_fft or {}).get("d_model", d_model)})
        if self.decoder.d_model != d_model:
            raise ValueError(f"output_fft.d_model ({self.decoder.d_model}) must equal input_fft.d_model ({d_model})")
        self.duration_predictor = TemporalPredictor(d_model, **(duration_predictor or {}))
        self.pitch_predictor = TemporalPredictor(d_model, **(pitch_predictor or {}))
        self.pitch_emb = nn.Conv1d(1, d_model, pitch_embedding_kernel_size, padding=pitch_embedding_kernel_size // 2)
        self.speaker_emb = nn.Embedding(n_speakers, d_model) if n_speakers > 1 else None
        self.aligner = AlignmentEncoder(n_mel_channels=n_mel_channels, n_text_channels=d_model, **(alignment or {}))
        self.proj = nn.Linear(d_model, n_mel_channels)
        self.n_mel_channels = n_mel_channels
        self.max_token_duration = max_token_duration

    def _encode(self, text: torch.Tensor, text_lens: torch.Tensor, speaker: Optional[torch.Tensor]) -> Tuple:
        enc_out, enc_mask = self.encoder(text, text_lens)
        if self.speaker_emb is not None and speaker is not None:
            enc_out = (enc_out + self.speaker_emb(speaker.long().view(-1))[:, None, :]) * enc_mask[..., None]
        return enc_out, enc_mask

    def _decode(self, enc_out: torch.Tensor, pitch: torch.Tensor, durations: torch.Tensor, pace: float,
                max_frames: Optional[int] = None) -> Tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
        enc_out = enc_out + self.pitch_emb(pitch[:, None, :]).transpose(1, 2)
        regulated, dec_lens = regulate_len(durations, enc_out, pace, max_frames)
        dec_lens = dec_lens.clamp(min=1)
        dec_out, _ = self.decoder(regulated, dec_lens)
        return self.proj(dec_out).transpose(1, 2), dec_lens

    def forward(
        self,
        text: torch.Tensor,
        text_lens: torch.Tensor,
        spec: torch.Tensor,
        mel_lens: torch.Tensor,
        pitch: torch.Tensor,
        attn_prior: torch.Tensor,
        speaker: Optional[torch.Tensor] = None,
    ) -> Dict[str, torch.Tensor]:
        """Teacher-forced pass: durations from the hard alignment, target pitch (normalized, per frame) averaged per
        token. Returns spect, dec_lens, log_durs_predicted, pitch_predicted, attn_soft, attn_logprob, attn_hard,
        durs (hard-alignment frames per token) and pitch_avg (per-token target)."""
        enc_out, enc_mask = self._encode(text, text_lens, speaker)
        log_durs_predicted = self.duration_predictor(enc_out, enc_mask)
        pitch_predicted = self.pitch_predictor(enc_out, enc_mask)
        text_emb = self.encoder.word_emb(text)
        attn_soft, attn_logprob = self.aligner(spec, text_emb.transpose(1, 2), enc_mask, attn_prior)
        attn_hard = mas(torch.log(attn_soft[:, 0].detach().clamp(min=1e-12)), text_lens, mel_lens)
        durs = durations_from_alignment(attn_hard)
        pitch_avg = average_pitch(pitch, durs)
        spect, dec_lens = self._decode(enc_out, pitch_avg, durs, 1.0, max_frames=spec.shape[2])
        return {
            "spect": spect, "dec_lens": dec_lens, "log_durs_predicted": log_durs_predicted,
            "pitch_predicted": pitch_predicted, "attn_soft": attn_soft, "attn_logprob": attn_logprob,
            "attn_hard": attn_hard[:, None], "durs": durs, "pitch_avg": pitch_avg,
        }  # fmt: skip

    def infer(
        self, text: torch.Tensor, text_lens: torch.Tensor, speaker: Optional[torch.Tensor] = None, pace: float = 1.0
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(spect [B, n_mels, T], dec_lens, durations, pitch)`` from predicted durations and pitch."""
        if pace <= 0:
            raise ValueError(f"pace must be > 0, got {pace}")
        enc_out, enc_mask = self._encode(text, text_lens, speaker)
        log_durs = self.duration_predictor(enc_out, enc_mask)
        durations = torch.clamp(torch.exp(log_durs) - 1, 0, self.max_token_duration) * enc_mask
        pitch = self.pitch_predictor(enc_out, enc_mask)
        spect, dec_lens = self._decode(enc_out, pitch, durations, pace)
        return spect, dec_lens, durations, pitch
