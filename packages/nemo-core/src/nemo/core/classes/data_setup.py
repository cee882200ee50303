"""Data loaders from ``*_ds`` config nodes: the part of the one data-setup hook that every model shares.

A model says how to build its dataset from a data config (``ModelPT._build_dataset``); everything else is done here,
the same way for every collection: splitting the loader keys off, refusing unknown keys with a did-you-mean, and the
``DataLoader`` itself (batch size, shuffling, workers, the dataset's ``collate_fn``).

Two config shapes are read, as in NeMo: flat nodes (ASR, NLP: ``{manifest_filepath, batch_size, shuffle, ...}``) and
nodes with a ``dataset`` and ``dataloader_params`` (TTS: ``{dataset: {_target_, ...}, dataloader_params: {...}}``).
"""

from typing import Any, Iterable, Optional, Tuple

import torch
from omegaconf import DictConfig, OmegaConf

from nemo.utils.config_keys import refuse_unknown_keys

__all__ = ["DEFER_SETUP_KEY", "LOADER_KEYS", "DataConfigError", "is_deferred", "make_dataloader", "split_data_config"]

# DataLoader arguments a flat data config may carry next to its dataset keys.
LOADER_KEYS = frozenset(
    {"batch_size", "shuffle", "num_workers", "pin_memory", "drop_last", "persistent_workers", "prefetch_factor"}
)

# NeMo's switch (either config shape): true = no loader at ``__init__``; it is built when Lightning's ``setup`` runs.
DEFER_SETUP_KEY = "defer_setup"


class DataConfigError(ValueError):
    """A data config that cannot build a loader: unknown key, missing value, wrong shape."""


def is_deferred(config: Any) -> bool:
    """Whether a data config node asks, as NeMo's may, for its loader to be built at Lightning's ``setup``."""
    return config is not None and bool(_as_config(config).get(DEFER_SETUP_KEY, False))


def _as_config(config: Any) -> DictConfig:
    if isinstance(config, DictConfig):
        return config
    return OmegaConf.create(dict(config))


def split_data_config(
    config: Any,
    where: str,
    dataset_keys: Optional[Iterable[str]] = None,
    shuffle: bool = False,
    loader_keys: Iterable[str] = (),
    nested: Optional[bool] = None,
) -> Tuple[DictConfig, DictConfig]:
    """``(dataset config, loader params)`` of a data config node ``where`` (e.g. ``model.train_ds``).

    ``dataset_keys`` (when given) are the keys the model's dataset reads: any other key that is not a loader key is
    refused with a did-you-mean. ``loader_keys`` are extra keys the model's loader reads (e.g. a batch sampler's).
    ``nested`` requires (True) or forbids (False) the ``dataset``/``dataloader_params`` shape; None accepts both. ``shuffle`` is the loader's default when the config does not say. A ``???`` value
    that was never set is refused, naming the key. NeMo's ``defer_setup`` is accepted in either shape and dropped
    (it says when the loader is built, see ``is_deferred``).
    """
    config = _as_config(config)
    loader = LOADER_KEYS | set(loader_keys)
    shape = "dataloader_params" in config or "dataset" in config
    if nested is not None and shape != nested:
        expected = "`dataset` (with a `_target_`) and `dataloader_params`" if nested else "flat dataset and loader keys"
        raise DataConfigError(f"{where} needs {expected}, got keys {list(config.keys())}")
    if shape:
        if "dataloader_params" not in config:
            raise DataConfigError(f"{where} has `dataset` but no `dataloader_params` (batch_size, shuffle, ...)")
        parts = ("dataset", "dataloader_params", DEFER_SETUP_KEY)
        unknown = {key: config[key] for key in config if key not in parts}
        refuse_unknown_keys(unknown, parts, where)
        if not isinstance(config.get("dataset"), DictConfig):
            raise DataConfigError(f"{where}.dataset must be a config node, got {config.get('dataset')!r}")
        _refuse_missing(config.dataset, f"{where}.dataset")
        _refuse_missing(config.dataloader_params, f"{where}.dataloader_params")
        dataset = OmegaConf.create(OmegaConf.to_container(config.dataset, resolve=True))
        params = OmegaConf.create(OmegaConf.to_container(config.dataloader_params, resolve=True))
        refuse_unknown_keys(params, loader, f"{where}.dataloader_params")
    else:
        if dataset_keys is not None:
            refuse_unknown_keys(config, set(dataset_keys) | loader | {DEFER_SETUP_KEY}, where)
        _refuse_missing(config, where)
        plain = OmegaConf.to_container(config, resolve=True)
        plain.pop(DEFER_SETUP_KEY, None)
        dataset = OmegaConf.create({key: value for key, value in plain.items() if key not in loader})
        params = OmegaConf.create({key: value for key, value in plain.items() if key in loader})
    if "shuffle" not in params:
        params.shuffle = shuffle
    return dataset, params


def _refuse_missing(config: DictConfig, where: str) -> None:
    missing = [str(key) for key in config if OmegaConf.is_missing(config, key)]
    if missing:
        raise DataConfigError(f"{where}.{missing[0]} is '???' (mandatory) and was never set")


def make_dataloader(dataset: Any, params: DictConfig, **overrides: Any) -> torch.utils.data.DataLoader:
    """A ``DataLoader`` over ``dataset`` with ``params`` (loader keys) and the dataset's own ``collate_fn``."""
    kwargs = OmegaConf.to_container(params, resolve=True)
    kwargs.setdefault("batch_size", 1)
    if int(kwargs["batch_size"]) < 1:
        raise DataConfigError(f"data config key 'batch_size' must be >= 1, got {kwargs['batch_size']}")
    kwargs.update(overrides)
    return torch.utils.data.DataLoader(dataset, collate_fn=getattr(dataset, "collate_fn", None), **kwargs)
