"""The optimizer registry, get_optimizer, register_optimizer and parse_optimizer_args."""

import functools
import importlib.util
import subprocess
import sys
from dataclasses import dataclass

import pytest
import torch
from omegaconf import OmegaConf

import nemo.core.optim as optim_pkg
from nemo.core.classes.construction import trusted_config
from nemo.core.config import optimizers as optimizer_params
from nemo.core.config import schedulers as scheduler_params
from nemo.core.optim.lr_scheduler import AVAILABLE_SCHEDULERS, CosineAnnealing, register_scheduler
from nemo.core.optim.novograd import Novograd
from nemo.core.optim.optimizers import (
    AVAILABLE_OPTIMIZERS,
    build_optimizer,
    fused_by_default,
    get_optimizer,
    parse_optimizer_args,
    register_optimizer,
)

SEED_LISTING = """\
name: sgd, opt: <class 'torch.optim.sgd.SGD'>
name: adam, opt: <class 'torch.optim.adam.Adam'>
name: adamw, opt: <class 'torch.optim.adamw.AdamW'>
name: adadelta, opt: <class 'torch.optim.adadelta.Adadelta'>
name: adamax, opt: <class 'torch.optim.adamax.Adamax'>
name: adagrad, opt: <class 'torch.optim.adagrad.Adagrad'>
name: rmsprop, opt: <class 'torch.optim.rmsprop.RMSprop'>
name: rprop, opt: <class 'torch.optim.rprop.Rprop'>
name: novograd, opt: <class 'nemo.core.optim.novograd.Novograd'>
"""


def test_seed_listing_of_available_optimizers(capsys):
    for name, opt in AVAILABLE_OPTIMIZERS.items():
        print(f"name: {name}, opt: {opt}")
    assert capsys.readouterr().out == SEED_LISTING


@pytest.mark.skipif(importlib.util.find_spec("apex") is not None, reason="apex is installed, so lamb is registered")
def test_lamb_needs_apex():
    assert "lamb" not in AVAILABLE_OPTIMIZERS
    with pytest.raises(ValueError, match="lamb needs NVIDIA Apex"):
        get_optimizer("lamb")


def test_package_exports():
    for name in ("Novograd", "get_optimizer", "parse_optimizer_args", "register_optimizer", "AVAILABLE_OPTIMIZERS"):
        assert name in optim_pkg.__all__
    assert optim_pkg.AVAILABLE_OPTIMIZERS is AVAILABLE_OPTIMIZERS


def test_get_optimizer_returns_partial_with_kwargs():
    factory = get_optimizer("novograd", lr=0.01, betas=(0.8, 0.25), weight_decay=0.001)
    assert isinstance(factory, functools.partial)
    opt = factory(torch.nn.Linear(2, 2).parameters())
    assert isinstance(opt, Novograd)
    assert opt.param_groups[0]["betas"] == (0.8, 0.25)
    assert opt.param_groups[0]["weight_decay"] == 0.001


def test_get_optimizer_unknown_name():
    with pytest.raises(ValueError, match="Cannot resolve optimizer 'adamz'. Available optimizers are"):
        get_optimizer("adamz")


class _Sign(torch.optim.Optimizer):
    def __init__(self, params, lr=0.1, scale=1.0):
        super().__init__(params, dict(lr=lr, scale=scale))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.add_(p.grad.sign(), alpha=-group["lr"] * group["scale"])


@dataclass
class _SignParams(optimizer_params.OptimizerParams):
    scale: float = 2.0


def test_a_registered_optimizer_is_built_with_its_auto_params(restore_registries):
    register_optimizer("sign", _Sign, _SignParams)
    assert "_Sign_params" not in optimizer_params.AVAILABLE_OPTIMIZER_PARAMS
    args = parse_optimizer_args("sign", {"name": "auto"})
    assert args == {"lr": "???", "scale": 2.0}
    args["lr"] = 0.5
    p = torch.nn.Parameter(torch.tensor([1.0, -1.0]))
    opt = get_optimizer("sign")([p], **args)
    p.grad = torch.tensor([3.0, -0.1])
    opt.step()
    assert p.tolist() == [0.0, 0.0]


# register, its registry, the params registry, how params are registered and named, a built-in name
_OPTIMIZERS = (
    register_optimizer,
    AVAILABLE_OPTIMIZERS,
    optimizer_params.AVAILABLE_OPTIMIZER_PARAMS,
    optimizer_params.register_optimizer_params,
    "{}_params",
    "adam",
)
_SCHEDULERS = (
    register_scheduler,
    AVAILABLE_SCHEDULERS,
    scheduler_params.AVAILABLE_SCHEDULER_PARAMS,
    scheduler_params.register_scheduler_params,
    "{}Params",
    "CosineAnnealing",
)


@pytest.mark.parametrize(
    "kind, registration, cls, params",
    [
        ("optimizer", _OPTIMIZERS, torch.optim.SGD, optimizer_params.SGDParams),
        ("scheduler", _SCHEDULERS, CosineAnnealing, scheduler_params.CosineAnnealingParams),
    ],
)
def test_registration_names_params_after_the_registry_and_refuses_taken_names_without_side_effects(
    restore_registries, kind, registration, cls, params
):
    """Optimizers and schedulers register the same way (their params under ``new_params`` / ``newParams``)."""
    register, registry, params_registry, register_params, params_name, builtin = registration
    register("new", cls, params)
    assert registry["new"] is cls and params_registry[params_name.format("new")] is params
    previous = registry[builtin]
    with pytest.raises(ValueError, match=f"Conflicting {kind} name = '{builtin}'"):
        register(builtin, cls, params)
    assert registry[builtin] is previous
    register_params(params_name.format("taken"), params)
    with pytest.raises(ValueError, match=f"'{params_name.format('taken')}' already exist"):
        register("taken", cls, params)
    assert "taken" not in registry


