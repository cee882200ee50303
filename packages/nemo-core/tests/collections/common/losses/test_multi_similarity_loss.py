import math

import torch

from nemo.collections.common.losses import MultiSimilarityLoss


def test_value_on_a_hand_computed_batch():
    # anchors 0/1 share a class; 2 is alone. similarities: s01 = 0.6, s02 = 0.8, s12 = 0.0
    logits = torch.tensor([[1.0, 0.0], [0.6, 0.8], [0.8, -0.6]])
    labels = torch.tensor([0, 0, 1])
    loss = MultiSimilarityLoss()(logits=logits, labels=labels)

    def term(pos, negs):
        return math.log1p(math.exp(-2 * (pos - 0.5))) / 2 + math.log1p(sum(math.exp(40 * (n - 0.5)) for n in negs)) / 40

    # anchor 0: positive 0.6, hard negative 0.8 (> 0.6 - 0.1); anchor 1: negative 0.0 is not hard -> skipped
    assert abs(loss.item() - term(0.6, [0.8]) / 3) < 1e-5


def test_no_hard_pairs_gives_connected_zero():
    logits = torch.eye(3, requires_grad=True)
    loss = MultiSimilarityLoss()(logits=logits, labels=torch.tensor([0, 1, 2]))
    loss.backward()
    assert loss.item() == 0.0 and logits.grad is not None
