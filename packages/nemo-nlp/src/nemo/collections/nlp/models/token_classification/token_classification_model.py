"""``TokenClassificationModel``: a BERT-family encoder plus a ``TokenClassifier`` head (NER, punctuation...)."""

import os
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from omegaconf import DictConfig, OmegaConf, open_dict

from nemo.collections.common.metrics import ClassificationReport
from nemo.collections.nlp.data.token_classification.token_classification_dataset import (
    BertTokenClassificationDataset,
    BertTokenClassificationInferDataset,
    get_label_ids,
    read_token_classification_files,
)
from nemo.collections.nlp.models.bert_classifier_model import BertClassifierModel, ClassifierBatch, ClassifierHead
from nemo.collections.nlp.modules.common.token_classifier import TokenClassifier
from nemo.utils import logging

__all__ = ["TokenClassificationModel", "in_data_dir", "token_classifier"]


def token_classifier(hidden_size: int, num_classes: int, head: DictConfig, num_layers_key: str) -> TokenClassifier:
    """A ``TokenClassifier`` (logits) from a v1 head node (``<num_layers_key>``, ``fc_dropout``, ``activation``,
    ``use_transformer_init``)."""
    return TokenClassifier(
        hidden_size=hidden_size,
        num_classes=num_classes,
        num_layers=head.get(num_layers_key, 2),
        activation=head.get("activation", "relu"),
        log_softmax=False,
        dropout=head.get("fc_dropout", 0.0),
        use_transformer_init=head.get("use_transformer_init", True),
    )


def in_data_dir(path: Optional[str], data_dir: Optional[str]) -> Optional[str]:
    """``path`` as given, or inside ``data_dir`` when it is relative and not found as is."""
    if not path or os.path.isabs(path) or os.path.exists(path):
        return path
    return os.path.join(data_dir, path) if data_dir else path


class TokenClassificationModel(BertClassifierModel):
    """Word-level labels from ``text.txt``/``labels.txt`` pairs; ``model.label_ids`` (label -> id, pad label 0)
    is computed from the training labels when not given and stored in the config, so restored models keep it."""

    logits_ndim = 3
    data_file_keys = ("text_file",)
    dataset_config_keys = frozenset({"text_file", "labels_file", "num_samples"})

    def _prepare_config(self, cfg: DictConfig) -> None:
        """``model.label_ids`` from ``train_ds.labels_file`` when the config has none."""
        if cfg.get("label_ids"):
            return
        data_dir = cfg.dataset.get("data_dir")
        labels_file = in_data_dir(cfg.get("train_ds", {}).get("labels_file"), data_dir)
        if not labels_file:
            raise ValueError("model.label_ids is empty and model.train_ds.labels_file is not set to compute it")
        _, tags = read_token_classification_files(in_data_dir(cfg.train_ds.text_file, data_dir), labels_file)
        with open_dict(cfg):
            cfg.label_ids = get_label_ids(tags, pad_label=cfg.dataset.get("pad_label", "O"))

    @property
    def num_classes(self) -> int:
        return len(self._cfg.label_ids)

    @property
    def ids_to_labels(self) -> Dict[int, str]:
        return {int(i): label for label, i in self._cfg.label_ids.items()}

    def _report_label_ids(self, head: ClassifierHead) -> Dict[str, int]:
        return dict(self._cfg.label_ids)

    def _data_path(self, path: Optional[str]) -> Optional[str]:
        """``path`` as given, or inside ``model.dataset.data_dir`` when it is relative and not found as is."""
        return in_data_dir(path, self.dataset_cfg.get("data_dir"))

    def _build_classifier(self, hidden_size: int, head: ClassifierHead) -> TokenClassifier:
        return token_classifier(hidden_size, self.num_classes, self._cfg.get("head", {}), "num_fc_layers")

    def _split_batch(self, batch: Sequence[torch.Tensor]) -> ClassifierBatch:
        """Loss over the positions of ``loss_mask``; the report counts the first sub-token of each word."""
        input_ids, input_type_ids, input_mask, subtokens_mask, loss_mask, labels = batch
        return input_ids, input_type_ids, input_mask, labels, loss_mask, subtokens_mask > 0.5

    def _training_labels(self, dataset: BertTokenClassificationDataset) -> List[int]:
        label_ids = self._cfg.label_ids
        return [label_ids[t] for t in dataset.all_labels]

    def _build_dataset(self, config: DictConfig) -> BertTokenClassificationDataset:
        return BertTokenClassificationDataset(
            text_file=self._data_path(config.text_file),
            label_file=self._data_path(config.labels_file),
            tokenizer=self.tokenizer,
            label_ids=OmegaConf.to_container(self._cfg.label_ids),
            max_seq_length=self.dataset_cfg.get("max_seq_length", -1),
            num_samples=config.get("num_samples", -1),
            ignore_extra_tokens=self.dataset_cfg.get("ignore_extra_tokens", False),
            ignore_start_end=self.dataset_cfg.get("ignore_start_end", True),
        )

    # ------------------------------------------------------------------------------------------------ inference
    def _predict_labels(self, queries: List[str], batch_size: int) -> List[List[str]]:
        """One label per whitespace-separated word of each query (words cut by max_seq_length get the pad label)."""
        dataset = BertTokenClassificationInferDataset(queries, self.tokenizer, self.dataset_cfg.get("max_seq_length"))
        word_ids = [
            row[mask > 0].tolist()
            for preds, (*_, subtokens_mask) in self._predict(dataset, batch_size)
            for row, mask in zip(preds, subtokens_mask)
        ]
        pad_label = self.dataset_cfg.get("pad_label", "O")
        ids_to_labels = self.ids_to_labels
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
