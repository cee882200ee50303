"""Helpers shared by the Tacotron 2 and HiFi-GAN models: masked mel L1 and the TensorBoard writer."""

from typing import Any, Optional

import torch

from nemo.collections.common.data.masks import lengths_to_mask

__all__ = ["masked_mel_l1", "tensorboard_experiment"]


def masked_mel_l1(prediction: torch.Tensor, target: torch.Tensor, mel_len: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference of two ``[B, n_mels, T]`` spectrograms over each item's first ``mel_len`` frames."""
    frames = min(prediction.shape[-1], target.shape[-1])
    prediction, target = prediction[..., :frames], target[..., :frames]
    valid = lengths_to_mask(mel_len.to(target.device), frames).unsqueeze(1).to(target.dtype)
    return (torch.abs(prediction - target) * valid).sum() / (valid.sum() * target.shape[1]).clamp_min(1.0)


def tensorboard_experiment(model: Any) -> Optional[Any]:
    """The ``SummaryWriter`` of the model's first TensorBoard logger, or None."""
    trainer = model._trainer
    if trainer is None:
        return None
    from pytorch_lightning.loggers import TensorBoardLogger

    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger):
            return logger.experiment
    return None
