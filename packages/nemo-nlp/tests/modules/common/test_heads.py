import pytest
import torch

from nemo.collections.common.parts.dropout import dropout
from nemo.collections.nlp.modules.common.sequence_classifier import SequenceClassifier
from nemo.collections.nlp.modules.common.sequence_regression import SequenceRegression
from nemo.collections.nlp.modules.common.sequence_token_classifier import SequenceTokenClassifier
from nemo.collections.nlp.modules.common.token_classifier import TokenClassifier
from nemo.core.neural_types import LogitsType, LogprobsType, RegressionValuesType

HIDDEN = torch.randn(3, 5, 8)


def test_sequence_classifier_reads_the_conditioned_token():
    head = SequenceClassifier(hidden_size=8, num_classes=4, num_layers=2, log_softmax=False, idx_conditioned_on=1)
    assert isinstance(head.output_types["logits"].elements_type, LogitsType)
    logits = head(hidden_states=HIDDEN)
    assert logits.shape == (3, 4)
    assert torch.allclose(logits, head.mlp(HIDDEN[:, 1]))
    assert [name for name, _ in head.named_parameters()] == [
        "mlp.layer0.weight",
        "mlp.layer0.bias",
        "mlp.layer2.weight",
        "mlp.layer2.bias",
    ]


@pytest.mark.parametrize("head_class", [SequenceClassifier, SequenceRegression])
def test_sequence_heads_drop_out_only_the_position_they_read(head_class):
    extra = {"num_classes": 4, "log_softmax": False} if head_class is SequenceClassifier else {}
    head = head_class(hidden_size=8, dropout=0.5, idx_conditioned_on=1, **extra).train()
    hidden = HIDDEN.clone().requires_grad_()
    torch.manual_seed(0)
    out = head(hidden_states=hidden)
    torch.manual_seed(0)
    expected = head.mlp(dropout(HIDDEN[:, 1], 0.5)).reshape(out.shape)
    assert torch.equal(out, expected)  # one mask of (B, D) drawn, not (B, T, D)
    out.sum().backward()
    assert hidden.grad[:, [0, 2, 3, 4]].abs().sum() == 0


def test_sequence_classifier_log_softmax_outputs_log_probs():
    head = SequenceClassifier(hidden_size=8, num_classes=3)
    assert isinstance(head.output_types["log_probs"].elements_type, LogprobsType)
    assert torch.allclose(head(hidden_states=HIDDEN).exp().sum(-1), torch.ones(3))


def test_token_classifier_scores_every_token():
    head = TokenClassifier(hidden_size=8, num_classes=6, num_layers=1, log_softmax=False)
    assert head(hidden_states=HIDDEN).shape == (3, 5, 6)
    assert len(head.mlp.layers) == 1


def test_sequence_regression_gives_one_value_per_sequence():
    head = SequenceRegression(hidden_size=8)
    assert isinstance(head.output_types["preds"].elements_type, RegressionValuesType)
    assert head(hidden_states=HIDDEN).shape == (3,)


def test_sequence_token_classifier_gives_intents_and_slots():
    head = SequenceTokenClassifier(hidden_size=8, num_intents=2, num_slots=7)
    intents, slots = head(hidden_states=HIDDEN)
    assert intents.shape == (3, 2) and slots.shape == (3, 5, 7)


def test_bad_activation_is_reported():
    with pytest.raises(ValueError, match="activation 'swish'"):
        SequenceClassifier(hidden_size=8, num_classes=2, activation="swish")
