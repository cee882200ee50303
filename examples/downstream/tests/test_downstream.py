"""The library against the installed nemo-core: neural types, registries, Lightning training, a .nemo round trip."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import nemo_downstream_example as lib
import pytest
import torch

from nemo.core.config.optimizers import AVAILABLE_OPTIMIZER_PARAMS
from nemo.core.config.schedulers import AVAILABLE_SCHEDULER_PARAMS
from nemo.core.neural_types import NeuralTypeComparisonResult
from nemo.core.optim import AVAILABLE_OPTIMIZERS, AVAILABLE_SCHEDULERS, get_optimizer, get_scheduler
from nemo.core.testing import quiet_cpu_trainer


def batch(seed: int = 3, size: int = 6):
    data = lib.ToyFramesDataset(num_samples=size, feat_in=8, num_classes=3, max_frames=12, seed=seed)
    return lib.collate_frames([data[i] for i in range(size)])


def test_module_declares_and_checks_neural_types():
    module = lib.FramePoolingClassifier(feat_in=8, num_classes=3)
    assert list(module.input_types) == ["features", "lengths"]
    assert list(module.output_types) == ["logits"]
    features, lengths, _ = batch()
    logits = module(features=features, lengths=lengths)
    assert logits.shape == (6, 3)
    assert logits.neural_type.compare(module.output_types["logits"]) == NeuralTypeComparisonResult.SAME
    with pytest.raises(TypeError, match="input .features. expected rank 3"):
        module(features=features[:, :, 0], lengths=lengths)  # (B, D): a rank the input type does not allow


def test_padding_does_not_change_the_output():
    module = lib.FramePoolingClassifier(feat_in=8, num_classes=3)
    features, lengths, _ = batch()
    padded = torch.cat([features, torch.randn(6, 8, 5)], dim=-1)  # garbage beyond each length is masked out
    torch.testing.assert_close(module(features=padded, lengths=lengths), module(features=features, lengths=lengths))


def test_optimizer_and_scheduler_are_registered_with_nemo_core():
    assert AVAILABLE_OPTIMIZERS["sign_sgd"] is lib.SignSGD
    assert AVAILABLE_OPTIMIZER_PARAMS["sign_sgd_params"] is lib.SignSGDParams
    assert AVAILABLE_SCHEDULERS["LinearDecayAnnealing"] is lib.LinearDecayAnnealing
    assert AVAILABLE_SCHEDULER_PARAMS["LinearDecayAnnealingParams"] is lib.LinearDecayAnnealingParams
    lib.register()  # idempotent
    parameter = torch.nn.Parameter(torch.ones(3))
    optimizer = get_optimizer("sign_sgd", lr=0.5, momentum=0.0)([parameter])
    parameter.grad = torch.tensor([2.0, -3.0, 0.0])
    optimizer.step()
    assert parameter.detach().tolist() == [0.5, 1.5, 1.0]
    scheduler = get_scheduler("LinearDecayAnnealing", max_steps=10, min_lr=0.0)(optimizer)
    lrs = []
    for _ in range(10):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert lrs[0] == pytest.approx(0.5) and lrs[5] == pytest.approx(0.25) and lrs[-1] == pytest.approx(0.05)


def test_train_save_and_restore_in_a_fresh_process(tmp_path):
    torch.manual_seed(0)
    model = lib.ToyFrameClassifierModel(cfg=lib.default_config())
    trainer = quiet_cpu_trainer(max_steps=40, val_check_interval=1.0)
    model.set_trainer(trainer)
    trainer.fit(model)

    # The library's optimizer and schedule drove the run, and the loss fell.
    assert isinstance(trainer.optimizers[0], lib.SignSGD)
    assert trainer.optimizers[0].defaults["momentum"] == pytest.approx(0.8)  # from args: {name: auto, params: ...}
    assert isinstance(trainer.lr_scheduler_configs[0].scheduler, lib.LinearDecayAnnealing)
    assert trainer.lr_scheduler_configs[0].scheduler.max_steps == 40
    losses = model.train_losses
    assert len(losses) == 40
    first, last = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    assert last < 0.6 * first, f"loss did not fall: first steps {first:.3f}, last steps {last:.3f}"
    assert float(trainer.callback_metrics["val_accuracy"]) > 0.6  # chance is 1/3

    path = tmp_path / "toy.nemo"
    model.save_to(str(path))
    features, lengths, _ = batch(seed=7)
    inputs = tmp_path / "inputs.pt"
    torch.save({"features": features, "lengths": lengths}, inputs)
    model.eval()
    with torch.no_grad():
        expected = model(features=features, lengths=lengths)

    script = textwrap.dedent(
        """
        import json
        import sys

        import torch
        from nemo.core.optim import AVAILABLE_OPTIMIZERS
        from nemo_downstream_example import ToyFrameClassifierModel

        model = ToyFrameClassifierModel.restore_from(sys.argv[1], map_location="cpu")
        model.eval()
        assert model.cfg.optim.name == "sign_sgd" and "sign_sgd" in AVAILABLE_OPTIMIZERS
        inputs = torch.load(sys.argv[2])
        with torch.no_grad():
            logits = model(features=inputs["features"], lengths=inputs["lengths"])
        print("LOGITS " + json.dumps(logits.tolist()))  # float32 -> Python float -> float32 is exact
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path), str(inputs)], check=True, timeout=120, capture_output=True, text=True
    )
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("LOGITS ")]
    restored = torch.tensor(json.loads(line.removeprefix("LOGITS ")), dtype=expected.dtype)
    assert torch.equal(restored, expected)


def test_restored_model_is_the_library_class(tmp_path):
    model = lib.ToyFrameClassifierModel(cfg=lib.default_config())
    path = tmp_path / "untrained.nemo"
    model.save_to(str(path))
    restored = lib.ToyFrameClassifierModel.restore_from(str(path), map_location="cpu")
    assert type(restored) is lib.ToyFrameClassifierModel
    for key, value in model.state_dict().items():
        assert torch.equal(restored.state_dict()[key], value)
