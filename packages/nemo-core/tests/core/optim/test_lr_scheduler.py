"""NeMo schedule formulas, resume from state_dict, the scheduler registry and prepare_lr_scheduler."""

import copy
import functools
import math
from dataclasses import dataclass

import pytest
import torch
from omegaconf import OmegaConf

from nemo.core.config import schedulers as scheduler_params
from nemo.core.optim import lr_scheduler as lrs
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
from nemo.core.optim.optimizers import get_optimizer
from nemo.core.testing import quiet_cpu_trainer

SEED_LISTING = """\
name: WarmupPolicy, schedule: <class 'nemo.core.optim.lr_scheduler.WarmupPolicy'>
name: WarmupHoldPolicy, schedule: <class 'nemo.core.optim.lr_scheduler.WarmupHoldPolicy'>
name: SquareAnnealing, schedule: <class 'nemo.core.optim.lr_scheduler.SquareAnnealing'>
name: CosineAnnealing, schedule: <class 'nemo.core.optim.lr_scheduler.CosineAnnealing'>
name: NoamAnnealing, schedule: <class 'nemo.core.optim.lr_scheduler.NoamAnnealing'>
name: WarmupAnnealing, schedule: <class 'nemo.core.optim.lr_scheduler.WarmupAnnealing'>
name: InverseSquareRootAnnealing, schedule: <class 'nemo.core.optim.lr_scheduler.InverseSquareRootAnnealing'>
name: SquareRootAnnealing, schedule: <class 'nemo.core.optim.lr_scheduler.SquareRootAnnealing'>
name: PolynomialDecayAnnealing, schedule: <class 'nemo.core.optim.lr_scheduler.PolynomialDecayAnnealing'>
name: PolynomialHoldDecayAnnealing, schedule: <class 'nemo.core.optim.lr_scheduler.PolynomialHoldDecayAnnealing'>
name: StepLR, schedule: <class 'torch.optim.lr_scheduler.StepLR'>
name: ExponentialLR, schedule: <class 'torch.optim.lr_scheduler.ExponentialLR'>
name: ReduceLROnPlateau, schedule: <class 'torch.optim.lr_scheduler.ReduceLROnPlateau'>
name: CyclicLR, schedule: <class 'torch.optim.lr_scheduler.CyclicLR'>
"""

# The YAML of the seed's "Optimization" section, with its two typos fixed (the `sched` block was not indented under
# `optim`, and `min_lr: 1e-9:` had a trailing colon).
SEED_OPTIM_YAML = """
optim:
    name: novograd
    lr: 0.01

    # optimizer arguments
    betas: [0.8, 0.25]
    weight_decay: 0.001

    # scheduler setup
    sched:
        name: CosineAnnealing

        # Optional arguments
        max_steps: null # computed at runtime or explicitly set here
        monitor: val_loss
        reduce_on_plateau: false

        # scheduler config override
        warmup_steps: 1000
        warmup_ratio: null
        min_lr: 1e-9
"""


def _optimizer(*lrs_):
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs_ or (1.0,)]
    return torch.optim.SGD(groups, lr=1.0)


def _schedule(cls, steps, base_lr=1.0, **kwargs):
    """Learning rates at steps 0..steps (index = scheduler step)."""
    opt = _optimizer(base_lr)
    sched = cls(opt, **kwargs)
    out = []
    for _ in range(steps + 1):
        out.append(sched.get_last_lr()[0])
        assert opt.param_groups[0]["lr"] == out[-1]
        opt.step()
        sched.step()
    return out


def test_seed_listing_of_available_schedulers(capsys):
    for name, opt in AVAILABLE_SCHEDULERS.items():
        print(f"name: {name}, schedule: {opt}")
    assert capsys.readouterr().out == SEED_LISTING


def test_warmup_policy():
    lr = _schedule(WarmupPolicy, 10, warmup_steps=3, max_steps=8, min_lr=0.1)
    assert lr == pytest.approx([0.25, 0.5, 0.75, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.1, 0.1])


def test_warmup_policy_without_max_steps_stays_constant():
    assert _schedule(WarmupPolicy, 5, base_lr=0.5, warmup_steps=1) == pytest.approx([0.25] + [0.5] * 5)


def test_warmup_ratio_uses_max_steps():
    sched = CosineAnnealing(_optimizer(), max_steps=20, warmup_ratio=0.25)
    assert sched.warmup_steps == 5
    assert _schedule(CosineAnnealing, 5, max_steps=20, warmup_ratio=0.25)[4:6] == pytest.approx([5 / 6, 1.0])


