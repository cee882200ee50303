"""Losses of the TTS collection: Tacotron 2's mel/gate loss and HiFi-GAN's adversarial and feature-matching losses."""

from nemo.collections.tts.losses.hifigan_losses import DiscriminatorLoss, FeatureMatchingLoss, GeneratorLoss
from nemo.collections.tts.losses.tacotron2loss import Tacotron2Loss

__all__ = ["DiscriminatorLoss", "FeatureMatchingLoss", "GeneratorLoss", "Tacotron2Loss"]
