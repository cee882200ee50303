"""``EncDecRNNTBPEModel``: the transducer over sub-word units of a SentencePiece (or WordPiece) tokenizer."""

from typing import Any, Dict, List, Optional, Union

from omegaconf import DictConfig, ListConfig, open_dict

from nemo.collections.asr.metrics.rnnt_wer_bpe import RNNTBPEWER
from nemo.collections.asr.metrics.wer_bpe import tokenizer_vocabulary
from nemo.collections.asr.models.asr_model import ngc_model
from nemo.collections.asr.models.rnnt_models import EncDecRNNTModel
from nemo.collections.asr.parts.mixins import ASRBPEMixin
from nemo.collections.asr.parts.submodules.rnnt_decoding import RNNTBPEDecoding
from nemo.core.classes.model import PretrainedModelInfo

__all__ = ["EncDecRNNTBPEModel"]

# (name, NGC version) of the sub-word transducers NVIDIA published for NeMo 1.x.
_NGC_TRANSDUCERS = (
    ("stt_en_contextnet_256", "1.6.0"),
    ("stt_en_contextnet_512", "1.6.0"),
    ("stt_en_contextnet_1024", "1.9.0"),
    ("stt_en_contextnet_256_mls", "1.0.0"),
    ("stt_en_contextnet_512_mls", "1.0.0"),
    ("stt_en_contextnet_1024_mls", "1.0.0"),
    ("stt_en_conformer_transducer_small", "1.6.0"),
    ("stt_en_conformer_transducer_medium", "1.6.0"),
    ("stt_en_conformer_transducer_large", "1.10.0"),
    ("stt_en_conformer_transducer_large_ls", "1.8.0"),
    ("stt_en_conformer_transducer_xlarge", "1.10.0"),
    ("stt_en_conformer_transducer_xxlarge", "1.8.0"),
)


class EncDecRNNTBPEModel(ASRBPEMixin, EncDecRNNTModel):
    """Transducer whose labels come from ``cfg.tokenizer``: ``{dir, type: bpe|wpe}`` (see ``ASRBPEMixin``).

    The tokenizer's files are packed into ``.nemo`` archives as artifacts; ``labels``, the decoder's ``vocab_size`` and
    the joint's ``num_classes``/``vocabulary`` are set from its pieces; decoding and WER detokenize.
    """

    @classmethod
    def list_available_models(cls) -> List[PretrainedModelInfo]:
        """The English ContextNet and Conformer transducers NVIDIA published on NGC for NeMo 1.x."""
        return [ngc_model(name, version) for name, version in _NGC_TRANSDUCERS]

    def __init__(self, cfg: Union[DictConfig, Dict[str, Any]], trainer: Optional[Any] = None) -> None:
        cfg = self._tokenizer_config(cfg)
        with open_dict(cfg):
            cfg.labels = ListConfig(tokenizer_vocabulary(self.tokenizer))
        super().__init__(cfg=cfg, trainer=trainer)

    def _make_decoding(self, decoding_cfg: DictConfig) -> RNNTBPEDecoding:
        return RNNTBPEDecoding(
            decoding_cfg=decoding_cfg, decoder=self.decoder, joint=self.joint, tokenizer=self.tokenizer
        )

    def _make_wer(self, use_cer: bool, log_prediction: bool) -> RNNTBPEWER:
        return RNNTBPEWER(
            decoding=self.decoding, batch_dim_index=0, use_cer=use_cer, log_prediction=log_prediction,
            dist_sync_on_step=True,
        )  # fmt: skip

    def change_vocabulary(  # type: ignore[override]
        self, new_tokenizer_dir: str, new_tokenizer_type: str, decoding_cfg: Optional[DictConfig] = None
    ) -> None:
        """Switch to the tokenizer in ``new_tokenizer_dir`` (``bpe`` or ``wpe``): new prediction network and joint
        (fresh weights), loss, decoding and WER; the encoder stays."""

        def rebuild(vocabulary: List[str]) -> None:
            self._replace_transducer(vocabulary, decoding_cfg)
            with open_dict(self._cfg):
                self._cfg.labels = ListConfig(vocabulary)

        self._change_tokenizer(new_tokenizer_dir, new_tokenizer_type, rebuild)
