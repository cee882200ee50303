"""HiFi-GAN losses against hand-computed values."""

import pytest
import torch

from nemo.collections.tts.losses import DiscriminatorLoss, FeatureMatchingLoss, GeneratorLoss


def test_least_squares_adversarial_losses():
    real = [torch.ones(2, 3), torch.zeros(2, 4)]
    fake = [torch.zeros(2, 3), torch.full((2, 4), 0.5)]
    loss, real_terms, fake_terms = DiscriminatorLoss()(disc_real_outputs=real, disc_generated_outputs=fake)
    assert [t.item() for t in real_terms] == [0.0, 1.0] and [t.item() for t in fake_terms] == [0.0, 0.25]
    assert loss.item() == pytest.approx(1.25)
    loss, terms = GeneratorLoss()(disc_outputs=fake)
    assert loss.item() == pytest.approx(1.25) and [t.item() for t in terms] == [1.0, 0.25]


def test_feature_matching_is_twice_the_summed_mean_absolute_differences():
    real = [[torch.zeros(1, 2, 3), torch.ones(1, 5)], [torch.zeros(4)]]
    gen = [[torch.ones(1, 2, 3), torch.ones(1, 5)], [torch.full((4,), -0.5, requires_grad=True)]]
    loss = FeatureMatchingLoss()(fmap_r=real, fmap_g=gen)
    assert loss.item() == pytest.approx(2 * (1.0 + 0.0 + 0.5))
    loss.backward()
    assert gen[1][0].grad is not None
