"""``PunctuationCapitalizationModel``: one BERT-family encoder, two token classifiers (punctuation mark after each
word, capitalization of each word), trained on NeMo v1's ``text.txt`` + ``labels.txt`` (``OU ,O .O``) format."""

import os
import tempfile
from typing import Dict, List, Optional, Sequence

import pytorch_lightning as pl
import torch
from omegaconf import DictConfig, open_dict

from nemo.collections.nlp.data.token_classification.punctuation_capitalization_dataset import (
    BertPunctuationCapitalizationDataset,
    BertPunctuationCapitalizationInferDataset,
    read_punct_capit_files,
)
from nemo.collections.nlp.data.token_classification.token_classification_dataset import get_label_ids
from nemo.collections.nlp.models.bert_classifier_model import BertClassifierModel, ClassifierBatch, ClassifierHead
from nemo.collections.nlp.models.token_classification.token_classification_model import in_data_dir, token_classifier
from nemo.collections.nlp.modules.common.token_classifier import TokenClassifier
from nemo.core.classes.artifacts import is_model_being_restored
from nemo.core.neural_types import LogitsType, NeuralType

__all__ = ["PunctuationCapitalizationModel"]

_PUNCT = ClassifierHead("punct_classifier", "punct_class_report", "punct_")
_CAPIT = ClassifierHead("capit_classifier", "capit_class_report", "capit_")
# Per head: its label-ids config key, its head config node, that node's layer-count key, its class_labels file key.
_HEAD_KEYS = {
    _PUNCT: ("punct_label_ids", "punct_head", "punct_num_fc_layers", "punct_labels_file"),
    _CAPIT: ("capit_label_ids", "capit_head", "capit_num_fc_layers", "capit_labels_file"),
}
# v1 reads the loaders' worker settings from ``model.dataset``; a ``*_ds`` node may still set its own.
_DATASET_LOADER_KEYS = ("num_workers", "pin_memory", "drop_last")


