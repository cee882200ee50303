"""Dataset names, dataset-key resolution and multi-loader set-up/merging (nemo.core.classes.dataloaders)."""

import modelpt_testing as mt
import pytest
import torch
from omegaconf import OmegaConf

from nemo.core.classes.dataloaders import (
    merge_dataloader_results,
    parse_dataset_as_name,
    resolve_dataset_name_from_cfg,
    resolve_test_dataloaders,
    resolve_validation_dataloaders,
)


@pytest.fixture
def manifests(tmp_path):
    return [
        mt.write_manifest(tmp_path / "an4-dev_manifest.json", 8, seed=1),
        mt.write_manifest(tmp_path / "dataset_test-other.json", 4, seed=2),
    ]


class TestParseDatasetAsName:
    def test_existing_file_uses_its_stem(self, manifests):
        assert parse_dataset_as_name(manifests[0]) == "an4_dev_"
        assert parse_dataset_as_name(manifests[1]) == "_test_other_"

    @pytest.mark.parametrize(
        "value, name",
        [("squad", "squad_"), ("dev_", "dev_"), ("my-manifest", "my_"), (3, "3_"), ("not/a/file.json", "not/a/file.json_")],
    )
    def test_other_values_are_used_as_text(self, value, name):
        assert parse_dataset_as_name(value) == name


class TestResolveDatasetName:
    def test_first_key_holding_existing_paths(self, manifests):
        cfg = OmegaConf.create({"batch_size": 4, "sample_rate": 16000, "manifest_filepath": manifests})
        assert resolve_dataset_name_from_cfg(cfg) == "manifest_filepath"
        cfg = OmegaConf.create({"batch_size": 4, "file": manifests[0]})
        assert resolve_dataset_name_from_cfg(cfg) == "file"

    def test_lists_must_hold_only_existing_paths(self, manifests):
        cfg = OmegaConf.create({"manifest_filepath": [manifests[0], "/nope.json"], "labels": []})
        assert resolve_dataset_name_from_cfg(cfg) is None

    def test_ds_item_names_a_key_or_is_the_item(self):
        assert resolve_dataset_name_from_cfg(OmegaConf.create({"ds_item": "data_dir", "data_dir": "x"})) == "data_dir"
        assert resolve_dataset_name_from_cfg(OmegaConf.create({"ds_item": ["a", "b"]})) == "ds_item"
        assert resolve_dataset_name_from_cfg(OmegaConf.create({"ds_item": None, "x": 1})) is None


class TestResolveDataloaders:
    def test_one_loader_per_listed_file(self, manifests):
        model = mt.TinyModel(mt.base_config(validation_ds={"manifest_filepath": manifests, "batch_size": 2}))
        resolve_validation_dataloaders(model)
        assert [len(dl.dataset) for dl in model._validation_dl] == [8, 4]
        assert model._validation_names == ["an4_dev_", "_test_other_"]
        assert model.cfg.validation_ds.manifest_filepath == manifests  # the model config keeps the whole list

    def test_single_file_gives_one_named_loader(self, manifests):
        model = mt.TinyModel(mt.base_config(test_ds={"manifest_filepath": manifests[0], "test_dl_idx": 0}))
        resolve_test_dataloaders(model)
        assert len(model._test_dl.dataset) == 8 and model._test_names == ["an4_dev_"]

    def test_no_dataset_key_sets_up_one_unnamed_loader(self):
        model = mt.TinyModel(mt.base_config(validation_ds={"num_samples": 6, "val_dl_idx": 0}))
        model._validation_names = None
        resolve_validation_dataloaders(model)
        assert len(model._validation_dl.dataset) == 6 and model._validation_names is None

    def test_dl_idx_keys_are_popped_before_setup(self, manifests):
        seen = []

        class Recording(mt.TinyModel):
            def setup_validation_data(self, val_data_config):
                seen.append(OmegaConf.to_container(val_data_config))
                super().setup_validation_data(val_data_config)

        model = Recording(mt.base_config(validation_ds={"manifest_filepath": manifests, "val_dl_idx": 1}))
        assert model._val_dl_idx == 1
        assert [s["manifest_filepath"] for s in seen] == manifests
        assert all("val_dl_idx" not in s for s in seen)

    def test_duplicate_names_warn(self, tmp_path, caplog):
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        files = [mt.write_manifest(tmp_path / d / "dev.json", 2, seed=0) for d in ("a", "b")]
        mt.TinyModel(mt.base_config(validation_ds={"manifest_filepath": files}))
        assert "share the metric prefix(es) ['dev_']" in caplog.text

    def test_a_loader_list_from_setup_gets_index_names(self):
        class TwoLoaders(mt.TinyModel):
            def setup_validation_data(self, val_data_config):
                self._validation_dl = [mt.make_loader(val_data_config), mt.make_loader(val_data_config)]

        model = TwoLoaders(mt.base_config(validation_ds={"num_samples": 4}))
        assert model._validation_names == ["val_0_", "val_1_"]
        assert model.get_validation_dataloader_prefix(1) == "val_1_"
        assert model.get_test_dataloader_prefix(2) == "test_2_"

    def test_setup_multiple_validation_data_persists_a_new_config(self, manifests):
        model = mt.TinyModel(mt.base_config())
        model.setup_multiple_validation_data({"manifest_filepath": manifests, "batch_size": 4})
        assert model.cfg.validation_ds.manifest_filepath == manifests
        assert len(model.val_dataloader()) == 2
        model.setup_multiple_test_data({"num_samples": 4})
        assert model.cfg.test_ds.num_samples == 4 and len(model.test_dataloader().dataset) == 4


class TestMerge:
    def test_prefixes_primary_loader_and_non_log_keys(self):
        results = [
            {"val_loss": torch.tensor(1.0), "wer": 0.5, "log": {"val_loss": 1.0, "wer": 0.5}},
            {"val_loss": torch.tensor(2.0), "log": {"val_loss": 2.0}},
        ]
        merged = merge_dataloader_results(results, ["dev_", "test_"], primary_idx=1, loss_key="val_loss")
        assert merged["val_loss"] == torch.tensor(2.0)
        assert merged["log"] == {"dev_val_loss": 1.0, "dev_wer": 0.5, "test_val_loss": 2.0, "val_loss": 2.0}
        assert merged["dev_wer"] == 0.5 and merged["dev_val_loss"] == torch.tensor(1.0)

    def test_none_results_are_skipped(self):
        merged = merge_dataloader_results([None, {"log": {"acc": 1}}], ["a_", "b_"], primary_idx=0, loss_key="val_loss")
        assert merged == {"log": {"b_acc": 1}}
