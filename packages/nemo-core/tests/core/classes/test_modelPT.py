"""ModelPT: construction, configs, data set-up, training with Lightning 2, multi-loader metrics, optimization."""

import copy
import math
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

import modelpt_testing as mt
import pytest
import pytorch_lightning as pl
import torch
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import ConfigAttributeError

from nemo.core.classes.artifacts import model_restore_state
from nemo.core.classes.exportable import Exportable
from nemo.core.classes.modelPT import ModelPT
from nemo.core.testing import quiet_cpu_trainer
from nemo.utils.app_state import AppState

pytestmark = pytest.mark.usefixtures("fresh_app_state")


def _train_cfg(**extra):
    return mt.base_config(train_ds={"num_samples": 64, "batch_size": 8, "shuffle": True}, **extra)


# ------------------------------------------------------------------------------------------------- construction
class TestConstruction:
    def test_rejects_a_trainer_of_the_wrong_type(self):
        with pytest.raises(ValueError, match="pytorch_lightning.Trainer.*got builtins.dict"):
            mt.TinyModel(mt.base_config(), trainer={"max_steps": 1})

    def test_rejects_a_config_of_the_wrong_type(self):
        with pytest.raises(ValueError, match="DictConfig, a dict or a dataclass"):
            mt.TinyModel(cfg=["in_features", 4])

    @pytest.mark.parametrize("form", ["dictconfig", "dict", "dataclass"])
    def test_accepts_dictconfig_dict_and_dataclass(self, form):
        @dataclass
        class TinyConfig:
            in_features: int = 4
            out_features: int = 1
            extra: Dict[str, Any] = field(default_factory=lambda: {"a": 1})

        cfg = {
            "dictconfig": OmegaConf.structured(TinyConfig()),
            "dict": {"in_features": 4, "out_features": 1, "extra": {"a": 1}},
            "dataclass": TinyConfig(),
        }[form]
        model = mt.TinyModel(cfg=cfg)
        assert isinstance(model.cfg, DictConfig)
        assert OmegaConf.get_type(model.cfg) is dict  # a plain config, not a structured one
        assert model.cfg.extra.a == 1
        assert model.layer.in_features == 4

    def test_target_is_added_and_hparams_hold_the_config(self):
        model = mt.TinyModel(mt.base_config())
        assert model.cfg.target == "modelpt_testing.TinyModel"
        assert model.hparams.target == "modelpt_testing.TinyModel"
        assert model.hparams.in_features == 4

    def test_an_existing_target_is_kept(self):
        model = mt.TinyModel(mt.base_config(target="modelpt_testing.VocabModel"))
        assert model.cfg.target == "modelpt_testing.VocabModel"

    def test_interpolations_are_resolved(self):
        model = mt.TinyModel(mt.base_config(size=4, in_features="${size}"))
        assert model.cfg.in_features == 4
        assert "${" not in OmegaConf.to_yaml(model.cfg)

    def test_legacy_cls_params_nodes_are_updated(self):
        model = mt.TinyModel(mt.base_config(encoder={"cls": "torch.nn.Identity", "params": {"dim": 3}}))
        assert model.cfg.encoder == {"_target_": "torch.nn.Identity", "dim": 3}

    def test_data_is_set_up_from_the_config(self):
        cfg = mt.base_config(
            train_ds={"num_samples": 24, "batch_size": 8},
            validation_ds={"num_samples": 8, "batch_size": 4},
            test_ds={"num_samples": 4, "batch_size": 2},
        )
        model = mt.TinyModel(cfg)
        assert len(model.train_dataloader()) == 3
        assert len(model.val_dataloader()) == 2
        assert len(model.test_dataloader()) == 2

    def test_no_data_config_means_no_loaders(self):
        model = mt.TinyModel(mt.base_config())
        assert model.train_dataloader() is None
        assert model.val_dataloader() == [] and model.test_dataloader() == []  # Lightning 2 refuses None

    def test_no_data_set_up_while_being_restored_and_no_warning(self, caplog):
        with model_restore_state(), caplog.at_level("DEBUG"):
            model = mt.TinyModel(_train_cfg())
        assert model.train_dataloader() is None
        assert not [r for r in caplog.records if r.levelname != "DEBUG"]
        assert not ModelPT._is_model_being_restored()

    def test_setup_test_data_is_not_implemented_by_default(self):
        model = mt.OtherModel(mt.base_config())
        with pytest.raises(NotImplementedError, match="setup_test_data"):
            model.setup_test_data({"num_samples": 4})

    def test_modelpt_is_abstract_and_a_model_without_a_data_hook_says_so(self):
        with pytest.raises(TypeError, match="abstract"):
            ModelPT(OmegaConf.create({}))

        class Incomplete(ModelPT):
            @classmethod
            def list_available_models(cls):
                return None

        Incomplete(OmegaConf.create({}))  # no data config: no data hook needed
        with pytest.raises(NotImplementedError, match="Incomplete implements neither _build_dataset nor setup_"):
            Incomplete(OmegaConf.create({"train_ds": {"batch_size": 2}}))


