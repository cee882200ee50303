"""``ASRBPEMixin``: what the sub-word ASR models (CTC and transducer) share: the tokenizer, packed as artifacts.

It comes first among a model's bases, so its data set-up (sub-word datasets) replaces the character model's.
"""

import os
from typing import Any, Callable, Dict, List, Optional, Union

from omegaconf import DictConfig, OmegaConf, open_dict

from nemo.collections.asr.metrics.wer_bpe import tokenizer_vocabulary
from nemo.core.classes.artifacts import is_model_being_restored
from nemo.utils import logging
from nemo.utils.model_utils import convert_model_config_to_dict_config, maybe_update_config_version

__all__ = ["ASRBPEMixin"]

_TOKENIZER_TYPES = ("bpe", "wpe")
_TOKENIZER_ARTIFACTS = ("model_path", "vocab_path", "spe_tokenizer_vocab")


class ASRBPEMixin:
    """Tokenizer from ``cfg.tokenizer``: ``{dir, type: bpe|wpe}``.

    ``bpe``: ``<dir>/tokenizer.model`` (SentencePiece), with ``vocab.txt`` and ``tokenizer.vocab`` when present, packed
    into ``.nemo`` files as the artifacts ``tokenizer.model_path``, ``tokenizer.vocab_path`` and
    ``tokenizer.spe_tokenizer_vocab``. ``wpe``: ``<dir>/vocab.txt`` (a BERT WordPiece vocabulary).
    """

    def _tokenizer_config(self, cfg: Union[DictConfig, Dict[str, Any]]) -> DictConfig:
        """The model config, upgraded, after loading its tokenizer (called before ``ModelPT.__init__``: the
        tokenizer files are registered as artifacts, and the paths written back into ``cfg.tokenizer``)."""
        cfg = maybe_update_config_version(convert_model_config_to_dict_config(cfg))
        if cfg.get("tokenizer") is None:
            raise ValueError("`cfg` must have `tokenizer` config to create a tokenizer !")
        self.artifacts = {}
        self._artifact_store = None
        with open_dict(cfg):
            self._setup_tokenizer(cfg.tokenizer)
        return cfg

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

    def _change_tokenizer(
        self, new_tokenizer_dir: str, new_tokenizer_type: str, rebuild: Callable[[List[str]], None]
    ) -> None:
        """Switch to the tokenizer in ``new_tokenizer_dir`` (``bpe`` or ``wpe``); ``rebuild(vocabulary)`` replaces
        the parts that depend on it, then ``cfg.tokenizer`` is updated."""
        if not new_tokenizer_dir or not os.path.isdir(new_tokenizer_dir):
            raise NotADirectoryError(
                f"New tokenizer dir must be non-empty path to a directory. But I got: {new_tokenizer_dir}"
            )
        if str(new_tokenizer_type).lower() not in _TOKENIZER_TYPES:
            raise ValueError(f"New tokenizer type must be either `bpe` or `wpe`, got {new_tokenizer_type!r}")
        tokenizer_cfg = OmegaConf.create({"dir": os.path.abspath(new_tokenizer_dir), "type": new_tokenizer_type})
        for key in _TOKENIZER_ARTIFACTS:
            self.artifacts.pop(f"tokenizer.{key}", None)
        self._setup_tokenizer(tokenizer_cfg)
        vocabulary = tokenizer_vocabulary(self.tokenizer)
        rebuild(vocabulary)
        with open_dict(self._cfg):
            self._cfg.tokenizer = tokenizer_cfg
        self.cfg = self._cfg
        logging.info(f"Changed tokenizer to a vocabulary of {len(vocabulary)} tokens.")

    # ------------------------------------------------------------------------------------------------------ data
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
