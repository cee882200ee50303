"""Optimizers (Novograd plus torch's), learning-rate schedulers and the registries that resolve them from configs.

Importing this package pulls in torch only; Hydra and OmegaConf are imported when a config is parsed.
"""

from nemo.core.optim.lr_scheduler import (
    AVAILABLE_SCHEDULERS,
    CosineAnnealing,
    InverseSquareRootAnnealing,
    NoamAnnealing,
    PolynomialDecayAnnealing,
    PolynomialHoldDecayAnnealing,
    SquareAnnealing,
    SquareRootAnnealing,
    WarmupAnnealing,
    WarmupHoldPolicy,
    WarmupPolicy,
    compute_max_steps,
    get_scheduler,
    prepare_lr_scheduler,
    register_scheduler,
)
from nemo.core.optim.novograd import Novograd
from nemo.core.optim.optimizers import AVAILABLE_OPTIMIZERS, get_optimizer, parse_optimizer_args, register_optimizer

__all__ = [
    "AVAILABLE_OPTIMIZERS",
    "AVAILABLE_SCHEDULERS",
    "CosineAnnealing",
    "InverseSquareRootAnnealing",
    "NoamAnnealing",
    "Novograd",
    "PolynomialDecayAnnealing",
    "PolynomialHoldDecayAnnealing",
    "SquareAnnealing",
    "SquareRootAnnealing",
    "WarmupAnnealing",
    "WarmupHoldPolicy",
    "WarmupPolicy",
    "compute_max_steps",
    "get_optimizer",
    "get_scheduler",
    "parse_optimizer_args",
    "prepare_lr_scheduler",
    "register_optimizer",
    "register_scheduler",
]