# --------------------------------------------------------------------------------------------- members & config
class TestMembers:
    def test_cfg_setter_updates_hparams(self):
        model = mt.TinyModel(mt.base_config())
        new_cfg = copy.deepcopy(model.cfg)
        with pytest.raises(ConfigAttributeError):
            new_cfg.unknown = 1  # struct mode: typos in keys are errors
        OmegaConf.set_struct(new_cfg, False)
        new_cfg.note = "changed"
        model.cfg = new_cfg
        assert model.cfg.note == "changed"
        assert model.hparams.note == "changed"
        assert model._hparams_initial.note == "changed"

    def test_update_dataset_config_persists_and_validates(self):
        model = mt.TinyModel(mt.base_config())
        model.setup_training_data({"num_samples": 16, "batch_size": 4})
        assert model.cfg.train_ds.num_samples == 16
        assert model.hparams.train_ds.batch_size == 4
        with pytest.raises(ValueError, match="'train', 'validation', 'test'.*'dev'"):
            model._update_dataset_config("dev", {"a": 1})

    def test_num_weights_counts_trainable_parameters(self):
        model = mt.TinyModel(mt.base_config())
        assert model.num_weights == 5
        model.layer.bias.requires_grad_(False)
        assert model.num_weights == 4

    def test_set_trainer_records_the_world_size(self):
        model = mt.TinyModel(mt.base_config())
        trainer = quiet_cpu_trainer(max_steps=1)
        model.set_trainer(trainer)
        assert model.trainer is trainer
        assert AppState().world_size == 1

    def test_set_world_size_warns_for_a_non_trainer(self, caplog):
        model = mt.TinyModel(mt.base_config())
        model.set_world_size(object())
        assert "World size can only be set by a pytorch_lightning.Trainer" in caplog.text
        assert AppState().world_size is None

    def test_prepare_test(self, caplog):
        trainer = quiet_cpu_trainer(max_steps=1)
        assert mt.TinyModel(mt.base_config()).prepare_test(trainer) is False
        assert "No `test_ds` config" in caplog.text
        model = mt.TinyModel(mt.base_config(test_ds={"num_samples": 4}))
        assert model.prepare_test(trainer) is True
        assert model.trainer is trainer

    def test_prepare_test_refuses_a_multi_process_trainer(self, caplog):
        class FakeDistributedTrainer(pl.Trainer):
            world_size = 2

        trainer = FakeDistributedTrainer(accelerator="cpu", logger=False, enable_progress_bar=False)
        model = mt.TinyModel(mt.base_config(test_ds={"num_samples": 4}))
        assert model.prepare_test(trainer) is False
        assert "devices=1" in caplog.text

    def test_teardown_after_fit_clears_pl_trainer_gpus(self, monkeypatch):
        monkeypatch.setenv("PL_TRAINER_GPUS", "2")
        mt.TinyModel(mt.base_config()).teardown("fit")
        import os

        assert "PL_TRAINER_GPUS" not in os.environ


# ------------------------------------------------------------------------------------------------------ training
def _eval_loss(model, loader):
    model.eval()
    with torch.no_grad():
        loss = float(torch.stack([model.loss_fn(model(x), y) for x, y in loader]).mean())
    model.train()
    return loss


