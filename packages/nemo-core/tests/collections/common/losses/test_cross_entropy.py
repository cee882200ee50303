import pytest
import torch
import torch.nn.functional as F

from nemo.collections.common.losses import CrossEntropyLoss, NLLLoss
from nemo.core.classes.loss import Loss


def test_two_dim_logits_match_torch():
    torch.manual_seed(0)
    logits, labels = torch.randn(6, 4), torch.tensor([0, 1, 2, 3, 1, -100])
    loss = CrossEntropyLoss(weight=[1.0, 2.0, 0.5, 1.0])
    assert isinstance(loss, Loss)
    expected = F.cross_entropy(logits, labels, weight=torch.tensor([1.0, 2.0, 0.5, 1.0]))
    assert torch.allclose(loss(logits=logits, labels=labels), expected)


def test_sequence_logits_are_flattened_and_masked():
    torch.manual_seed(1)
    logits, labels = torch.randn(2, 3, 5), torch.randint(0, 5, (2, 3))
    mask = torch.tensor([[1.0, 0.9, 0.2], [0.0, 1.0, 0.0]])  # > 0.5 counts
    keep = mask > 0.5
    loss = CrossEntropyLoss(logits_ndim=3)
    expected = F.cross_entropy(logits[keep], labels[keep])
    assert torch.allclose(loss(logits=logits, labels=labels, loss_mask=mask), expected)
    assert torch.allclose(loss(logits=logits, labels=labels, loss_mask=keep), expected)
    assert torch.allclose(
        loss(logits=logits, labels=labels), F.cross_entropy(logits.reshape(-1, 5), labels.reshape(-1))
    )
    per_token = CrossEntropyLoss(logits_ndim=3, reduction="none")(logits=logits, labels=labels, loss_mask=keep)
    assert per_token.shape == (3,)


def test_empty_mask_gives_loss_against_argmax_and_keeps_graph():
    logits = torch.randn(2, 3, 4, requires_grad=True)
    labels = torch.zeros(2, 3, dtype=torch.long)
    loss = CrossEntropyLoss(logits_ndim=3)(logits=logits, labels=labels, loss_mask=torch.zeros(2, 3))
    flat = logits.reshape(-1, 4)
    assert torch.allclose(loss, F.cross_entropy(flat, flat.argmax(-1)))
    loss.backward()
    assert logits.grad is not None


def test_ignore_index_and_types():
    logits, labels = torch.randn(3, 2), torch.tensor([0, 7, 1])
    loss = CrossEntropyLoss(ignore_index=7)(logits=logits, labels=labels)
    assert torch.allclose(loss, F.cross_entropy(logits[[0, 2]], labels[[0, 2]]))
    types = CrossEntropyLoss(logits_ndim=3).input_types
    assert [str(a) for a in types["logits"].axes] == [str(a) for a in types["labels"].axes] + [
        str(types["logits"].axes[-1])
    ]
    assert types["loss_mask"].optional
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        CrossEntropyLoss(logits_ndim=1)
    with pytest.raises(TypeError, match="keyword"):
        CrossEntropyLoss()(logits, labels)


def test_nll_loss():
    log_probs = torch.randn(2, 3, 4).log_softmax(-1)
    labels, mask = torch.randint(0, 4, (2, 3)), torch.tensor([[True, False, True], [True, True, False]])
    loss = NLLLoss(log_probs_ndim=3)(log_probs=log_probs, labels=labels, loss_mask=mask)
    assert torch.allclose(loss, F.nll_loss(log_probs[mask], labels[mask]))


def test_built_from_config_with_weight():
    config = {
        "_target_": "nemo.collections.common.losses.CrossEntropyLoss",
        "logits_ndim": 3,
        "weight": [1.0, 3.0],
        "reduction": "sum",
    }
    loss = CrossEntropyLoss.from_config_dict(config)
    assert loss.reduction == "sum" and loss._scores_ndim == 3
    assert loss.weight.tolist() == [1.0, 3.0] and "weight" in loss.state_dict()
    assert loss.to_config_dict().weight == [1.0, 3.0]
