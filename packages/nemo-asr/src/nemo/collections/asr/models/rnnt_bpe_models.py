"""``EncDecRNNTBPEModel``: the transducer over sub-word units of a SentencePiece (or WordPiece) tokenizer."""

import os
from typing import Any, Dict, List, Optional, Union

from omegaconf import DictConfig, ListConfig, OmegaConf, open_dict

from nemo.collections.asr.metrics.rnnt_wer_bpe import RNNTBPEWER
from nemo.collections.asr.metrics.wer_bpe import tokenizer_vocabulary
from nemo.collections.asr.models.asr_model import ngc_model
from nemo.collections.asr.models.ctc_bpe_models import EncDecCTCModelBPE
from nemo.collections.asr.models.rnnt_models import EncDecRNNTModel
from nemo.collections.asr.parts.submodules.rnnt_decoding import RNNTBPEDecoding
from nemo.core.classes.model import PretrainedModelInfo
from nemo.utils import logging
from nemo.utils.model_utils import convert_model_config_to_dict_config, maybe_update_config_version

__all__ = ["EncDecRNNTBPEModel"]

_TOKENIZER_TYPES = ("bpe", "wpe")

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


class EncDecRNNTBPEModel(EncDecRNNTModel):
    """Transducer whose labels come from ``cfg.tokenizer``: ``{dir, type: bpe|wpe}`` (as ``EncDecCTCModelBPE``).

    The tokenizer's files are packed into ``.nemo`` archives as artifacts; ``labels``, the decoder's ``vocab_size`` and
    the joint's ``num_classes``/``vocabulary`` are set from its pieces; decoding and WER detokenize.
    """

    @classmethod
    def list_available_models(cls) -> List[PretrainedModelInfo]:
        """The English ContextNet and Conformer transducers NVIDIA published on NGC for NeMo 1.x."""
        return [ngc_model(name, version) for name, version in _NGC_TRANSDUCERS]

    # The tokenizer set-up (artifact registration included) is the sub-word CTC model's.
    _setup_tokenizer = EncDecCTCModelBPE._setup_tokenizer

    def __init__(self, cfg: Union[DictConfig, Dict[str, Any]], trainer: Optional[Any] = None) -> None:
        cfg = maybe_update_config_version(convert_model_config_to_dict_config(cfg))
        if cfg.get("tokenizer") is None:
            raise ValueError("`cfg` must have `tokenizer` config to create a tokenizer !")
        self.artifacts = {}  # the tokenizer files are registered before ModelPT.__init__ runs
        self._artifact_store = None
        with open_dict(cfg):
            self._setup_tokenizer(cfg.tokenizer)
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

    def _build_dataset(self, config: DictConfig) -> Any:
        from nemo.collections.asr.data import audio_to_text_dataset

        return audio_to_text_dataset.get_bpe_dataset(
            config=config, tokenizer=self.tokenizer, augmentor=self._augmentor(config)
        )

    def _transcribe_config(self, manifest: str, batch_size: int) -> Dict[str, Any]:
        config = super()._transcribe_config(manifest, batch_size)
        config.pop("labels")
        return config

    def _dummy_target(self) -> Dict[str, str]:
        """Any word tokenizes to something: the vocabulary's pieces (such as a lone ``▁``) may not."""
        return {"text": "nothing"}

    def change_vocabulary(  # type: ignore[override]
        self, new_tokenizer_dir: str, new_tokenizer_type: str, decoding_cfg: Optional[DictConfig] = None
    ) -> None:
        """Switch to the tokenizer in ``new_tokenizer_dir`` (``bpe`` or ``wpe``): new prediction network and joint
        (fresh weights), loss, decoding and WER; the encoder stays."""
        if not new_tokenizer_dir or not os.path.isdir(new_tokenizer_dir):
            raise NotADirectoryError(
                f"New tokenizer dir must be non-empty path to a directory. But I got: {new_tokenizer_dir}"
            )
        if str(new_tokenizer_type).lower() not in _TOKENIZER_TYPES:
            raise ValueError(f"New tokenizer type must be either `bpe` or `wpe`, got {new_tokenizer_type!r}")
        tokenizer_cfg = OmegaConf.create({"dir": os.path.abspath(new_tokenizer_dir), "type": new_tokenizer_type})
        for key in ("model_path", "vocab_path", "spe_tokenizer_vocab"):
            self.artifacts.pop(f"tokenizer.{key}", None)
        self._setup_tokenizer(tokenizer_cfg)
        vocabulary = tokenizer_vocabulary(self.tokenizer)
        self._replace_transducer(vocabulary, decoding_cfg)
        with open_dict(self._cfg):
            self._cfg.tokenizer = tokenizer_cfg
            self._cfg.labels = ListConfig(vocabulary)
        self.cfg = self._cfg
        logging.info(f"Changed tokenizer to a vocabulary of {len(vocabulary)} tokens.")
