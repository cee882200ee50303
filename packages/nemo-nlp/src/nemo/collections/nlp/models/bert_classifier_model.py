"""``BertClassifierModel``: the skeleton shared by the models that put a classification head on a BERT-family encoder.

It owns what ``TextClassificationModel``, ``TokenClassificationModel``, ``PunctuationCapitalizationModel`` and
``IntentSlotClassificationModel`` have in common: the tokenizer (from ``NLPModel``) and the encoder, one or more
heads over it (each with its own classification report; their losses are summed), the loss (weighted per class with
``model.dataset.class_balancing: weighted_loss``), the data loaders of the ``*_ds`` nodes (through ModelPT's
data-setup hook: a subclass only builds its dataset), NeMo v1's training/validation/test steps and epoch ends (a
``ClassificationReport`` summed over processes), batched prediction, and export (typed inputs and outputs). A
subclass says what differs: its head, its number of classes, its dataset and how its batches are laid out.
"""

from abc import abstractmethod
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import pytorch_lightning as pl
import torch
from omegaconf import DictConfig

from nemo.collections.common.losses import AggregatorLoss, CrossEntropyLoss
from nemo.collections.common.metrics import ClassificationReport
from nemo.collections.nlp.data.text_classification.text_classification_dataset import calc_class_weights
from nemo.collections.nlp.models.nlp_model import NLPModel
from nemo.core.classes.module import NeuralModule
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import NeuralType
from nemo.utils import logging
from nemo.utils.model_utils import convert_model_config_to_dict_config

__all__ = ["BertClassifierModel", "ClassifierBatch", "ClassifierHead"]

_BALANCING = (None, "weighted_loss")

# A batch as the steps use it: (input_ids, token_type_ids, attention_mask, labels, loss_mask, eval_mask), the masks
# None where the task has none (eval_mask: the positions the classification report counts); labels is one tensor per
# head (a tuple) for a model with several heads, and eval_mask may be one mask (or None) per head.
ClassifierBatch = Tuple[
    torch.Tensor,
    torch.Tensor,
    torch.Tensor,
    Union[torch.Tensor, Tuple[torch.Tensor, ...]],
    Optional[torch.Tensor],
    Optional[torch.Tensor],
]


class ClassifierHead(NamedTuple):
    """One head: the attributes of its module and of its classification report (state-dict and v1 names), and the
    prefix of its step outputs and logged metrics (``punct_`` gives ``punct_tp``, ``punct_f1``; empty: ``tp`` and
    ``val_f1``/``test_f1``). Consecutive heads may name one module that returns their logits as a tuple."""

    module: str = "classifier"
    report: str = "classification_report"
    prefix: str = ""


