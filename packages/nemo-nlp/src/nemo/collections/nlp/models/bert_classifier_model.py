"""``BertClassifierModel``: the skeleton shared by the models that put a classification head on a BERT-family encoder.

It owns what ``TextClassificationModel`` and ``TokenClassificationModel`` have in common: the tokenizer (from
``NLPModel``) and the encoder, the loss (weighted per class with ``model.dataset.class_balancing: weighted_loss``),
the data loaders of the ``*_ds`` nodes (through ModelPT's data-setup hook: a subclass only builds its dataset), NeMo
v1's training/validation/test steps and epoch ends (a ``ClassificationReport`` summed over processes), batched
prediction, and export (typed inputs and outputs). A subclass says what differs: its head, its number of classes, its
dataset and how its batches are laid out.
"""

from abc import abstractmethod
from typing import Dict, List, Optional, Sequence, Tuple, Union

import pytorch_lightning as pl
import torch
from omegaconf import DictConfig

from nemo.collections.common.losses import CrossEntropyLoss
from nemo.collections.common.metrics import ClassificationReport
from nemo.collections.nlp.data.text_classification.text_classification_dataset import calc_class_weights
from nemo.collections.nlp.models.nlp_model import NLPModel
from nemo.collections.nlp.modules.common.lm_utils import get_lm_model
from nemo.core.classes.module import NeuralModule
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import NeuralType
from nemo.utils import logging
from nemo.utils.model_utils import convert_model_config_to_dict_config

__all__ = ["BertClassifierModel", "ClassifierBatch"]

_BALANCING = (None, "weighted_loss")

# A batch as the steps use it: (input_ids, token_type_ids, attention_mask, labels, loss_mask, eval_mask), the masks
# None where the task has none (eval_mask: the positions the classification report counts).
ClassifierBatch = Tuple[
    torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, Optional[torch.Tensor], Optional[torch.Tensor]
]