class TestTraining:
    def test_fit_from_the_config_lowers_the_loss(self):
        torch.manual_seed(0)
        cfg = _train_cfg(validation_ds={"num_samples": 16, "seed": 1}, optim={"name": "adam", "lr": 0.05})
        trainer = quiet_cpu_trainer(max_epochs=4)
        model = mt.TinyModel(cfg, trainer=trainer)
        before = _eval_loss(model, model.train_dataloader())
        trainer.fit(model)
        after = _eval_loss(model, model.train_dataloader())
        assert trainer.global_step == 32
        assert after < before / 4
        assert float(trainer.callback_metrics["val_loss"]) < before

    def test_fit_with_dataloaders_passed_and_no_data_config(self):
        torch.manual_seed(0)
        model = mt.TinyModel(mt.base_config(optim={"name": "sgd", "lr": 0.1}))
        train = mt.make_loader(OmegaConf.create({"num_samples": 64, "batch_size": 8}))
        val = mt.make_loader(OmegaConf.create({"num_samples": 16, "seed": 3}))
        before = _eval_loss(model, train)
        trainer = quiet_cpu_trainer(max_epochs=3)
        trainer.fit(model, train_dataloaders=train, val_dataloaders=val)
        assert _eval_loss(model, train) < before / 4
        assert "val_loss" in trainer.callback_metrics

    def test_training_step_log_dict_is_logged_per_step(self):
        seen = []

        class LogModel(mt.TinyModel):
            def training_step(self, batch, batch_idx):
                x, y = batch
                loss = self.loss_fn(self(x), y)
                return {"loss": loss, "log": {"train_loss": loss, "lr": self._optimizer.param_groups[0]["lr"]}}

        class Spy(pl.Callback):
            def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
                seen.append(dict(trainer.logged_metrics))

        model = LogModel(_train_cfg(optim={"name": "sgd", "lr": 0.01}))
        trainer = quiet_cpu_trainer(max_steps=3, callbacks=[Spy()])
        trainer.fit(model)
        assert set(trainer.logged_metrics) >= {"train_loss", "lr"}
        assert float(trainer.logged_metrics["lr"]) == pytest.approx(0.01)
        # the module's on_train_batch_end runs after the callbacks': by step 2 the step-1 values are visible
        assert "train_loss" in seen[1] and len(seen) == 3

    def test_seed_style_step_without_log_key_trains(self):
        class NoLog(mt.TinyModel):
            def training_step(self, batch, batch_idx):
                x, y = batch
                loss = self.loss_fn(self(x), y)
                return {"loss": loss, "lr": self._optimizer.param_groups[0]["lr"]}

        trainer = quiet_cpu_trainer(max_steps=2)
        trainer.fit(NoLog(_train_cfg(optim={"name": "sgd", "lr": 0.01})))
        assert trainer.global_step == 2

    def test_fit_without_optim_config_runs_without_optimizer(self, caplog):
        model = mt.TinyModel(_train_cfg())
        trainer = quiet_cpu_trainer(max_steps=2)
        weight = model.layer.weight.detach().clone()
        trainer.fit(model)
        assert "No optimizer config provided" in caplog.text
        assert torch.equal(model.layer.weight, weight)


