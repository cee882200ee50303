"""``IntentSlotClassificationModel``: one encoder, a ``SequenceTokenClassifier`` giving the query's intent (from
``[CLS]``) and each word's slot, trained on NeMo v1's ``dict.intents.csv``/``dict.slots.csv``/``<prefix>.tsv``/
``<prefix>_slots.tsv`` data."""

import os
from typing import List, Optional, Sequence, Tuple

import torch
from omegaconf import DictConfig, open_dict

from nemo.collections.common.losses import AggregatorLoss, CrossEntropyLoss
from nemo.collections.nlp.data.intent_slot_classification.intent_slot_classification_dataset import (
    NONE_SLOT_LABEL,
    IntentSlotClassificationDataset,
    IntentSlotInferenceDataset,
    read_intent_slot_dicts,
)
from nemo.collections.nlp.models.bert_classifier_model import BertClassifierModel, ClassifierBatch, ClassifierHead
from nemo.collections.nlp.modules.common.sequence_token_classifier import SequenceTokenClassifier

__all__ = ["IntentSlotClassificationModel"]

# v1's names: one ``classifier`` module gives both logits; ``intent_classification_report``, ``slot_...``.
_INTENT, _SLOT = (
    ClassifierHead("classifier", f"{task}_classification_report", f"{task}_") for task in ("intent", "slot")
)


