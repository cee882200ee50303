"""restore_from builds a model once, on the meta device: what the weights do not cover is recomputed by the modules'
``reset_buffers()``, and a constructor that cannot run on meta falls back to a second build with one WARNING."""

import logging
import warnings

import modelpt_testing as mt
import pytest
import torch

from nemo.collections.common.metrics import TopKClassificationAccuracy
from nemo.core.classes.restore import build_with_weights, materialize_buffers, meta_tensors
from nemo.core.testing.restore_once import assert_saved_model_restores_once, observe_restore

pytestmark = pytest.mark.usefixtures("fresh_app_state")


class Window(torch.nn.Module):
    """A module with a non-persistent buffer derived from its arguments, recomputed by ``reset_buffers``."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size
        self.reset_buffers()

    def reset_buffers(self) -> None:
        self.register_buffer("window", torch.hann_window(self.size, periodic=False), persistent=False)


class Toy(mt.TinyModel):
    """Every kind of tensor a real model holds besides plain weights."""

    def __init__(self, cfg, trainer=None):
        super().__init__(cfg, trainer)
        self.analysis = Window(8)  # non-persistent buffer of a child module
        self.twin = torch.nn.Linear(self.cfg.in_features, self.cfg.out_features)
        self.twin.weight = self.layer.weight  # tied weights
        with warnings.catch_warnings():  # torch's deprecated weight_norm, kept by HiFi-GAN for its parameter names
            warnings.simplefilter("ignore", FutureWarning)
            self.conv = torch.nn.utils.weight_norm(torch.nn.Conv1d(2, 2, 3))
        self.accuracy = TopKClassificationAccuracy(top_k=[1, 2])  # metric states
        self.reset_buffers()

    def reset_buffers(self) -> None:
        # derived from a child's buffer: the child's hook must have run first
        self.register_buffer("squared", self.analysis.window**2, persistent=False)


class NeedsData(mt.TinyModel):
    """A constructor that reads a tensor's value (``.item()``), which the meta device cannot give."""

    def __init__(self, cfg, trainer=None):
        super().__init__(cfg, trainer)
        self.steps = int(torch.tensor(2.5).round().item())


class NoHook(mt.TinyModel):
    """A non-persistent buffer whose module has no ``reset_buffers``."""

    def __init__(self, cfg, trainer=None):
        super().__init__(cfg, trainer)
        self.register_buffer("window", torch.hann_window(8), persistent=False)


def test_a_model_with_buffers_metrics_ties_and_weight_norm_restores_once_and_quietly(tmp_path):
    torch.manual_seed(0)
    saved, restored = assert_saved_model_restores_once(Toy, mt.base_config(), tmp_path)
    assert torch.equal(restored.squared, torch.hann_window(8, periodic=False) ** 2)
    assert restored.twin.weight is restored.layer.weight
    assert not restored.conv.weight.is_meta
    x = torch.randn(1, 2, 5)
    assert torch.equal(restored.conv(x), saved.conv(x))
    assert restored.accuracy.device.type == "cpu"
    restored.accuracy.update(torch.tensor([[0.1, 0.9], [0.8, 0.2]]), torch.tensor([1, 1]))
    assert [float(value) for value in restored.accuracy.compute()] == [0.5, 1.0]


@pytest.mark.parametrize(
    ("model_class", "cause"),
    [(NeedsData, "Tensor.item() cannot be called on meta tensors"), (NoHook, "window stayed on the meta device")],
    ids=["constructor fails on meta", "buffer without a hook"],
)
def test_a_fallback_builds_twice_with_one_warning_naming_the_class_and_the_cause(model_class, cause, tmp_path):
    torch.manual_seed(0)
    saved = model_class(mt.base_config())
    saved.save_to(tmp_path / "model.nemo")
    observation = observe_restore(model_class, tmp_path / "model.nemo")
    assert observation.constructions == 2
    loud = [record.getMessage() for record in observation.records if record.levelno >= logging.WARNING]
    assert len(loud) == 1, loud
    assert model_class.__name__ in loud[0] and cause in loud[0]
    assert torch.equal(observation.model.layer.weight, saved.layer.weight)
    assert not meta_tensors(observation.model)


def test_missing_weights_with_strict_false_fall_back_to_a_normal_build(tmp_path):
    model = build_with_weights(
        lambda: torch.nn.Linear(2, 2), {"weight": torch.ones(2, 2)}, strict=False, origin=tmp_path, name="Linear"
    )
    assert torch.equal(model.weight, torch.ones(2, 2)) and not model.bias.is_meta


def test_materialize_buffers_runs_hooks_children_first_only_where_tensors_are_left_on_meta():
    calls = []

    class Logged(Window):
        def reset_buffers(self) -> None:
            calls.append(self.size)
            super().reset_buffers()

    with torch.device("meta"):
        outer = torch.nn.Sequential(Logged(4), torch.nn.Sequential(Logged(6)))
    real = Logged(5)
    outer.append(real)
    calls.clear()
    materialize_buffers(outer)
    assert calls == [6, 4]  # post-order, and not the module whose buffer was already real
    assert not meta_tensors(outer)
    assert torch.equal(outer[0].window, torch.hann_window(4, periodic=False))