# ------------------------------------------------------------------------------------- multiple eval data loaders
class TestMultipleDataloaders:
    def _model(self, tmp_path, **val_extra):
        dev = mt.write_manifest(tmp_path / "an4_dev_manifest.json", 16, seed=1)
        other = mt.write_manifest(tmp_path / "libri-clean_manifest.json", 8, seed=2)
        cfg = mt.base_config(
            validation_ds={"manifest_filepath": [dev, other], "batch_size": 4, **val_extra},
            test_ds={"manifest_filepath": [dev, other], "batch_size": 4, "test_dl_idx": 1},
        )
        return mt.TinyModel(cfg)

    def test_prefixed_and_unprefixed_validation_metrics(self, tmp_path):
        model = self._model(tmp_path)
        assert model._validation_names == ["an4_dev_", "libri_clean_"]
        assert len(model.val_dataloader()) == 2
        trainer = quiet_cpu_trainer()
        metrics = trainer.validate(model, verbose=False)[0]
        assert set(metrics) == {"an4_dev_val_loss", "libri_clean_val_loss", "val_loss"}
        assert metrics["val_loss"] == metrics["an4_dev_val_loss"]
        expected = _eval_loss(model, model.val_dataloader()[1])
        assert metrics["libri_clean_val_loss"] == pytest.approx(expected, rel=1e-5)

    def test_val_dl_idx_selects_the_unprefixed_loader(self, tmp_path):
        model = self._model(tmp_path, val_dl_idx=1)
        assert model._val_dl_idx == 1
        assert "val_dl_idx" in model.cfg.validation_ds  # kept in the saved config, popped only for set-up
        metrics = quiet_cpu_trainer().validate(model, verbose=False)[0]
        assert metrics["val_loss"] == metrics["libri_clean_val_loss"]

    def test_test_loaders_use_test_dl_idx(self, tmp_path):
        model = self._model(tmp_path)
        metrics = quiet_cpu_trainer().test(model, verbose=False)[0]
        assert set(metrics) == {"an4_dev_test_loss", "libri_clean_test_loss", "test_loss"}
        assert metrics["test_loss"] == metrics["libri_clean_test_loss"]

    def test_loaders_passed_to_validate_get_index_prefixes(self):
        model = mt.TinyModel(mt.base_config())
        loaders = [mt.make_loader(OmegaConf.create({"num_samples": 8, "seed": s})) for s in (1, 2)]
        metrics = quiet_cpu_trainer().validate(model, dataloaders=loaders, verbose=False)[0]
        assert set(metrics) == {"val_0_val_loss", "val_1_val_loss", "val_loss"}

    def test_default_hooks_warn(self, caplog):
        class NoAggregation(mt.TinyModel):
            multi_validation_epoch_end = mt.ModelPT.multi_validation_epoch_end

        model = NoAggregation(mt.base_config(validation_ds={"num_samples": 8}))
        metrics = quiet_cpu_trainer().validate(model, verbose=False)[0]
        assert metrics == {}
        assert "NoAggregation does not implement multi_validation_epoch_end" in caplog.text

    def test_single_loader_logs_without_prefix(self):
        model = mt.TinyModel(mt.base_config(validation_ds={"num_samples": 8}))
        metrics = quiet_cpu_trainer().validate(model, verbose=False)[0]
        assert set(metrics) == {"val_loss"}


# -------------------------------------------------------------------------------------------------- optimization
class _LrRecorder(pl.Callback):
    def __init__(self):
        self.lrs = []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        self.lrs.append(trainer.optimizers[0].param_groups[0]["lr"])