class PunctuationCapitalizationModel(BertClassifierModel):
    """Restores punctuation and case of lower-cased, unpunctuated text (``add_punctuation_capitalization``).

    ``model.punct_label_ids``/``model.capit_label_ids`` (label -> id, pad label 0) are computed from the training
    labels when not given and kept in the config (and, as v1's ``class_labels`` files, in the ``.nemo``). The
    validation/test epoch ends log v1's ``punct_precision/recall/f1`` and ``capit_precision/recall/f1`` (macro,
    percent, over the first sub-token of each word).
    """

    heads = (_PUNCT, _CAPIT)
    logits_ndim = 3
    data_file_keys = ("text_file",)
    dataset_config_keys = frozenset({"ds_item", "text_file", "labels_file", "num_samples"})

    @property
    def output_types(self) -> Optional[Dict[str, NeuralType]]:
        return {
            "punct_logits": NeuralType(("B", "T", "C"), LogitsType()),
            "capit_logits": NeuralType(("B", "T", "C"), LogitsType()),
        }

    def __init__(self, cfg: DictConfig, trainer: Optional[pl.Trainer] = None) -> None:
        """As ``BertClassifierModel``'s, then v1's ``class_labels`` files are written and registered (not on
        restore: the archive has them)."""
        super().__init__(cfg=cfg, trainer=trainer)
        if self._cfg.get("class_labels") is not None and not is_model_being_restored():
            self._register_class_labels()

    def _prepare_config(self, cfg: DictConfig) -> None:
        """Refuse class balancing (v1 has none for this model); compute missing label ids from
        ``train_ds.labels_file``."""
        if cfg.dataset.get("class_balancing"):
            raise ValueError(
                f"model.dataset.class_balancing={cfg.dataset.class_balancing!r}: PunctuationCapitalizationModel "
                "supports none (null)"
            )
        if cfg.get("punct_label_ids") and cfg.get("capit_label_ids"):
            return
        train = cfg.get("train_ds") or {}
        data_dir = train.get("ds_item") or cfg.dataset.get("data_dir")
        if not train.get("labels_file"):
            raise ValueError(
                "model.punct_label_ids/capit_label_ids are empty and model.train_ds.labels_file is not set to "
                "compute them"
            )
        _, punct, capit = read_punct_capit_files(
            in_data_dir(train.text_file, data_dir), in_data_dir(train.labels_file, data_dir)
        )
        pad_label = cfg.dataset.get("pad_label", "O")
        with open_dict(cfg):
            cfg.punct_label_ids = get_label_ids(punct, pad_label=pad_label)
            cfg.capit_label_ids = get_label_ids(capit, pad_label=pad_label)

    def _register_class_labels(self) -> None:
        """Write each head's labels, one per line in id order (v1's ``punct_label_ids.csv``), as artifacts."""
        self._class_labels_dir = tempfile.TemporaryDirectory(prefix="nemo_punct_capit_")
        for head in self.heads:
            key, _, _, file_key = _HEAD_KEYS[head]
            name = os.path.basename(self._cfg.class_labels.get(file_key) or f"{key}.csv")
            path = os.path.join(self._class_labels_dir.name, name)
            with open(path, "w", encoding="utf-8") as f:
                f.writelines(f"{label}\n" for label in self._label_ids(head))
            self.register_artifact(f"class_labels.{file_key}", path)

    def _label_ids(self, head: ClassifierHead) -> Dict[str, int]:
        ids = self._cfg[_HEAD_KEYS[head][0]]
        return dict(sorted(ids.items(), key=lambda item: item[1]))

    @property
    def num_classes(self) -> int:
        return self._head_classes(_PUNCT)

    def _head_classes(self, head: ClassifierHead) -> int:
        return len(self._cfg[_HEAD_KEYS[head][0]])

    def _report_label_ids(self, head: ClassifierHead) -> Dict[str, int]:
        return self._label_ids(head)

    def _build_classifier(self, hidden_size: int, head: ClassifierHead) -> TokenClassifier:
        _, node, layers_key, _ = _HEAD_KEYS[head]
        return token_classifier(hidden_size, self._head_classes(head), self._cfg.get(node, {}), layers_key)

    def _split_batch(self, batch: Sequence[torch.Tensor]) -> ClassifierBatch:
        """Loss over ``loss_mask``; the reports count the first sub-token of each word."""
        input_ids, input_type_ids, input_mask, subtokens_mask, loss_mask, punct_labels, capit_labels = batch
        return input_ids, input_type_ids, input_mask, (punct_labels, capit_labels), loss_mask, subtokens_mask > 0.5

    def _build_dataset(self, config: DictConfig) -> BertPunctuationCapitalizationDataset:
        data_dir = config.get("ds_item") or self.dataset_cfg.get("data_dir")
        return BertPunctuationCapitalizationDataset(
            text_file=in_data_dir(config.text_file, data_dir),
            label_file=in_data_dir(config.get("labels_file"), data_dir),
            max_seq_length=self.dataset_cfg.get("max_seq_length", -1),
            tokenizer=self.tokenizer,
            num_samples=config.get("num_samples", -1),
            pad_label=self.dataset_cfg.get("pad_label", "O"),
            punct_label_ids=self._label_ids(_PUNCT),
            capit_label_ids=self._label_ids(_CAPIT),
            ignore_extra_tokens=self.dataset_cfg.get("ignore_extra_tokens", False),
            ignore_start_end=self.dataset_cfg.get("ignore_start_end", False),
        )

    def _build_dataloader(self, dataset: torch.utils.data.Dataset, params: DictConfig) -> torch.utils.data.DataLoader:
        for key in _DATASET_LOADER_KEYS:
            if key not in params and self.dataset_cfg.get(key) is not None:
                params[key] = self.dataset_cfg[key]
        return super()._build_dataloader(dataset, params)

    # ------------------------------------------------------------------------------------------------ inference
    def add_punctuation_capitalization(
        self, queries: List[str], batch_size: Optional[int] = None, max_seq_length: int = 512
    ) -> List[str]:
        """Each query (lower-cased words separated by spaces) with the predicted marks appended to its words and
        the words predicted capitalised written with a capital (``str.capitalize``, as v1). Words past
        ``max_seq_length`` sub-tokens are kept as they are. ``batch_size`` None: all queries in one batch."""
        if not queries:
            return []
        dataset = BertPunctuationCapitalizationInferDataset(list(queries), self.tokenizer, max_seq_length)
        pad_label = self._cfg.dataset.get("pad_label", "O")
        punct_labels = list(self._label_ids(_PUNCT))
        capit_labels = list(self._label_ids(_CAPIT))
        predicted = [
            (punct_row[mask > 0].tolist(), capit_row[mask > 0].tolist())
            for (punct, capit), (*_, subtokens_mask) in self._predict(dataset, batch_size or len(queries))
            for punct_row, capit_row, mask in zip(punct, capit, subtokens_mask)
        ]
        results = []
        for query, (punct_ids, capit_ids) in zip(queries, predicted):
            words = query.strip().split()
            for index, (p, c) in enumerate(zip(punct_ids, capit_ids)):
                word = words[index].capitalize() if capit_labels[c] != pad_label else words[index]
                words[index] = word + (punct_labels[p] if punct_labels[p] != pad_label else "")
            results.append(" ".join(words))
        return results
