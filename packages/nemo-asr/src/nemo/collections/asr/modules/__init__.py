"""Neural modules of the ASR collection: audio front ends, augmentations, encoders and decoders."""

from nemo.collections.asr.modules.audio_preprocessing import (
    AudioToMelSpectrogramPreprocessor,
    AudioToMFCCPreprocessor,
    CropOrPadSpectrogramAugmentation,
    SpectrogramAugmentation,
)
from nemo.collections.asr.modules.conv_asr import ConvASRDecoder, ConvASRDecoderClassification, ConvASREncoder

__all__ = [
    "AudioToMelSpectrogramPreprocessor",
    "AudioToMFCCPreprocessor",
    "ConvASRDecoder",
    "ConvASRDecoderClassification",
    "ConvASREncoder",
    "CropOrPadSpectrogramAugmentation",
    "SpectrogramAugmentation",
]
