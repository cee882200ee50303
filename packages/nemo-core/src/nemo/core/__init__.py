"""nemo.core: neural types, typed modules, models, archives, optimizers and configs.

Neural types are imported eagerly (they are pure Python); everything that pulls in Lightning, Hydra or ONNX is
resolved lazily on first attribute access, so ``import nemo.core`` costs little more than ``import torch``.
"""

from nemo.core._lazy import lazy_exports
from nemo.core.neural_types import *  # noqa: F401,F403
from nemo.core.neural_types import __all__ as _neural_types_all
from nemo.core.version import __version__

_CLASSES = {
    "Typing": "nemo.core.classes.typecheck",
    "typecheck": "nemo.core.classes.typecheck",
    "is_typecheck_enabled": "nemo.core.classes.typecheck",
    "Serialization": "nemo.core.classes.serialization",
    "FileIO": "nemo.core.classes.serialization",
    "Model": "nemo.core.classes.model",
    "PretrainedModelInfo": "nemo.core.classes.model",
    "NeuralModule": "nemo.core.classes.module",
    "Loss": "nemo.core.classes.loss",
    "Dataset": "nemo.core.classes.dataset",
    "IterableDataset": "nemo.core.classes.dataset",
    "Exportable": "nemo.core.classes.exportable",
    "ExportFormat": "nemo.core.classes.exportable",
    "ModelPT": "nemo.core.classes.modelPT",
}

__getattr__, __dir__ = lazy_exports(__name__, _CLASSES)
__all__ = ["__version__", *_neural_types_all, *_CLASSES]