class TestOptimization:
    def test_novograd_with_cosine_annealing_steps_per_step(self):
        from nemo.core.optim.novograd import Novograd

        optim = {
            "name": "novograd",
            "lr": 0.1,
            "betas": [0.9, 0.5],
            "weight_decay": 0.001,
            "sched": {"name": "CosineAnnealing", "min_lr": 0.01, "max_steps": 999},
        }
        recorder = _LrRecorder()
        trainer = quiet_cpu_trainer(max_steps=8, callbacks=[recorder])
        model = mt.TinyModel(_train_cfg(optim=optim), trainer=trainer)
        trainer.fit(model)
        assert isinstance(model._optimizer, Novograd)
        assert model._optimizer.defaults["betas"] == (0.9, 0.5)
        assert model._optimizer.defaults["weight_decay"] == 0.001
        assert model._scheduler["interval"] == "step"
        assert model._scheduler["scheduler"].max_steps == 8  # trainer.max_steps beats the config value
        expected = [(0.1 - 0.01) * 0.5 * (1 + math.cos(math.pi * s / 8)) + 0.01 for s in range(8)]
        assert recorder.lrs == pytest.approx(expected)

    def test_max_steps_estimated_from_the_fit_loop(self):
        optim = {"name": "sgd", "lr": 0.1, "sched": {"name": "CosineAnnealing"}}
        trainer = quiet_cpu_trainer(max_epochs=2)
        model = mt.TinyModel(mt.base_config(optim=optim))
        train = mt.make_loader(OmegaConf.create({"num_samples": 48, "batch_size": 8}))
        trainer.fit(model, train_dataloaders=train)
        assert model._scheduler["scheduler"].max_steps == 12

    def test_max_steps_from_epochs_outside_fit(self):
        optim = {"name": "adam", "lr": 0.1, "sched": {"name": "CosineAnnealing"}}
        trainer = quiet_cpu_trainer(max_epochs=3, accumulate_grad_batches=2)
        model = mt.TinyModel(_train_cfg(optim=optim), trainer=trainer)
        optimizer, scheduler = model.setup_optimization()
        assert scheduler["scheduler"].max_steps == 12  # ceil(8 batches / 2) * 3 epochs

    def test_config_max_steps_used_without_trainer_limit(self):
        optim = {"name": "adam", "lr": 0.1, "sched": {"name": "CosineAnnealing", "max_steps": 7}}
        model = mt.TinyModel(_train_cfg(optim=optim), trainer=quiet_cpu_trainer(max_epochs=3))
        _, scheduler = model.setup_optimization()
        assert scheduler["scheduler"].max_steps == 7

    def test_no_sched_without_trainer(self, caplog):
        model = mt.TinyModel(mt.base_config())
        optimizer, scheduler = model.setup_optimization({"name": "sgd", "lr": 0.5, "momentum": 0.9})
        assert isinstance(optimizer, torch.optim.SGD)
        assert optimizer.defaults["momentum"] == 0.9 and optimizer.defaults["lr"] == 0.5
        assert scheduler is None
        assert "Trainer wasn't specified" in caplog.text
        assert model.configure_optimizers() is optimizer  # no cfg.optim: the optimizer built by hand is used

    def test_optim_config_is_stored_back_in_cfg(self):
        model = mt.TinyModel(mt.base_config(optim={"name": "sgd", "lr": 1.0}))
        model.setup_optimization({"name": "adamw", "lr": 0.01})
        assert model.cfg.optim == {"name": "adamw", "lr": 0.01}
        assert isinstance(model.configure_optimizers(), torch.optim.AdamW)

    def test_target_and_args_forms(self):
        model = mt.TinyModel(mt.base_config())
        optimizer, _ = model.setup_optimization(
            {"_target_": "torch.optim.RMSprop", "name": "ignored", "lr": 0.02, "alpha": 0.9}
        )
        assert isinstance(optimizer, torch.optim.RMSprop) and optimizer.defaults["alpha"] == 0.9
        optimizer, _ = model.setup_optimization({"name": "adamw", "lr": 0.03, "args": {"name": "auto", "eps": 1e-3}})
        assert isinstance(optimizer, torch.optim.AdamW)
        assert optimizer.defaults["lr"] == 0.03 and optimizer.defaults["eps"] == 1e-3
        with pytest.raises(ValueError, match="optim._target_.*torch.optim.optimizer.Optimizer"):
            model.setup_optimization({"_target_": "torch.nn.Linear", "lr": 0.1})
        with pytest.raises(ValueError, match="Cannot resolve optimizer 'nope'"):
            model.setup_optimization({"name": "nope", "lr": 0.1})

    def test_configure_optimizers_lightning_format(self):
        optim = {"name": "sgd", "lr": 0.1, "sched": {"name": "CosineAnnealing", "max_steps": 5}}
        model = mt.TinyModel(mt.base_config(optim=optim))
        optimizers, schedulers = model.configure_optimizers()
        assert optimizers == [model._optimizer]
        assert schedulers[0]["scheduler"] is model._scheduler["scheduler"]
        assert set(schedulers[0]) == {"scheduler", "interval", "frequency", "monitor"}


# ------------------------------------------------------------------------------------------- Lightning checkpoints
def test_load_from_checkpoint_skips_data_setup(tmp_path):
    model = mt.TinyModel(_train_cfg(optim={"name": "sgd", "lr": 0.1}))
    trainer = quiet_cpu_trainer(max_steps=2)
    trainer.fit(model)
    trainer.save_checkpoint(tmp_path / "last.ckpt")
    loaded = mt.TinyModel.load_from_checkpoint(tmp_path / "last.ckpt")  # weights_only load: hparams are plain
    assert loaded.train_dataloader() is None
    assert loaded.cfg.train_ds.num_samples == 64
    assert torch.equal(loaded.layer.weight, model.layer.weight)
    assert not ModelPT._is_model_being_restored()