class BertClassifierModel(NLPModel):
    """A BERT-family encoder (``model.language_model``) plus a classifier head over its hidden states.

    Subclasses implement ``num_classes``, ``_build_classifier``, ``_build_dataset``, ``_split_batch`` and (for
    class balancing) ``_training_labels``, and may set ``heads``/``dataset_node``/``report_mode``/``logits_ndim``
    and override ``_report_label_ids``/``_head_classes``/``_head_losses``. With several ``heads``, ``forward``
    returns one logits tensor per head.
    """

    # The config node of the dataset settings (class_balancing, max_seq_length...); None: ``model`` itself (v1's
    # intent and slot config has them there).
    dataset_node: Optional[str] = "dataset"
    # The heads, in the order of forward's outputs.
    heads: Tuple[ClassifierHead, ...] = (ClassifierHead(),)
    # ClassificationReport averaging of the validation/test precision, recall and F1.
    report_mode: str = "macro"
    # Dimensions of the head's logits: (B, C) for one label per text, (B, T, C) for one per token.
    logits_ndim: int = 2
    # Batch size of a ``*_ds`` node that does not give one (NeMo v1's NLP models read 32).
    default_batch_size: int = 32

    @property
    def output_types(self) -> Optional[Dict[str, NeuralType]]:
        return self.classifier.output_types

    def __init__(self, cfg: DictConfig, trainer: Optional[pl.Trainer] = None) -> None:
        """Builds the tokenizer, the encoder, the head, the loss and the classification report; ModelPT then sets
        up the data loaders of ``train_ds``/``validation_ds``/``test_ds``."""
        cfg = convert_model_config_to_dict_config(cfg)
        dataset_cfg = cfg[self.dataset_node] if self.dataset_node else cfg
        if dataset_cfg.get("class_balancing") not in _BALANCING:
            where = f"model.{self.dataset_node}." if self.dataset_node else "model."
            raise ValueError(
                f"{where}class_balancing={dataset_cfg.class_balancing!r}; expected null or 'weighted_loss'"
            )
        self._prepare_config(cfg)
        self.class_weights: Optional[List[float]] = None
        super().__init__(cfg=cfg, trainer=trainer)
        cfg = self._cfg
        self.dataset_cfg = cfg[self.dataset_node] if self.dataset_node else cfg

        # instantiate a BERT based encoder
        self.setup_bert_model()
        for head in self.heads:
            if head.module not in self._modules:
                setattr(self, head.module, self._build_classifier(self.bert_model.config.hidden_size, head))
        self.create_loss_module()
        with torch.device("cpu"):  # metric states are no buffers: keep them off the meta device restore builds on
            for head in self.heads:
                report = ClassificationReport(
                    num_classes=self._head_classes(head), label_ids=self._report_label_ids(head), mode=self.report_mode
                )
                setattr(self, head.report, report)

    # ---------------------------------------------------------------------------------------- what subclasses say
    def _prepare_config(self, cfg: DictConfig) -> None:
        """Complete ``cfg`` before ModelPT stores it (e.g. labels computed from the data); nothing by default."""

    @property
    @abstractmethod
    def num_classes(self) -> int:
        """Number of classes of the (first) head."""

    def _head_classes(self, head: ClassifierHead) -> int:
        """Number of classes of ``head``; ``num_classes`` unless a model has several heads."""
        return self.num_classes

    @abstractmethod
    def _build_classifier(self, hidden_size: int, head: ClassifierHead) -> NeuralModule:
        """The module of ``head``, mapping hidden states ``(B, T, hidden_size)`` to logits."""

    @abstractmethod
    def _split_batch(self, batch: Sequence[torch.Tensor]) -> ClassifierBatch:
        """A loader batch as ``(input_ids, token_type_ids, attention_mask, labels, loss_mask, eval_mask)``."""

    def _training_labels(self, dataset: torch.utils.data.Dataset) -> List[int]:
        """Every label id of the training data (for ``class_balancing: weighted_loss``); models that refuse class
        balancing need not say."""
        raise NotImplementedError(f"{type(self).__name__} has no class balancing")

    def _report_label_ids(self, head: ClassifierHead) -> Optional[Dict[str, int]]:
        """Label names of ``head``'s classification report (``{name: id}``); None names classes by their ids."""
        return None

    # ----------------------------------------------------------------------------------------------------- model
    def create_loss_module(self) -> None:
        """Cross-entropy, weighted by ``self.class_weights`` when class balancing computed them (and, with several
        heads, the ``AggregatorLoss`` that sums theirs)."""
        if len(self.heads) > 1:
            self.agg_loss = AggregatorLoss(num_inputs=len(self.heads))
        weights = self.class_weights
        if weights:
            logging.info(f"Using weighted loss with class weights {weights}")
        elif self.dataset_cfg.get("class_balancing") == "weighted_loss":
            weights = [1.0] * self.num_classes  # no training data yet: a restore loads the real weights
        self.loss = CrossEntropyLoss(logits_ndim=self.logits_ndim, weight=weights)

    @typecheck()
    def forward(
        self, input_ids: torch.Tensor, token_type_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> Union[torch.Tensor, Tuple[torch.Tensor, ...]]:
        hidden_states = self.bert_model(
            input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask
        )
        modules = dict.fromkeys(head.module for head in self.heads)
        logits = tuple(out for name in modules for out in _per_head(getattr(self, name)(hidden_states=hidden_states)))
        return logits[0] if len(logits) == 1 else logits

    def _logits_and_loss(
        self, batch: Sequence[torch.Tensor]
    ) -> Tuple[Tuple[torch.Tensor, ...], Tuple[torch.Tensor, ...], torch.Tensor, ClassifierBatch]:
        """Per-head logits and labels, the loss (summed over heads) and the split batch."""
        parts = self._split_batch(batch)
        input_ids, token_type_ids, attention_mask, labels, loss_mask, _ = parts
        logits = self.forward(input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask)
        logits, labels = _per_head(logits), _per_head(labels)
        losses = self._head_losses(logits, labels, loss_mask)
        if len(losses) == 1:
            return logits, labels, losses[0], parts
        return logits, labels, self.agg_loss(**{f"loss_{i}": loss for i, loss in enumerate(losses, start=1)}), parts

    def _head_losses(
        self, logits: Sequence[torch.Tensor], labels: Sequence[torch.Tensor], loss_mask: Optional[torch.Tensor]
    ) -> List[torch.Tensor]:
        """The loss of each head (``self.loss`` over ``loss_mask`` by default)."""
        return [self.loss(logits=lg, labels=lb, loss_mask=loss_mask) for lg, lb in zip(logits, labels)]

    def training_step(self, batch: Sequence[torch.Tensor], batch_idx: int) -> Dict[str, torch.Tensor]:
        _, _, train_loss, _ = self._logits_and_loss(batch)
        lr = self._optimizer.param_groups[0]["lr"]
        self.log("train_loss", train_loss)
        self.log("lr", lr, prog_bar=True)
        return {"loss": train_loss, "lr": lr}

    def validation_step(self, batch: Sequence[torch.Tensor], batch_idx: int, dataloader_idx: int = 0) -> Dict:
        """Loss and per-class counts of the batch per head (NeMo v1 keys: ``tp`` or ``punct_tp``..., ``'val_loss'`` in
        tests too); the predictions also accumulate in each head's classification report, which the epoch end
        computes once, summed over processes."""
        all_logits, all_labels, val_loss, (*_, eval_mask) = self._logits_and_loss(batch)
        masks = eval_mask if isinstance(eval_mask, tuple) else (eval_mask,) * len(self.heads)
        result = {"val_loss": val_loss}
        for head, logits, labels, eval_mask in zip(self.heads, all_logits, all_labels, masks):
            preds = torch.argmax(logits, axis=-1)
            if eval_mask is not None:
                preds, labels = preds[eval_mask], labels[eval_mask]
            tp, fn, fp, _ = getattr(self, head.report)(preds, labels)
            result.update({f"{head.prefix}tp": tp, f"{head.prefix}fn": fn, f"{head.prefix}fp": fp})
        return result

    def test_step(self, batch: Sequence[torch.Tensor], batch_idx: int, dataloader_idx: int = 0) -> Dict:
        return self.validation_step(batch, batch_idx, dataloader_idx)

    def multi_validation_epoch_end(self, outputs: List[Dict], dataloader_idx: int = 0) -> Dict:
        prefix = "test" if self.testing else "val"
        losses = [o["val_loss"] for o in outputs]
        avg_loss = torch.stack(losses).mean() if losses else torch.tensor(0.0)
        log = {f"{prefix}_loss": avg_loss}
        for head in self.heads:
            metric = getattr(self, head.report)
            precision, recall, f1, report = metric.compute()
            name = head.prefix or f"{prefix}_"
            logging.info(f"{name}report: {report}")
            metric.reset()
            log.update({f"{name}precision": precision, f"{name}f1": f1, f"{name}recall": recall})
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
        """``(argmax predictions on the CPU, batch)`` for every batch of ``dataset``, in order (predictions: a tuple
        with one tensor per head for a model with several heads); the model runs in eval mode on its device, and
        gets back the mode it had."""
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
                preds = tuple(torch.argmax(lg, dim=-1).cpu() for lg in _per_head(logits))
                results.append((preds[0] if len(preds) == 1 else preds, batch))
        finally:
            self.train(was_training)
        return results

    @classmethod
    def list_available_models(cls) -> Optional[List]:
        return None


def _per_head(values: Union[torch.Tensor, Tuple[torch.Tensor, ...]]) -> Tuple[torch.Tensor, ...]:
    """One head's tensor as a 1-tuple; several heads' tuple as is."""
    return values if isinstance(values, tuple) else (values,)
