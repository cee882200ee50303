"""HiFi-GAN's adversarial losses (least squares, as in LSGAN) and its discriminator feature-matching loss.

The mel-spectrogram L1 term (weighted by ``l1_loss_factor``, 45 by default) is computed in ``HifiGanModel``, which
owns the mel front end.
"""

from collections import OrderedDict
from typing import Dict, List, Sequence, Tuple

import torch

from nemo.core.classes.loss import Loss
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import LossType, NeuralType, VoidType

__all__ = ["DiscriminatorLoss", "FeatureMatchingLoss", "GeneratorLoss"]


class FeatureMatchingLoss(Loss):
    """``2 * sum over discriminators and layers of mean |real feature - generated feature|``.

    Makes the generator reproduce the discriminators' intermediate activations of real audio; the factor 2 is the
    paper's weight for this term.
    """

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return OrderedDict(
            {
                "fmap_r": [[NeuralType(elements_type=VoidType())]],
                "fmap_g": [[NeuralType(elements_type=VoidType())]],
            }
        )

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return OrderedDict({"loss": NeuralType(elements_type=LossType())})

    @typecheck()
    def forward(self, *, fmap_r: Sequence[Sequence[torch.Tensor]], fmap_g: Sequence[Sequence[torch.Tensor]]):
        if len(fmap_r) != len(fmap_g):
            raise ValueError(f"FeatureMatchingLoss: {len(fmap_r)} real vs {len(fmap_g)} generated discriminators")
        loss = fmap_g[0][0].new_zeros(())
        for maps_real, maps_gen in zip(fmap_r, fmap_g):
            for real, gen in zip(maps_real, maps_gen):
                loss = loss + torch.mean(torch.abs(real.detach() - gen))
        return loss * 2


class DiscriminatorLoss(Loss):
    """Least-squares discriminator loss: ``sum of mean (1 - D(real))^2 + mean D(generated)^2``.

    Returns ``(loss, real_losses, fake_losses)``; the per-discriminator terms are detached, for logging.
    """

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return OrderedDict(
            {
                "disc_real_outputs": [NeuralType(("B", "T"), VoidType())],
                "disc_generated_outputs": [NeuralType(("B", "T"), VoidType())],
            }
        )

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return OrderedDict(
            {
                "loss": NeuralType(elements_type=LossType()),
                "real_losses": [NeuralType(elements_type=LossType())],
                "fake_losses": [NeuralType(elements_type=LossType())],
            }
        )

    @typecheck()
    def forward(
        self, *, disc_real_outputs: Sequence[torch.Tensor], disc_generated_outputs: Sequence[torch.Tensor]
    ) -> Tuple[torch.Tensor, List[torch.Tensor], List[torch.Tensor]]:
        loss = disc_real_outputs[0].new_zeros(())
        real_losses, fake_losses = [], []
        for real, generated in zip(disc_real_outputs, disc_generated_outputs):
            real_loss = torch.mean((1 - real) ** 2)
            fake_loss = torch.mean(generated**2)
            loss = loss + real_loss + fake_loss
            real_losses.append(real_loss.detach())
            fake_losses.append(fake_loss.detach())
        return loss, real_losses, fake_losses


class GeneratorLoss(Loss):
    """Least-squares generator loss: ``sum of mean (1 - D(generated))^2``; returns ``(loss, per-discriminator)``."""

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return OrderedDict({"disc_outputs": [NeuralType(("B", "T"), VoidType())]})

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return OrderedDict(
            {
                "loss": NeuralType(elements_type=LossType()),
                "fake_losses": [NeuralType(elements_type=LossType())],
            }
        )

    @typecheck()
    def forward(self, *, disc_outputs: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        loss = disc_outputs[0].new_zeros(())
        gen_losses = []
        for generated in disc_outputs:
            term = torch.mean((1 - generated) ** 2)
            gen_losses.append(term)
            loss = loss + term
        return loss, gen_losses
