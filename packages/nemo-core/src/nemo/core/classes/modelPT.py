"""``ModelPT``: the Lightning 2 base class of every NeMo model (data set-up, optimization, ``.nemo`` save/restore).

Lightning 2 no longer hands step outputs to epoch-end hooks, so ``ModelPT`` collects what ``validation_step`` and
``test_step`` return, per data loader, in ``on_*_batch_end`` and feeds them to the NeMo v1 hooks
``multi_validation_epoch_end`` / ``multi_test_epoch_end``. Subclasses that override ``on_validation_batch_end``,
``on_validation_epoch_end`` (or the test/train counterparts) should call ``super()``.
"""

import contextlib
import copy
import functools
import math
import os
from pathlib import Path
from typing import Any, Callable, ClassVar, Dict, FrozenSet, List, Mapping, Optional, Tuple, Union

import pytorch_lightning as pl
import torch
from omegaconf import Container, DictConfig, OmegaConf, open_dict
from pytorch_lightning.trainer.states import TrainerFn

from nemo.core.archive import MODEL_WEIGHTS, MODEL_WEIGHTS_SAFETENSORS, ArchiveError, NemoArchive, write_archive
from nemo.core.classes.artifacts import (
    NEMO_PREFIX,
    ArtifactItem,
    ArtifactPathType,
    ArtifactStore,
    artifact_archive_name,
    current_artifact_store,
    is_model_being_restored,
    model_restore_state,
)
from nemo.core.classes.construction import (
    archive_config,
    buildable_bases,
    check_targets,
    scoped_renames,
    trusted_config,
)
from nemo.core.classes.data_setup import is_deferred, make_dataloader, split_data_config
from nemo.core.classes.dataloaders import (
    merge_dataloader_results,
    resolve_test_dataloaders,
    resolve_validation_dataloaders,
)
from nemo.core.classes.model import Model
from nemo.core.classes.restore import (
    build_with_weights,
    class_path,
    load_restore_config,
    resolve_restore_target,
)
from nemo.core.optim.lr_scheduler import prepare_lr_scheduler
from nemo.core.optim.optimizers import build_optimizer
from nemo.utils import logging
from nemo.utils.app_state import AppState
from nemo.utils.gc_freeze import freeze_import_state
from nemo.utils.get_rank import is_global_rank_zero
from nemo.utils.malloc_tuning import tune_allocator
from nemo.utils.model_utils import convert_model_config_to_dict_config, maybe_update_config_version

__all__ = ["ModelPT"]


def _set_up_data_after(init: Callable[..., None]) -> Callable[..., None]:
    """``init``, then, when it was the outermost ModelPT constructor of this object, the config's data set-up."""
    if getattr(init, "_nemo_sets_up_data", False):
        return init

    @functools.wraps(init)
    def wrapper(self: "ModelPT", *args: Any, **kwargs: Any) -> None:
        state = self.__dict__
        state["_nemo_init_depth"] = state.get("_nemo_init_depth", 0) + 1
        try:
            init(self, *args, **kwargs)
        finally:
            state["_nemo_init_depth"] -= 1
        if state["_nemo_init_depth"] == 0:
            self._setup_data_from_cfg()

    wrapper._nemo_sets_up_data = True
    return wrapper


_EVAL_KINDS = ("validation", "test")


