import pytest
import torch

from nemo.core.classes.loss import Loss
from nemo.core.classes.serialization import Serialization
from nemo.core.classes.typecheck import Typing, typecheck
from nemo.core.neural_types import LossType, NeuralType, RegressionValuesType


class SquaredError(Loss):
    def forward(self, predictions, targets):
        error = (predictions - targets) ** 2
        if self.reduction == "mean":
            return error.mean()
        if self.reduction == "sum":
            return error.sum()
        return error


def test_loss_is_a_typed_serializable_torch_loss():
    loss = SquaredError()
    assert isinstance(loss, (torch.nn.modules.loss._Loss, Typing, Serialization))
    assert loss.reduction == "mean" and loss.input_types is None and loss.output_types is None


def test_keyword_arguments_reach_torch_loss():
    predictions, targets = torch.tensor([1.0, 3.0]), torch.tensor([0.0, 1.0])
    assert SquaredError(reduction="sum")(predictions, targets).item() == 5.0
    assert SquaredError()(predictions, targets).item() == 2.5


def test_loss_from_config_dict():
    path = f"{SquaredError.__module__}.{SquaredError.__qualname__}"
    loss = Loss.from_config_dict({"_target_": path, "reduction": "none"})
    assert type(loss) is SquaredError and loss.reduction == "none"
    assert loss.to_config_dict().reduction == "none"


class TypedSquaredError(SquaredError):
    @property
    def input_types(self):
        return {
            "predictions": NeuralType(("B", "T"), RegressionValuesType()),
            "targets": NeuralType(("B", "T"), RegressionValuesType()),
        }

    @property
    def output_types(self):
        return {"loss": NeuralType(elements_type=LossType())}

    @typecheck()
    def forward(self, predictions, targets):
        return super().forward(predictions, targets)


def test_typed_loss_checks_inputs_and_tags_its_output():
    loss = TypedSquaredError()
    value = loss(predictions=torch.ones(2, 3), targets=torch.zeros(2, 3))
    assert value.item() == 1.0 and isinstance(value.neural_type.elements_type, LossType)
    with pytest.raises(TypeError):
        loss(torch.ones(2, 3), torch.zeros(2, 3))  # typed methods take keyword arguments only
    with pytest.raises(TypeError):
        loss(predictions=torch.ones(2), targets=torch.zeros(2))  # wrong rank


def test_loss_mixes_into_a_torch_loss_with_positional_arguments():
    import torch

    from nemo.core.classes.loss import Loss

    class TypedCrossEntropy(torch.nn.CrossEntropyLoss, Loss):
        pass

    loss = TypedCrossEntropy(None, None, -100, None, "sum")
    assert loss.reduction == "sum"
    assert loss(torch.zeros(2, 3), torch.tensor([0, 1])).item() > 0
