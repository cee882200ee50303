"""Helpers shared by the Tacotron 2 and HiFi-GAN models: TTS data configs, masked mel L1, the TensorBoard writer."""

from typing import Any, Optional

import torch
from omegaconf import DictConfig, OmegaConf

from nemo.core.classes.construction import build_from_config
from nemo.utils import logging

__all__ = ["dataloader_from_config", "masked_mel_l1", "tensorboard_experiment"]


def dataloader_from_config(
    owner: str, cfg: Any, name: str, shuffle_should_be: bool, **dataset_kwargs: Any
) -> torch.utils.data.DataLoader:
    """A DataLoader over ``cfg.dataset`` (instantiated from its ``_target_``) with ``cfg.dataloader_params``.

    This is the TTS data-config shape (``{dataset: {_target_, ...}, dataloader_params: {...}}``); errors name the
    model and the config key. ``dataset_kwargs`` are passed to the dataset's constructor next to the config's keys.
    """
    cfg = cfg if isinstance(cfg, DictConfig) else OmegaConf.create(cfg)
    if cfg.get("dataset") is None or not isinstance(cfg.dataset, DictConfig) or "_target_" not in cfg.dataset:
        raise ValueError(f"{owner}: `{name}_ds.dataset` must be a config with a `_target_`, got {cfg.get('dataset')!r}")
    if cfg.get("dataloader_params") is None:
        raise ValueError(f"{owner}: `{name}_ds.dataloader_params` is missing (batch_size, shuffle, num_workers...)")
    params = OmegaConf.to_container(cfg.dataloader_params, resolve=True)
    if "shuffle" not in params:
        params["shuffle"] = shuffle_should_be
    elif bool(params["shuffle"]) != shuffle_should_be:
        logging.warning(
            f"{owner}: `{name}_ds.dataloader_params.shuffle` is {params['shuffle']}, expected {shuffle_should_be}"
        )
    dataset = build_from_config(cfg.dataset, torch.utils.data.Dataset, f"{name}_ds.dataset", **dataset_kwargs)
    collate = getattr(dataset, "collate_fn", None)
    return torch.utils.data.DataLoader(dataset, collate_fn=collate, **params)


def masked_mel_l1(prediction: torch.Tensor, target: torch.Tensor, mel_len: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference of two ``[B, n_mels, T]`` spectrograms over each item's first ``mel_len`` frames."""
    frames = min(prediction.shape[-1], target.shape[-1])
    prediction, target = prediction[..., :frames], target[..., :frames]
    valid = torch.arange(frames, device=target.device)[None, :] < mel_len.to(target.device)[:, None]
    valid = valid.unsqueeze(1).to(target.dtype)
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
