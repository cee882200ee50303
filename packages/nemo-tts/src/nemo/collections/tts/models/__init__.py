"""TTS models and their abstract bases, imported on first access (``from nemo.collections.tts.models import X``).

To add a model, add one ``"ClassName": "module path"`` line to ``_MODELS``.
"""

from nemo.core._lazy import lazy_exports

_MODELS = {
    "SpectrogramGenerator": "nemo.collections.tts.models.base",
    "Vocoder": "nemo.collections.tts.models.base",
    "GlowVocoder": "nemo.collections.tts.models.base",
    "LinVocoder": "nemo.collections.tts.models.base",
    "MelToSpec": "nemo.collections.tts.models.base",
    "TextToWaveform": "nemo.collections.tts.models.base",
    "FastPitchModel": "nemo.collections.tts.models.fastpitch",
    "GriffinLimModel": "nemo.collections.tts.models.griffin_lim",
    "SpectrogramVocoderPipeline": "nemo.collections.tts.models.pipeline",
    "HifiGanModel": "nemo.collections.tts.models.hifigan",
    "Tacotron2Model": "nemo.collections.tts.models.tacotron2",
}

__getattr__, __dir__ = lazy_exports(__name__, _MODELS)
__all__ = list(_MODELS)
