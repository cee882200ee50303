"""``TokenClassificationModel``: a BERT-family encoder plus a ``TokenClassifier`` head (NER, punctuation...)."""

import os
from typing import Dict, List, Optional, Sequence, Tuple, Union

import pytorch_lightning as pl
import torch
from omegaconf import DictConfig, OmegaConf, open_dict

from nemo.collections.common.losses import CrossEntropyLoss
from nemo.collections.common.metrics import ClassificationReport
from nemo.collections.nlp.data.text_classification.text_classification_dataset import calc_class_weights
from nemo.collections.nlp.data.token_classification.token_classification_dataset import (
    BertTokenClassificationDataset,
    BertTokenClassificationInferDataset,
    get_label_ids,
    read_token_classification_files,
)
from nemo.collections.nlp.models.nlp_model import NLPModel
from nemo.collections.nlp.modules.common.lm_utils import get_lm_model
from nemo.collections.nlp.modules.common.token_classifier import TokenClassifier
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import NeuralType
from nemo.utils import logging
from nemo.utils.model_utils import convert_model_config_to_dict_config

__all__ = ["TokenClassificationModel"]


class TokenClassificationModel(NLPModel):
    """Word-level labels from ``text.txt``/``labels.txt`` pairs; ``model.label_ids`` (label -> id, pad label 0)
    is computed from the training labels when not given and stored in the config, so restored models keep it."""

    @property
    def input_types(self) -> Optional[Dict[str, NeuralType]]:
        return self.bert_model.input_types

    @property
    def output_types(self) -> Optional[Dict[str, NeuralType]]:
        return self.classifier.output_types

    def __init__(self, cfg: DictConfig, trainer: Optional[pl.Trainer] = None) -> None:
        cfg = convert_model_config_to_dict_config(cfg)
        self.dataset_cfg = cfg.dataset
        if not cfg.get("label_ids"):
            labels_file = self._data_path(cfg.get("train_ds", {}).get("labels_file"))
            if not labels_file:
                raise ValueError("model.label_ids is empty and model.train_ds.labels_file is not set to compute it")
            _, tags = read_token_classification_files(self._data_path(cfg.train_ds.text_file), labels_file)
            with open_dict(cfg):
                cfg.label_ids = get_label_ids(tags, pad_label=cfg.dataset.get("pad_label", "O"))
        self.class_weights: Optional[List[float]] = None
        super().__init__(cfg=cfg, trainer=trainer)
        cfg = self._cfg
        self.bert_model = get_lm_model(
            pretrained_model_name=cfg.language_model.pretrained_model_name,
            config_file=cfg.language_model.get("config_file"),
            config_dict=cfg.language_model.get("config"),
            checkpoint_file=cfg.language_model.get("lm_checkpoint"),
            vocab_file=cfg.tokenizer.get("vocab_file"),
        )
        self.register_bert_model()
        head = cfg.get("head", {})
        self.classifier = TokenClassifier(
            hidden_size=self.bert_model.config.hidden_size,
            num_classes=len(cfg.label_ids),
            num_layers=head.get("num_fc_layers", 2),
            activation=head.get("activation", "relu"),
            log_softmax=False,
            dropout=head.get("fc_dropout", 0.0),
            use_transformer_init=head.get("use_transformer_init", True),
        )
        self.create_loss_module()
        with torch.device("cpu"):  # metric states are no buffers: keep them off the meta device restore builds on
            self.classification_report = ClassificationReport(
                num_classes=len(cfg.label_ids), label_ids=dict(cfg.label_ids), mode="macro"
            )

    @property
    def ids_to_labels(self) -> Dict[int, str]:
        return {int(i): label for label, i in self._cfg.label_ids.items()}

    def _data_path(self, path: Optional[str]) -> Optional[str]:
        """``path`` as given, or inside ``model.dataset.data_dir`` when it is relative and not found as is."""
        if not path or os.path.isabs(path) or os.path.exists(path):
            return path
        data_dir = self.dataset_cfg.get("data_dir")
        return os.path.join(data_dir, path) if data_dir else path

    def create_loss_module(self) -> None:
        weights = self.class_weights
        if not weights and self.dataset_cfg.get("class_balancing") == "weighted_loss":
            weights = [1.0] * len(self._cfg.label_ids)  # no training data yet: a restore loads the real weights
        self.loss = CrossEntropyLoss(logits_ndim=3, weight=weights)

    @typecheck()
    def forward(
        self, input_ids: torch.Tensor, token_type_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> torch.Tensor:
        hidden_states = self.bert_model(
            input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask
        )
        return self.classifier(hidden_states=hidden_states)

    def training_step(self, batch: Sequence[torch.Tensor], batch_idx: int) -> Dict[str, torch.Tensor]:
        input_ids, input_type_ids, input_mask, _, loss_mask, labels = batch
        logits = self.forward(input_ids=input_ids, token_type_ids=input_type_ids, attention_mask=input_mask)
        loss = self.loss(logits=logits, labels=labels, loss_mask=loss_mask)
        lr = self._optimizer.param_groups[0]["lr"]
        self.log("train_loss", loss)
        self.log("lr", lr, prog_bar=True)
        return {"loss": loss, "lr": lr}

    def validation_step(self, batch: Sequence[torch.Tensor], batch_idx: int, dataloader_idx: int = 0) -> Dict:
        """Loss and per-class counts over the batch's first sub-tokens of words (NeMo v1 keys); the predictions also
        accumulate in ``self.classification_report``, which the epoch end computes once, summed over processes."""
        input_ids, input_type_ids, input_mask, subtokens_mask, loss_mask, labels = batch
        logits = self.forward(input_ids=input_ids, token_type_ids=input_type_ids, attention_mask=input_mask)
        val_loss = self.loss(logits=logits, labels=labels, loss_mask=loss_mask)

        subtokens_mask = subtokens_mask > 0.5

        preds = torch.argmax(logits, axis=-1)[subtokens_mask]
        labels = labels[subtokens_mask]
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
        if not train_data_config or not train_data_config.get("text_file"):
            logging.info("model.train_ds.text_file is not set: no training data loader is created")
            self._train_dl = None
            return
        self._train_dl = self._setup_dataloader_from_config(train_data_config)
        if self.dataset_cfg.get("class_balancing") == "weighted_loss":
            dataset = self._train_dl.dataset
            label_ids = self._cfg.label_ids
            self.class_weights = calc_class_weights([label_ids[t] for t in dataset.all_labels], len(label_ids))
            self.create_loss_module()

    def setup_validation_data(self, val_data_config: Optional[DictConfig]) -> None:
        if not val_data_config or not val_data_config.get("text_file"):
            self._validation_dl = None
            return
        self._validation_dl = self._setup_dataloader_from_config(val_data_config)

    def setup_test_data(self, test_data_config: Optional[DictConfig]) -> None:
        if not test_data_config or not test_data_config.get("text_file"):
            self._test_dl = None
            return
        self._test_dl = self._setup_dataloader_from_config(test_data_config)

    def _setup_dataloader_from_config(self, cfg: DictConfig) -> torch.utils.data.DataLoader:
        dataset = BertTokenClassificationDataset(
            text_file=self._data_path(cfg.text_file),
            label_file=self._data_path(cfg.labels_file),
            tokenizer=self.tokenizer,
            label_ids=OmegaConf.to_container(self._cfg.label_ids),
            max_seq_length=self.dataset_cfg.get("max_seq_length", -1),
            num_samples=cfg.get("num_samples", -1),
            ignore_extra_tokens=self.dataset_cfg.get("ignore_extra_tokens", False),
            ignore_start_end=self.dataset_cfg.get("ignore_start_end", True),
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
    def _predict_labels(self, queries: List[str], batch_size: int) -> List[List[str]]:
        """One label per whitespace-separated word of each query (words cut by max_seq_length get the pad label)."""
        dataset = BertTokenClassificationInferDataset(queries, self.tokenizer, self.dataset_cfg.get("max_seq_length"))
        loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, collate_fn=dataset.collate_fn)
        device = next(self.parameters()).device
        pad_label = self.dataset_cfg.get("pad_label", "O")
        ids_to_labels = self.ids_to_labels
        was_training = self.training
        self.eval()
        word_ids: List[List[int]] = []
        try:
            for input_ids, input_type_ids, input_mask, subtokens_mask in loader:
                logits = self.forward(
                    input_ids=input_ids.to(device),
                    token_type_ids=input_type_ids.to(device),
                    attention_mask=input_mask.to(device),
                )
                preds = torch.argmax(logits, dim=-1).cpu()
                word_ids.extend(row[mask > 0].tolist() for row, mask in zip(preds, subtokens_mask))
        finally:
            self.train(was_training)
        result = []
        for query, ids in zip(queries, word_ids):
            n_words = len(query.split())
            result.append([ids_to_labels[i] for i in ids] + [pad_label] * (n_words - len(ids)))
        return result

    def add_predictions(
        self, queries: Union[List[str], str], batch_size: int = 32, output_file: Optional[str] = None
    ) -> List[str]:
        """Queries with each word that got a label other than the pad label written as ``word[LABEL]``."""
        if isinstance(queries, str):
            queries = [queries]
        pad_label = self.dataset_cfg.get("pad_label", "O")
        results = []
        for query, labels in zip(queries, self._predict_labels(list(queries), batch_size)):
            words = query.split()
            results.append(" ".join(w if t == pad_label else f"{w}[{t}]" for w, t in zip(words, labels)))
        if output_file:
            with open(output_file, "w", encoding="utf-8") as f:
                f.writelines(f"{line}\n" for line in results)
        return results

    def evaluate_from_file(
        self,
        output_dir: str,
        text_file: str,
        labels_file: Optional[str] = None,
        add_confusion_matrix: bool = False,
        normalize_confusion_matrix: bool = True,
        batch_size: int = 1,
    ) -> Optional[Dict[str, float]]:
        """Predict the words of ``text_file`` into ``output_dir/infer_<text file name>`` (labels per word).

        With ``labels_file``, log a classification report and return ``{'precision', 'recall', 'f1'}`` (macro,
        percent); ``add_confusion_matrix`` also writes ``confusion_matrix_<text file stem>.csv`` (rows: true labels,
        normalised per row unless ``normalize_confusion_matrix`` is False).
        """
        with open(text_file, encoding="utf-8") as f:
            queries = [line.strip() for line in f if line.strip()]
        predicted = self._predict_labels(queries, batch_size)
        os.makedirs(output_dir, exist_ok=True)
        path = os.path.join(output_dir, f"infer_{os.path.basename(text_file)}")
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(" ".join(labels) + "\n" for labels in predicted)
        logging.info(f"Predictions saved to {path}")
        if labels_file is None:
            return None
        _, gold = read_token_classification_files(text_file, labels_file)
        label_ids = dict(self._cfg.label_ids)
        unknown = sorted({t for line in gold for t in line} - set(label_ids))
        if unknown:
            raise ValueError(f"{labels_file}: labels {unknown} are not in the model's label_ids {sorted(label_ids)}")
        flat_pred, flat_gold = _flatten(predicted, gold, label_ids)
        report = ClassificationReport(num_classes=len(label_ids), label_ids=label_ids, mode="macro")
        report.update(flat_pred, flat_gold)
        precision, recall, f1, text = report.compute()
        logging.info(text)
        if add_confusion_matrix:
            _write_confusion_matrix(output_dir, text_file, flat_pred, flat_gold, label_ids, normalize_confusion_matrix)
        return {"precision": float(precision), "recall": float(recall), "f1": float(f1)}

    @classmethod
    def list_available_models(cls) -> Optional[List]:
        return None


def _flatten(
    predicted: List[List[str]], gold: List[List[str]], label_ids: Dict[str, int]
) -> Tuple[torch.Tensor, torch.Tensor]:
    pred = [label_ids[t] for line in predicted for t in line]
    true = [label_ids[t] for line in gold for t in line]
    return torch.tensor(pred, dtype=torch.long), torch.tensor(true, dtype=torch.long)


def _write_confusion_matrix(
    output_dir: str,
    text_file: str,
    pred: torch.Tensor,
    gold: torch.Tensor,
    label_ids: Dict[str, int],
    normalize: bool,
) -> None:
    n = len(label_ids)
    matrix = torch.bincount(gold * n + pred, minlength=n * n).view(n, n).double()
    if normalize:
        matrix = matrix / matrix.sum(dim=1, keepdim=True).clamp(min=1)
    names = [name for name, _ in sorted(label_ids.items(), key=lambda item: item[1])]
    stem = os.path.splitext(os.path.basename(text_file))[0]
    path = os.path.join(output_dir, f"confusion_matrix_{stem}.csv")
    with open(path, "w", encoding="utf-8") as f:
        f.write("true\\predicted," + ",".join(names) + "\n")
        for name, row in zip(names, matrix.tolist()):
            f.write(name + "," + ",".join(f"{v:.4g}" for v in row) + "\n")
    logging.info(f"Confusion matrix saved to {path}")