def test_warmup_hold_policy():
    lr = _schedule(WarmupHoldPolicy, 12, warmup_steps=2, hold_steps=3, max_steps=10, min_lr=0.05)
    assert lr == pytest.approx([1 / 3, 2 / 3] + [1.0] * 9 + [0.05, 0.05])
    with_ratio = _schedule(WarmupHoldPolicy, 12, warmup_steps=2, hold_ratio=0.3, max_steps=10, min_lr=0.05)
    assert with_ratio == pytest.approx(lr)
    assert WarmupHoldPolicy(_optimizer(), warmup_steps=2, hold_ratio=0.3, max_steps=10).hold_end == 5


def test_square_annealing():
    lr = _schedule(SquareAnnealing, 11, max_steps=10, warmup_steps=2, min_lr=0.01)
    assert lr[:3] == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert lr[3] == pytest.approx((7 / 8) ** 2)
    assert lr[6] == pytest.approx(0.25)
    assert lr[9] == pytest.approx(max((1 / 8) ** 2, 0.01))
    assert lr[10:] == pytest.approx([0.01, 0.01])


def test_square_annealing_default_min_lr():
    assert _schedule(SquareAnnealing, 11, max_steps=10)[10:] == pytest.approx([1e-5, 1e-5])


def test_square_root_annealing_is_not_shifted_by_warmup():
    lr = _schedule(SquareRootAnnealing, 17, max_steps=16, warmup_steps=3)
    assert lr[3] == pytest.approx(1.0)
    assert lr[4] == pytest.approx(math.sqrt(12 / 16))
    assert lr[7] == pytest.approx(0.75)
    assert lr[12] == pytest.approx(0.5)
    assert lr[16:] == pytest.approx([0.0, 0.0])


def test_cosine_annealing():
    lr = _schedule(CosineAnnealing, 12, max_steps=10, warmup_steps=2, min_lr=0.1)
    assert lr[:3] == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert lr[3] == pytest.approx(0.9 * 0.5 * (1 + math.cos(math.pi / 8)) + 0.1)
    assert lr[4] == pytest.approx(0.9 * 0.5 * (1 + math.sqrt(0.5)) + 0.1)
    assert lr[6] == pytest.approx(0.55)
    assert lr[10:] == pytest.approx([0.1, 0.1, 0.1])


def test_cosine_annealing_without_warmup_starts_at_base_lr():
    lr = _schedule(CosineAnnealing, 4, base_lr=0.5, max_steps=4)
    assert lr == pytest.approx([0.5, 0.5 * 0.5 * (1 + math.sqrt(0.5)), 0.25, 0.5 * 0.5 * (1 - math.sqrt(0.5)), 0.0])


def test_noam_annealing():
    lr = _schedule(NoamAnnealing, 21, base_lr=2.0, d_model=16, warmup_steps=4, max_steps=20, min_lr=0.01)
    # lr = 2 * 16**-0.5 * min(s**-0.5, s * 4**-1.5) with s = max(1, step)
    assert lr[0] == pytest.approx(0.5 / 8)
    assert lr[1] == pytest.approx(0.5 / 8)
    assert lr[2] == pytest.approx(0.5 * 0.25)
    assert lr[4] == pytest.approx(0.5 * 0.5)
    assert lr[16] == pytest.approx(0.5 * 0.25)
    assert lr[20] == pytest.approx(0.5 * 20**-0.5)
    assert lr[21] == pytest.approx(0.01)


def test_noam_min_lr_only_after_warmup():
    lr = _schedule(NoamAnnealing, 16, base_lr=2.0, d_model=16, warmup_steps=4, min_lr=0.2)
    assert lr[2] == pytest.approx(0.125)  # below min_lr during warmup
    assert lr[16] == pytest.approx(0.2)  # 0.125 floored to min_lr after warmup


def test_warmup_annealing():
    lr = _schedule(WarmupAnnealing, 11, max_steps=10, warmup_steps=2, min_lr=0.05)
    assert lr[2] == pytest.approx(1.0)
    assert lr[3] == pytest.approx(0.875)
    assert lr[6] == pytest.approx(0.5)
    assert lr[10] == pytest.approx(0.0)  # min_lr applies only after max_steps
    assert lr[11] == pytest.approx(0.05)


