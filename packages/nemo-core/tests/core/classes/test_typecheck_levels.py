"""Typecheck levels: full, shapes and off, their setters, context managers and the NEMO_TYPECHECK variable."""

import importlib
import os
import subprocess
import sys

import pytest
import torch

from nemo.core.classes.typecheck import Typing, is_typecheck_enabled, typecheck
from nemo.core.neural_types import LogitsType, LossType, NeuralType

# nemo.core.classes resolves `typecheck` lazily to the decorator class, so fetch the module itself.
typecheck_module = importlib.import_module("nemo.core.classes.typecheck")


pytestmark = pytest.mark.usefixtures("full_typecheck")


class Head(torch.nn.Module, Typing):
    @property
    def input_types(self):
        return {"x": NeuralType(("B", "T"), LogitsType())}

    @property
    def output_types(self):
        return {"y": NeuralType(("B", "T"), LogitsType())}

    @typecheck()
    def forward(self, x):
        return x + 1


def mistyped():
    x = torch.zeros(2, 3)
    x.neural_type = NeuralType(("B", "T"), LossType())
    return x


def test_full_checks_element_types_and_ranks():
    with pytest.raises(TypeError, match="comparison result: INCOMPATIBLE"):
        Head()(x=mistyped())
    with pytest.raises(TypeError, match="expected rank 2"):
        Head()(x=torch.zeros(3))


def test_shapes_level_skips_only_the_element_comparison():
    typecheck.set_typecheck_level("shapes")
    out = Head()(x=mistyped())
    assert out.neural_type == NeuralType(("B", "T"), LogitsType())  # outputs are still typed
    with pytest.raises(TypeError, match="expected rank 2"):
        Head()(x=torch.zeros(3))
    with pytest.raises(TypeError, match="passed by keyword"):
        Head()(torch.zeros(2, 3))
    with pytest.raises(TypeError, match="missing"):
        Head()()


def test_off_level_calls_the_method_directly():
    typecheck.set_typecheck_level("off")
    assert not is_typecheck_enabled()
    out = Head()(torch.zeros(3))  # positional, wrong rank: unchecked
    assert not hasattr(out, "neural_type")


def test_set_typecheck_enabled_maps_to_full_and_off():
    typecheck.set_typecheck_enabled(False)
    assert typecheck.get_typecheck_level() == "off" and not is_typecheck_enabled()
    typecheck.set_typecheck_enabled(True)
    assert typecheck.get_typecheck_level() == "full" and is_typecheck_enabled()
    typecheck.set_typecheck_enabled()
    assert typecheck.get_typecheck_level() == "full"


def test_level_names_are_validated():
    typecheck.set_typecheck_level(" Shapes ")
    assert typecheck.get_typecheck_level() == "shapes" and is_typecheck_enabled()
    with pytest.raises(ValueError, match="typecheck level='partial' is not a typecheck level"):
        typecheck.set_typecheck_level("partial")
    assert typecheck.LEVELS == ("off", "shapes", "full")


def test_disable_checks_restores_the_previous_level_and_nests():
    typecheck.set_typecheck_level("shapes")
    with typecheck.disable_checks():
        assert typecheck.get_typecheck_level() == "off"
        Head()(torch.zeros(3))
        with typecheck.disable_checks():
            assert not is_typecheck_enabled()
        assert typecheck.get_typecheck_level() == "off"
    assert typecheck.get_typecheck_level() == "shapes"
    typecheck.set_typecheck_level("off")
    with typecheck.disable_checks():
        pass
    assert typecheck.get_typecheck_level() == "off"  # v1.0.0 turned checks back on here


def test_disable_semantic_checks_restores_and_never_enables():
    with typecheck.disable_semantic_checks():
        assert typecheck.get_typecheck_level() == "shapes"
        Head()(x=mistyped())
        with typecheck.disable_checks():
            assert typecheck.get_typecheck_level() == "off"
        assert typecheck.get_typecheck_level() == "shapes"
    assert typecheck.get_typecheck_level() == "full"
    with typecheck.disable_checks(), typecheck.disable_semantic_checks():
        assert typecheck.get_typecheck_level() == "off"


def test_context_managers_restore_on_exceptions():
    with pytest.raises(RuntimeError):
        with typecheck.disable_checks():
            raise RuntimeError("boom")
    assert typecheck.get_typecheck_level() == "full"


def test_level_is_read_on_every_call():
    head = Head()
    head(x=torch.zeros(2, 3))
    typecheck.set_typecheck_level("off")
    head(torch.zeros(1))
    typecheck.set_typecheck_level("full")
    with pytest.raises(TypeError):
        head(torch.zeros(1))


@pytest.mark.parametrize(
    "value, level", [("", "full"), ("  ", "full"), ("SHAPES", "shapes"), ("off", "off"), ("Full", "full")]
)
def test_environment_variable_values(monkeypatch, value, level):
    monkeypatch.setenv("NEMO_TYPECHECK", value)
    assert typecheck_module._LEVEL_NAMES[typecheck_module._level_from_environment()] == level


def test_environment_variable_absent_means_full(monkeypatch):
    monkeypatch.delenv("NEMO_TYPECHECK", raising=False)
    assert typecheck_module._level_from_environment() == typecheck_module._FULL


def test_environment_variable_is_validated(monkeypatch):
    monkeypatch.setenv("NEMO_TYPECHECK", "fast")
    with pytest.raises(ValueError, match="environment variable NEMO_TYPECHECK='fast' is not a typecheck level"):
        typecheck_module._level_from_environment()


def test_environment_variable_is_applied_at_import():
    env = {**os.environ, "NEMO_TYPECHECK": "shapes"}
    code = "from nemo.core.classes.typecheck import typecheck; print(typecheck.get_typecheck_level())"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "shapes"


def test_off_puts_the_undecorated_method_into_the_class_and_on_puts_the_checks_back():
    checking = Head.__dict__["forward"]
    assert checking.__wrapped__.__name__ == "forward"
    typecheck.set_typecheck_level("off")
    assert Head.__dict__["forward"] is checking.__wrapped__  # no wrapper left: off costs nothing per call
    assert Head()(mistyped()).tolist() == [[1.0] * 3] * 2  # positional and mistyped, unchecked
    with typecheck.disable_checks():
        assert Head.__dict__["forward"] is checking.__wrapped__
    typecheck.set_typecheck_level("shapes")
    assert Head.__dict__["forward"] is checking
    with pytest.raises(TypeError, match="passed by keyword"):
        Head()(torch.zeros(2, 3))


def test_a_class_defined_while_checks_are_off_is_checked_once_they_are_on():
    typecheck.set_typecheck_level("off")

    class Late(Head):
        @typecheck()
        def forward(self, x):
            return x * 2

    assert Late()(torch.ones(2, 3)).sum().item() == 12
    typecheck.set_typecheck_level("full")
    with pytest.raises(TypeError, match="passed by keyword"):
        Late()(torch.ones(2, 3))


def test_a_monkeypatched_method_is_left_alone_by_level_changes():
    class Patched(Head):
        @typecheck()
        def forward(self, x):
            return x

    def replacement(self, x):
        return x - 1

    Patched.forward = replacement
    typecheck.set_typecheck_level("off")
    typecheck.set_typecheck_level("full")
    assert Patched.__dict__["forward"] is replacement
