"""``MTEncDecModel``: Transformer encoder-decoder for neural machine translation (NeMo v1 API)."""

import copy
import dataclasses
import itertools
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
from omegaconf import DictConfig, ListConfig, OmegaConf, open_dict
from torch.utils.data import DataLoader

from nemo.collections.common.losses import SmoothedCrossEntropyLoss
from nemo.collections.common.tokenizers.tokenizer_spec import TokenizerSpec
from nemo.collections.common.tokenizers.tokenizer_utils import get_nmt_tokenizer
from nemo.collections.nlp.data.machine_translation.machine_translation_dataset import (
    TranslationDataConfig,
    TranslationDataset,
    read_parallel_text,
)
from nemo.collections.nlp.models.nlp_model import NLPModel
from nemo.collections.nlp.modules.common.token_classifier import TokenClassifier
from nemo.collections.nlp.modules.common.transformer.transformer import get_nemo_transformer
from nemo.collections.nlp.modules.common.transformer.transformer_generators import BeamSearchSequenceGenerator
from nemo.collections.nlp.modules.common.transformer.transformer_modules import transformer_weights_init
from nemo.core.classes.dataloaders import parse_dataset_as_name
from nemo.utils import logging
from nemo.utils.model_utils import convert_model_config_to_dict_config, maybe_update_config_version

__all__ = ["MTEncDecModel"]


# TranslationDataConfig keys of NeMo v1's id caching, accepted for config compatibility.
_UNSUPPORTED_DATA_KEYS = ("cache_ids", "use_cache", "cache_data_per_node", "load_from_cached_dataset")


def _plain(value: Any) -> Any:
    return OmegaConf.to_container(value) if isinstance(value, ListConfig) else value