def test_inverse_square_root_annealing():
    lr = _schedule(InverseSquareRootAnnealing, 101, max_steps=100, warmup_steps=3, min_lr=0.001)
    assert lr[3] == pytest.approx(1.0)
    assert lr[7] == pytest.approx(1 / math.sqrt(2))
    assert lr[15] == pytest.approx(0.5)
    assert lr[35] == pytest.approx(1 / 3)
    assert lr[101] == pytest.approx(0.001)


def test_polynomial_decay_annealing():
    lr = _schedule(PolynomialDecayAnnealing, 11, max_steps=10, warmup_steps=2, power=2.0, min_lr=0.1)
    assert lr[2] == pytest.approx(1.0)
    assert lr[4] == pytest.approx(0.9 * 0.75**2 + 0.1)
    assert lr[6] == pytest.approx(0.9 * 0.25 + 0.1)
    assert lr[10:] == pytest.approx([0.1, 0.1])
    cycled = _schedule(PolynomialDecayAnnealing, 11, max_steps=10, warmup_steps=2, power=2.0, min_lr=0.1, cycle=True)
    assert cycled == pytest.approx(lr)  # within [warmup, max_steps] a cycle never completes


def test_poly_decay_cycle_stretches_the_period():
    assert lrs._poly_decay(1.0, step=15, decay_steps=10, power=1.0, min_lr=0.0, cycle=True) == pytest.approx(0.25)
    assert lrs._poly_decay(1.0, step=15, decay_steps=10, power=1.0, min_lr=0.0, cycle=False) == pytest.approx(0.0)
    assert lrs._poly_decay(1.0, step=0, decay_steps=10, power=1.0, min_lr=0.0, cycle=True) == pytest.approx(1.0)


def test_polynomial_hold_decay_annealing():
    lr = _schedule(PolynomialHoldDecayAnnealing, 13, max_steps=12, warmup_steps=2, hold_steps=2)
    assert lr[:4] == pytest.approx([1 / 3, 2 / 3, 1.0, 1.0])
    assert lr[4] == pytest.approx(1.0)
    assert lr[8] == pytest.approx(0.5)
    assert lr[12:] == pytest.approx([0.0, 0.0])


def test_polynomial_hold_decay_without_hold_decays_from_end_of_warmup():
    held = _schedule(PolynomialHoldDecayAnnealing, 11, max_steps=10, warmup_steps=2, min_lr=0.1)
    plain = _schedule(PolynomialDecayAnnealing, 11, max_steps=10, warmup_steps=2, min_lr=0.1)
    assert held == pytest.approx(plain)


def test_hold_ending_at_max_steps_gives_min_lr():
    lr = _schedule(PolynomialHoldDecayAnnealing, 5, max_steps=4, warmup_steps=1, hold_steps=3, min_lr=0.1)
    assert lr == pytest.approx([0.5, 1.0, 1.0, 1.0, 0.1, 0.1])


def test_each_param_group_uses_its_own_base_lr():
    opt = _optimizer(1.0, 0.5)
    sched = CosineAnnealing(opt, max_steps=4, min_lr=0.1)
    for _ in range(2):
        opt.step()
        sched.step()
    assert sched.get_last_lr() == pytest.approx([0.55, 0.3])


RESUMABLE = [
    (WarmupPolicy, dict(warmup_steps=3, max_steps=10)),
    (WarmupHoldPolicy, dict(warmup_steps=2, hold_steps=3, max_steps=10, min_lr=0.1)),
    (SquareAnnealing, dict(max_steps=10, warmup_steps=2)),
    (SquareRootAnnealing, dict(max_steps=10, warmup_steps=2)),
    (CosineAnnealing, dict(max_steps=10, warmup_ratio=0.2, min_lr=0.01)),
    (NoamAnnealing, dict(d_model=8, warmup_steps=3, max_steps=10)),
    (WarmupAnnealing, dict(max_steps=10, warmup_steps=2)),
    (InverseSquareRootAnnealing, dict(max_steps=10, warmup_steps=2)),
    (PolynomialDecayAnnealing, dict(max_steps=10, warmup_steps=2, power=2.0)),
    (PolynomialHoldDecayAnnealing, dict(max_steps=10, warmup_steps=2, hold_steps=2, power=0.5)),
]