# ------------------------------------------------------------------------------------- seed: Training section
class TinyBert(torch.nn.Module):
    """Stands in for get_lm_model(...): embeddings and a token-wise feed-forward layer, with a HF-like ``config``."""

    def __init__(self, vocab_size: int, hidden_size: int):
        super().__init__()
        self.config = OmegaConf.create({"hidden_size": hidden_size})
        self.embeddings = torch.nn.Embedding(vocab_size, hidden_size)
        self.type_embeddings = torch.nn.Embedding(2, hidden_size)
        self.layer = torch.nn.Sequential(torch.nn.Linear(hidden_size, hidden_size), torch.nn.GELU())

    def forward(self, input_ids, token_type_ids, attention_mask):
        hidden = self.embeddings(input_ids) + self.type_embeddings(token_type_ids)
        return self.layer(hidden) * attention_mask.unsqueeze(-1)


class SequenceClassifier(torch.nn.Module):
    def __init__(
        self,
        hidden_size,
        num_classes,
        num_layers,
        activation,
        log_softmax,
        dropout,
        use_transformer_init,
        idx_conditioned_on,
    ):
        super().__init__()
        self.idx_conditioned_on = idx_conditioned_on
        layers = []
        for _ in range(num_layers - 1):
            layers += [torch.nn.Linear(hidden_size, hidden_size), torch.nn.ReLU(), torch.nn.Dropout(dropout)]
        self.mlp = torch.nn.Sequential(*layers, torch.nn.Linear(hidden_size, num_classes))

    def forward(self, hidden_states):
        return self.mlp(hidden_states[:, self.idx_conditioned_on])


def get_lm_model(pretrained_model_name, config_file, config_dict, checkpoint_file, vocab_file):
    return TinyBert(vocab_size=config_dict.vocab_size, hidden_size=config_dict.hidden_size)


def _text_classification_batches(num: int, seed: int):
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(1, 20, (num, 6), generator=generator)
    labels = (ids[:, 0] >= 10).long()  # the class is readable from the first token
    return torch.utils.data.TensorDataset(ids, torch.zeros_like(ids), torch.ones_like(ids), labels)


class TextClassificationModel(ModelPT, Exportable):
    """The seed's TextClassificationModel, with a tiny encoder instead of BERT."""

    def __init__(self, cfg: DictConfig, trainer: Optional[pl.Trainer] = None):
        """Initializes the BERTTextClassifier model."""
        super().__init__(cfg=cfg, trainer=trainer)

        # instantiate a BERT based encoder
        self.bert_model = get_lm_model(
            pretrained_model_name=cfg.language_model.pretrained_model_name,
            config_file=cfg.language_model.config_file,
            config_dict=cfg.language_model.config,
            checkpoint_file=cfg.language_model.lm_checkpoint,
            vocab_file=cfg.tokenizer.vocab_file,
        )

        # instantiate the FFN for classification
        self.classifier = SequenceClassifier(
            hidden_size=self.bert_model.config.hidden_size,
            num_classes=cfg.dataset.num_classes,
            num_layers=cfg.classifier_head.num_output_layers,
            activation="relu",
            log_softmax=False,
            dropout=cfg.classifier_head.fc_dropout,
            use_transformer_init=True,
            idx_conditioned_on=0,
        )
        self._ce = torch.nn.CrossEntropyLoss()

    def loss(self, logits, labels):
        return self._ce(logits, labels)

    def classification_report(self, preds, labels):
        tp = ((preds == 1) & (labels == 1)).sum()
        fn = ((preds == 0) & (labels == 1)).sum()
        fp = ((preds == 1) & (labels == 0)).sum()
        tn = ((preds == 0) & (labels == 0)).sum()
        return tp, fn, fp, tn

    @classmethod
    def list_available_models(cls):
        return None

    def _loader(self, cfg):
        return torch.utils.data.DataLoader(
            _text_classification_batches(cfg.num_samples, cfg.seed), batch_size=cfg.batch_size, shuffle=cfg.shuffle
        )

    def setup_training_data(self, train_data_config):
        self._train_dl = self._loader(train_data_config)

    def setup_validation_data(self, val_data_config):
        self._validation_dl = self._loader(val_data_config)

    def setup_test_data(self, test_data_config):
        self._test_dl = self._loader(test_data_config)

    def forward(self, input_ids, token_type_ids, attention_mask):
        """
        No special modification required for Lightning, define it as you normally would
        in the `nn.Module` in vanilla PyTorch.
        """
        hidden_states = self.bert_model(
            input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask
        )
        logits = self.classifier(hidden_states=hidden_states)
        return logits

    def training_step(self, batch, batch_idx):
        """
        Lightning calls this inside the training loop with the data from the training dataloader
        passed in as `batch`.
        """
        # forward pass
        input_ids, input_type_ids, input_mask, labels = batch
        logits = self.forward(input_ids=input_ids, token_type_ids=input_type_ids, attention_mask=input_mask)

        train_loss = self.loss(logits=logits, labels=labels)

        lr = self._optimizer.param_groups[0]["lr"]

        self.log("train_loss", train_loss)
        self.log("lr", lr, prog_bar=True)

        return {
            "loss": train_loss,
            "lr": lr,
        }

    def validation_step(self, batch, batch_idx):
        """
        Lightning calls this inside the validation loop with the data from the validation dataloader
        passed in as `batch`.
        """
        if self.testing:
            prefix = "test"
        else:
            prefix = "val"

        input_ids, input_type_ids, input_mask, labels = batch
        logits = self.forward(input_ids=input_ids, token_type_ids=input_type_ids, attention_mask=input_mask)

        val_loss = self.loss(logits=logits, labels=labels)

        preds = torch.argmax(logits, axis=-1)

        tp, fn, fp, _ = self.classification_report(preds, labels)

        return {"val_loss": val_loss, "tp": tp, "fn": fn, "fp": fp, "prefix": prefix}

    def test_step(self, batch, batch_idx):
        return self.validation_step(batch, batch_idx)

    def multi_validation_epoch_end(self, outputs, dataloader_idx=0):
        prefix = outputs[0]["prefix"]
        loss = torch.stack([o["val_loss"] for o in outputs]).mean()
        tp, fn, fp = (sum(int(o[k]) for o in outputs) for k in ("tp", "fn", "fp"))
        f1 = 2 * tp / max(2 * tp + fn + fp, 1)
        return {f"{prefix}_loss": loss, "log": {f"{prefix}_loss": loss, f"{prefix}_f1": float(f1)}}

    multi_test_epoch_end = multi_validation_epoch_end


