"""The one data-setup hook: models build datasets, ModelPT builds loaders after the whole constructor has run."""

import pytest
import torch
from omegaconf import OmegaConf

from nemo.core.classes.data_setup import DataConfigError, make_dataloader, split_data_config
from nemo.core.classes.modelPT import ModelPT


class Squares(torch.utils.data.Dataset):
    def __init__(self, n: int, scale: float = 1.0):
        self.n, self.scale = n, scale

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        return torch.tensor([float(index)]), torch.tensor([self.scale * index**2])


class HookModel(ModelPT):
    """Builds its scale *after* ``super().__init__``, which its dataset needs: only works if set-up waits for it."""

    dataset_config_keys = frozenset({"num_samples"})

    def __init__(self, cfg, trainer=None):
        super().__init__(cfg=cfg, trainer=trainer)
        self.scale = 3.0
        self.layer = torch.nn.Linear(1, 1)

    @classmethod
    def list_available_models(cls):
        return None

    def _build_dataset(self, config):
        return Squares(config.num_samples, self.scale)


class ChildModel(HookModel):
    def __init__(self, cfg, trainer=None):
        super().__init__(cfg=cfg, trainer=trainer)
        self.scale = 5.0  # the outermost constructor finishes before any data is set up


def _cfg(**data):
    return OmegaConf.create({"train_ds": {"num_samples": 6, "batch_size": 4, **data}, "validation_ds": {
        "num_samples": 3, "batch_size": 2}})  # fmt: skip


def test_loaders_are_built_after_the_outermost_constructor():
    model = HookModel(_cfg())
    x, y = next(iter(model.train_dataloader()))
    assert x.shape == (4, 1) and torch.equal(y, 3.0 * x**2)
    assert len(model.val_dataloader()) == 2
    assert next(iter(ChildModel(_cfg()).val_dataloader()))[1][1].item() == 5.0  # scale of the child


def test_train_shuffles_by_default_and_eval_does_not():
    model = HookModel(_cfg())
    assert isinstance(model.train_dataloader().sampler, torch.utils.data.RandomSampler)
    assert isinstance(model.val_dataloader().sampler, torch.utils.data.SequentialSampler)
    model = HookModel(_cfg(shuffle=False))
    assert isinstance(model.train_dataloader().sampler, torch.utils.data.SequentialSampler)


def test_a_typo_in_a_data_config_is_refused_with_a_did_you_mean():
    with pytest.raises(ValueError, match=r"train_ds: unknown key 'batchsize'.*did you mean 'batch_size'"):
        HookModel(_cfg(batchsize=4))


def test_a_mandatory_value_never_set_names_the_key():
    cfg = _cfg()
    cfg.train_ds.num_samples = "???"
    with pytest.raises(DataConfigError, match=r"train_ds.num_samples is '\?\?\?' \(mandatory\) and was never set"):
        HookModel(cfg)


def test_nested_dataset_and_dataloader_params_shape():
    node = {"dataset": {"n": 2}, "dataloader_params": {"batch_size": 2}}
    dataset, params = split_data_config(node, "train_ds", shuffle=True)
    assert dict(dataset) == {"n": 2} and dict(params) == {"batch_size": 2, "shuffle": True}
    with pytest.raises(ValueError, match=r"train_ds.dataloader_params: unknown key 'num_worker'.*'num_workers'"):
        split_data_config({**node, "dataloader_params": {"num_worker": 1}}, "train_ds")
    with pytest.raises(ValueError, match=r"train_ds: unknown key 'datasets'"):
        split_data_config({**node, "datasets": {}}, "train_ds")


def test_extra_loader_keys_go_with_the_loader():
    dataset, params = split_data_config({"n": 1, "sort": True}, "ds", {"n"}, loader_keys={"sort"})
    assert dict(dataset) == {"n": 1} and params.sort is True


def test_make_dataloader_checks_batch_size_and_uses_the_collate_fn():
    class WithCollate(Squares):
        def collate_fn(self, items):
            return len(items)

    assert list(make_dataloader(WithCollate(5), OmegaConf.create({"batch_size": 2}))) == [2, 2, 1]
    with pytest.raises(DataConfigError, match="batch_size' must be >= 1, got 0"):
        make_dataloader(Squares(2), OmegaConf.create({"batch_size": 0}))


def test_defer_setup_skips_the_loader_at_init_and_lightning_setup_builds_it():
    """NeMo's ``defer_setup``: accepted in either shape, no loader at ``__init__``, built by ``setup(stage)``."""
    model = HookModel(_cfg(defer_setup=True))
    assert model.train_dataloader() is None and len(model.val_dataloader()) == 2
    model.setup("validate")
    assert model.train_dataloader() is None
    model.setup("fit")
    x, y = next(iter(model.train_dataloader()))
    assert x.shape == (4, 1) and torch.equal(y, 3.0 * x**2)
    built = model.train_dataloader()
    model.setup("fit")
    assert model.train_dataloader() is built  # never rebuilt
    assert HookModel(_cfg(defer_setup=False)).train_dataloader() is not None
    node = {"dataset": {"n": 2}, "dataloader_params": {"batch_size": 2}, "defer_setup": True}
    dataset, params = split_data_config(node, "train_ds")
    assert dict(dataset) == {"n": 2} and "defer_setup" not in params
    with pytest.raises(ValueError, match=r"train_ds: unknown key 'defer_setups'.*did you mean 'defer_setup'"):
        HookModel(_cfg(defer_setups=True))


class FileModel(HookModel):
    """A dataset named by a file key that also reads the loader's ``shuffle`` (as NeMo v1's NLP datasets do)."""

    dataset_config_keys = frozenset({"num_samples", "file"})
    data_file_keys = ("file",)
    dataset_loader_keys = frozenset({"shuffle"})

    def _build_dataset(self, config):
        self.dataset_configs = getattr(self, "dataset_configs", []) + [dict(config)]
        return Squares(config.num_samples, self.scale)


def test_an_empty_data_file_key_builds_no_loader_and_loader_keys_reach_the_dataset():
    model = FileModel(_cfg(file="train.txt"))
    assert model.train_dataloader() is not None and model.val_dataloader() == []  # validation_ds names no file
    assert model.dataset_configs == [{"num_samples": 6, "file": "train.txt", "shuffle": True}]
    assert model._setup_dataloader_from_config(cfg={"num_samples": 2, "batch_size": 1, "file": None}) is None
    with pytest.raises(ValueError, match=r"train_ds: unknown key 'fiel'.*did you mean 'file'"):
        FileModel(_cfg(fiel="train.txt"))  # checked even though the file key is then unset