def test_parse_none_and_plain_dicts():
    assert parse_optimizer_args("adam", None) == {}
    assert parse_optimizer_args("adam", {"lr": 0.1, "betas": [0.8, 0.5]}) == {"lr": 0.1, "betas": [0.8, 0.5]}
    cfg = OmegaConf.create({"lr": "${base}", "base": 0.2})
    assert parse_optimizer_args("adam", cfg) == {"lr": 0.2, "base": 0.2}


def test_parse_does_not_mutate_input():
    kwargs = {"name": "auto", "params": {"weight_decay": 0.1}}
    parse_optimizer_args("adam", kwargs)
    assert kwargs == {"name": "auto", "params": {"weight_decay": 0.1}}


def test_parse_auto_fills_dataclass_defaults():
    args = parse_optimizer_args("novograd", {"name": "auto", "params": {"betas": [0.8, 0.25], "weight_decay": 0.001}})
    assert args == {
        "lr": "???",
        "betas": (0.8, 0.25),
        "eps": 1e-08,
        "weight_decay": 0.001,
        "grad_averaging": False,
        "amsgrad": False,
        "luc": False,
        "luc_trust": 0.001,
        "luc_eps": 1e-08,
    }


def test_parse_overrides_beside_name_and_explicit_params_name():
    args = parse_optimizer_args("sgd", OmegaConf.create({"name": "sgd_params", "momentum": 0.9, "lr": 0.1}))
    assert args == {"lr": 0.1, "momentum": 0.9, "dampening": 0, "weight_decay": 0, "nesterov": False}


def test_parse_rejects_unknown_keys_and_params_names():
    with pytest.raises(ValueError, match="momentumm"):
        parse_optimizer_args("sgd", {"name": "auto", "momentumm": 0.9})
    with pytest.raises(ValueError, match="Cannot resolve optimizer parameters 'nope_params'"):
        parse_optimizer_args("nope", {"name": "auto"})


def test_parse_target_instantiates_params_dataclass():
    cfg = {"_target_": "nemo.core.config.optimizers.AdamWParams", "lr": 0.01, "betas": [0.8, 0.9]}
    args = parse_optimizer_args("adamw", cfg)
    assert args == {"lr": 0.01, "betas": [0.8, 0.9], "eps": 1e-08, "weight_decay": 0, "amsgrad": False}
    opt = torch.optim.AdamW(torch.nn.Linear(1, 1).parameters(), **args)
    assert tuple(opt.param_groups[0]["betas"]) == (0.8, 0.9)


def test_parse_target_must_build_a_dataclass():
    with pytest.raises(ValueError, match="'optim.args._target_' names 'builtins.dict'.*OptimizerParams"):
        parse_optimizer_args("adam", {"_target_": "builtins.dict", "lr": 0.1})
    with trusted_config(), pytest.raises(ValueError, match="expected a params dataclass"):
        parse_optimizer_args("adam", {"_target_": "builtins.dict", "lr": 0.1})


def test_parse_rejects_non_mappings():
    with pytest.raises(ValueError, match="Expected a mapping .* got list"):
        parse_optimizer_args("adam", ["lr=0.1"])


def test_importing_optim_skips_hydra_omegaconf_and_lightning():
    code = (
        "import sys, nemo.core.optim; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'hydra', 'omegaconf', 'pytorch_lightning', 'lightning'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def _fused(optimizer: torch.optim.Optimizer) -> bool:
    return bool(optimizer.param_groups[0].get("fused"))


@pytest.mark.parametrize("name", ["adam", "adamw", "sgd"])
def test_adam_adamw_sgd_are_built_fused_and_step_like_the_loop(name):
    torch.manual_seed(0)
    weights = [torch.randn(64, 32), torch.randn(32)]
    grads = [torch.randn_like(w) for w in weights]
    config = {"name": name, "lr": 0.1, "momentum": 0.9} if name == "sgd" else {"name": name, "lr": 0.1}
    stepped = []
    for extra in ({}, {"fused": False}):
        params = [torch.nn.Parameter(w.clone()) for w in weights]
        optimizer = build_optimizer({**config, **extra}, params)
        assert _fused(optimizer) == (not extra)  # the default is fused; a config's explicit choice wins
        for _ in range(3):
            for param, grad in zip(params, grads):
                param.grad = grad.clone()
            optimizer.step()
        stepped.append(params)
    for fused, loop in zip(*stepped):
        torch.testing.assert_close(fused, loop, rtol=1e-5, atol=1e-6)


def test_fused_is_not_chosen_where_it_cannot_or_must_not_apply():
    from pytorch_lightning.plugins.precision import MixedPrecision, Precision

    param = torch.nn.Parameter(torch.randn(3))
    adam = torch.optim.Adam
    assert fused_by_default(adam, {}, [param])
    assert fused_by_default(adam, {}, [{"params": [param], "lr": 0.1}])  # param groups
    assert not fused_by_default(adam, {"foreach": True}, [param])
    assert not fused_by_default(Novograd, {}, [param])
    assert not fused_by_default(adam, {}, [torch.nn.Parameter(torch.randn(3), requires_grad=False).to("meta")])

    class Trainer:  # what fused_by_default reads of a Lightning trainer
        def __init__(self, clip, plugin):
            self.gradient_clip_val, self.precision_plugin = clip, plugin

    mixed = MixedPrecision("bf16-mixed", "cpu")
    assert not fused_by_default(adam, {}, [param], Trainer(1.0, mixed))  # Lightning would refuse to clip
    assert fused_by_default(adam, {}, [param], Trainer(None, mixed))
    assert fused_by_default(adam, {}, [param], Trainer(1.0, Precision()))