def _text_classification_cfg():
    data = {"batch_size": 16, "shuffle": False}
    return OmegaConf.create(
        {
            "trainer": {
                "accelerator": "cpu",
                "devices": 1,
                "max_epochs": 5,
                "logger": False,
                "enable_checkpointing": False,
                "enable_progress_bar": False,
                "enable_model_summary": False,
            },
            "model": {
                "language_model": {
                    "pretrained_model_name": "tiny-bert",
                    "config_file": None,
                    "lm_checkpoint": None,
                    "config": {"vocab_size": 20, "hidden_size": 16},
                },
                "tokenizer": {"vocab_file": None},
                "dataset": {"num_classes": 2},
                "classifier_head": {"num_output_layers": 2, "fc_dropout": 0.0},
                "train_ds": {**data, "num_samples": 96, "seed": 0, "shuffle": True},
                "validation_ds": {**data, "num_samples": 32, "seed": 1},
                "test_ds": {**data, "num_samples": 32, "seed": 2},
                "optim": {"name": "adam", "lr": 0.02},
            },
        }
    )


def test_seed_training_section_text_classification(tmp_path):
    torch.manual_seed(0)
    cfg = _text_classification_cfg()

    # We first instantiate the trainer based on the model configuration.
    # See the model configuration documentation for details.
    trainer = pl.Trainer(**cfg.trainer)

    # Then pass the model configuration and trainer object into the NeMo model
    model = TextClassificationModel(cfg.model, trainer=trainer)

    # Now we can train with by calling .fit
    trainer.fit(model)
    fit_metrics = dict(trainer.logged_metrics)
    val_f1 = float(trainer.callback_metrics["val_f1"])

    # Or we can run the test loop on test data by calling
    results = trainer.test(model=model, verbose=False)

    assert float(fit_metrics["lr"]) == pytest.approx(0.02)
    assert "train_loss" in fit_metrics
    assert val_f1 > 0.8  # the task is learnable: the model learned it
    assert results[0]["test_f1"] > 0.8 and results[0]["test_loss"] < 0.5
