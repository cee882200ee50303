"""Neural modules of the ASR collection: audio front ends, augmentations, encoders, decoders and CTC beam search."""

from nemo.collections.asr.modules.audio_preprocessing import (
    AudioToMelSpectrogramPreprocessor,
    AudioToMFCCPreprocessor,
    CropOrPadSpectrogramAugmentation,
    SpectrogramAugmentation,
)
from nemo.collections.asr.modules.beam_search_decoder import BeamSearchDecoderWithLM
from nemo.collections.asr.modules.conv_asr import ConvASRDecoder, ConvASRDecoderClassification, ConvASREncoder

__all__ = [
    "AudioToMelSpectrogramPreprocessor",
    "AudioToMFCCPreprocessor",
    "BeamSearchDecoderWithLM",
    "ConvASRDecoder",
    "ConvASRDecoderClassification",
    "ConvASREncoder",
    "CropOrPadSpectrogramAugmentation",
    "SpectrogramAugmentation",
]
