"""Process-wide state shared by models, ``exp_manager`` and checkpoint callbacks (a thread-safe singleton)."""

import threading
from typing import Any, Dict, Optional

__all__ = ["AppState"]


class _Singleton(type):
    """Metaclass handing out one instance per class; creation is guarded by a lock so threads agree on it."""

    _instances: Dict[type, Any] = {}
    _lock = threading.Lock()

    def __call__(cls, *args, **kwargs):
        instance = _Singleton._instances.get(cls)
        if instance is None:
            with _Singleton._lock:
                instance = _Singleton._instances.get(cls)
                if instance is None:
                    instance = super().__call__(*args, **kwargs)
                    _Singleton._instances[cls] = instance
        return instance

    def reset(cls) -> None:
        """Forget the instance so the next ``cls()`` starts from defaults (meant for tests)."""
        with _Singleton._lock:
            _Singleton._instances.pop(cls, None)


class AppState(metaclass=_Singleton):
    """Singleton holding ranks, parallel sizes, experiment paths and the path of the ``.nemo`` last restored.

    ``AppState()`` always returns the same object; ``AppState.reset()`` drops it. Assigning an attribute that is not
    declared here raises ``AttributeError`` (a typo must not silently create new state).
    """

    __slots__ = (
        "device_id",
        "world_size",
        "global_rank",
        "local_rank",
        "model_parallel_size",
        "model_parallel_rank",
        "model_parallel_group",
        "data_parallel_size",
        "data_parallel_rank",
        "data_parallel_group",
        "random_seed",
        "log_dir",
        "exp_dir",
        "name",
        "version",
        "checkpoint_name",
        "create_checkpoint_callback",
        "checkpoint_callback_params",
        "model_restore_path",
    )

    def __init__(self) -> None:
        self.device_id: Optional[int] = None
        self.world_size: Optional[int] = None
        self.global_rank: Optional[int] = None
        self.local_rank: Optional[int] = None
        self.model_parallel_size: Optional[int] = None
        self.model_parallel_rank: Optional[int] = None
        self.model_parallel_group: Any = None
        self.data_parallel_size: Optional[int] = None
        self.data_parallel_rank: Optional[int] = None
        self.data_parallel_group: Any = None
        self.random_seed: Optional[int] = None
        self.log_dir: Any = None
        self.exp_dir: Any = None
        self.name: Optional[str] = None
        self.version: Optional[str] = None
        self.checkpoint_name: Optional[str] = None
        self.create_checkpoint_callback: bool = False
        self.checkpoint_callback_params: Any = None
        self.model_restore_path: Optional[str] = None

    @property
    def model_config_yaml(self) -> str:
        """Name of the model config member inside a ``.nemo`` archive."""
        return "model_config.yaml"

    @property
    def model_weights_ckpt(self) -> str:
        """Name of the weights member inside a ``.nemo`` archive."""
        return "model_weights.ckpt"