@pytest.mark.parametrize("cls, kwargs", RESUMABLE, ids=[cls.__name__ for cls, _ in RESUMABLE])
def test_resume_from_state_dict_continues_the_schedule(cls, kwargs):
    expected = _schedule(cls, 14, **kwargs)
    opt = _optimizer()
    sched = cls(opt, **kwargs)
    for _ in range(6):
        opt.step()
        sched.step()
    saved_opt, saved_sched = copy.deepcopy(opt.state_dict()), copy.deepcopy(sched.state_dict())

    resumed_opt = _optimizer()
    resumed = cls(resumed_opt, **kwargs)
    resumed_opt.load_state_dict(saved_opt)
    resumed.load_state_dict(saved_sched)
    got = []
    for _ in range(6, 14):
        resumed_opt.step()
        resumed.step()
        got.append(resumed_opt.param_groups[0]["lr"])
    assert got == pytest.approx(expected[7:15])


def test_get_lr_outside_step_warns():
    sched = CosineAnnealing(_optimizer(), max_steps=10)
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched.get_lr()


@pytest.mark.parametrize(
    "cls, kwargs, match",
    [
        (WarmupPolicy, dict(warmup_steps=2, warmup_ratio=0.1, max_steps=10), "WarmupPolicy: give either warmup_steps"),
        (WarmupPolicy, dict(warmup_ratio=0.1), "WarmupPolicy: warmup_ratio=0.1 needs max_steps"),
        (WarmupPolicy, dict(warmup_ratio=1.5, max_steps=10), r"warmup_ratio must be in \[0, 1\]"),
        (SquareAnnealing, dict(max_steps=10, warmup_steps=-1), "SquareAnnealing: warmup_steps must be"),
        (CosineAnnealing, dict(max_steps=None), "CosineAnnealing: max_steps must be a finite number > 0, got None"),
        (CosineAnnealing, dict(max_steps=-1), "CosineAnnealing: max_steps must be"),
        (CosineAnnealing, dict(max_steps=10, min_lr=2.0), "CosineAnnealing: min_lr=2.0 is above the lr 1.0"),
        (CosineAnnealing, dict(max_steps=10, min_lr="1e-9"), "CosineAnnealing: min_lr must be"),
        (WarmupHoldPolicy, dict(hold_steps=1, hold_ratio=0.1, max_steps=10), "give either hold_steps or hold_ratio"),
        (NoamAnnealing, dict(d_model=0, warmup_steps=2), "NoamAnnealing: d_model must be"),
        (NoamAnnealing, dict(d_model="???", warmup_steps=2), "NoamAnnealing: d_model must be"),
        (NoamAnnealing, dict(d_model=16), "NoamAnnealing: needs warmup_steps > 0"),
        (NoamAnnealing, dict(d_model=16, warmup_steps=2, min_lr=5.0), "NoamAnnealing: min_lr=5.0 is above"),
        (PolynomialDecayAnnealing, dict(max_steps=10, power=0), "PolynomialDecayAnnealing: power must be"),
    ],
)
def test_invalid_arguments_name_scheduler_and_parameter(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(_optimizer(), **kwargs)


def test_get_scheduler():
    factory = get_scheduler("CosineAnnealing", max_steps=10)
    assert isinstance(factory, functools.partial)
    assert isinstance(factory(_optimizer()), CosineAnnealing)
    with pytest.raises(ValueError, match="Cannot resolve scheduler 'Cosine'. Available schedulers are"):
        get_scheduler("Cosine")


class _Halving(WarmupPolicy):
    def __init__(self, optimizer, *, max_steps, factor=0.5, **kwargs):
        self.factor = factor
        super().__init__(optimizer, max_steps=max_steps, **kwargs)

    def _get_lr(self, step):
        return [base_lr * self.factor ** (step - self.warmup_steps) for base_lr in self.base_lrs]


@dataclass
class _HalvingParams(scheduler_params.WarmupSchedulerParams):
    factor: float = 0.25


def test_a_registered_scheduler_is_prepared_with_its_auto_params(restore_registries):
    """Registration itself (names, refusals) is tested with the optimizers' in test_optimizers.py."""
    register_scheduler("Halving", _Halving, _HalvingParams)
    config = {"name": "Halving", "max_steps": 10, "args": {"name": "auto", "params": {"warmup_steps": 1}}}
    sched = prepare_lr_scheduler(_optimizer(), config)["scheduler"]
    assert (type(sched), sched.factor, sched.warmup_steps, sched.max_steps) == (_Halving, 0.25, 1, 10)


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        (dict(), 12),
        (dict(drop_last=True), 9),
        (dict(num_workers=2), 6),
        (dict(limit_train_batches=0.5), 6),
        (dict(limit_train_batches=2), 6),
        (dict(limit_train_batches=0.0), 0),
        (dict(limit_train_batches=0.1), 3),  # at least one batch per epoch without accumulation
        (dict(limit_train_batches=0.1, accumulate_grad_batches=2), 0),
        (dict(accumulate_grad_batches=3), 6),
    ],
)
def test_compute_max_steps(kwargs, expected):
    args = dict(
        max_epochs=3,
        accumulate_grad_batches=1,
        limit_train_batches=1.0,
        num_workers=1,
        num_samples=10,
        batch_size=3,
        drop_last=False,
    )
    args.update(kwargs)
    assert compute_max_steps(**args) == expected


