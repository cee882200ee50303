import dataclasses

import pytest
from omegaconf import OmegaConf

from nemo.utils.exp_manager import CallbackParams, ExpManagerConfig, exp_manager
from nemo.utils.exp_manager.config import EarlyStoppingParams, resolve_exp_manager_config

V1_CALLBACK_DEFAULTS = dict(
    filepath=None,
    dirpath=None,
    filename=None,
    monitor="val_loss",
    verbose=True,
    save_last=True,
    save_top_k=3,
    save_weights_only=False,
    mode="min",
    prefix=None,
    postfix=".nemo",
    save_best_model=False,
    always_save_nemo=False,
)
V1_EXP_MANAGER_DEFAULTS = dict(
    explicit_log_dir=None,
    exp_dir=None,
    name=None,
    version=None,
    use_datetime_version=True,
    resume_if_exists=False,
    resume_past_end=False,
    resume_ignore_no_checkpoint=False,
    create_tensorboard_logger=True,
    summary_writer_kwargs=None,
    create_wandb_logger=False,
    wandb_logger_kwargs=None,
    create_checkpoint_callback=True,
    files_to_copy=None,
)


def test_every_v1_field_has_its_v1_default():
    params = CallbackParams()
    for key, value in V1_CALLBACK_DEFAULTS.items():
        assert getattr(params, key) == value, key
    cfg = ExpManagerConfig()
    for key, value in V1_EXP_MANAGER_DEFAULTS.items():
        assert getattr(cfg, key) == value, key
    assert cfg.checkpoint_callback_params == CallbackParams()
    # dataclass defaults are per instance (default_factory), not shared
    assert ExpManagerConfig().checkpoint_callback_params is not cfg.checkpoint_callback_params


def test_later_fields_have_documented_defaults():
    cfg = ExpManagerConfig()
    assert cfg.create_early_stopping_callback is False
    assert cfg.early_stopping_callback_params == EarlyStoppingParams()
    assert cfg.log_step_timing is True
    # period only matters when set; every_n_* default to Lightning's behaviour (one checkpoint per epoch)
    assert (cfg.checkpoint_callback_params.period, cfg.checkpoint_callback_params.every_n_epochs) == (None, None)
    assert {f.name for f in dataclasses.fields(ExpManagerConfig)} >= set(V1_EXP_MANAGER_DEFAULTS)


def test_user_values_override_defaults_and_nested_defaults_fill_in():
    cfg = resolve_exp_manager_config({"name": "asr", "checkpoint_callback_params": {"save_top_k": 5}})
    assert cfg.name == "asr"
    assert cfg.checkpoint_callback_params.save_top_k == 5
    assert cfg.checkpoint_callback_params.monitor == "val_loss"
    assert cfg.resume_if_exists is False


def test_unknown_top_level_key_is_named_with_a_suggestion():
    with pytest.raises(ValueError, match=r"unknown key 'exp_manager\.nmae'.*Did you mean 'name'"):
        resolve_exp_manager_config({"nmae": "x"})


def test_unknown_nested_key_is_named_with_its_path():
    with pytest.raises(ValueError, match=r"'exp_manager\.checkpoint_callback_params\.monitr'.*'monitor'"):
        resolve_exp_manager_config(OmegaConf.create({"checkpoint_callback_params": {"monitr": "val_wer"}}))


def test_wrongly_typed_value_is_named():
    with pytest.raises(ValueError, match=r"invalid value for 'exp_manager\.checkpoint_callback_params\.save_top_k'"):
        resolve_exp_manager_config({"checkpoint_callback_params": {"save_top_k": "many"}})


def test_config_of_wrong_type_is_refused():
    with pytest.raises(ValueError, match="DictConfig or dict.*got list"):
        resolve_exp_manager_config(["name", "x"])


def test_interpolations_resolve_against_the_whole_config_without_mutating_it():
    root = OmegaConf.create({"run": "asr_run", "exp_manager": {"name": "${run}"}})
    cfg = resolve_exp_manager_config(root.exp_manager)
    assert cfg.name == "asr_run"
    assert OmegaConf.to_container(root.exp_manager)["name"] == "${run}"


def test_exp_manager_refuses_unknown_keys_before_creating_anything(tmp_path, make_trainer):
    with pytest.raises(ValueError, match="exp_manager.create_tensorbord_logger"):
        exp_manager(make_trainer(), {"exp_dir": str(tmp_path / "exp"), "create_tensorbord_logger": False})
    assert not (tmp_path / "exp").exists()
