"""Fixtures of the optimizer and scheduler tests."""

import pytest

from nemo.core.config.optimizers import AVAILABLE_OPTIMIZER_PARAMS
from nemo.core.config.schedulers import AVAILABLE_SCHEDULER_PARAMS
from nemo.core.optim.lr_scheduler import AVAILABLE_SCHEDULERS
from nemo.core.optim.optimizers import AVAILABLE_OPTIMIZERS


@pytest.fixture
def restore_registries():
    """Tests that register optimizers or schedulers leave the four registries as they found them."""
    registries = (AVAILABLE_OPTIMIZERS, AVAILABLE_OPTIMIZER_PARAMS, AVAILABLE_SCHEDULERS, AVAILABLE_SCHEDULER_PARAMS)
    saved = [dict(registry) for registry in registries]
    yield
    for registry, snapshot in zip(registries, saved):
        registry.clear()
        registry.update(snapshot)