def test_prepare_none_config(caplog):
    assert prepare_lr_scheduler(_optimizer(), None) is None
    assert "Scheduler not initialized" in caplog.text


def test_prepare_flat_config():
    config = {"name": "CosineAnnealing", "max_steps": 10, "warmup_steps": 2, "min_lr": 0.1, "monitor": "val_loss"}
    result = prepare_lr_scheduler(_optimizer(), config)
    assert set(result) == {"scheduler", "interval", "frequency", "monitor"}
    assert (result["interval"], result["frequency"], result["monitor"]) == ("step", 1, "val_loss")
    sched = result["scheduler"]
    assert (type(sched), sched.max_steps, sched.warmup_steps, sched.min_lr) == (CosineAnnealing, 10, 2, 0.1)
    assert config == {
        "name": "CosineAnnealing",
        "max_steps": 10,
        "warmup_steps": 2,
        "min_lr": 0.1,
        "monitor": "val_loss",
    }


def test_prepare_accepts_dictconfig_and_dataclass():
    cfg = OmegaConf.create({"name": "WarmupAnnealing", "max_steps": 8, "warmup_ratio": 0.25})
    sched = prepare_lr_scheduler(_optimizer(), cfg)["scheduler"]
    assert (type(sched), sched.warmup_steps) == (WarmupAnnealing, 2)

    @dataclass
    class Sched:
        name: str = "SquareRootAnnealing"
        max_steps: int = 4
        min_lr: float = 0.01

    result = prepare_lr_scheduler(_optimizer(), Sched())
    assert (type(result["scheduler"]), result["monitor"]) == (SquareRootAnnealing, "loss")


def test_prepare_seed_yaml_example(caplog):
    optim_cfg = OmegaConf.create(SEED_OPTIM_YAML).optim
    model = torch.nn.Linear(2, 2)
    optimizer = get_optimizer(
        optim_cfg.name, lr=optim_cfg.lr, betas=tuple(optim_cfg.betas), weight_decay=optim_cfg.weight_decay
    )(model.parameters())
    assert optimizer.param_groups[0]["betas"] == (0.8, 0.25)

    # max_steps: null and no t_max_epochs -> no scheduler (CosineAnnealing needs max_steps)
    assert prepare_lr_scheduler(optimizer, optim_cfg.sched) is None
    assert "needs max_steps" in caplog.text

    # ModelPT fills max_steps from the trainer before calling prepare_lr_scheduler
    optim_cfg.sched.max_steps = 5000
    result = prepare_lr_scheduler(optimizer, optim_cfg.sched)
    sched = result["scheduler"]
    assert (type(sched), sched.warmup_steps, sched.min_lr, sched.max_steps) == (CosineAnnealing, 1000, 1e-9, 5000)
    assert result["monitor"] == "val_loss" and "reduce_on_plateau" not in result


def test_prepare_args_with_target():
    config = {
        "name": "CosineAnnealing",
        "max_steps": 10,
        "args": {"_target_": "nemo.core.config.schedulers.CosineAnnealingParams", "warmup_steps": 3, "min_lr": 0.2},
    }
    sched = prepare_lr_scheduler(_optimizer(), config)["scheduler"]
    assert (type(sched), sched.warmup_steps, sched.min_lr, sched.max_steps) == (CosineAnnealing, 3, 0.2, 10)


def test_prepare_target_without_name_uses_the_registry_name():
    config = {"max_steps": 10, "args": {"_target_": "nemo.core.config.schedulers.WarmupHoldSchedulerParams"}}
    sched = prepare_lr_scheduler(_optimizer(), config)["scheduler"]
    assert type(sched) is WarmupHoldPolicy


