import pytest

from nemo.utils.env_flag import env_flag


@pytest.mark.parametrize(
    "value,enabled",
    [(None, True), ("", True), ("1", True), ("yes", True), ("0", False), (" Off ", False), ("false", False)],
)
def test_env_flag(monkeypatch, value, enabled: bool) -> None:
    if value is None:
        monkeypatch.delenv("NEMO_TEST_SWITCH", raising=False)
    else:
        monkeypatch.setenv("NEMO_TEST_SWITCH", value)
    assert env_flag("NEMO_TEST_SWITCH") is enabled
