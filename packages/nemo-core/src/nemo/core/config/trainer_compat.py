"""Translate NeMo 1 / Lightning 1.x ``trainer:`` sections into Lightning 2 ``Trainer`` arguments.

NeMo 1 YAMLs and docs use Lightning 1.2 argument names (``gpus``, ``accelerator: ddp``, ``checkpoint_callback``,
``amp_level`` ...) that Lightning 2 rejects. ``map_legacy_trainer_keys`` rewrites such a section so that
``pl.Trainer(**map_legacy_trainer_keys(cfg.trainer))`` works, logging one warning per legacy key that names the old
key and what replaced it. Keys that Lightning 2 dropped without a Trainer replacement are removed (with the warning
saying where the feature went); keys that are neither current nor legacy raise a ``ValueError`` naming the key.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from typing import Any, Callable, Dict, FrozenSet, Mapping, MutableMapping

from omegaconf import DictConfig, OmegaConf

from nemo.utils import logging

__all__ = ["map_legacy_trainer_keys", "LEGACY_TRAINER_KEYS"]

# Lightning 1.x ``accelerator``/``distributed_backend`` values (which named the distributed backend) -> Lightning 2
# ``strategy``, plus why the mapping is lossy where it is.
_LEGACY_BACKENDS: Dict[str, tuple] = {
    "ddp": ("ddp", ""),
    "ddp_spawn": ("ddp_spawn", ""),
    "ddp_cpu": ("ddp_spawn", "; it runs on CPU (accelerator=cpu, devices=num_processes)"),
    "ddp2": ("ddp", "; DDP2 was removed in Lightning 2, plain DDP is used"),
    "ddp_sharded": ("ddp", "; FairScale sharding was removed in Lightning 2 (use strategy=fsdp for sharding)"),
    "ddp_sharded_spawn": ("ddp_spawn", "; FairScale sharding was removed in Lightning 2"),
    "dp": ("auto", "; DataParallel was removed in Lightning 2, Lightning picks DDP for several devices"),
    "horovod": ("auto", "; Horovod was removed in Lightning 2"),
}

# Legacy keys with no Trainer argument left in Lightning 2 -> where the feature lives now.
_REMOVED_KEYS: Dict[str, str] = {
    "amp_level": "Apex AMP is gone; mixed precision is native (precision='16-mixed' or 'bf16-mixed')",
    "amp_backend": "only native AMP remains; select it with precision='16-mixed'",
    "resume_from_checkpoint": "pass ckpt_path= to trainer.fit(...), or set exp_manager.resume_if_exists=True",
    "flush_logs_every_n_steps": "set flush_logs_every_n_steps on the logger (e.g. CSVLogger) instead",
    "log_gpu_memory": "add a pytorch_lightning.callbacks.DeviceStatsMonitor callback",
    "track_grad_norm": "log pytorch_lightning.utilities.grad_norm(...) in on_before_optimizer_step",
    "auto_select_gpus": "devices='auto' picks the available devices",
    "auto_lr_find": "use pytorch_lightning.tuner.Tuner(trainer).lr_find(model)",
    "auto_scale_batch_size": "use pytorch_lightning.tuner.Tuner(trainer).scale_batch_size(model)",
    "prepare_data_per_node": "set prepare_data_per_node on the LightningModule or DataModule",
    "truncated_bptt_steps": "set truncated_bptt_steps on the LightningModule",
    "stochastic_weight_avg": "add a pytorch_lightning.callbacks.StochasticWeightAveraging callback",
    "move_metrics_to_cpu": "it was removed without replacement",
    "multiple_trainloader_mode": "wrap the loaders in pytorch_lightning.utilities.CombinedLoader(mode=...)",
    "process_position": "use pytorch_lightning.callbacks.TQDMProgressBar(process_position=...)",
    "weights_save_path": "set ModelCheckpoint(dirpath=...) (exp_manager does this)",
    "automatic_optimization": "set automatic_optimization on the LightningModule",
    "enable_pl_optimizer": "it was removed without replacement",
    "ipus": "IPU support moved out of Lightning (lightning-graphcore)",
}

_Handler = Callable[[Any, MutableMapping[str, Any], Mapping[str, Any]], str]


@functools.lru_cache(maxsize=1)
def _trainer_args() -> FrozenSet[str]:
    """Argument names of the installed ``pytorch_lightning.Trainer``."""
    import pytorch_lightning as pl

    return frozenset(p for p in inspect.signature(pl.Trainer.__init__).parameters if p != "self")


def _put(out: MutableMapping[str, Any], key: str, value: Any, old_key: str) -> None:
    """Set ``out[key]`` for the legacy ``old_key`` unless the user also set ``key`` to something else."""
    if key in out and out[key] != value and out[key] != "auto":
        raise ValueError(
            f"trainer config: legacy key '{old_key}' maps to {key}={value!r}, but {key}={out[key]!r} is also set; "
            f"remove one of them"
        )
    out[key] = value


def _backend(value: Any, out: MutableMapping[str, Any], src: Mapping[str, Any], old_key: str) -> str:
    name = str(value).lower()
    if name not in _LEGACY_BACKENDS:
        raise ValueError(
            f"trainer config: '{old_key}: {value}' is not a Lightning 1.x distributed backend; expected one of "
            f"{sorted(_LEGACY_BACKENDS)} (or use strategy=...)"
        )
    strategy, note = _LEGACY_BACKENDS[name]
    _put(out, "strategy", strategy, old_key)
    if name == "ddp_cpu":
        _put(out, "accelerator", "cpu", old_key)
        if src.get("num_processes") is not None:
            _put(out, "devices", src["num_processes"], old_key)
        return f"strategy='{strategy}', accelerator='cpu'{note}"
    return f"strategy='{strategy}'{note}"


def _parse_gpus(value: Any) -> Any:
    """Lightning 1.x ``gpus`` (count, -1, "0,1", [0, 1], 0/None) -> a ``devices`` value, or None for "no GPU"."""
    if isinstance(value, str):
        text = value.strip()
        if "," in text:
            ids = [int(part) for part in text.split(",") if part.strip()]
            return ids or None
        value = int(text) if text else None
    if isinstance(value, (list, tuple)) or OmegaConf.is_list(value):
        return list(value) or None
    if value is None or value == 0:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"trainer config: 'gpus' must be an int, a list of ids or a '0,1' string, got {value!r}")
    return value


def _gpus(value: Any, out: MutableMapping[str, Any], src: Mapping[str, Any], old_key: str) -> str:
    devices = _parse_gpus(value)
    if devices is None:
        _put(out, "accelerator", "cpu", old_key)
        if src.get("num_processes") is not None:
            _put(out, "devices", src["num_processes"], "num_processes")
            return f"accelerator='cpu', devices={src['num_processes']!r} (from num_processes)"
        return "accelerator='cpu'"
    _put(out, "accelerator", "gpu", old_key)
    _put(out, "devices", devices, old_key)
    return f"accelerator='gpu', devices={devices!r}"


def _tpu_cores(value: Any, out: MutableMapping[str, Any], src: Mapping[str, Any], old_key: str) -> str:
    if value is None:
        return "nothing (no TPU cores requested)"
    _put(out, "accelerator", "tpu", old_key)
    _put(out, "devices", value, old_key)
    return f"accelerator='tpu', devices={value!r}"


def _num_processes(value: Any, out: MutableMapping[str, Any], src: Mapping[str, Any], old_key: str) -> str:
    if _parse_gpus(src.get("gpus")) is not None or src.get("tpu_cores") is not None:
        return "nothing (ignored when gpus/tpu_cores are set, as in Lightning 1.x)"
    if "gpus" in src or str(src.get("distributed_backend", src.get("accelerator"))).lower() == "ddp_cpu":
        return "devices (handled together with gpus / ddp_cpu)"
    if value is None or value == 1:
        return "nothing (one process is the default)"
    _put(out, "accelerator", "cpu", old_key)
    _put(out, "devices", value, old_key)
    return f"accelerator='cpu', devices={value!r}"


def _weights_summary(value: Any, out: MutableMapping[str, Any], src: Mapping[str, Any], old_key: str) -> str:
    enabled = value is not None
    _put(out, "enable_model_summary", enabled, old_key)
    if value == "full":
        return "enable_model_summary=True; for the full depth add ModelSummary(max_depth=-1) to the callbacks"
    return f"enable_model_summary={enabled}"


def _progress_bar_refresh_rate(value: Any, out: MutableMapping[str, Any], src: Mapping[str, Any], old_key: str) -> str:
    if value is None:
        return "nothing (the default progress bar is kept)"
    enabled = int(value) > 0
    _put(out, "enable_progress_bar", enabled, old_key)
    if enabled:
        return f"enable_progress_bar=True; set the rate with TQDMProgressBar(refresh_rate={value}) in the callbacks"
    return "enable_progress_bar=False"


def _renamed(new_key: str, convert: Callable[[Any], Any] = lambda v: v) -> _Handler:
    def handler(value: Any, out: MutableMapping[str, Any], src: Mapping[str, Any], old_key: str) -> str:
        _put(out, new_key, convert(value), old_key)
        return f"{new_key}={convert(value)!r}"

    return handler


def _removed(value: Any, out: MutableMapping[str, Any], src: Mapping[str, Any], old_key: str) -> str:
    return f"removed, Lightning 2 has no such argument: {_REMOVED_KEYS[old_key]}"


# Processing order matters: backends first (they may free or set ``accelerator``), then device counts.
_HANDLERS: Dict[str, _Handler] = {
    "distributed_backend": _backend,
    "accelerator": _backend,  # only reached for Lightning 1.x backend names such as 'ddp'
    "gpus": _gpus,
    "tpu_cores": _tpu_cores,
    "num_processes": _num_processes,
    "checkpoint_callback": _renamed("enable_checkpointing", bool),
    "weights_summary": _weights_summary,
    "progress_bar_refresh_rate": _progress_bar_refresh_rate,
    "terminate_on_nan": _renamed("detect_anomaly", bool),
    "replace_sampler_ddp": _renamed("use_distributed_sampler", bool),
    "reload_dataloaders_every_epoch": _renamed("reload_dataloaders_every_n_epochs", lambda v: int(bool(v))),
    **{key: _removed for key in _REMOVED_KEYS},
}

LEGACY_TRAINER_KEYS: FrozenSet[str] = frozenset(_HANDLERS) - {"accelerator"}


def _is_legacy(key: str, value: Any) -> bool:
    if key == "accelerator":
        return isinstance(value, str) and value.lower() in _LEGACY_BACKENDS
    return key in LEGACY_TRAINER_KEYS


def map_legacy_trainer_keys(cfg: Any) -> DictConfig:
    """Return a copy of the ``trainer`` config ``cfg`` in which Lightning 1.x keys are replaced by Lightning 2 ones.

    ``gpus: N`` becomes ``accelerator: gpu, devices: N`` (``gpus: 0``/null becomes ``accelerator: cpu``), legacy
    backends in ``accelerator``/``distributed_backend`` become ``strategy``, ``checkpoint_callback`` becomes
    ``enable_checkpointing``, ``weights_summary``/``progress_bar_refresh_rate`` become the ``enable_*`` flags,
    ``max_steps: null`` becomes -1, and keys Lightning 2 dropped (``amp_level``, ``resume_from_checkpoint``,
    ``flush_logs_every_n_steps`` ...) are removed. Each rewrite is logged as a warning naming the old key.
    """
    if isinstance(cfg, DictConfig):
        src = OmegaConf.to_container(cfg, resolve=True)
    elif isinstance(cfg, Mapping):
        src = dict(cfg)
    else:
        raise TypeError(f"trainer config must be a DictConfig or a mapping, got {type(cfg).__name__}")

    current = _trainer_args()
    out: Dict[str, Any] = {}
    legacy = []
    for key, value in src.items():
        if _is_legacy(key, value):
            legacy.append(key)
        elif key in current:
            out[key] = value
        else:
            close = difflib.get_close_matches(key, sorted(current | LEGACY_TRAINER_KEYS), n=3)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise ValueError(
                f"trainer config: unknown key '{key}' (value {value!r}): it is neither a pytorch_lightning.Trainer "
                f"argument nor a known Lightning 1.x key{hint}"
            )

    for key in sorted(legacy, key=list(_HANDLERS).index):
        replacement = _HANDLERS[key](src[key], out, src, key)
        logging.warning(f"Trainer config: legacy key '{key}' (value {src[key]!r}) -> {replacement}.")

    if "max_steps" in out and out["max_steps"] is None:
        out["max_steps"] = -1
        logging.info("Trainer config: 'max_steps: null' means 'no step limit', which Lightning 2 spells -1.")
    accumulate = out.get("accumulate_grad_batches")
    if isinstance(accumulate, Mapping):
        raise ValueError(
            f"trainer config: accumulate_grad_batches={accumulate!r} is an epoch->factor schedule, which Lightning 2 "
            f"only accepts as a GradientAccumulationScheduler(scheduling=...) callback; pass an int here"
        )
    return OmegaConf.create(out)
