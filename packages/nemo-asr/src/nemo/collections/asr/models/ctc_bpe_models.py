"""``EncDecCTCModelBPE``: the CTC model over sub-word units of a SentencePiece (or WordPiece) tokenizer."""

import copy
import os
from typing import Any, Dict, List, Optional, Union

from omegaconf import DictConfig, ListConfig, OmegaConf, open_dict

from nemo.collections.asr.metrics.wer import WER
from nemo.collections.asr.metrics.wer_bpe import WERBPE, tokenizer_vocabulary
from nemo.collections.asr.models.asr_model import ngc_model
from nemo.collections.asr.models.ctc_models import EncDecCTCModel
from nemo.core.classes.artifacts import is_model_being_restored
from nemo.core.classes.model import PretrainedModelInfo
from nemo.utils import logging
from nemo.utils.model_utils import convert_model_config_to_dict_config, maybe_update_config_version

__all__ = ["EncDecCTCModelBPE", "TokenizerWER"]

_TOKENIZER_TYPES = ("bpe", "wpe")


# The name this collection used before the metric moved to NeMo's module (kept for existing imports).
TokenizerWER = WERBPE


class EncDecCTCModelBPE(EncDecCTCModel):
    """CTC model whose labels come from ``cfg.tokenizer``: ``{dir, type: bpe|wpe}``.

    ``bpe``: ``<dir>/tokenizer.model`` (SentencePiece), with ``vocab.txt`` and ``tokenizer.vocab`` when present, packed
    into ``.nemo`` files as the artifacts ``tokenizer.model_path``, ``tokenizer.vocab_path`` and
    ``tokenizer.spe_tokenizer_vocab``. ``wpe``: ``<dir>/vocab.txt`` (a BERT WordPiece vocabulary). The decoder's
    vocabulary (and ``num_classes`` when < 1) is taken from the tokenizer.
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

    def _dummy_target(self) -> Dict[str, str]:
        """Any word tokenizes to something: the vocabulary's pieces (such as a lone ``▁``) may not."""
        return {"text": "nothing"}

    def __init__(self, cfg: Union[DictConfig, Dict[str, Any]], trainer: Optional[Any] = None) -> None:
        cfg = maybe_update_config_version(convert_model_config_to_dict_config(cfg))
        if cfg.get("tokenizer") is None:
            raise ValueError("`cfg` must have `tokenizer` config to create a tokenizer !")
        self.artifacts = {}  # the tokenizer files are registered before ModelPT.__init__ runs
        self._artifact_store = None
        with open_dict(cfg):
            self._setup_tokenizer(cfg.tokenizer)
            vocabulary = tokenizer_vocabulary(self.tokenizer)
            cfg.decoder.vocabulary = ListConfig(vocabulary)
            if cfg.decoder.get("num_classes", -1) < 1:
                logging.info(f"Replacing placeholder number of classes with the tokenizer's {len(vocabulary)}")
                cfg.decoder.num_classes = len(vocabulary)
        super().__init__(cfg=cfg, trainer=trainer)

    def _setup_tokenizer(self, tokenizer_cfg: DictConfig) -> None:
        """Load the tokenizer and register its files as artifacts (paths written back into ``tokenizer_cfg``)."""
        kind = str(tokenizer_cfg.get("type", "")).lower()
        if kind not in _TOKENIZER_TYPES:
            raise ValueError(
                f"tokenizer.type must be one of {list(_TOKENIZER_TYPES)}, got {tokenizer_cfg.get('type')!r}"
            )
        directory = tokenizer_cfg.get("dir")

        def artifact(key: str, file_name: str, required: bool) -> Optional[str]:
            src = tokenizer_cfg.get(key) or (os.path.join(directory, file_name) if directory else None)
            if src is None:
                if required:
                    raise ValueError(f"tokenizer config needs `dir` (or `{key}`) to find {file_name}")
                return None
            path = self.register_artifact(f"tokenizer.{key}", src, verify_src_exists=required)
            tokenizer_cfg[key] = path
            return path

        if kind == "bpe":
            from nemo.collections.common.tokenizers.sentencepiece_tokenizer import SentencePieceTokenizer

            model_path = artifact("model_path", "tokenizer.model", required=True)
            artifact("vocab_path", "vocab.txt", required=False)
            artifact("spe_tokenizer_vocab", "tokenizer.vocab", required=False)
            self.tokenizer = SentencePieceTokenizer(model_path=model_path)
        else:
            from nemo.collections.common.tokenizers.bert_wordpiece_tokenizer import BertWordPieceTokenizer

            vocab_path = artifact("vocab_path", "vocab.txt", required=True)
            self.tokenizer = BertWordPieceTokenizer(vocab_file=vocab_path)
        tokenizer_cfg.type = kind
        log = logging.debug if is_model_being_restored() else logging.info  # a restore prints one line, its own
        log(f"Tokenizer {type(self.tokenizer).__name__} initialized with {self.tokenizer.vocab_size} tokens")

    def _make_wer(self) -> WER:
        return WERBPE(
            tokenizer=self.tokenizer,
            batch_dim_index=0,
            use_cer=self._cfg.get("use_cer", False),
            ctc_decode=True,
            dist_sync_on_step=True,
            log_prediction=self._cfg.get("log_prediction", False),
        )

    def _build_dataset(self, config: DictConfig) -> Any:
        from nemo.collections.asr.data import audio_to_text_dataset

        return audio_to_text_dataset.get_bpe_dataset(
            config=config, tokenizer=self.tokenizer, augmentor=self._augmentor(config)
        )

    def _transcribe_config(self, manifest: str, batch_size: int) -> Dict[str, Any]:
        config = super()._transcribe_config(manifest, batch_size)
        config.pop("labels")
        return config

    def change_vocabulary(self, new_tokenizer_dir: str, new_tokenizer_type: str) -> None:  # type: ignore[override]
        """Switch to the tokenizer in ``new_tokenizer_dir`` (``bpe`` or ``wpe``): new decoder, loss and WER."""
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
        decoder_config = copy.deepcopy(self.decoder.to_config_dict())
        with open_dict(decoder_config):
            decoder_config.vocabulary = ListConfig(vocabulary)
            decoder_config.num_classes = len(vocabulary)
        self._replace_decoder(decoder_config)
        with open_dict(self._cfg):
            self._cfg.tokenizer = tokenizer_cfg
        self.cfg = self._cfg
        logging.info(f"Changed tokenizer to a vocabulary of {len(vocabulary)} tokens.")