def test_prepare_args_auto_and_named_params():
    config = {"name": "PolynomialDecayAnnealing", "max_steps": 10, "args": {"name": "auto", "params": {"power": 2.0}}}
    sched = prepare_lr_scheduler(_optimizer(), config)["scheduler"]
    assert (sched.power, sched.cycle, sched.min_lr) == (2.0, False, 0.0)
    config = {
        "name": "NoamAnnealing",
        "max_steps": 10,
        "args": {"name": "NoamAnnealingParams", "params": {"d_model": 4, "warmup_steps": 2}},
    }
    sched = prepare_lr_scheduler(_optimizer(), config)["scheduler"]
    assert (type(sched), sched.d_model, sched.warmup_steps) == (NoamAnnealing, 4, 2)
    with pytest.raises(ValueError, match="powr"):
        prepare_lr_scheduler(
            _optimizer(), {"name": "PolynomialDecayAnnealing", "args": {"name": "auto", "params": {"powr": 2}}}
        )


def test_prepare_without_name_returns_none(caplog):
    assert prepare_lr_scheduler(_optimizer(), {"max_steps": 10, "warmup_steps": 2}) is None
    assert "has no `name`" in caplog.text


def test_prepare_max_steps_from_epochs():
    dataset = torch.utils.data.TensorDataset(torch.zeros(10, 1))
    loader = torch.utils.data.DataLoader(dataset, batch_size=3)
    config = {
        "name": "CosineAnnealing",
        "warmup_steps": 1,
        "t_max_epochs": 2,
        "t_accumulate_grad_batches": 1,
        "t_limit_train_batches": 1.0,
        "t_num_workers": 1,
    }
    sched = prepare_lr_scheduler(_optimizer(), config, train_dataloader=loader)["scheduler"]
    assert sched.max_steps == 8


def test_prepare_max_steps_from_epochs_needs_a_dataloader(caplog):
    config = {"name": "CosineAnnealing", "t_max_epochs": 2}
    assert prepare_lr_scheduler(_optimizer(), config) is None
    assert "no train dataloader" in caplog.text
    # a scheduler whose max_steps is optional is still built
    assert (
        type(prepare_lr_scheduler(_optimizer(), {"name": "WarmupPolicy", "t_max_epochs": 2})["scheduler"])
        is WarmupPolicy
    )


def test_prepare_torch_schedulers_do_not_get_max_steps():
    result = prepare_lr_scheduler(_optimizer(), {"name": "StepLR", "step_size": 2, "gamma": 0.5, "max_steps": 100})
    assert isinstance(result["scheduler"], torch.optim.lr_scheduler.StepLR) and result["interval"] == "step"
    result = prepare_lr_scheduler(
        _optimizer(), {"name": "ReduceLROnPlateau", "patience": 1, "monitor": "val_loss", "reduce_on_plateau": True}
    )
    assert isinstance(result["scheduler"], torch.optim.lr_scheduler.ReduceLROnPlateau)
    assert (result["interval"], result["monitor"]) == ("epoch", "val_loss")


def test_prepare_unknown_argument_is_a_clear_error():
    with pytest.raises(ValueError, match="Scheduler 'CosineAnnealing' could not be built .*warmup_stepz"):
        prepare_lr_scheduler(_optimizer(), {"name": "CosineAnnealing", "max_steps": 10, "warmup_stepz": 2})
    with pytest.raises(ValueError, match="Cannot resolve scheduler 'Cosine'"):
        prepare_lr_scheduler(_optimizer(), {"name": "Cosine", "max_steps": 10})


@pytest.mark.filterwarnings("ignore:.*LeafSpec")  # Lightning-internal deprecation, not ours
def test_lightning_accepts_the_scheduler_config():
    import pytorch_lightning as pl

    seen = []

    class Tiny(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.layer = torch.nn.Linear(2, 1)

        def training_step(self, batch, batch_idx):
            seen.append(self.trainer.optimizers[0].param_groups[0]["lr"])
            return self.layer(batch[0]).pow(2).mean()

        def configure_optimizers(self):
            optimizer = get_optimizer("novograd", lr=0.1)(self.parameters())
            sched = prepare_lr_scheduler(optimizer, {"name": "CosineAnnealing", "max_steps": 6, "warmup_steps": 2})
            return {"optimizer": optimizer, "lr_scheduler": sched}

    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.randn(16, 2)), batch_size=2)
    quiet_cpu_trainer(max_steps=6).fit(Tiny(), loader)
    assert seen == pytest.approx([0.1 * x for x in _schedule(CosineAnnealing, 5, max_steps=6, warmup_steps=2)])
