"""scoped: a global setting changed for one ``with`` block, put back even when the block raises."""

import pytest

from nemo.utils.scoped import scoped


class _Setting:
    def __init__(self):
        self.value, self.calls = "before", []

    def get(self):
        return self.value

    def set(self, value):
        self.calls.append(value)
        self.value = value


def test_the_value_holds_inside_the_block_and_the_previous_one_comes_back():
    setting = _Setting()
    with scoped(setting.get, setting.set, "inside"):
        assert setting.value == "inside"
    assert setting.value == "before" and setting.calls == ["inside", "before"]


def test_the_previous_value_comes_back_when_the_block_raises():
    setting = _Setting()
    with pytest.raises(RuntimeError, match="boom"):
        with scoped(setting.get, setting.set, "inside"):
            raise RuntimeError("boom")
    assert setting.value == "before"
