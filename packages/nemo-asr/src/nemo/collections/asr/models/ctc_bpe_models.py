"""``EncDecCTCModelBPE``: the CTC model over sub-word units of a SentencePiece (or WordPiece) tokenizer."""

from typing import Any, Dict, List, Optional, Union

from omegaconf import DictConfig, ListConfig, open_dict

from nemo.collections.asr.metrics.wer import WER
from nemo.collections.asr.metrics.wer_bpe import WERBPE, tokenizer_vocabulary
from nemo.collections.asr.models.asr_model import ngc_model
from nemo.collections.asr.models.ctc_models import EncDecCTCModel
from nemo.collections.asr.parts.mixins import ASRBPEMixin
from nemo.core.classes.model import PretrainedModelInfo
from nemo.utils import logging

__all__ = ["EncDecCTCModelBPE", "TokenizerWER"]

# The name this collection used before the metric moved to NeMo's module (kept for existing imports).
TokenizerWER = WERBPE


class EncDecCTCModelBPE(ASRBPEMixin, EncDecCTCModel):
    """CTC model whose labels come from ``cfg.tokenizer``: ``{dir, type: bpe|wpe}`` (see ``ASRBPEMixin``).

    The decoder's vocabulary (and ``num_classes`` when < 1) is taken from the tokenizer.
    """

    @classmethod
    def list_available_models(cls) -> List[PretrainedModelInfo]:
        """The sub-word CTC checkpoints (Citrinet, Conformer-CTC) NVIDIA published on NGC for NeMo 1.0."""
        models = [ngc_model(f"stt_en_citrinet_{size}", "1.0.0rc1") for size in (256, 512, 1024)]
        models.append(ngc_model("stt_es_citrinet_512", "1.0.0"))
        for suffix in ("", "_ls"):
            models += [
                ngc_model(f"stt_en_conformer_ctc_{size}{suffix}", "1.0.0") for size in ("small", "medium", "large")
            ]
        return models

    def __init__(self, cfg: Union[DictConfig, Dict[str, Any]], trainer: Optional[Any] = None) -> None:
        cfg = self._tokenizer_config(cfg)
        vocabulary = tokenizer_vocabulary(self.tokenizer)
        with open_dict(cfg):
            cfg.decoder.vocabulary = ListConfig(vocabulary)
            if cfg.decoder.get("num_classes", -1) < 1:
                logging.info(f"Replacing placeholder number of classes with the tokenizer's {len(vocabulary)}")
                cfg.decoder.num_classes = len(vocabulary)
        super().__init__(cfg=cfg, trainer=trainer)

    def _make_wer(self) -> WER:
        return WERBPE(
            tokenizer=self.tokenizer,
            batch_dim_index=0,
            use_cer=self._cfg.get("use_cer", False),
            ctc_decode=True,
            dist_sync_on_step=True,
            log_prediction=self._cfg.get("log_prediction", False),
        )

    def change_vocabulary(self, new_tokenizer_dir: str, new_tokenizer_type: str) -> None:  # type: ignore[override]
        """Switch to the tokenizer in ``new_tokenizer_dir`` (``bpe`` or ``wpe``): new decoder, loss and WER."""
        self._change_tokenizer(new_tokenizer_dir, new_tokenizer_type, self._replace_decoder)
