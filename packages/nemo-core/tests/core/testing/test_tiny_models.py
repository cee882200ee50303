"""TinyRegression: trains (its loss falls), logs train_loss and saves its weights as NeMo's checkpoint callback asks."""

import torch

from nemo.core.testing import quiet_cpu_trainer
from nemo.core.testing.tiny_models import TinyRegression


def _loss(model):
    x, y = model.data.tensors
    with torch.no_grad():
        return torch.nn.functional.mse_loss(model.layer(x), y).item()


def test_training_lowers_the_loss_and_logs_it():
    torch.manual_seed(0)
    model = TinyRegression()
    before = _loss(model)
    trainer = quiet_cpu_trainer(max_epochs=5)
    trainer.fit(model)
    assert trainer.global_step == 5 * 4  # 16 samples in batches of 4
    assert _loss(model) < before / 4 and "train_loss" in trainer.callback_metrics


def test_save_to_writes_the_weights(tmp_path):
    model = TinyRegression(in_features=2)
    model.save_to(str(tmp_path / "tiny.pt"))
    saved = torch.load(tmp_path / "tiny.pt", weights_only=True)
    assert saved.keys() == model.state_dict().keys()
    assert torch.equal(saved["layer.weight"], model.layer.weight)