class IntentSlotClassificationModel(BertClassifierModel):
    """Intent of a query and slot of each word (``predict_from_examples``).

    ``model.data_desc`` (v1's: ``intent_labels``, ``intent_label_ids``, ``slot_labels``, ``slot_label_ids``,
    ``pad_label``) is read from ``model.data_dir``'s dictionaries when not given and kept in the config, so a restored
    model needs no data. The total loss is ``intent_loss_weight * intent + (1 - intent_loss_weight) * slot``; the
    epoch ends log v1's ``intent_precision/recall/f1`` and ``slot_precision/recall/f1`` (micro, percent; slots over
    the first sub-token of each word).
    """

    heads = (_INTENT, _SLOT)
    dataset_node = None
    report_mode = "micro"
    data_file_keys = ("prefix",)
    dataset_config_keys = frozenset({"prefix", "num_samples"})

    def _prepare_config(self, cfg: DictConfig) -> None:
        """Refuse class balancing (not implemented here); fill ``data_desc`` from the dictionaries of ``data_dir``."""
        if cfg.get("class_balancing"):
            raise ValueError(
                f"model.class_balancing={cfg.class_balancing!r}: IntentSlotClassificationModel supports none "
                "(null) here"
            )
        weight = cfg.get("intent_loss_weight", 0.6)
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"model.intent_loss_weight={weight}; expected a value in [0, 1]")
        if cfg.get("data_desc"):
            return
        if not cfg.get("data_dir") or not os.path.isdir(cfg.data_dir):
            raise ValueError(f"model.data_dir={cfg.get('data_dir')!r} is not a directory and model.data_desc is empty")
        intents, slots = read_intent_slot_dicts(cfg.data_dir)
        pad_label = cfg.get("pad_label", -1)
        with open_dict(cfg):
            cfg.data_desc = {
                "intent_labels": intents,
                "intent_label_ids": {name: i for i, name in enumerate(intents)},
                "slot_labels": slots,
                "slot_label_ids": {name: i for i, name in enumerate(slots)},
                "pad_label": slots.index(NONE_SLOT_LABEL) if pad_label == -1 else int(pad_label),
            }

    @property
    def num_classes(self) -> int:
        return len(self._cfg.data_desc.intent_labels)

    def _head_classes(self, head: ClassifierHead) -> int:
        return len(self._cfg.data_desc.intent_labels if head is _INTENT else self._cfg.data_desc.slot_labels)

    def _report_label_ids(self, head: ClassifierHead) -> dict:
        return dict(self._cfg.data_desc.intent_label_ids if head is _INTENT else self._cfg.data_desc.slot_label_ids)

    def _build_classifier(self, hidden_size: int, head: ClassifierHead) -> SequenceTokenClassifier:
        return SequenceTokenClassifier(
            hidden_size=hidden_size,
            num_intents=self._head_classes(_INTENT),
            num_slots=self._head_classes(_SLOT),
            dropout=self._cfg.head.fc_dropout,
            num_layers=self._cfg.head.num_output_layers,
            log_softmax=False,
        )

    def create_loss_module(self) -> None:
        """v1's ``intent_loss``, ``slot_loss`` and their weighted sum (v1's ``total_loss``)."""
        weight = self._cfg.get("intent_loss_weight", 0.6)
        self.intent_loss = CrossEntropyLoss(logits_ndim=2)
        self.slot_loss = CrossEntropyLoss(logits_ndim=3)
        self.agg_loss = AggregatorLoss(num_inputs=2, weights=[weight, 1.0 - weight])

    def _head_losses(
        self, logits: Sequence[torch.Tensor], labels: Sequence[torch.Tensor], loss_mask: Optional[torch.Tensor]
    ) -> List[torch.Tensor]:
        (intent_logits, slot_logits), (intent_labels, slot_labels) = logits, labels
        return [
            self.intent_loss(logits=intent_logits, labels=intent_labels),
            self.slot_loss(logits=slot_logits, labels=slot_labels, loss_mask=loss_mask),
        ]

    def _split_batch(self, batch: Sequence[torch.Tensor]) -> ClassifierBatch:
        """Slot loss over ``loss_mask``; the slot report counts the first sub-token of each word."""
        input_ids, input_type_ids, input_mask, loss_mask, subtokens_mask, intent_labels, slot_labels = batch
        labels = (intent_labels, slot_labels)
        return input_ids, input_type_ids, input_mask, labels, loss_mask, (None, subtokens_mask > 0.5)

    def _build_dataset(self, config: DictConfig) -> IntentSlotClassificationDataset:
        data_dir = self._cfg.data_dir
        return IntentSlotClassificationDataset(
            input_file=os.path.join(data_dir, f"{config.prefix}.tsv"),
            slot_file=os.path.join(data_dir, f"{config.prefix}_slots.tsv"),
            max_seq_length=self._cfg.language_model.get("max_seq_length", -1),
            tokenizer=self.tokenizer,
            num_intents=self._head_classes(_INTENT),
            num_slots=self._head_classes(_SLOT),
            num_samples=config.get("num_samples", -1),
            pad_label=self._cfg.data_desc.pad_label,
            ignore_extra_tokens=self.dataset_cfg.get("ignore_extra_tokens", False),
            ignore_start_end=self.dataset_cfg.get("ignore_start_end", True),
        )

    # ------------------------------------------------------------------------------------------------ inference
    def predict_from_examples(
        self, queries: List[str], test_ds: Optional[DictConfig] = None
    ) -> Tuple[List[str], List[str]]:
        """``(intent per query, space-separated slot per word per query)``; ``test_ds`` gives the batch size (v1's
        argument; default 32). Words past ``language_model.max_seq_length`` sub-tokens get the ``O`` slot."""
        dataset = IntentSlotInferenceDataset(
            list(queries), self.tokenizer, self._cfg.language_model.get("max_seq_length", -1)
        )
        batch_size = (test_ds or {}).get("batch_size", self.default_batch_size)
        intent_labels, slot_labels = list(self._cfg.data_desc.intent_labels), list(self._cfg.data_desc.slot_labels)
        intents, slots = [], []
        for (intent_preds, slot_preds), (*_, subtokens_mask) in self._predict(dataset, batch_size):
            intents.extend(intent_labels[i] for i in intent_preds.tolist())
            slots.extend(
                [slot_labels[i] for i in row[mask > 0].tolist()] for row, mask in zip(slot_preds, subtokens_mask)
            )
        return intents, [
            " ".join(words + [NONE_SLOT_LABEL] * (len(query.split()) - len(words)))
            for query, words in zip(queries, slots)
        ]
