"""``TrainerConfig``: a structured config mirroring the arguments of Lightning 2's ``pytorch_lightning.Trainer``.

Having the Trainer's arguments as a dataclass lets Hydra type-check ``trainer.*`` overrides and lets Python users build
a full NeMo config without YAML; ``pl.Trainer(**cfg.trainer)`` consumes it directly. Arguments whose Lightning type is a
union (``devices``, ``precision``, ``val_check_interval`` ...) are typed ``Any`` because OmegaConf 2.3 has no unions;
object-valued arguments (``logger``, ``callbacks``, ``plugins``, ``profiler``) stay ``None``/flags in a config and are
passed as objects by code. The field list follows pytorch-lightning 2.6; a test compares it with the installed
``Trainer.__init__`` signature.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from hydra.core.config_store import ConfigStore

__all__ = ["TrainerConfig"]


@dataclass
class TrainerConfig:
    """Every ``pytorch_lightning.Trainer`` argument with Lightning's own default."""

    accelerator: Any = "auto"
    strategy: Any = "auto"
    devices: Any = "auto"
    num_nodes: int = 1
    precision: Any = None
    logger: Any = None
    callbacks: Any = None
    fast_dev_run: Any = False
    max_epochs: Optional[int] = None
    min_epochs: Optional[int] = None
    max_steps: int = -1
    min_steps: Optional[int] = None
    max_time: Any = None
    limit_train_batches: Any = None
    limit_val_batches: Any = None
    limit_test_batches: Any = None
    limit_predict_batches: Any = None
    overfit_batches: Any = 0.0
    val_check_interval: Any = None
    check_val_every_n_epoch: Optional[int] = 1
    num_sanity_val_steps: Optional[int] = None
    log_every_n_steps: Optional[int] = None
    enable_checkpointing: Optional[bool] = None
    enable_progress_bar: Optional[bool] = None
    enable_model_summary: Optional[bool] = None
    accumulate_grad_batches: int = 1
    gradient_clip_val: Optional[float] = None
    gradient_clip_algorithm: Optional[str] = None
    deterministic: Any = None
    benchmark: Optional[bool] = None
    inference_mode: bool = True
    use_distributed_sampler: bool = True
    profiler: Any = None
    detect_anomaly: bool = False
    barebones: bool = False
    plugins: Any = None
    sync_batchnorm: bool = False
    reload_dataloaders_every_n_epochs: int = 0
    default_root_dir: Optional[str] = None
    enable_autolog_hparams: bool = True
    model_registry: Optional[str] = None


# As in NeMo: YAML defaults lists may select it with ``- trainer: trainer``.
ConfigStore.instance().store(group="trainer", name="trainer", node=TrainerConfig)
