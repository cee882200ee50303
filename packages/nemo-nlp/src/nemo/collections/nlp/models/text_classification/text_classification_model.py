"""``TextClassificationModel``: a BERT-family encoder plus a ``SequenceClassifier`` head (sentiment, topics...)."""

from typing import List, Sequence

import torch
from omegaconf import DictConfig

from nemo.collections.nlp.data.text_classification.text_classification_dataset import TextClassificationDataset
from nemo.collections.nlp.models.bert_classifier_model import BertClassifierModel, ClassifierBatch, ClassifierHead
from nemo.collections.nlp.modules.common.sequence_classifier import SequenceClassifier

__all__ = ["TextClassificationModel"]


class TextClassificationModel(BertClassifierModel):
    """Sentence classification: ``model.dataset.num_classes`` classes, data in ``sentence<TAB>label`` files."""

    report_mode = "micro"
    data_file_keys = ("file_path",)
    dataset_config_keys = frozenset({"file_path", "num_samples"})

    @property
    def num_classes(self) -> int:
        return self._cfg.dataset.num_classes

    def _build_classifier(self, hidden_size: int, head: ClassifierHead) -> SequenceClassifier:
        # instantiate the FFN for classification
        return SequenceClassifier(
            hidden_size=hidden_size,
            num_classes=self.num_classes,
            num_layers=self._cfg.classifier_head.num_output_layers,
            activation="relu",
            log_softmax=False,
            dropout=self._cfg.classifier_head.fc_dropout,
            use_transformer_init=True,
            idx_conditioned_on=0,
        )

    def _split_batch(self, batch: Sequence[torch.Tensor]) -> ClassifierBatch:
        input_ids, input_type_ids, input_mask, labels = batch
        return input_ids, input_type_ids, input_mask, labels, None, None

    def _training_labels(self, dataset: TextClassificationDataset) -> List[int]:
        return dataset.labels

    def _build_dataset(self, config: DictConfig) -> TextClassificationDataset:
        dataset = TextClassificationDataset(
            tokenizer=self.tokenizer,
            input_file=config.file_path,
            max_seq_length=self.dataset_cfg.get("max_seq_length", -1),
            num_samples=config.get("num_samples", -1),
            shuffle=config.get("shuffle", False),
        )
        if max(dataset.labels) >= self.num_classes:
            raise ValueError(
                f"{config.file_path}: label {max(dataset.labels)} is out of range for model.dataset.num_classes="
                f"{self.num_classes}"
            )
        return dataset

    # ------------------------------------------------------------------------------------------------ inference
    def classifytext(self, queries: List[str], batch_size: int = 1, max_seq_length: int = -1) -> List[int]:
        """Predicted class id of every query, in order (the model is put in eval mode for the call)."""
        if not queries:
            return []
        if max_seq_length is None or max_seq_length <= 0:
            max_seq_length = self.dataset_cfg.get("max_seq_length", -1)
        dataset = TextClassificationDataset(tokenizer=self.tokenizer, queries=queries, max_seq_length=max_seq_length)
        return [label for preds, _ in self._predict(dataset, batch_size) for label in preds.tolist()]
