"""Optimizer params dataclasses: seed output, defaults that every optimizer accepts, and the params registry."""

import dataclasses
import functools
from dataclasses import dataclass

import pytest
import torch
from omegaconf import MISSING, OmegaConf
from omegaconf.errors import MissingMandatoryValue

from nemo.core.config import optimizers as params
from nemo.core.config.optimizers import (
    AVAILABLE_OPTIMIZER_PARAMS,
    AdamParams,
    NovogradParams,
    OptimizerParams,
    get_optimizer_config,
    register_optimizer_params,
)
from nemo.core.optim.optimizers import AVAILABLE_OPTIMIZERS


def test_seed_print_of_novograd_params(capsys):
    print(NovogradParams())
    assert capsys.readouterr().out == (
        "NovogradParams(lr='???', betas=(0.95, 0.98), eps=1e-08, weight_decay=0, grad_averaging=False, "
        "amsgrad=False, luc=False, luc_trust=0.001, luc_eps=1e-08)\n"
    )


def test_registry_keys_follow_optimizer_names():
    assert list(AVAILABLE_OPTIMIZER_PARAMS) == ["optim_params"] + [f"{name}_params" for name in AVAILABLE_OPTIMIZERS]
    assert AVAILABLE_OPTIMIZER_PARAMS["optim_params"] is OptimizerParams
    assert all(issubclass(cls, OptimizerParams) for cls in AVAILABLE_OPTIMIZER_PARAMS.values())


def test_lr_is_required_everywhere():
    assert OptimizerParams().lr == MISSING == "???"
    with pytest.raises(MissingMandatoryValue, match="Missing mandatory value"):
        OmegaConf.structured(NovogradParams).lr  # noqa: B018


def test_adam_params_have_no_betas():
    assert "betas" not in {f.name for f in dataclasses.fields(AdamParams)}


@pytest.mark.parametrize("name", [name for name in AVAILABLE_OPTIMIZERS])
def test_defaults_build_the_optimizer(name):
    """Every params dataclass lists only arguments its optimizer accepts, with values it accepts."""
    kwargs = vars(AVAILABLE_OPTIMIZER_PARAMS[f"{name}_params"](lr=0.01))
    optimizer = AVAILABLE_OPTIMIZERS[name](torch.nn.Linear(2, 2).parameters(), **kwargs)
    group = optimizer.param_groups[0]
    for key, value in kwargs.items():
        if key in group:
            assert group[key] == value or tuple(group[key]) == tuple(value)


@pytest.mark.parametrize(
    "cls, defaults",
    [
        (params.SGDParams, dict(momentum=0, dampening=0, weight_decay=0, nesterov=False)),
        (params.AdamParams, dict(eps=1e-08, weight_decay=0, amsgrad=False)),
        (params.AdamWParams, dict(betas=(0.9, 0.999), eps=1e-08, weight_decay=0, amsgrad=False)),
        (params.AdadeltaParams, dict(rho=0.9, eps=1e-6, weight_decay=0)),
        (params.AdamaxParams, dict(betas=(0.9, 0.999), eps=1e-8, weight_decay=0)),
        (params.AdagradParams, dict(lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10)),
        (params.RMSpropParams, dict(alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False)),
        (params.RpropParams, dict(etas=(0.5, 1.2), step_sizes=(1e-6, 50))),
    ],
)
def test_spec_defaults(cls, defaults):
    assert vars(cls()) == {"lr": "???", **defaults}


def test_get_optimizer_config_returns_validated_partial():
    factory = get_optimizer_config("novograd_params", lr=0.01, betas=[0.8, 0.25], eps="1e-6")
    assert isinstance(factory, functools.partial)
    built = factory()
    assert (built.lr, built.betas, built.eps, built.weight_decay) == (0.01, (0.8, 0.25), 1e-6, 0)


def test_get_optimizer_config_without_name_returns_kwargs():
    assert get_optimizer_config(None, lr=0.1, anything=1) == {"lr": 0.1, "anything": 1}


def test_get_optimizer_config_errors():
    with pytest.raises(ValueError, match="Cannot resolve optimizer parameters 'lamb_params'"):
        get_optimizer_config("lamb_params")
    with pytest.raises(ValueError, match="SGDParams key 'momentun'"):
        get_optimizer_config("sgd_params", momentun=0.9)
    with pytest.raises(ValueError, match="SGDParams key 'nesterov'"):
        get_optimizer_config("sgd_params", nesterov="maybe")


def test_register_optimizer_params():
    @dataclass
    class LionParams(OptimizerParams):
        betas: tuple = (0.9, 0.99)

    try:
        register_optimizer_params("lion_params", LionParams)
        assert get_optimizer_config("lion_params", lr=1e-4)() == LionParams(lr=1e-4)
        with pytest.raises(ValueError, match="Conflicting optimizer params name = 'lion_params'"):
            register_optimizer_params("lion_params", LionParams)
    finally:
        AVAILABLE_OPTIMIZER_PARAMS.pop("lion_params", None)
