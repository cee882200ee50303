"""Tacotron 2 loss: mel MSE before and after the postnet plus the stop-gate binary cross-entropy."""

from collections import OrderedDict
from typing import Dict, Tuple

import torch
import torch.nn.functional as F

from nemo.collections.common.data.masks import lengths_to_mask
from nemo.core.classes.loss import Loss
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import LabelsType, LengthsType, LogitsType, LossType, MelSpectrogramType, NeuralType

__all__ = ["Tacotron2Loss"]

# Logit given to gate predictions past the predicted end, so padding counts as "stopped" (BCE near zero there).
_GATE_PAD_LOGIT = 1e3


class Tacotron2Loss(Loss):
    """``mse(decoder mel) + mse(postnet mel) + bce(gate)``; returns ``(loss, gate_target)``.

    The gate target is 0 on the frames of each utterance before its last and 1 from its last frame on. Predictions
    and targets may differ in length (free-running decoding in validation): predictions are cut to the target's
    length or padded with ``pad_value`` (mel) and a large "stop" logit (gate). Padded target frames are excluded:
    both sides are set to ``pad_value`` there, so they add nothing to the mel terms and no gradient.
    """

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return OrderedDict(
            {
                "spec_pred_dec": NeuralType(("B", "D", "T"), MelSpectrogramType()),
                "spec_pred_postnet": NeuralType(("B", "D", "T"), MelSpectrogramType()),
                "gate_pred": NeuralType(("B", "T"), LogitsType()),
                "spec_target": NeuralType(("B", "D", "T"), MelSpectrogramType()),
                "spec_target_len": NeuralType(("B",), LengthsType()),
                "pad_value": NeuralType(),
            }
        )

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return OrderedDict(
            {"loss": NeuralType(elements_type=LossType()), "gate_target": NeuralType(("B", "T"), LabelsType())}
        )

    @typecheck()
    def forward(
        self,
        *,
        spec_pred_dec: torch.Tensor,
        spec_pred_postnet: torch.Tensor,
        gate_pred: torch.Tensor,
        spec_target: torch.Tensor,
        spec_target_len: torch.Tensor,
        pad_value: float,
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        max_len = spec_target.shape[2]
        lengths = spec_target_len.to(spec_target.device).long()
        gate_target = (~lengths_to_mask(lengths - 1, max_len)).to(gate_pred.dtype)  # 1 from the last frame on
        padded = (~lengths_to_mask(lengths, max_len)).unsqueeze(1)  # [B, 1, T]

        pred_len = spec_pred_dec.shape[2]
        if pred_len > max_len:
            spec_pred_dec = spec_pred_dec[:, :, :max_len]
            spec_pred_postnet = spec_pred_postnet[:, :, :max_len]
            gate_pred = gate_pred[:, :max_len]
        elif pred_len < max_len:
            extra = max_len - pred_len
            spec_pred_dec = F.pad(spec_pred_dec, (0, extra), value=pad_value)
            spec_pred_postnet = F.pad(spec_pred_postnet, (0, extra), value=pad_value)
            gate_pred = F.pad(gate_pred, (0, extra), value=_GATE_PAD_LOGIT)

        spec_target = spec_target.detach().masked_fill(padded, pad_value)
        spec_pred_dec = spec_pred_dec.masked_fill(padded, pad_value)
        spec_pred_postnet = spec_pred_postnet.masked_fill(padded, pad_value)
        gate_pred = gate_pred.masked_fill(padded.squeeze(1), _GATE_PAD_LOGIT)

        rnn_mel_loss = F.mse_loss(spec_pred_dec, spec_target)
        postnet_mel_loss = F.mse_loss(spec_pred_postnet, spec_target)
        gate_loss = F.binary_cross_entropy_with_logits(gate_pred, gate_target)
        return rnn_mel_loss + postnet_mel_loss + gate_loss, gate_target
