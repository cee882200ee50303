"""``TextClassificationModel``: a BERT-family encoder plus a ``SequenceClassifier`` head (sentiment, topics...)."""

from typing import Dict, List, Optional, Sequence, Union

import pytorch_lightning as pl
import torch
from omegaconf import DictConfig

from nemo.collections.common.losses import CrossEntropyLoss
from nemo.collections.common.metrics import ClassificationReport
from nemo.collections.nlp.data.text_classification.text_classification_dataset import (
    TextClassificationDataset,
    calc_class_weights,
)
from nemo.collections.nlp.models.nlp_model import NLPModel
from nemo.collections.nlp.modules.common.lm_utils import get_lm_model
from nemo.collections.nlp.modules.common.sequence_classifier import SequenceClassifier
from nemo.core.classes.exportable import Exportable
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import NeuralType
from nemo.utils import logging
from nemo.utils.model_utils import convert_model_config_to_dict_config

__all__ = ["TextClassificationModel"]

_BALANCING = (None, "weighted_loss")


class TextClassificationModel(NLPModel, Exportable):
    """Sentence classification: ``model.dataset.num_classes`` classes, data in ``sentence<TAB>label`` files."""

    @property
    def input_types(self) -> Optional[Dict[str, NeuralType]]:
        return self.bert_model.input_types

    @property
    def output_types(self) -> Optional[Dict[str, NeuralType]]:
        return self.classifier.output_types

    def __init__(self, cfg: DictConfig, trainer: Optional[pl.Trainer] = None) -> None:
        """Builds the tokenizer, the data loaders, the encoder, the classifier head and the loss."""
        cfg = convert_model_config_to_dict_config(cfg)
        self.dataset_cfg = cfg.dataset
        if self.dataset_cfg.get("class_balancing") not in _BALANCING:
            raise ValueError(
                f"model.dataset.class_balancing={self.dataset_cfg.class_balancing!r}; expected null or 'weighted_loss'"
            )
        self.class_weights: Optional[List[float]] = None
        super().__init__(cfg=cfg, trainer=trainer)
        cfg = self._cfg

        # instantiate a BERT based encoder
        self.bert_model = get_lm_model(
            pretrained_model_name=cfg.language_model.pretrained_model_name,
            config_file=cfg.language_model.get("config_file"),
            config_dict=cfg.language_model.get("config"),
            checkpoint_file=cfg.language_model.get("lm_checkpoint"),
            vocab_file=cfg.tokenizer.get("vocab_file"),
        )
        self.register_bert_model()

        # instantiate the FFN for classification
        self.classifier = SequenceClassifier(
            hidden_size=self.bert_model.config.hidden_size,
            num_classes=cfg.dataset.num_classes,
            num_layers=cfg.classifier_head.num_output_layers,
            activation="relu",
            log_softmax=False,
            dropout=cfg.classifier_head.fc_dropout,
            use_transformer_init=True,
            idx_conditioned_on=0,
        )
        self.create_loss_module()
        with torch.device("cpu"):  # metric states are no buffers: keep them off the meta device restore builds on
            self.classification_report = ClassificationReport(num_classes=cfg.dataset.num_classes, mode="micro")

    def create_loss_module(self) -> None:
        """Cross-entropy, weighted by ``self.class_weights`` when class balancing computed them."""
        weights = self.class_weights
        if weights:
            logging.info(f"Using weighted loss with class weights {weights}")
        elif self.dataset_cfg.get("class_balancing") == "weighted_loss":
            weights = [1.0] * self.dataset_cfg.num_classes  # no training data yet: a restore loads the real weights
        self.loss = CrossEntropyLoss(weight=weights)

    @typecheck()
    def forward(
        self, input_ids: torch.Tensor, token_type_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> torch.Tensor:
        hidden_states = self.bert_model(
            input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask
        )
        logits = self.classifier(hidden_states=hidden_states)
        return logits

    def training_step(self, batch: Sequence[torch.Tensor], batch_idx: int) -> Dict[str, torch.Tensor]:
        input_ids, input_type_ids, input_mask, labels = batch
        logits = self.forward(input_ids=input_ids, token_type_ids=input_type_ids, attention_mask=input_mask)
        train_loss = self.loss(logits=logits, labels=labels)
        lr = self._optimizer.param_groups[0]["lr"]
        self.log("train_loss", train_loss)
        self.log("lr", lr, prog_bar=True)
        return {"loss": train_loss, "lr": lr}

    def validation_step(self, batch: Sequence[torch.Tensor], batch_idx: int, dataloader_idx: int = 0) -> Dict:
        """Loss and per-class counts of the batch (NeMo v1 keys, ``'val_loss'`` in tests too); the predictions also
        accumulate in ``self.classification_report``, which the epoch end computes once, summed over processes."""
        input_ids, input_type_ids, input_mask, labels = batch
        logits = self.forward(input_ids=input_ids, token_type_ids=input_type_ids, attention_mask=input_mask)

        val_loss = self.loss(logits=logits, labels=labels)

        preds = torch.argmax(logits, axis=-1)

        tp, fn, fp, _ = self.classification_report(preds, labels)

        return {"val_loss": val_loss, "tp": tp, "fn": fn, "fp": fp}

    def test_step(self, batch: Sequence[torch.Tensor], batch_idx: int, dataloader_idx: int = 0) -> Dict:
        return self.validation_step(batch, batch_idx, dataloader_idx)

    def multi_validation_epoch_end(self, outputs: List[Dict], dataloader_idx: int = 0) -> Dict:
        prefix = "test" if self.testing else "val"
        losses = [o["val_loss"] for o in outputs]
        avg_loss = torch.stack(losses).mean() if losses else torch.tensor(0.0)
        precision, recall, f1, report = self.classification_report.compute()
        logging.info(f"{prefix}_report: {report}")
        self.classification_report.reset()
        log = {
            f"{prefix}_loss": avg_loss,
            f"{prefix}_precision": precision,
            f"{prefix}_f1": f1,
            f"{prefix}_recall": recall,
        }
        return {f"{prefix}_loss": avg_loss, "log": log}

    def multi_test_epoch_end(self, outputs: List[Dict], dataloader_idx: int = 0) -> Dict:
        return self.multi_validation_epoch_end(outputs, dataloader_idx)

    # ----------------------------------------------------------------------------------------------------- data
    def setup_training_data(self, train_data_config: Optional[DictConfig]) -> None:
        if not train_data_config or not train_data_config.get("file_path"):
            logging.info("model.train_ds.file_path is not set: no training data loader is created")
            self._train_dl = None
            return
        self._train_dl = self._setup_dataloader_from_config(train_data_config)
        if self.dataset_cfg.get("class_balancing") == "weighted_loss":
            labels = self._train_dl.dataset.labels
            self.class_weights = calc_class_weights(labels, self.dataset_cfg.num_classes)
            self.create_loss_module()

    def setup_validation_data(self, val_data_config: Optional[DictConfig]) -> None:
        if not val_data_config or not val_data_config.get("file_path"):
            logging.info("model.validation_ds.file_path is not set: no validation data loader is created")
            self._validation_dl = None
            return
        self._validation_dl = self._setup_dataloader_from_config(val_data_config)

    def setup_test_data(self, test_data_config: Optional[DictConfig]) -> None:
        if not test_data_config or not test_data_config.get("file_path"):
            logging.info("model.test_ds.file_path is not set: no test data loader is created")
            self._test_dl = None
            return
        self._test_dl = self._setup_dataloader_from_config(test_data_config)

    def _setup_dataloader_from_config(self, cfg: DictConfig) -> torch.utils.data.DataLoader:
        dataset = TextClassificationDataset(
            tokenizer=self.tokenizer,
            input_file=cfg.file_path,
            max_seq_length=self.dataset_cfg.get("max_seq_length", -1),
            num_samples=cfg.get("num_samples", -1),
            shuffle=cfg.get("shuffle", False),
        )
        num_classes = self.dataset_cfg.num_classes
        if max(dataset.labels) >= num_classes:
            raise ValueError(
                f"{cfg.file_path}: label {max(dataset.labels)} is out of range for model.dataset.num_classes="
                f"{num_classes}"
            )
        return torch.utils.data.DataLoader(
            dataset=dataset,
            batch_size=cfg.get("batch_size", 32),
            shuffle=cfg.get("shuffle", False),
            num_workers=cfg.get("num_workers", 0),
            pin_memory=cfg.get("pin_memory", False),
            drop_last=cfg.get("drop_last", False),
            collate_fn=dataset.collate_fn,
        )

    # ------------------------------------------------------------------------------------------------ inference
    @torch.no_grad()
    def classifytext(self, queries: List[str], batch_size: int = 1, max_seq_length: int = -1) -> List[int]:
        """Predicted class id of every query, in order (the model is put in eval mode for the call)."""
        if not queries:
            return []
        if max_seq_length is None or max_seq_length <= 0:
            max_seq_length = self.dataset_cfg.get("max_seq_length", -1)
        dataset = TextClassificationDataset(tokenizer=self.tokenizer, queries=queries, max_seq_length=max_seq_length)
        loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, collate_fn=dataset.collate_fn)
        device = next(self.parameters()).device
        was_training = self.training
        self.eval()
        predictions: List[int] = []
        try:
            for input_ids, input_type_ids, input_mask, _ in loader:
                logits = self.forward(
                    input_ids=input_ids.to(device),
                    token_type_ids=input_type_ids.to(device),
                    attention_mask=input_mask.to(device),
                )
                predictions.extend(torch.argmax(logits, dim=-1).tolist())
        finally:
            self.train(was_training)
        return predictions

    @classmethod
    def list_available_models(cls) -> Optional[Union[Dict, List]]:
        return None
