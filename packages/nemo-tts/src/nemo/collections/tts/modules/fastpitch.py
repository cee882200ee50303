"""FastPitch's network in NVIDIA NeMo 3's layout: duration and pitch predictors, length regulation, the module.

``FastPitchModule`` runs text -> encoder -> (durations, pitch) -> pitch embedding -> length regulation -> decoder ->
mel. Its parts are built by the model from config nodes (``input_fft``, ``output_fft``, ``duration_predictor``,
``pitch_predictor``, ``alignment_module``), and the parameter and buffer names (``pitch_mean``/``pitch_std``
included) are NeMo's, so NeMo's archives restore with ``strict=True``; durations (``exp(log) - 1``, clamped,
rounded half up when regulated) and the per-token pitch averages are computed as NeMo does.
"""

from typing import Any, Dict, Optional, Sequence, Tuple

import torch
from torch import nn

from nemo.collections.common.data.masks import lengths_to_mask
from nemo.collections.common.parts.dense_conv import dense_conv1d
from nemo.collections.common.parts.dropout import Dropout
from nemo.collections.tts.modules.aligner import durations_from_alignment, mas
from nemo.collections.tts.modules.conditioning import ConditionalInput, ConditionalLayerNorm
from nemo.core.classes.module import NeuralModule

__all__ = ["FastPitchModule", "TemporalPredictor", "average_features", "lengths_to_mask", "regulate_len"]


class ConvReLUNorm(nn.Module):
    """Conv1d, ReLU, LayerNorm over channels, dropout (``[B, C, T]`` in and out)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 1, dropout: float = 0.0,
                 condition_dim: int = 384, condition_types: Sequence[str] = ()) -> None:  # fmt: skip
        super().__init__()
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        self.norm = ConditionalLayerNorm(out_channels, condition_dim=condition_dim, condition_types=condition_types)
        self.dropout = Dropout(dropout)

    def forward(self, signal: torch.Tensor, conditioning: Optional[torch.Tensor] = None) -> torch.Tensor:
        out = torch.relu(dense_conv1d(self.conv, signal))
        return self.dropout(self.norm(out.transpose(1, 2), conditioning).transpose(1, 2))


class TemporalPredictor(NeuralModule):
    """One value per token (log-duration or normalized pitch): ``(enc [B, T, C], enc_mask [B, T, 1]) -> [B, T]``."""

    def __init__(self, input_size: int, filter_size: int, kernel_size: int, dropout: float, n_layers: int = 2,
                 condition_types: Sequence[str] = ()) -> None:  # fmt: skip
        super().__init__()
        self.cond_input = ConditionalInput(input_size, input_size, list(condition_types))
        self.layers = nn.ModuleList(
            ConvReLUNorm(
                input_size if index == 0 else filter_size,
                filter_size,
                kernel_size,
                dropout,
                input_size,
                condition_types,
            )  # fmt: skip
            for index in range(n_layers)
        )
        self.fc = nn.Linear(filter_size, 1)
        self.filter_size = filter_size

    def forward(self, enc: torch.Tensor, enc_mask: torch.Tensor, conditioning: Optional[torch.Tensor] = None):
        out = (self.cond_input(enc, conditioning) * enc_mask).transpose(1, 2)
        for layer in self.layers:
            out = layer(out, conditioning)
        return (self.fc(out.transpose(1, 2)) * enc_mask).squeeze(-1)


def regulate_len(
    durations: torch.Tensor, enc_out: torch.Tensor, pace: float = 1.0
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Repeat each token's state ``floor(duration / pace + 0.5)`` times: ``([B, T_out, C], lengths [B])``; frames
    past an item's length are zero."""
    repeats = torch.floor(durations.float() / pace + 0.5).long()
    lengths = repeats.sum(dim=1)
    total = int(lengths.max()) if lengths.numel() else 0
    ends = torch.cumsum(repeats, dim=1)  # B x T_text
    frames = torch.arange(total, device=enc_out.device)
    index = torch.searchsorted(ends, frames[None, :].expand(ends.shape[0], -1).contiguous(), right=True)
    index = index.clamp(max=enc_out.shape[1] - 1)
    out = torch.gather(enc_out, 1, index[..., None].expand(-1, -1, enc_out.shape[2]))
    return out * lengths_to_mask(lengths, total)[..., None].to(out.dtype), lengths


def average_features(pitch: torch.Tensor, durations: torch.Tensor) -> torch.Tensor:
    """Mean non-zero value ``[B, T_text]`` of each token's frames (``pitch`` ``[B, T_mel]``, 0 = unvoiced)."""
    ends = torch.cumsum(durations.long(), dim=1)
    starts = nn.functional.pad(ends[:, :-1], (1, 0))
    totals = nn.functional.pad(torch.cumsum(pitch, dim=1), (1, 0))
    counts = nn.functional.pad(torch.cumsum((pitch != 0).to(pitch.dtype), dim=1), (1, 0))
    total = torch.gather(totals, 1, ends) - torch.gather(totals, 1, starts)
    count = torch.gather(counts, 1, ends) - torch.gather(counts, 1, starts)
    return torch.where(count == 0, count, total / count.clamp(min=1))


