"""Multiple validation/test data loaders from one config node, and merging their epoch-end results.

A ``validation_ds``/``test_ds`` node whose dataset key (e.g. ``manifest_filepath``) holds a list of files yields one
data loader per file. Each loader gets a metric-name prefix derived from its file name, and the loader at
``val_dl_idx``/``test_dl_idx`` additionally reports its metrics without a prefix.
"""

import copy
import os
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

from omegaconf import DictConfig, ListConfig, OmegaConf

from nemo.utils import logging

__all__ = [
    "parse_dataset_as_name",
    "resolve_dataset_name_from_cfg",
    "resolve_validation_dataloaders",
    "resolve_test_dataloaders",
    "merge_dataloader_results",
]

_LIST_TYPES = (list, tuple, ListConfig)


def _is_existing_path(value: Any) -> bool:
    return isinstance(value, (str, os.PathLike)) and bool(str(value)) and os.path.exists(str(value))


def parse_dataset_as_name(name: Any) -> str:
    """A metric prefix for one dataset: the file stem, ``-`` → ``_``, minus 'manifest'/'dataset', ending in ``_``."""
    text = str(name)
    if _is_existing_path(text):
        text = Path(text).stem
    text = text.replace("-", "_").replace("manifest", "").replace("dataset", "")
    if not text.endswith("_"):
        text += "_"
    return text


def resolve_dataset_name_from_cfg(cfg: Mapping) -> Optional[str]:
    """The key of ``cfg`` that holds the dataset item(s), or None when there is none.

    ``ds_item`` (when set) either names the key to use or is itself the item (list); otherwise the first key whose
    value is an existing path, or a non-empty list of existing paths, is the dataset key.
    """
    ds_item = cfg.get("ds_item") if "ds_item" in cfg else None
    if ds_item is not None:
        if isinstance(ds_item, str) and ds_item in cfg and ds_item != "ds_item":
            return ds_item
        return "ds_item"
    for key in cfg:
        if isinstance(cfg, DictConfig) and OmegaConf.is_missing(cfg, key):
            continue  # a '???' value is reported, with its key, when the loader is built
        value = cfg[key]
        if isinstance(value, _LIST_TYPES):
            if len(value) > 0 and all(_is_existing_path(item) for item in value):
                return str(key)
        elif _is_existing_path(value):
            return str(key)
    return None


def _unique_names_check(names: Sequence[str], kind: str) -> None:
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        logging.warning(
            f"Multiple {kind} data loaders share the metric prefix(es) {duplicates}; their metrics overwrite each "
            "other. Give the dataset files distinct names."
        )


def _struct_copy(cfg: DictConfig) -> DictConfig:
    """A struct-mode copy, so a setup method that keeps its config never sees the next item written into it."""
    copied = copy.deepcopy(cfg)
    OmegaConf.set_struct(copied, True)
    return copied


def _resolve_dataloaders(model: Any, kind: str) -> None:
    """Shared body of resolve_validation_dataloaders / resolve_test_dataloaders (``kind`` is 'validation'/'test').

    The model is put in multi-dataset mode meanwhile, so its setup method does not persist each single item over
    the listed config.
    """
    previous_mode = getattr(model, "_multi_dataset_mode", False)
    model._multi_dataset_mode = True
    try:
        _setup_each_item(model, kind)
    finally:
        model._multi_dataset_mode = previous_mode


def _setup_each_item(model: Any, kind: str) -> None:
    section, idx_key = ("validation_ds", "val_dl_idx") if kind == "validation" else ("test_ds", "test_dl_idx")
    setup = model.setup_validation_data if kind == "validation" else model.setup_test_data
    cfg = copy.deepcopy(model._cfg)
    OmegaConf.set_struct(cfg, False)
    ds_cfg = cfg[section]
    primary_idx = ds_cfg.pop(idx_key, 0) if idx_key in ds_cfg else 0
    setattr(model, "_val_dl_idx" if kind == "validation" else "_test_dl_idx", int(primary_idx or 0))
    dl_attr, names_attr = ("_validation_dl", "_validation_names") if kind == "validation" else ("_test_dl", "_test_names")

    ds_key = resolve_dataset_name_from_cfg(ds_cfg)
    if ds_key is None:
        setup(_struct_copy(ds_cfg))
        return
    values = ds_cfg[ds_key]
    if isinstance(values, _LIST_TYPES):
        items = list(values)
        loaders = []
        for item in items:
            ds_cfg[ds_key] = item
            setup(_struct_copy(ds_cfg))
            loaders.append(getattr(model, dl_attr))
        setattr(model, dl_attr, loaders)
        names = [parse_dataset_as_name(item) for item in items]
    else:
        setup(_struct_copy(ds_cfg))
        names = [parse_dataset_as_name(values)]
    setattr(model, names_attr, names)
    _unique_names_check(names, kind)


def resolve_validation_dataloaders(model: Any) -> None:
    """Build ``model._validation_dl`` (one loader per dataset item) and ``model._validation_names`` from its cfg."""
    _resolve_dataloaders(model, "validation")


def resolve_test_dataloaders(model: Any) -> None:
    """Build ``model._test_dl`` (one loader per dataset item) and ``model._test_names`` from its cfg."""
    _resolve_dataloaders(model, "test")


def merge_dataloader_results(
    results: List[Optional[Dict[str, Any]]], prefixes: Sequence[str], primary_idx: int, loss_key: str
) -> Dict[str, Any]:
    """Merge the per-loader ``multi_*_epoch_end`` dicts of several loaders into one.

    ``log`` entries become ``<prefix><key>``, and those of loader ``primary_idx`` are also kept un-prefixed; other
    keys become ``<prefix><key>``; ``loss_key`` (``val_loss``/``test_loss``) is taken from loader ``primary_idx``.
    """
    merged: Dict[str, Any] = {}
    log: Dict[str, Any] = {}
    for idx, result in enumerate(results):
        result = dict(result or {})
        prefix = prefixes[idx]
        if idx == primary_idx and loss_key in result:
            merged[loss_key] = result[loss_key]
        for key, value in dict(result.pop("log", None) or {}).items():
            log[prefix + key] = value
            if idx == primary_idx and key not in log:
                log[key] = value
        for key, value in result.items():
            merged[prefix + key] = value
    if log:
        merged["log"] = log
    return merged
