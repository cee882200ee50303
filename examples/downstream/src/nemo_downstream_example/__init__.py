"""A library outside NeMo that builds on nemo-core alone (no collection, no experiment manager).

Importing it registers its optimizer (``sign_sgd``) and scheduler (``LinearDecayAnnealing``) with nemo-core, so a
model config can name them like NeMo's own: ``optim: {name: sign_sgd, sched: {name: LinearDecayAnnealing}}``.
"""

from nemo_downstream_example.data import ToyFramesDataset, collate_frames
from nemo_downstream_example.models import ToyFrameClassifierModel, default_config
from nemo_downstream_example.modules import FramePoolingClassifier
from nemo_downstream_example.optim import (
    LinearDecayAnnealing,
    LinearDecayAnnealingParams,
    SignSGD,
    SignSGDParams,
    register,
)

__version__ = "0.1.0"

register()

__all__ = [
    "FramePoolingClassifier",
    "LinearDecayAnnealing",
    "LinearDecayAnnealingParams",
    "SignSGD",
    "SignSGDParams",
    "ToyFrameClassifierModel",
    "ToyFramesDataset",
    "collate_frames",
    "default_config",
    "register",
]