class FastPitchModule(NeuralModule):
    """Text to mel with duration and pitch prediction and, with an ``aligner``, learned training durations."""

    def __init__(
        self,
        encoder_module: nn.Module,
        decoder_module: nn.Module,
        duration_predictor: nn.Module,
        pitch_predictor: nn.Module,
        aligner: Optional[nn.Module],
        n_speakers: int,
        symbols_embedding_dim: int,
        pitch_embedding_kernel_size: int,
        n_mel_channels: int = 80,
        min_token_duration: int = 0,
        max_token_duration: int = 75,
    ) -> None:
        super().__init__()
        self.encoder = encoder_module
        self.decoder = decoder_module
        self.duration_predictor = duration_predictor
        self.pitch_predictor = pitch_predictor
        self.aligner = aligner
        self.speaker_emb = nn.Embedding(n_speakers, symbols_embedding_dim) if n_speakers > 1 else None
        self.min_token_duration, self.max_token_duration = min_token_duration, max_token_duration
        kernel = pitch_embedding_kernel_size
        self.pitch_emb = nn.Conv1d(1, symbols_embedding_dim, kernel_size=kernel, padding=(kernel - 1) // 2)
        # training-set pitch statistics (Hz), saved with the weights for convenience, as NeMo does
        self.register_buffer("pitch_mean", torch.zeros(1))
        self.register_buffer("pitch_std", torch.zeros(1))
        self.proj = nn.Linear(self.decoder.d_model, n_mel_channels)

    def _speaker_embedding(self, speaker: Optional[torch.Tensor]) -> Optional[torch.Tensor]:
        if self.speaker_emb is None:
            return None
        if speaker is None:
            raise ValueError("FastPitchModule: a multi-speaker model (n_speakers > 1) needs `speaker` ids")
        return self.speaker_emb(speaker.long().view(-1))[:, None, :]

    def _durations(self, log_durs: torch.Tensor, enc_mask: torch.Tensor) -> torch.Tensor:
        durs = torch.clamp(torch.exp(log_durs) - 1.0, self.min_token_duration, self.max_token_duration)
        return durs * enc_mask[..., 0]

    def forward(
        self,
        text: torch.Tensor,
        durs: Optional[torch.Tensor] = None,
        speaker: Optional[torch.Tensor] = None,
        pace: float = 1.0,
        spec: Optional[torch.Tensor] = None,
        mel_lens: Optional[torch.Tensor] = None,
        input_lens: Optional[torch.Tensor] = None,
        pitch: Optional[torch.Tensor] = None,
        attn_prior: Optional[torch.Tensor] = None,
    ) -> Dict[str, Any]:
        """Without ``spec``: inference from predicted pitch and the given ``durs`` (frames per token) or the predicted
        ones (``pace`` > 1 speaks faster). With ``spec``,
        ``mel_lens``, ``input_lens`` and ``pitch`` (normalized, per frame): teacher-forced pass whose durations come
        from the aligner's hard alignment and whose pitch is averaged over them. Returns NeMo's outputs by name:
        spect, dec_lens, durs_predicted, log_durs_predicted, pitch_predicted, attn_soft, attn_logprob, attn_hard,
        attn_hard_dur, pitch (the attention entries are None at inference)."""
        spk_emb = self._speaker_embedding(speaker)
        enc_out, enc_mask = self.encoder(input=text, conditioning=spk_emb)
        log_durs_predicted = self.duration_predictor(enc_out, enc_mask, conditioning=spk_emb)
        durs_predicted = self._durations(log_durs_predicted, enc_mask)
        pitch_predicted = self.pitch_predictor(enc_out, enc_mask, conditioning=spk_emb)
        attn_soft = attn_logprob = attn_hard = attn_hard_dur = None
        if spec is not None:
            if self.aligner is None or mel_lens is None or input_lens is None or pitch is None:
                raise ValueError(
                    "FastPitchModule: a training pass needs an aligner, `mel_lens`, `input_lens` and `pitch`"
                )
            text_emb = self.encoder.word_emb(text)
            attn_soft, attn_logprob = self.aligner(spec, text_emb.transpose(1, 2), enc_mask == 0, attn_prior, spk_emb)
            attn_hard = mas(torch.log(attn_soft[:, 0].detach().clamp(min=1e-12)), input_lens, mel_lens)[:, None]
            attn_hard_dur = durations_from_alignment(attn_hard[:, 0])
            pitch = average_features(pitch, attn_hard_dur)
            durations = attn_hard_dur
        else:
            pitch, durations = None, durs_predicted if durs is None else durs
        enc_out = enc_out + self.pitch_emb((pitch_predicted if pitch is None else pitch)[:, None]).transpose(1, 2)
        regulated, dec_lens = regulate_len(durations, enc_out, pace)
        if spec is not None and regulated.shape[1] < spec.shape[2]:  # frames past every alignment: zero input
            regulated = nn.functional.pad(regulated, (0, 0, 0, spec.shape[2] - regulated.shape[1]))
        if regulated.shape[1] == 0:  # every duration rounded to 0: nothing to say (NeMo's decoder would fail)
            spect = regulated.new_zeros(regulated.shape[0], self.proj.out_features, 0)
        else:
            dec_out, _ = self.decoder(input=regulated, seq_lens=dec_lens, conditioning=spk_emb)
            spect = self.proj(dec_out).transpose(1, 2)
        return {"spect": spect, "dec_lens": dec_lens, "durs_predicted": durs_predicted,
                "log_durs_predicted": log_durs_predicted, "pitch_predicted": pitch_predicted, "attn_soft": attn_soft,
                "attn_logprob": attn_logprob, "attn_hard": attn_hard, "attn_hard_dur": attn_hard_dur,
                "pitch": pitch}  # fmt: skip
