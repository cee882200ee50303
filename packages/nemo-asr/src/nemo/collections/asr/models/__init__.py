"""ASR models: CTC over characters or sub-words, and utterance classification."""

from nemo.collections.asr.models.asr_model import ASRModel
from nemo.collections.asr.models.classification_models import EncDecClassificationModel
from nemo.collections.asr.models.ctc_bpe_models import EncDecCTCModelBPE
from nemo.collections.asr.models.ctc_models import EncDecCTCModel

__all__ = ["ASRModel", "EncDecCTCModel", "EncDecCTCModelBPE", "EncDecClassificationModel"]
