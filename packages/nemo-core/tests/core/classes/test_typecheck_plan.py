"""Which declared types ``@typecheck()`` reads once per class, and which on every call."""

import pytest
import torch

from nemo.core.classes.typecheck import Typing, typecheck
from nemo.core.classes.typecheck_plan import DYNAMIC, instance_free_property, static_types
from nemo.core.neural_types import LengthsType, NeuralType

pytestmark = pytest.mark.usefixtures("full_typecheck")

READS = {"count": 0}


def _types():
    READS["count"] += 1
    return {"x": NeuralType(("B",), LengthsType())}


class Constant(torch.nn.Module, Typing):
    @property
    def input_types(self):
        return _types()

    @typecheck()
    def forward(self, x):
        return x


class UsesSelf(Constant):
    def __init__(self, rank=1):
        super().__init__()
        self.axes = ("B",) * rank

    @property
    def input_types(self):
        READS["count"] += 1
        return {"x": NeuralType(self.axes, LengthsType())}


class UsesSuper(Constant):
    @property
    def input_types(self):
        return super().input_types


class SelfInAComprehension(Constant):
    @property
    def input_types(self):
        return {name: NeuralType(("B",)) for name in self.names()}

    def names(self):
        return ["x"]


class SelfInALambda(Constant):
    @property
    def input_types(self):
        return (lambda: {"x": NeuralType(("B",)) if self.training else NeuralType(("B", "T"))})()


def test_a_property_that_never_reads_its_instance_is_read_once_per_class():
    READS["count"] = 0
    first, second = Constant(), Constant()
    for _ in range(3):
        first(x=torch.zeros(2))
        second(x=torch.zeros(2))
    assert READS["count"] == 1
    with pytest.raises(TypeError, match="Constant.forward: input 'x' expected rank 1"):
        first(x=torch.zeros(2, 2))  # still checked, from the types read once


def test_a_property_that_reads_its_instance_is_read_on_every_call():
    READS["count"] = 0
    module = UsesSelf()
    module(x=torch.zeros(2))
    module(x=torch.zeros(2))
    assert READS["count"] == 2
    module.axes = ("B", "T")
    module(x=torch.zeros(2, 3))  # the new state takes effect on the next call
    with pytest.raises(TypeError, match="expected rank 2"):
        module(x=torch.zeros(2))


@pytest.mark.parametrize("cls", [UsesSelf, UsesSuper, SelfInAComprehension, SelfInALambda])
def test_closures_super_and_nested_uses_of_self_count_as_reading_it(cls):
    assert instance_free_property(cls, "input_types") is None
    assert static_types(cls(), "input_types") is DYNAMIC


def test_plain_attributes_and_missing_types_are_not_read_once():
    class Attribute(Constant):
        input_types = {"x": NeuralType(("B",))}  # an instance could shadow it: read per call

    assert static_types(Attribute(), "input_types") is DYNAMIC
    assert instance_free_property(Constant, "input_types") is Constant.__dict__["input_types"]
    assert static_types(Constant(), "output_types") is None  # Typing's default: untyped outputs
