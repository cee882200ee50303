"""ASR models set up data through ModelPT's one hook: typos refused, null manifests skipped, duration batching kept."""

import pytest
from asr_models_testing import TEXTS, ctc_config, write_corpus

from nemo.collections.asr.models import EncDecCTCModel
from nemo.collections.common.data.manifest import ManifestError


@pytest.fixture
def manifest(tmp_path):
    return write_corpus(tmp_path, [{"text": text} for text in TEXTS])


def test_a_typo_in_a_data_config_is_refused_with_a_did_you_mean(manifest):
    cfg = ctc_config(train_manifest=manifest)
    cfg["train_ds"]["batchsize"] = 4
    with pytest.raises(ValueError, match=r"train_ds: unknown key 'batchsize'.*did you mean 'batch_size'"):
        EncDecCTCModel(cfg=cfg)


def test_a_manifest_never_set_names_the_key(manifest):
    cfg = ctc_config(train_manifest=manifest)
    cfg["validation_ds"] = {**cfg["train_ds"], "manifest_filepath": "???"}
    with pytest.raises(ValueError, match=r"validation_ds.manifest_filepath is '\?\?\?' \(mandatory\) and was never set"):
        EncDecCTCModel(cfg=cfg)


def test_null_manifest_means_no_loader_and_sort_by_duration_batches(manifest):
    cfg = ctc_config(train_manifest=manifest)
    cfg["validation_ds"] = {**cfg["train_ds"], "manifest_filepath": None}
    cfg["train_ds"].update(sort_by_duration=True, batch_size=2)
    model = EncDecCTCModel(cfg=cfg)
    assert model.val_dataloader() == []
    sampler = model.train_dataloader().batch_sampler
    assert type(sampler).__name__ == "DurationBatchSampler" and len(sampler) == 3


def test_an_empty_training_manifest_is_refused_when_the_dataset_is_built(tmp_path):
    """It used to build an empty loader, and ``fit`` died later in the LR scheduler with
    ``TypeError: unsupported operand type(s) for /: 'int' and 'NoneType'``."""
    empty = tmp_path / "train.json"
    empty.write_text("")
    cfg = ctc_config(train_manifest=empty)
    cfg["train_ds"].update(sort_by_duration=True)
    cfg["optim"]["sched"] = {"name": "CosineAnnealing", "min_lr": 1e-5}
    with pytest.raises(ManifestError, match=rf"ASR manifest {empty}: no lines \(the manifest is empty\); expected at"):
        EncDecCTCModel(cfg=cfg)
