import threading

import pytest

from nemo.utils.app_state import AppState


@pytest.fixture(autouse=True)
def fresh_app_state():
    AppState.reset()
    yield
    AppState.reset()


def test_is_a_singleton_with_defaults():
    state = AppState()
    assert AppState() is state
    assert state.model_restore_path is None and state.world_size is None and state.device_id is None
    assert state.create_checkpoint_callback is False


def test_values_are_shared_between_references():
    AppState().model_restore_path = "/tmp/model.nemo"
    AppState().world_size = 8
    assert AppState().model_restore_path == "/tmp/model.nemo"
    assert AppState().world_size == 8


def test_archive_member_names_are_read_only():
    state = AppState()
    assert state.model_config_yaml == "model_config.yaml"
    assert state.model_weights_ckpt == "model_weights.ckpt"
    with pytest.raises(AttributeError):
        state.model_config_yaml = "other.yaml"


def test_unknown_attribute_is_rejected():
    with pytest.raises(AttributeError):
        AppState().wolrd_size = 2


def test_reset_gives_fresh_defaults():
    AppState().log_dir = "/tmp/logs"
    AppState.reset()
    assert AppState().log_dir is None


def test_concurrent_creation_yields_one_instance():
    instances = []
    barrier = threading.Barrier(8)

    def create():
        barrier.wait()
        instances.append(AppState())

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(instances) == 8 and all(instance is instances[0] for instance in instances)
