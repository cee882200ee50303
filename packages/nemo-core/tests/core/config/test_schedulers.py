"""Scheduler params dataclasses: seed output, defaults, the registry and their fit with the schedulers."""

import dataclasses
import inspect

import pytest
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

from nemo.core.config import schedulers as params
from nemo.core.config.schedulers import (
    AVAILABLE_SCHEDULER_PARAMS,
    CosineAnnealingParams,
    get_scheduler_config,
    register_scheduler_params,
)
from nemo.core.optim.lr_scheduler import AVAILABLE_SCHEDULERS

NEMO_SCHEDULERS = [name for name, cls in AVAILABLE_SCHEDULERS.items() if cls.__module__.startswith("nemo.")]


def test_seed_print_of_cosine_annealing_params(capsys):
    print(CosineAnnealingParams())
    assert (
        capsys.readouterr().out
        == "CosineAnnealingParams(last_epoch=-1, warmup_steps=None, warmup_ratio=None, min_lr=0.0)\n"
    )


def test_registry_keys():
    assert set(AVAILABLE_SCHEDULER_PARAMS) == {"SchedulerParams", *(f"{name}Params" for name in NEMO_SCHEDULERS)}
    assert AVAILABLE_SCHEDULER_PARAMS["WarmupPolicyParams"] is params.WarmupSchedulerParams
    assert AVAILABLE_SCHEDULER_PARAMS["WarmupHoldPolicyParams"] is params.WarmupHoldSchedulerParams
    # torch-scheduler params exist for `_target_` use but are not registered (as in NeMo v1.0.0)
    assert "StepLRParams" not in AVAILABLE_SCHEDULER_PARAMS


@pytest.mark.parametrize(
    "cls, expected",
    [
        (params.SchedulerParams, dict(last_epoch=-1)),
        (params.WarmupSchedulerParams, dict(last_epoch=-1, warmup_steps=None, warmup_ratio=None)),
        (
            params.WarmupHoldSchedulerParams,
            dict(last_epoch=-1, warmup_steps=None, warmup_ratio=None, hold_steps=None, hold_ratio=None, min_lr=0.0),
        ),
        (params.SquareAnnealingParams, dict(last_epoch=-1, warmup_steps=None, warmup_ratio=None, min_lr=1e-5)),
        (params.SquareRootAnnealingParams, dict(last_epoch=-1, warmup_steps=None, warmup_ratio=None, min_lr=0.0)),
        (params.WarmupAnnealingParams, dict(last_epoch=-1, warmup_steps=None, warmup_ratio=None)),
        (params.InverseSquareRootAnnealingParams, dict(last_epoch=-1, warmup_steps=None, warmup_ratio=None)),
        (
            params.PolynomialDecayAnnealingParams,
            dict(last_epoch=-1, warmup_steps=None, warmup_ratio=None, power=1.0, cycle=False),
        ),
        (params.StepLRParams, dict(last_epoch=-1, step_size=0.1, gamma=0.1)),
        (params.ExponentialLRParams, dict(last_epoch=-1, gamma=0.9)),
    ],
)
def test_defaults(cls, expected):
    assert vars(cls()) == expected


def test_quirk_fixes():
    noam = params.NoamAnnealingParams()
    assert (noam.min_lr, noam.d_model) == (0.0, "???")
    hold = vars(params.PolynomialHoldDecayAnnealingParams())
    assert hold == dict(
        last_epoch=-1,
        warmup_steps=None,
        warmup_ratio=None,
        hold_steps=None,
        hold_ratio=None,
        min_lr=0.0,
        power=1.0,
        cycle=False,
    )


@pytest.mark.parametrize("name", NEMO_SCHEDULERS)
def test_params_fields_are_scheduler_arguments(name):
    """Every field of a registered params class is a keyword of its scheduler (max_steps is injected separately)."""
    accepted = set(inspect.signature(AVAILABLE_SCHEDULERS[name]).parameters)
    cls = AVAILABLE_SCHEDULER_PARAMS[f"{name}Params"]
    # subclasses forward **kwargs to WarmupPolicy / WarmupHoldPolicy
    for base in inspect.getmro(AVAILABLE_SCHEDULERS[name]):
        if base.__module__.startswith("nemo."):
            accepted |= set(inspect.signature(base).parameters)
    assert {f.name for f in dataclasses.fields(cls)} <= accepted


@pytest.mark.parametrize("name", NEMO_SCHEDULERS)
def test_defaults_build_the_scheduler(name):
    kwargs = vars(AVAILABLE_SCHEDULER_PARAMS[f"{name}Params"]())
    if name == "NoamAnnealing":
        kwargs.update(d_model=16, warmup_steps=4)
    optimizer = torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=0.1)
    scheduler = AVAILABLE_SCHEDULERS[name](optimizer, max_steps=10, **kwargs)
    assert scheduler.last_epoch == 0


def test_torch_params_build_torch_schedulers():
    optimizer = torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=0.1)
    torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, **vars(params.ReduceLROnPlateauParams()))
    torch.optim.lr_scheduler.ExponentialLR(optimizer, **vars(params.ExponentialLRParams()))
    cyclic = torch.optim.lr_scheduler.CyclicLR(optimizer, **vars(params.CyclicLRParams()))
    assert cyclic.max_lrs == [0.1]


@pytest.mark.parametrize("cls", [getattr(params, name) for name in params.__all__ if name.endswith("Params")])
def test_structured_configs(cls):
    """All params classes are valid OmegaConf structured configs (so Hydra can type-check overrides)."""
    cfg = OmegaConf.structured(cls)
    assert set(cfg) == {f.name for f in dataclasses.fields(cls)}


def test_target_instantiation():
    built = instantiate({"_target_": "nemo.core.config.schedulers.CosineAnnealingParams", "warmup_steps": 10})
    assert built == CosineAnnealingParams(warmup_steps=10)


def test_get_scheduler_config():
    built = get_scheduler_config("WarmupHoldPolicyParams", hold_ratio="0.1", warmup_steps=5)()
    assert (built.hold_ratio, built.warmup_steps, built.min_lr) == (0.1, 5, 0.0)
    with pytest.raises(ValueError, match="Cannot resolve scheduler parameters 'StepLRParams'"):
        get_scheduler_config("StepLRParams")
    with pytest.raises(ValueError, match="CosineAnnealingParams key 'max_lr'"):
        get_scheduler_config("CosineAnnealingParams", max_lr=0.1)


def test_register_scheduler_params():
    try:
        register_scheduler_params("MyCosineParams", CosineAnnealingParams)
        assert get_scheduler_config("MyCosineParams", min_lr=0.5)() == CosineAnnealingParams(min_lr=0.5)
        with pytest.raises(ValueError, match="Conflicting scheduler params name = 'MyCosineParams'"):
            register_scheduler_params("MyCosineParams", CosineAnnealingParams)
    finally:
        AVAILABLE_SCHEDULER_PARAMS.pop("MyCosineParams", None)