def _default_map_location() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class ModelPT(pl.LightningModule, Model):
    """Base class of NeMo models: a LightningModule built from a config, saved to and restored from ``.nemo`` files."""

    # Class paths this model's archives may name (written by NVIDIA NeMo) that restore as other classes here, for
    # this model only (``construction.scoped_renames``); process-wide renames use ``register_renamed_target``.
    archive_target_renames: ClassVar[Mapping[str, str]] = {}

    def __init__(self, cfg: Union[DictConfig, Mapping, Any], trainer: Optional[pl.Trainer] = None):
        if trainer is not None and not isinstance(trainer, pl.Trainer):
            raise ValueError(
                f"trainer constructor argument must be either None or pytorch_lightning.Trainer, "
                f"but got {type(trainer).__module__}.{type(trainer).__qualname__}"
            )
        super().__init__()
        cfg = maybe_update_config_version(convert_model_config_to_dict_config(cfg))
        if "target" not in cfg:
            with open_dict(cfg):
                cfg.target = class_path(type(self))
        self._cfg = cfg
        self.save_hyperparameters(cfg)
        self._hparams_name = "cfg"  # so load_from_checkpoint passes the saved hparams back as ``cfg=``
        self._train_dl = self._validation_dl = self._test_dl = None
        self._optimizer = self._scheduler = None
        self._val_dl_idx = self._test_dl_idx = 0
        self._validation_names: Optional[List[str]] = None
        self._test_names: Optional[List[str]] = None
        self._multi_dataset_mode = False
        self._eval_outputs: Dict[str, Dict[int, List[Any]]] = {kind: {} for kind in _EVAL_KINDS}
        self._artifact_store: Optional[ArtifactStore] = None
        self.trainer = trainer
        if torch.cuda.is_available():
            AppState().device_id = torch.cuda.current_device()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Wrap each subclass ``__init__`` so data loaders are set up once the outermost constructor has finished:
        models can then build tokenizers and parts after ``super().__init__`` and still have their data set up."""
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = _set_up_data_after(cls.__dict__["__init__"])

    def _setup_data_from_cfg(self) -> None:
        """Build the loaders of ``cfg.train_ds``/``validation_ds``/``test_ds`` (none while restoring an archive)."""
        cfg = self._cfg
        if is_model_being_restored():
            present = [key for key in ("train_ds", "validation_ds", "test_ds") if cfg.get(key) is not None]
            if present:
                logging.debug(
                    f"{type(self).__name__}: restored without data loaders for {', '.join(present)}; call "
                    "setup_training_data / setup_multiple_validation_data / setup_multiple_test_data to use them"
                )
            return
        if cfg.get("train_ds") is not None and not is_deferred(cfg.train_ds):
            self.setup_training_data(cfg.train_ds)
        if cfg.get("validation_ds") is not None and not is_deferred(cfg.validation_ds):
            self.setup_multiple_validation_data(val_data_config=None)
        if cfg.get("test_ds") is not None and not is_deferred(cfg.test_ds):
            self.setup_multiple_test_data(test_data_config=None)

    def setup(self, stage: Optional[str] = None) -> None:
        """Lightning's hook: build the loaders whose data config says ``defer_setup: true`` (NeMo's key) and that
        no one has built yet, for the stage that needs them (fit: train and validation, validate, test)."""
        cfg = self._cfg

        def wanted(key: str, loader: Any, stages: Tuple[str, ...]) -> bool:
            unbuilt = loader is None or (isinstance(loader, list) and not loader)
            return stage in stages and unbuilt and is_deferred(cfg.get(key))

        if wanted("train_ds", self._train_dl, ("fit",)):
            self.setup_training_data(cfg.train_ds)
        if wanted("validation_ds", self._validation_dl, ("fit", "validate")):
            self.setup_multiple_validation_data(val_data_config=None)
        if wanted("test_ds", self._test_dl, ("test",)):
            self.setup_multiple_test_data(test_data_config=None)

    # ------------------------------------------------------------------------------------------- config & trainer
    @property
    def cfg(self) -> DictConfig:
        """The model config (``target`` included); assigning it also updates the Lightning hyper-parameters."""
        return self._cfg

    @cfg.setter
    def cfg(self, cfg: DictConfig) -> None:
        self._cfg = cfg
        self._set_hparams(cfg)
        self._hparams_initial = copy.deepcopy(self._hparams)

    @property
    def testing(self) -> bool:
        """True while the attached trainer runs the test loop (NeMo v1 models read ``self.testing``)."""
        return self._trainer is not None and bool(self._trainer.testing)

    @property
    def num_weights(self) -> int:
        """Number of trainable parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def set_trainer(self, trainer: pl.Trainer) -> None:
        """Attach ``trainer`` (e.g. a fresh one for testing) and record its world size."""
        self.trainer = trainer
        self.set_world_size(trainer)

    def set_world_size(self, trainer: pl.Trainer) -> None:
        """Record ``trainer.world_size`` (devices x nodes) in ``AppState``."""
        if isinstance(trainer, pl.Trainer):
            AppState().world_size = trainer.world_size
        else:
            logging.warning(f"World size can only be set by a pytorch_lightning.Trainer, got {type(trainer).__name__}")

    def prepare_test(self, trainer: pl.Trainer) -> bool:
        """Attach ``trainer`` for ``trainer.test`` if the model has a ``test_ds`` and the trainer uses one device."""
        if self._cfg.get("test_ds") is None:
            logging.info("No `test_ds` config found within the model config: call setup_test_data() before testing.")
            return False
        if trainer is not None and trainer.world_size > 1:
            logging.warning(
                f"The trainer runs on {trainer.world_size} processes; testing with a distributed sampler may repeat or "
                "drop samples. Create a new Trainer with devices=1, num_nodes=1 and pass it to prepare_test()."
            )
            return False
        self.set_trainer(trainer)
        return True

    def teardown(self, stage: str) -> None:
        if stage == "fit" and "PL_TRAINER_GPUS" in os.environ:
            os.environ.pop("PL_TRAINER_GPUS")
        super().teardown(stage)

    def on_save_checkpoint(self, checkpoint: Dict[str, Any]) -> None:
        """Store the hyper-parameters as plain containers, so the checkpoint loads with ``weights_only=True``."""
        hparams = checkpoint.get(self.CHECKPOINT_HYPER_PARAMS_KEY)
        if isinstance(hparams, Container):
            checkpoint[self.CHECKPOINT_HYPER_PARAMS_KEY] = OmegaConf.to_container(hparams, resolve=True)
            checkpoint.pop(self.CHECKPOINT_HYPER_PARAMS_TYPE, None)

    # ------------------------------------------------------------------------------------------------------ data
    # The keys a flat data config (``train_ds`` ...) may hold besides the DataLoader's; None accepts any key.
    dataset_config_keys: Optional[FrozenSet[str]] = None
    # Extra keys that go to ``_build_dataloader`` with the DataLoader's (e.g. a batch sampler's settings).
    dataloader_config_keys: FrozenSet[str] = frozenset()
    # True: data configs are ``{dataset: {...}, dataloader_params: {...}}`` (NeMo's TTS shape); False: flat; None: both.
    nested_data_config: Optional[bool] = None
    # Dataset keys naming the data files: a node that leaves one of them empty (null or absent) builds no loader
    # (logged), as NeMo v1's models did; its other keys are checked all the same, so a misspelt key is still refused.
    data_file_keys: Tuple[str, ...] = ()
    # Loader keys the dataset reads too (copied into its config), e.g. ``shuffle`` for a dataset that samples with it.
    dataset_loader_keys: FrozenSet[str] = frozenset()

    def _build_dataset(self, config: DictConfig) -> Any:
        """The data-setup hook: the dataset one data config describes, or None when it names no data.

        ``config`` is the dataset part of a ``*_ds`` node (the loader keys are split off). Models implement this and
        ModelPT does the rest; models that override ``setup_training_data`` etc. (NeMo v1 style) need not.
        """
        raise NotImplementedError(
            f"{type(self).__name__} implements neither _build_dataset nor "
            "setup_training_data/setup_validation_data/setup_test_data"
        )

    def _build_dataloader(self, dataset: Any, params: DictConfig) -> torch.utils.data.DataLoader:
        """The loader over a built dataset; ``params`` holds the loader keys (override for custom samplers)."""
        return make_dataloader(dataset, params)

    def _setup_dataloader_from_config(
        self, config: Any = None, name: str = "data", shuffle: bool = False, cfg: Any = None
    ) -> Optional[torch.utils.data.DataLoader]:
        """A loader from data config ``config`` (``name`` is its key, e.g. ``train``), or None when it has no data.

        ``cfg`` is another name for ``config``: NeMo v1's NLP models call ``_setup_dataloader_from_config(cfg=...)``.
        """
        config = cfg if config is None else config
        if config is None:
            return None
        dataset_cfg, params = split_data_config(
            config,
            f"{name}_ds",
            self.dataset_config_keys,
            shuffle,
            self.dataloader_config_keys,
            self.nested_data_config,
        )
        unset = [key for key in self.data_file_keys if not dataset_cfg.get(key)]
        if unset:
            logging.info(f"model.{name}_ds.{unset[0]} is not set: no {name} data loader is created")
            return None
        for key in self.dataset_loader_keys & set(params):
            dataset_cfg[key] = params[key]
        dataset = self._build_dataset(dataset_cfg)
        if dataset is None:
            return None
        return self._build_dataloader(dataset, params)

    def _setup_data(self, name: str, config: Any, shuffle: bool) -> Optional[torch.utils.data.DataLoader]:
        self._update_dataset_config(dataset_name=name, config=config)
        return self._setup_dataloader_from_config(config, name, shuffle)

    def setup_training_data(self, train_data_config: Union[DictConfig, Dict]) -> None:
        """Build ``self._train_dl`` from ``train_data_config`` (shuffled unless it says ``shuffle: false``)."""
        self._train_dl = self._setup_data("train", train_data_config, shuffle=True)

    def setup_validation_data(self, val_data_config: Union[DictConfig, Dict]) -> None:
        """Build ``self._validation_dl`` from ``val_data_config`` (not shuffled unless it says so)."""
        self._validation_dl = self._setup_data("validation", val_data_config, shuffle=False)

    def setup_test_data(self, test_data_config: Union[DictConfig, Dict]) -> None:
        """Build ``self._test_dl`` from ``test_data_config`` (not shuffled unless it says so)."""
        self._test_dl = self._setup_data("test", test_data_config, shuffle=False)

    def setup_multiple_validation_data(self, val_data_config: Union[DictConfig, Dict, None] = None) -> None:
        """Build one validation loader per dataset item of ``validation_ds`` (see ``resolve_validation_dataloaders``)."""
        self._val_dl_idx = 0
        self._setup_multiple_data("validation", "val", val_data_config, resolve_validation_dataloaders)

    def setup_multiple_test_data(self, test_data_config: Union[DictConfig, Dict, None] = None) -> None:
        """Build one test loader per dataset item of ``test_ds`` (see ``resolve_test_dataloaders``)."""
        self._test_dl_idx = 0
        self._setup_multiple_data("test", "test", test_data_config, resolve_test_dataloaders)

    def _setup_multiple_data(self, kind: str, prefix: str, config: Any, resolve: Callable[..., None]) -> None:
        """``self._<kind>_dl`` and ``self._<kind>_names`` (``<prefix>_<idx>_`` where the datasets have no names)."""
        setattr(self, f"_{kind}_dl", None)
        setattr(self, f"_{kind}_names", None)
        if config is not None:
            self._update_dataset_config(kind, config)
        resolve(model=self)
        loaders = getattr(self, f"_{kind}_dl")
        if getattr(self, f"_{kind}_names") is None and isinstance(loaders, list):
            setattr(self, f"_{kind}_names", [f"{prefix}_{idx}_" for idx in range(len(loaders))])

    def _update_dataset_config(self, dataset_name: str, config: Union[DictConfig, Dict, None]) -> None:
        """Persist a data config as ``cfg.<dataset_name>_ds`` (skipped while resolving multiple loaders)."""
        if self._multi_dataset_mode or config is None:
            return
        if dataset_name not in ("train", "validation", "test"):
            raise ValueError(f"dataset_name must be one of 'train', 'validation', 'test', got {dataset_name!r}")
        if not isinstance(config, DictConfig):
            config = OmegaConf.create(config)
        with open_dict(self._cfg):
            self._cfg[f"{dataset_name}_ds"] = config
        self.cfg = self._cfg

    def train_dataloader(self) -> Any:
        return self._train_dl

    def val_dataloader(self) -> Any:
        return self._validation_dl if self._validation_dl is not None else []  # Lightning 2 refuses None

    def test_dataloader(self) -> Any:
        return self._test_dl if self._test_dl is not None else []

    def get_validation_dataloader_prefix(self, dataloader_idx: int = 0) -> str:
        """Metric-name prefix of validation loader ``dataloader_idx`` (its dataset name, else ``val_<idx>_``)."""
        names = self._validation_names
        return names[dataloader_idx] if names and dataloader_idx < len(names) else f"val_{dataloader_idx}_"

    def get_test_dataloader_prefix(self, dataloader_idx: int = 0) -> str:
        """Metric-name prefix of test loader ``dataloader_idx`` (its dataset name, else ``test_<idx>_``)."""
        names = self._test_names
        return names[dataloader_idx] if names and dataloader_idx < len(names) else f"test_{dataloader_idx}_"

    # ------------------------------------------------------------------------------------ step outputs & epoch ends
    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        """Log the ``'log'`` dict a NeMo v1 ``training_step`` may return next to ``'loss'``."""
        if isinstance(outputs, Mapping) and isinstance(outputs.get("log"), Mapping):
            self.log_dict(dict(outputs["log"]), on_step=True, on_epoch=False)

    def on_validation_epoch_start(self) -> None:
        self._eval_outputs["validation"] = {}

    def on_test_epoch_start(self) -> None:
        self._eval_outputs["test"] = {}

    def on_validation_batch_end(self, outputs: Any, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:
        if outputs is not None:
            self._eval_outputs["validation"].setdefault(dataloader_idx, []).append(outputs)

    def on_test_batch_end(self, outputs: Any, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:
        if outputs is not None:
            self._eval_outputs["test"].setdefault(dataloader_idx, []).append(outputs)

    def on_validation_epoch_end(self) -> None:
        self._evaluation_epoch_end("validation")

    def on_test_epoch_end(self) -> None:
        self._evaluation_epoch_end("test")

    def multi_validation_epoch_end(self, outputs: List[Any], dataloader_idx: int = 0) -> Optional[Dict[str, Any]]:
        """Aggregate one validation loader's step outputs; return ``{'val_loss': ..., 'log': {...}}``."""
        logging.warning(
            f"{type(self).__name__} does not implement multi_validation_epoch_end, so validation_step outputs are "
            "not aggregated or logged. Override multi_validation_epoch_end(outputs, dataloader_idx) to do so."
        )
        return None

    def multi_test_epoch_end(self, outputs: List[Any], dataloader_idx: int = 0) -> Optional[Dict[str, Any]]:
        """Aggregate one test loader's step outputs; return ``{'test_loss': ..., 'log': {...}}``."""
        logging.warning(
            f"{type(self).__name__} does not implement multi_test_epoch_end, so test_step outputs are not aggregated "
            "or logged. Override multi_test_epoch_end(outputs, dataloader_idx) to do so."
        )
        return None

    def _num_eval_dataloaders(self, kind: str, collected: Dict[int, List[Any]]) -> int:
        counts: Any = None
        trainer = self._trainer
        if trainer is not None:
            if trainer.sanity_checking:
                counts = trainer.num_sanity_val_batches
            else:
                counts = trainer.num_val_batches if kind == "validation" else trainer.num_test_batches
        known = len(counts) if isinstance(counts, list) else 0
        return max(known, max(collected, default=-1) + 1)

    def _evaluation_epoch_end(self, kind: str) -> Dict[str, Any]:
        """Run ``multi_<kind>_epoch_end`` per loader, merge with prefixes and log the ``'log'`` entries per epoch."""
        collected, self._eval_outputs[kind] = self._eval_outputs[kind], {}
        count = self._num_eval_dataloaders(kind, collected)
        if not collected:
            return {}
        if kind == "validation":
            hook, prefix_of = self.multi_validation_epoch_end, self.get_validation_dataloader_prefix
            primary, loss_key = self._val_dl_idx, "val_loss"
        else:
            hook, prefix_of = self.multi_test_epoch_end, self.get_test_dataloader_prefix
            primary, loss_key = self._test_dl_idx, "test_loss"
        if count == 1:
            merged = dict(hook(collected.get(0, []), dataloader_idx=0) or {})
        else:
            results = [hook(collected.get(idx, []), dataloader_idx=idx) for idx in range(count)]
            merged = merge_dataloader_results(results, [prefix_of(idx) for idx in range(count)], primary, loss_key)
        log = merged.pop("log", None)
        if log:
            self.log_dict(dict(log), on_epoch=True)
        return merged

    # ------------------------------------------------------------------------------------------------ optimization
    def setup_optimization(self, optim_config: Union[DictConfig, Dict, None] = None) -> Optional[Tuple[Any, Any]]:
        """Build ``self._optimizer`` and ``self._scheduler`` from ``optim_config`` (default ``cfg.optim``)."""
        if optim_config is None:
            optim_config = self._cfg.get("optim")
        if optim_config is None:
            logging.info("No optimizer config provided, therefore no optimizer was created")
            return None
        optim_config = copy.deepcopy(convert_model_config_to_dict_config(optim_config))
        if "optim" in self._cfg:
            with open_dict(self._cfg):
                self._cfg.optim = copy.deepcopy(optim_config)
        optim: Dict[str, Any] = OmegaConf.to_container(optim_config, resolve=True)
        trainer = self._trainer
        if trainer is None:
            logging.warning("Trainer wasn't specified in model constructor. Make sure that you really wanted it.")

        scheduler_config = optim.pop("sched", None)
        if scheduler_config is not None and trainer is not None:
            self._fill_scheduler_steps(scheduler_config, trainer)

        self._optimizer = build_optimizer(optim, self.parameters(), trainer)
        logging.info(f"Optimizer config = {self._optimizer}")

        self._scheduler = prepare_lr_scheduler(
            optimizer=self._optimizer, scheduler_config=scheduler_config, train_dataloader=self._train_dl
        )
        return self._optimizer, self._scheduler

    def _fill_scheduler_steps(self, sched: Dict[str, Any], trainer: pl.Trainer) -> None:
        """Set ``sched['max_steps']`` from the trainer, else the ``t_*`` keys prepare_lr_scheduler derives it from.

        ``trainer.max_steps`` (when > 0) wins over the config; during ``fit`` Lightning's own estimate is used
        unless the config gives ``max_steps``; otherwise the epoch-based ``t_*`` keys are written.
        """
        if trainer.max_steps is not None and trainer.max_steps > 0:
            sched["max_steps"] = trainer.max_steps
            return
        if sched.get("max_steps") is not None:
            return
        if trainer.state.fn == TrainerFn.FITTING and trainer.lightning_module is self:
            estimate = trainer.estimated_stepping_batches
            if math.isfinite(estimate) and estimate > 0:
                sched["max_steps"] = int(estimate)
                return
        sched["t_max_epochs"] = trainer.max_epochs
        sched["t_accumulate_grad_batches"] = trainer.accumulate_grad_batches
        sched["t_limit_train_batches"] = trainer.limit_train_batches
        sched["t_num_workers"] = trainer.world_size

    def configure_optimizers(self) -> Any:
        self.setup_optimization()
        if self._scheduler is None:
            return self._optimizer
        return [self._optimizer], [self._scheduler]

    # --------------------------------------------------------------------------------------------------- artifacts
    def register_artifact(self, config_path: str, src: Optional[str], verify_src_exists: bool = True) -> Optional[str]:
        """Register file ``src`` to be packed into ``.nemo`` files under config key ``config_path``.

        Returns the local path to use: ``src`` itself (made absolute) when it exists, or, while restoring, the file
        extracted from the archive for ``nemo:<name>`` (or for a file the archive holds under ``src``'s basename).
        A missing file raises ``FileNotFoundError``, or returns None when ``verify_src_exists`` is False.
        """
        if src is None or src == "":
            return src
        if getattr(self, "artifacts", None) is None:
            self.artifacts: Dict[str, ArtifactItem] = {}
        if config_path in self.artifacts:
            logging.warning(f"Artifact {config_path!r} is already registered; the new registration replaces it")
        item = self._resolve_artifact(config_path, str(src), verify_src_exists)
        if item is None:
            return None
        self.artifacts[config_path] = item
        if isinstance(getattr(self, "_cfg", None), DictConfig):
            with open_dict(self._cfg):
                OmegaConf.update(self._cfg, config_path, item.path, merge=False)
        return item.path

    def _resolve_artifact(self, config_path: str, src: str, verify_src_exists: bool) -> Optional[ArtifactItem]:
        store = current_artifact_store() or getattr(self, "_artifact_store", None)  # may run before __init__
        local = Path(src).expanduser()
        if local.exists():
            if not local.is_file():
                raise ValueError(f"Artifact {config_path!r}: {src} is a directory; only files can be registered")
            if store is not None and store.member_for(local) is not None:  # a file this model extracted earlier
                name = store.member_for(local)
                return ArtifactItem(str(local.absolute()), ArtifactPathType.TAR_PATH, name, str(store.archive_path))
            return ArtifactItem(os.path.abspath(local), ArtifactPathType.LOCAL_PATH)
        name = src[len(NEMO_PREFIX) :] if src.startswith(NEMO_PREFIX) else local.name
        if store is not None and store.has(name):
            return ArtifactItem(str(store.get(name)), ArtifactPathType.TAR_PATH, name, str(store.archive_path))
        where = f"in {store.archive_path}" if store is not None else "(the model is not being restored from a .nemo)"
        message = f"Artifact {config_path!r}: {src!r} is neither an existing local file nor an archive member {where}"
        if verify_src_exists:
            raise FileNotFoundError(message)
        logging.warning(f"{message}; it is optional (verify_src_exists=False), so it is skipped")
        return None

    def _artifacts_for_save(self, stack: contextlib.ExitStack) -> Tuple[Dict[str, Path], Dict[str, str]]:
        """``(archive name -> file to pack, config path -> archive name)`` of every registered artifact."""
        members: Dict[str, Path] = {}
        nodes: Dict[str, str] = {}
        for config_path, item in (getattr(self, "artifacts", None) or {}).items():
            source = Path(item.path)
            if item.path_type == ArtifactPathType.LOCAL_PATH:
                if not source.is_file():
                    raise FileNotFoundError(f"Cannot save artifact {config_path!r}: its file {source} no longer exists")
                name = artifact_archive_name(source)
            else:
                name = item.archive_name or source.name
                if not source.is_file():
                    source = self._reextract(config_path, item, name, stack)
            members[name] = source
            nodes[config_path] = name
        return members, nodes

    def _reextract(self, config_path: str, item: ArtifactItem, name: str, stack: contextlib.ExitStack) -> Path:
        """Extract a restored artifact again from its archive of origin (its temp copy has gone)."""
        if item.source_archive is None:
            raise FileNotFoundError(
                f"Cannot save artifact {config_path!r}: {item.path} is gone and its origin is unknown"
            )
        store = self._artifact_store
        if store is None or store.archive_path != Path(item.source_archive):
            store = ArtifactStore(Path(item.source_archive))
            stack.callback(store.cleanup)
        return store.get(name)

    # ------------------------------------------------------------------------------------------- save and restore
    def save_to(self, save_path: str, *, compress: bool = False) -> None:
        """Write config, weights and artifacts to the ``.nemo`` file ``save_path`` (rank zero only; atomic).

        The archive is an uncompressed tar by default (fast to write, and restore seeks straight to the weights),
        which NVIDIA NeMo 1.7+ and 2.x read; ``compress=True`` writes the tar.gz that NeMo 1.0-1.6 expect.
        """
        if not is_global_rank_zero():
            return
        with contextlib.ExitStack() as stack:
            members, nodes = self._artifacts_for_save(stack)
            config = OmegaConf.create(OmegaConf.to_container(self._cfg, resolve=True))
            for config_path, name in nodes.items():
                OmegaConf.update(config, config_path, NEMO_PREFIX + name, merge=False)
            write_archive(
                Path(save_path).expanduser(),
                config_yaml=OmegaConf.to_yaml(config, resolve=True),
                state_dict=self.state_dict(),
                artifacts=members,
                compress=compress,
            )
        logging.info(f"Model {type(self).__name__} was saved to {save_path}")

    @classmethod
    def restore_from(
        cls,
        restore_path: str,
        override_config_path: Optional[Union[str, DictConfig]] = None,
        map_location: Optional[Union[torch.device, str]] = None,
        strict: bool = True,
        return_config: bool = False,
        trusted: bool = False,
    ) -> Any:
        """Build a model from the ``.nemo`` file ``restore_path`` and load its weights.

        The class built is ``cls`` or the subclass of ``cls`` the config's ``target`` names. It is built once, on the
        meta device, and the weights (loaded on CPU) are assigned to it (``restore.build_with_weights``: a model that
        cannot be built so is built a second time normally, with a WARNING); then it moves to ``map_location``
        (default: cuda when available). ``override_config_path`` (YAML path or DictConfig, its ``model`` sub-tree if
        present) replaces the stored config; ``return_config=True`` returns the config instead of a model.

        An archive never runs code: every ``_target_`` in its config must name a class of the kind its key builds
        (``nemo.core.classes.construction``), new imports are limited to ``nemo`` and ``torch``, and resolvers such
        as ``${oc.env:...}`` are refused. ``trusted=True`` lifts these checks, for archives whose origin you trust.
        """
        path = Path(restore_path).expanduser()
        if not path.exists():
            raise FileNotFoundError(f"Cannot restore {cls.__name__}: {restore_path} does not exist")
        path = path.resolve()
        with NemoArchive(path) as archive:
            conf = load_restore_config(archive, override_config_path, trusted=trusted)
            if return_config:
                return conf
            if not {MODEL_WEIGHTS, MODEL_WEIGHTS_SAFETENSORS} & set(archive.names()):
                raise ArchiveError(f"{path}: no {MODEL_WEIGHTS} member; found: {', '.join(archive.names())}")
            target_cls = resolve_restore_target(cls, conf)
            AppState().model_restore_path = str(path)
            store = ArtifactStore(path, archive)
            try:
                state_dict = archive.load_state_dict(map_location="cpu", mmap=True)
                checks = trusted_config() if trusted else archive_config()
                with model_restore_state(store), checks, scoped_renames(target_cls.archive_target_renames):
                    if not trusted:  # every target of the archive checked before anything is built
                        check_targets(conf, buildable_bases, "", buildable_bases)
                    instance = build_with_weights(
                        lambda: target_cls(cfg=conf), state_dict, strict, path, name=target_cls.__name__
                    )
            except BaseException:
                store.cleanup()
                raise
        instance._artifact_store = store  # owns the extracted files; removes them when the model is collected
        instance = instance.to(map_location if map_location is not None else _default_map_location())
        logging.info(f"Model {type(instance).__name__} was successfully restored from {path}.")
        return instance

    @classmethod
    def extract_state_dict_from(
        cls, restore_path: str, save_dir: str, split_by_module: bool = False
    ) -> Dict[str, torch.Tensor]:
        """Write the weights of a ``.nemo`` to ``save_dir/model_weights.ckpt`` (or ``<module>.ckpt`` per module)."""
        path = Path(restore_path).expanduser()
        if not path.exists():
            raise FileNotFoundError(f"Cannot extract the weights: {restore_path} does not exist")
        with NemoArchive(path) as archive:
            state_dict = archive.load_state_dict(map_location="cpu")
        directory = Path(save_dir)
        directory.mkdir(parents=True, exist_ok=True)
        if not split_by_module:
            torch.save(state_dict, directory / MODEL_WEIGHTS)
            return state_dict
        modules: Dict[str, Dict[str, torch.Tensor]] = {}
        for key, value in state_dict.items():
            module, _, rest = key.partition(".")
            modules.setdefault(module, {})[rest] = value
        for module, module_state in modules.items():
            torch.save(module_state, directory / f"{module}.ckpt")
        return state_dict

    @classmethod
    def load_from_checkpoint(
        cls,
        checkpoint_path: Any,
        map_location: Any = None,
        hparams_file: Optional[str] = None,
        strict: bool = True,
        **kwargs: Any,
    ) -> Any:
        """Lightning's ``load_from_checkpoint`` with the model flagged as being restored (no data set-up)."""
        with model_restore_state():
            return super().load_from_checkpoint(
                checkpoint_path, map_location=map_location, hparams_file=hparams_file, strict=strict, **kwargs
            )

    @staticmethod
    def _is_model_being_restored() -> bool:
        return is_model_being_restored()

    @staticmethod
    def _unpack_nemo_file(path2file: str, out_folder: str) -> str:
        """Extract every member of a ``.nemo`` (checked for safety) into ``out_folder``; returns ``out_folder``."""
        if not os.path.exists(path2file):
            raise FileNotFoundError(f"{path2file} does not exist")
        with NemoArchive(path2file) as archive:
            archive.extract(archive.names(), out_folder)
        return out_folder


ModelPT.__init__ = _set_up_data_after(ModelPT.__init__)  # subclasses without an __init__ of their own
freeze_import_state()  # the import-time objects of torch and Lightning: out of every later collection's walk
tune_allocator()  # glibc keeps freed activations in the heap: no fresh zero-filled pages every step