class MTEncDecModel(NLPModel):
    """Encoder-decoder Transformer translating ``src_language`` text into ``tgt_language`` text.

    Tokenizers come from ``encoder_tokenizer``/``decoder_tokenizer`` (their model files are packed into ``.nemo``
    archives); training minimises label-smoothed cross-entropy with teacher forcing, and validation/test report the
    token-level loss and corpus BLEU of beam-search translations (``beam_size``, ``len_pen``,
    ``max_generation_delta``). The output projection shares its weights with the decoder's token embedding.

    An ``NLPModel`` as in NeMo v1 (where it derives from ``EncDecNLPModel``): it has no ``model.tokenizer`` or
    ``model.language_model`` node, so NLPModel builds neither; its two tokenizers are built here, before
    ``NLPModel.__init__`` stores the config, and their files must exist (``verify_src_exists=True``).
    """

    # The keys of NeMo v1's TranslationDataConfig (v1's id-caching keys among them: accepted, warned about).
    dataset_config_keys = frozenset(field.name for field in dataclasses.fields(TranslationDataConfig))

    def __init__(self, cfg: Union[DictConfig, Dict[str, Any]], trainer: Optional[Any] = None) -> None:
        cfg = maybe_update_config_version(convert_model_config_to_dict_config(cfg))
        self.artifacts = {}  # the tokenizer files are registered before ModelPT.__init__ stores the config
        self._artifact_store = None
        with open_dict(cfg):
            self._setup_tokenizers(cfg)
            if OmegaConf.is_missing(cfg.decoder, "hidden_size") or cfg.decoder.get("hidden_size") is None:
                cfg.decoder.hidden_size = cfg.encoder.hidden_size
            if cfg.decoder.hidden_size != cfg.encoder.hidden_size:
                raise ValueError(
                    f"decoder.hidden_size ({cfg.decoder.hidden_size}) must equal encoder.hidden_size "
                    f"({cfg.encoder.hidden_size}): the decoder attends to the encoder states"
                )
        super().__init__(cfg=cfg, trainer=trainer)
        self.src_language = cfg.get("src_language")
        self.tgt_language = cfg.get("tgt_language")

        self.encoder = get_nemo_transformer(
            OmegaConf.to_container(cfg.encoder, resolve=True), self.encoder_tokenizer.vocab_size, encoder=True
        )
        self.decoder = get_nemo_transformer(
            OmegaConf.to_container(cfg.decoder, resolve=True), self.decoder_tokenizer.vocab_size, encoder=False
        )
        head = cfg.get("head") or {}
        self.log_softmax = TokenClassifier(
            hidden_size=self.decoder.hidden_size,
            num_classes=self.decoder_tokenizer.vocab_size,
            num_layers=head.get("num_layers", 1),
            activation=head.get("activation", "relu"),
            log_softmax=head.get("log_softmax", True),
            dropout=head.get("dropout", 0.0),
            use_transformer_init=head.get("use_transformer_init", True),
        )
        if not self.log_softmax.log_softmax:
            raise ValueError(
                "MTEncDecModel needs head.log_softmax=true: the loss and beam search use log-probabilities"
            )
        std_init_range = 1.0 / self.encoder.hidden_size**0.5
        self.encoder.apply(lambda module: transformer_weights_init(module, std_init_range))
        self.decoder.apply(lambda module: transformer_weights_init(module, std_init_range))
        # Tie the output projection to the decoder's token embedding (after init, so both stay one tensor).
        self.log_softmax.mlp.last_linear_layer.weight = self.decoder.embedding.token_embedding.weight

        self.beam_search = self._make_generator(cfg.get("beam_size", 4), cfg.get("len_pen", 0.0))
        pad_id = self.decoder_tokenizer.pad_id
        self.loss_fn = SmoothedCrossEntropyLoss(pad_id=pad_id, label_smoothing=cfg.get("label_smoothing") or 0.0)
        self.eval_loss_fn = SmoothedCrossEntropyLoss(pad_id=pad_id, label_smoothing=0.0)

    # ------------------------------------------------------------------------------------------------ tokenizers
    def _setup_tokenizers(self, cfg: DictConfig) -> None:
        for key in ("encoder_tokenizer", "decoder_tokenizer"):
            if cfg.get(key) is None:
                raise ValueError(f"MTEncDecModel config needs `{key}` (library, tokenizer_model, ...)")
        self.encoder_tokenizer = self._build_tokenizer("encoder_tokenizer", cfg.encoder_tokenizer)
        if cfg.get("shared_tokenizer", True) and not cfg.decoder_tokenizer.get("tokenizer_model"):
            cfg.decoder_tokenizer = OmegaConf.create(OmegaConf.to_container(cfg.encoder_tokenizer))
        self.decoder_tokenizer = self._build_tokenizer("decoder_tokenizer", cfg.decoder_tokenizer)
        for key in ("bos_id", "eos_id", "pad_id"):
            value = getattr(self.decoder_tokenizer, key, None)
            if value is None or value < 0:
                raise ValueError(
                    f"decoder_tokenizer has no {key[:-3]} token ({key}={value!r}); MTEncDecModel needs bos, eos and "
                    "pad (train SentencePiece models with bos=True, eos=True, pad=True)"
                )

    def _build_tokenizer(self, key: str, tokenizer_cfg: DictConfig) -> TokenizerSpec:
        """Register the tokenizer's files as artifacts (paths written back into the config) and load it."""
        for file_key in ("tokenizer_model", "vocab_file"):
            src = tokenizer_cfg.get(file_key)
            if src:
                tokenizer_cfg[file_key] = self.register_artifact(f"{key}.{file_key}", src, verify_src_exists=True)
        special_tokens = tokenizer_cfg.get("special_tokens")
        return get_nmt_tokenizer(
            library=tokenizer_cfg.get("library", "sentencepiece"),
            model_name=tokenizer_cfg.get("model_name"),
            tokenizer_model=tokenizer_cfg.get("tokenizer_model"),
            vocab_file=tokenizer_cfg.get("vocab_file"),
            special_tokens=OmegaConf.to_container(special_tokens) if special_tokens is not None else None,
            bpe_dropout=tokenizer_cfg.get("bpe_dropout", 0.0) or 0.0,
        )

    def _make_generator(self, beam_size: int, len_pen: float) -> BeamSearchSequenceGenerator:
        tokenizer = self.decoder_tokenizer
        return BeamSearchSequenceGenerator(
            embedding=self.decoder.embedding,
            decoder=self.decoder.decoder,
            log_softmax=self.log_softmax,
            beam_size=beam_size,
            len_pen=len_pen,
            pad=tokenizer.pad_id,
            bos=tokenizer.bos_id,
            eos=tokenizer.eos_id,
            max_sequence_length=self.decoder.max_sequence_length,
            max_delta_length=self._cfg.get("max_generation_delta", 10),
        )

    # ---------------------------------------------------------------------------------------------- computation
    def forward(
        self, src: torch.Tensor, src_mask: torch.Tensor, tgt: torch.Tensor, tgt_mask: torch.Tensor
    ) -> torch.Tensor:
        """Log-probabilities ``(B, T_tgt, V)`` of the next target token at each position (teacher forcing)."""
        src_hiddens = self.encoder(input_ids=src, encoder_mask=src_mask)
        tgt_hiddens = self.decoder(
            input_ids=tgt, decoder_mask=tgt_mask, encoder_embeddings=src_hiddens, encoder_mask=src_mask
        )
        return self.log_softmax(hidden_states=tgt_hiddens)

    @staticmethod
    def _unpack(batch: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        # Each loader item is already a whole batch, so the DataLoader adds a leading dimension of 1.
        return [t.squeeze(0) if t.dim() > 0 and t.shape[0] == 1 else t for t in batch]

    def training_step(self, batch: Sequence[torch.Tensor], batch_idx: int) -> torch.Tensor:
        src_ids, src_mask, tgt_ids, tgt_mask, labels, _ = self._unpack(batch)
        log_probs = self(src_ids, src_mask, tgt_ids, tgt_mask)
        train_loss = self.loss_fn(log_probs=log_probs, labels=labels)
        self.log("train_loss", train_loss, prog_bar=True)
        if self._optimizer is not None:
            self.log("lr", self._optimizer.param_groups[0]["lr"])
        return train_loss

    def eval_step(self, batch: Sequence[torch.Tensor], batch_idx: int) -> Dict[str, Any]:
        """Loss and beam-search translations of one batch, collected for corpus-level metrics at epoch end."""
        src_ids, src_mask, tgt_ids, tgt_mask, labels, _ = self._unpack(batch)
        src_hiddens = self.encoder(input_ids=src_ids, encoder_mask=src_mask)
        tgt_hiddens = self.decoder(
            input_ids=tgt_ids, decoder_mask=tgt_mask, encoder_embeddings=src_hiddens, encoder_mask=src_mask
        )
        log_probs = self.log_softmax(hidden_states=tgt_hiddens)
        loss = self.eval_loss_fn(log_probs=log_probs, labels=labels)
        num_tokens = int((labels != self.decoder_tokenizer.pad_id).sum())
        hypotheses = self.beam_search(encoder_hidden_states=src_hiddens, encoder_input_mask=src_mask)
        return {
            "loss_sum": float(loss) * num_tokens,
            "num_tokens": num_tokens,
            "translations": self.ids_to_postprocessed_text(hypotheses),
            "ground_truths": self.ids_to_postprocessed_text(labels),
        }

    def validation_step(self, batch: Sequence[torch.Tensor], batch_idx: int, dataloader_idx: int = 0) -> Dict:
        return self.eval_step(batch, batch_idx)

    def test_step(self, batch: Sequence[torch.Tensor], batch_idx: int, dataloader_idx: int = 0) -> Dict:
        return self.eval_step(batch, batch_idx)

    def _eval_epoch_end(self, outputs: List[Dict[str, Any]], mode: str, num_examples: int) -> Dict[str, Any]:
        num_tokens = sum(o["num_tokens"] for o in outputs)
        loss = sum(o["loss_sum"] for o in outputs) / max(num_tokens, 1)
        translations = list(itertools.chain.from_iterable(o["translations"] for o in outputs))
        ground_truths = list(itertools.chain.from_iterable(o["ground_truths"] for o in outputs))
        # NeMo v1's metric: sacreBLEU's corpus BLEU with its 13a tokenisation (logged as `<mode>_sacreBLEU`).
        # Imported here: sacrebleu (and lxml, which it imports) loads when an evaluation first ends, not with the model.
        import sacrebleu

        bleu = sacrebleu.corpus_bleu(translations, [ground_truths], tokenize="13a").score
        # Batches are sorted by length, so show examples spread over the set rather than the shortest few.
        step = max(1, len(translations) // max(num_examples, 1))
        for hypothesis, reference in list(zip(translations, ground_truths))[::step][:num_examples]:
            logging.info(f"{mode} example\n    prediction:   {hypothesis}\n    ground truth: {reference}")
        loss_tensor = torch.tensor(loss)
        return {
            f"{mode}_loss": loss_tensor,
            f"{mode}_sacreBLEU": bleu,
            "log": {f"{mode}_loss": loss_tensor, f"{mode}_sacreBLEU": bleu},
        }

    def multi_validation_epoch_end(self, outputs: List[Any], dataloader_idx: int = 0) -> Dict[str, Any]:
        return self._eval_epoch_end(outputs, "val", self._cfg.get("num_val_examples", 3))

    def multi_test_epoch_end(self, outputs: List[Any], dataloader_idx: int = 0) -> Dict[str, Any]:
        return self._eval_epoch_end(outputs, "test", self._cfg.get("num_test_examples", 3))

    # -------------------------------------------------------------------------------------------------- data
    def setup_multiple_validation_data(self, val_data_config: Union[DictConfig, Dict, None] = None) -> None:
        """Like ``setup_validation_data``; lists of ``src_file_name``/``tgt_file_name`` give one loader per pair."""
        if val_data_config is not None:
            self._update_dataset_config("validation", val_data_config)
        self._val_dl_idx = 0
        self._validation_dl, self._validation_names = self._setup_eval_dataloaders(
            self._cfg.validation_ds, "validation"
        )

    def setup_multiple_test_data(self, test_data_config: Union[DictConfig, Dict, None] = None) -> None:
        """Like ``setup_test_data``; lists of ``src_file_name``/``tgt_file_name`` give one loader per pair."""
        if test_data_config is not None:
            self._update_dataset_config("test", test_data_config)
        self._test_dl_idx = 0
        self._test_dl, self._test_names = self._setup_eval_dataloaders(self._cfg.test_ds, "test")

    def _setup_eval_dataloaders(self, cfg: DictConfig, name: str) -> Tuple[Any, Optional[List[str]]]:
        src, tgt = cfg.get("src_file_name"), cfg.get("tgt_file_name")
        if not isinstance(src, ListConfig) and not isinstance(tgt, ListConfig):
            return self._setup_dataloader_from_config(cfg, name), None
        if not (isinstance(src, ListConfig) and isinstance(tgt, ListConfig) and len(src) == len(tgt)):
            raise ValueError(
                f"{name}_ds.src_file_name and {name}_ds.tgt_file_name must both be single files or lists of the same "
                f"length, got {_plain(src)!r} and {_plain(tgt)!r}"
            )
        loaders = []
        for src_file, tgt_file in zip(src, tgt):
            single = copy.deepcopy(cfg)
            single.src_file_name, single.tgt_file_name = src_file, tgt_file
            loaders.append(self._setup_dataloader_from_config(single, name))
        return loaders, [parse_dataset_as_name(src_file) for src_file in src]

    def _setup_dataloader_from_config(
        self, config: Any = None, name: str = "data", shuffle: bool = False, cfg: Any = None
    ) -> DataLoader:
        """NLPModel's, after checking that the node names both text files (an empty one is an error here)."""
        config = cfg if config is None else config
        config = OmegaConf.create(config) if not isinstance(config, DictConfig) else config
        for key in ("src_file_name", "tgt_file_name"):
            if OmegaConf.is_missing(config, key) or not config.get(key):
                raise ValueError(f"{name}_ds.{key} must be set to a text file (one sentence per line)")
        ignored = [key for key in _UNSUPPORTED_DATA_KEYS if config.get(key)]
        if ignored:
            logging.warning(f"{name}_ds: {ignored} are not supported (ids are not cached); tokenizing the text files")
        return super()._setup_dataloader_from_config(config, name, shuffle)

    def _build_dataset(self, config: DictConfig) -> TranslationDataset:
        src_texts, tgt_texts = read_parallel_text(config.src_file_name, config.tgt_file_name)
        return TranslationDataset(
            src_texts,
            tgt_texts,
            self.encoder_tokenizer,
            self.decoder_tokenizer,
            tokens_in_batch=config.get("tokens_in_batch", 512),
            clean=config.get("clean", False),
            max_seq_length=config.get("max_seq_length", 512),
            num_samples=config.get("num_samples", -1),
            reverse_lang_direction=config.get("reverse_lang_direction", False),
        )

    def _build_dataloader(self, dataset: TranslationDataset, params: DictConfig) -> DataLoader:
        """Every dataset item is a whole batch (``tokens_in_batch``): the loader's batch size is 1."""
        num_workers = params.get("num_workers", 0) or 0
        return DataLoader(
            dataset,
            batch_size=1,
            shuffle=params.get("shuffle", False),
            num_workers=num_workers,
            pin_memory=params.get("pin_memory", False),
            drop_last=params.get("drop_last", False),
            persistent_workers=num_workers > 0,
        )

    # --------------------------------------------------------------------------------------------- inference
    def ids_to_postprocessed_text(self, ids: torch.Tensor) -> List[str]:
        """Decode target ids: drop ``bos``/``pad``, stop at the first ``eos``."""
        tokenizer = self.decoder_tokenizer
        texts = []
        for row in ids.tolist():
            tokens = []
            for token in row:
                if token == tokenizer.eos_id:
                    break
                if token not in (tokenizer.bos_id, tokenizer.pad_id):
                    tokens.append(token)
            texts.append(tokenizer.ids_to_text(tokens))
        return texts

    @torch.no_grad()
    def batch_translate(self, src: torch.Tensor, src_mask: torch.Tensor) -> List[str]:
        """Translate a batch of source ids ``(B, T)`` with mask ``(B, T)``; returns detokenised strings."""
        mode = self.training
        try:
            self.eval()
            src_hiddens = self.encoder(input_ids=src, encoder_mask=src_mask)
            hypotheses = self.beam_search(encoder_hidden_states=src_hiddens, encoder_input_mask=src_mask)
            return self.ids_to_postprocessed_text(hypotheses)
        finally:
            self.train(mode)

    @torch.no_grad()
    def translate(
        self, text: List[str], source_lang: Optional[str] = None, target_lang: Optional[str] = None
    ) -> List[str]:
        """Translate sentences from ``src_language`` to ``tgt_language``.

        ``source_lang``/``target_lang`` name the languages for language-specific pre/post-processing; this model
        applies none, so they must match the model's languages when given.
        """
        if isinstance(text, str):
            raise TypeError("translate expects a list of strings, got a single str; wrap it in a list")
        for given, own, arg in (
            (source_lang, self.src_language, "source_lang"),
            (target_lang, self.tgt_language, "target_lang"),
        ):
            if given is not None and own is not None and given != own:
                raise ValueError(
                    f"translate: {arg}={given!r}, but this model translates {self.src_language}->{self.tgt_language}"
                )
        if not text:
            return []
        tokenizer = self.encoder_tokenizer
        rows = [[tokenizer.bos_id, *tokenizer.text_to_ids(t), tokenizer.eos_id] for t in text]
        pad_id = tokenizer.pad_id
        src = torch.full((len(rows), max(len(r) for r in rows)), pad_id, dtype=torch.long, device=self.device)
        for i, row in enumerate(rows):
            src[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        return self.batch_translate(src, (src != pad_id).long())

    @classmethod
    def list_available_models(cls) -> Optional[List[Any]]:
        """No pretrained NMT checkpoints are published for this implementation."""
        return None
