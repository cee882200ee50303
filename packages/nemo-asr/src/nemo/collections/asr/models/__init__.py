"""ASR models: CTC and transducers (RNN-T) over characters or sub-words, utterance classification and speaker
embeddings."""

from nemo.collections.asr.models.asr_model import ASRModel
from nemo.collections.asr.models.classification_models import EncDecClassificationModel
from nemo.collections.asr.models.ctc_bpe_models import EncDecCTCModelBPE
from nemo.collections.asr.models.ctc_models import EncDecCTCModel
from nemo.collections.asr.models.label_models import EncDecSpeakerLabelModel
from nemo.collections.asr.models.rnnt_bpe_models import EncDecRNNTBPEModel
from nemo.collections.asr.models.rnnt_models import EncDecRNNTModel

__all__ = [
    "ASRModel",
    "EncDecCTCModel",
    "EncDecCTCModelBPE",
    "EncDecClassificationModel",
    "EncDecRNNTBPEModel",
    "EncDecRNNTModel",
    "EncDecSpeakerLabelModel",
]