class BertClassifierModel(NLPModel):
    """A BERT-family encoder (``model.language_model``) plus a classifier head over its hidden states.

    Subclasses implement ``num_classes``, ``_build_classifier``, ``_build_dataset``, ``_split_batch`` and
    ``_training_labels``, and may set ``report_mode``/``logits_ndim``/``_report_label_ids``.
    """

    # ClassificationReport averaging of the validation/test precision, recall and F1.
    report_mode: str = "macro"
    # Dimensions of the head's logits: (B, C) for one label per text, (B, T, C) for one per token.
    logits_ndim: int = 2
    # Batch size of a ``*_ds`` node that does not give one (NeMo v1's NLP models read 32).
    default_batch_size: int = 32

    @property
    def input_types(self) -> Optional[Dict[str, NeuralType]]:
        return self.bert_model.input_types

    @property
    def output_types(self) -> Optional[Dict[str, NeuralType]]:
        return self.classifier.output_types

    def __init__(self, cfg: DictConfig, trainer: Optional[pl.Trainer] = None) -> None:
        """Builds the tokenizer, the encoder, the head, the loss and the classification report; ModelPT then sets
        up the data loaders of ``train_ds``/``validation_ds``/``test_ds``."""
        cfg = convert_model_config_to_dict_config(cfg)
        if cfg.dataset.get("class_balancing") not in _BALANCING:
            raise ValueError(
                f"model.dataset.class_balancing={cfg.dataset.class_balancing!r}; expected null or 'weighted_loss'"
            )
        self._prepare_config(cfg)
        self.class_weights: Optional[List[float]] = None
        super().__init__(cfg=cfg, trainer=trainer)
        cfg = self._cfg
        self.dataset_cfg = cfg.dataset

        # instantiate a BERT based encoder
        self.bert_model = get_lm_model(
            pretrained_model_name=cfg.language_model.pretrained_model_name,
            config_file=cfg.language_model.get("config_file"),
            config_dict=cfg.language_model.get("config"),
            checkpoint_file=cfg.language_model.get("lm_checkpoint"),
            vocab_file=cfg.tokenizer.get("vocab_file"),
        )
        self.register_bert_model()
        self.classifier = self._build_classifier(self.bert_model.config.hidden_size)
        self.create_loss_module()
        with torch.device("cpu"):  # metric states are no buffers: keep them off the meta device restore builds on
            self.classification_report = ClassificationReport(
                num_classes=self.num_classes, label_ids=self._report_label_ids(), mode=self.report_mode
            )

    # ---------------------------------------------------------------------------------------- what subclasses say
    def _prepare_config(self, cfg: DictConfig) -> None:
        """Complete ``cfg`` before ModelPT stores it (e.g. labels computed from the data); nothing by default."""

    @property
    @abstractmethod
    def num_classes(self) -> int:
        """Number of classes of the head."""

    @abstractmethod
    def _build_classifier(self, hidden_size: int) -> NeuralModule:
        """The head mapping hidden states ``(B, T, hidden_size)`` to logits."""

    @abstractmethod
    def _split_batch(self, batch: Sequence[torch.Tensor]) -> ClassifierBatch:
        """A loader batch as ``(input_ids, token_type_ids, attention_mask, labels, loss_mask, eval_mask)``."""

    @abstractmethod
    def _training_labels(self, dataset: torch.utils.data.Dataset) -> List[int]:
        """Every label id of the training data (for ``class_balancing: weighted_loss``)."""

    def _report_label_ids(self) -> Optional[Dict[str, int]]:
        """Label names of the classification report (``{name: id}``); None names classes by their ids."""
        return None

    # ----------------------------------------------------------------------------------------------------- model
    def create_loss_module(self) -> None:
        """Cross-entropy, weighted by ``self.class_weights`` when class balancing computed them."""
        weights = self.class_weights
        if weights:
            logging.info(f"Using weighted loss with class weights {weights}")
        elif self.dataset_cfg.get("class_balancing") == "weighted_loss":
            weights = [1.0] * self.num_classes  # no training data yet: a restore loads the real weights
        self.loss = CrossEntropyLoss(logits_ndim=self.logits_ndim, weight=weights)

    @typecheck()
    def forward(
        self, input_ids: torch.Tensor, token_type_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> torch.Tensor:
        hidden_states = self.bert_model(
            input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask
        )
        return self.classifier(hidden_states=hidden_states)

    def _logits_and_loss(self, batch: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor, ClassifierBatch]:
        parts = self._split_batch(batch)
        input_ids, token_type_ids, attention_mask, labels, loss_mask, _ = parts
        logits = self.forward(input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask)
        return logits, self.loss(logits=logits, labels=labels, loss_mask=loss_mask), parts

    def training_step(self, batch: Sequence[torch.Tensor], batch_idx: int) -> Dict[str, torch.Tensor]:
        _, train_loss, _ = self._logits_and_loss(batch)
        lr = self._optimizer.param_groups[0]["lr"]
        self.log("train_loss", train_loss)
        self.log("lr", lr, prog_bar=True)
        return {"loss": train_loss, "lr": lr}

    def validation_step(self, batch: Sequence[torch.Tensor], batch_idx: int, dataloader_idx: int = 0) -> Dict:
        """Loss and per-class counts of the batch (NeMo v1 keys, ``'val_loss'`` in tests too); the predictions also
        accumulate in ``self.classification_report``, which the epoch end computes once, summed over processes."""
        logits, val_loss, (*_, labels, _, eval_mask) = self._logits_and_loss(batch)
        preds = torch.argmax(logits, axis=-1)
        if eval_mask is not None:
            preds, labels = preds[eval_mask], labels[eval_mask]
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

    # ------------------------------------------------------------------------------------------------------ data
    def setup_training_data(self, train_data_config: Optional[Union[DictConfig, Dict]]) -> None:
        """ModelPT's, then the class weights of ``class_balancing: weighted_loss`` from the training labels."""
        super().setup_training_data(train_data_config)
        if self._train_dl is not None and self.dataset_cfg.get("class_balancing") == "weighted_loss":
            self.class_weights = calc_class_weights(self._training_labels(self._train_dl.dataset), self.num_classes)
            self.create_loss_module()

    def _build_dataloader(self, dataset: torch.utils.data.Dataset, params: DictConfig) -> torch.utils.data.DataLoader:
        if "batch_size" not in params:
            params.batch_size = self.default_batch_size
        return super()._build_dataloader(dataset, params)

    # ------------------------------------------------------------------------------------------------- inference
    @torch.no_grad()
    def _predict(self, dataset: torch.utils.data.Dataset, batch_size: int) -> List[Tuple[torch.Tensor, Sequence]]:
        """``(argmax predictions on the CPU, batch)`` for every batch of ``dataset``, in order; the model runs in
        eval mode on its device, and gets back the mode it had."""
        loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, collate_fn=dataset.collate_fn)
        device = next(self.parameters()).device
        was_training = self.training
        self.eval()
        results = []
        try:
            for batch in loader:
                input_ids, input_type_ids, input_mask = batch[:3]
                logits = self.forward(
                    input_ids=input_ids.to(device),
                    token_type_ids=input_type_ids.to(device),
                    attention_mask=input_mask.to(device),
                )
                results.append((torch.argmax(logits, dim=-1).cpu(), batch))
        finally:
            self.train(was_training)
        return results

    @classmethod
    def list_available_models(cls) -> Optional[List]:
        return None
