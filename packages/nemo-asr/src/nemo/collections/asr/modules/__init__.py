"""Neural modules of the ASR collection: audio front ends, augmentations, encoders (convolutional, Conformer),
decoders (CTC, classification, speaker) and CTC beam search."""

from nemo.collections.asr.modules.audio_preprocessing import (
    AudioToMelSpectrogramPreprocessor,
    AudioToMFCCPreprocessor,
    CropOrPadSpectrogramAugmentation,
    SpectrogramAugmentation,
)
from nemo.collections.asr.modules.beam_search_decoder import BeamSearchDecoderWithLM
from nemo.collections.asr.modules.conformer_encoder import ConformerEncoder
from nemo.collections.asr.modules.conv_asr import (
    ConvASRDecoder,
    ConvASRDecoderClassification,
    ConvASREncoder,
    SpeakerDecoder,
)
from nemo.collections.asr.modules.rnnt import RNNTDecoder, RNNTDecoderJoint, RNNTJoint

__all__ = [
    "AudioToMelSpectrogramPreprocessor",
    "AudioToMFCCPreprocessor",
    "BeamSearchDecoderWithLM",
    "ConformerEncoder",
    "ConvASRDecoder",
    "ConvASRDecoderClassification",
    "ConvASREncoder",
    "CropOrPadSpectrogramAugmentation",
    "RNNTDecoder",
    "RNNTDecoderJoint",
    "RNNTJoint",
    "SpeakerDecoder",
    "SpectrogramAugmentation",
]
