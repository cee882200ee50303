"""``QAModel``: extractive question answering (SQuAD v1.1/v2.0), a BERT-family encoder and a two-class token head
giving each token's start and end score (NeMo v1's model, config keys and state-dict names)."""

import json
from typing import Any, Dict, List, Optional, Sequence, Tuple

import pytorch_lightning as pl
import torch
from omegaconf import DictConfig, OmegaConf

from nemo.collections.common.losses import SpanningLoss
from nemo.collections.nlp.data.question_answering.qa_dataset import SquadDataset
from nemo.collections.nlp.data.question_answering.qa_predictions import NBestEntry
from nemo.collections.nlp.data.question_answering.qa_squad_processing import (
    EVALUATION_MODE,
    INFERENCE_MODE,
    TRAINING_MODE,
)
from nemo.collections.nlp.models.nlp_model import NLPModel
from nemo.collections.nlp.modules.common.token_classifier import TokenClassifier
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import NeuralType
from nemo.utils import logging
from nemo.utils.config_keys import refuse_unknown_keys
from nemo.utils.model_utils import convert_model_config_to_dict_config

__all__ = ["QAModel"]

# v1's ``model.dataset`` keys (``num_workers``, ``pin_memory``, ``drop_last`` are the loaders' defaults there).
_DATASET_KEYS = {
    "version_2_with_negative": False,
    "doc_stride": 128,
    "max_query_length": 64,
    "max_seq_length": 384,
    "max_answer_length": 30,
    "null_score_diff_threshold": 0.0,
    "n_best_size": 20,
    "use_cache": False,
    "do_lower_case": None,
    "num_workers": None,
    "pin_memory": None,
    "drop_last": None,
}
_LOADER_DEFAULTS = ("num_workers", "pin_memory", "drop_last")
_HEAD_KEYS = {
    "num_layers": 1,
    "dropout": 0.0,
    "num_classes": 2,
    "activation": "relu",
    "log_softmax": False,
    "use_transformer_init": True,
}


class QAModel(NLPModel):
    """BERT with a span head: ``forward`` gives ``(B, T, 2)`` start/end scores per token.

    Data: ``*_ds.file`` names a SQuAD JSON file (``model.dataset.version_2_with_negative`` for v2.0's unanswerable
    questions); contexts are windowed by ``model.dataset.max_seq_length``/``doc_stride``/``max_query_length``.
    Validation and test log v1's ``val_loss``, ``val_exact_match`` and ``val_f1`` (``test_*``), SQuAD's official
    scores in percent. :meth:`inference` answers the questions of a file.
    """

    data_file_keys = ("file",)
    dataset_config_keys = frozenset({"file", "num_samples", "output_prediction_file", "output_nbest_file"})

    def __init__(self, cfg: DictConfig, trainer: Optional[pl.Trainer] = None) -> None:
        """Checks ``model.dataset`` and ``model.token_classifier``, builds the tokenizer, the loaders of the
        ``*_ds`` nodes (ModelPT), the encoder and the head."""
        cfg = convert_model_config_to_dict_config(cfg)
        refuse_unknown_keys(cfg.get("dataset") or {}, _DATASET_KEYS, "model.dataset")
        head = cfg.get("token_classifier") or {}
        refuse_unknown_keys(head, _HEAD_KEYS, "model.token_classifier")
        if head.get("num_classes", 2) != 2:
            raise ValueError(
                f"model.token_classifier.num_classes={head.num_classes}; expected 2 (a start and an end score)"
            )
        if head.get("log_softmax"):
            raise ValueError("model.token_classifier.log_softmax=true; expected false (SpanningLoss takes logits)")
        self._dataset_mode = TRAINING_MODE
        super().__init__(cfg=cfg, trainer=trainer)
        if self._option("use_cache"):
            logging.info("model.dataset.use_cache: features are rebuilt from the file (v1 pickled them; not here)")
        self.setup_bert_model()
        head = {**_HEAD_KEYS, **(self._cfg.get("token_classifier") or {})}
        self.classifier = TokenClassifier(
            hidden_size=self.bert_model.config.hidden_size,
            num_classes=2,
            num_layers=head["num_layers"],
            activation=head["activation"],
            log_softmax=head["log_softmax"],
            dropout=head["dropout"],
            use_transformer_init=head["use_transformer_init"],
        )
        self.loss = SpanningLoss()

    @property
    def output_types(self) -> Optional[Dict[str, NeuralType]]:
        return self.classifier.output_types

    def _option(self, key: str) -> Any:
        """``model.dataset.<key>``, or v1's default."""
        value = (self._cfg.get("dataset") or {}).get(key)
        return _DATASET_KEYS[key] if value is None else value

    @typecheck()
    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor, attention_mask: torch.Tensor) -> Any:
        hidden_states = self.bert_model(
            input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask
        )
        return self.classifier(hidden_states=hidden_states)

    def _loss(self, batch: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        input_ids, input_type_ids, input_mask, _, start_positions, end_positions = batch
        logits = self.forward(input_ids=input_ids, token_type_ids=input_type_ids, attention_mask=input_mask)
        return self.loss(logits=logits, start_positions=start_positions, end_positions=end_positions)

    def training_step(self, batch: Sequence[torch.Tensor], batch_idx: int) -> Dict[str, Any]:
        loss, _, _ = self._loss(batch)
        lr = self._optimizer.param_groups[0]["lr"]
        self.log("train_loss", loss)
        self.log("lr", lr, prog_bar=True)
        return {"loss": loss, "lr": lr}

    def validation_step(self, batch: Sequence[torch.Tensor], batch_idx: int, dataloader_idx: int = 0) -> Dict:
        """The loss and, per feature, its id and start/end logits (cut to its tokens) for the epoch end."""
        loss, start_logits, end_logits = self._loss(batch)
        lengths = batch[2].sum(dim=1).tolist()
        return {
            "val_loss": loss,
            "unique_ids": batch[3].tolist(),
            "start_logits": [row[:n].tolist() for row, n in zip(start_logits.float().cpu(), lengths)],
            "end_logits": [row[:n].tolist() for row, n in zip(end_logits.float().cpu(), lengths)],
        }

    def test_step(self, batch: Sequence[torch.Tensor], batch_idx: int, dataloader_idx: int = 0) -> Dict:
        return self.validation_step(batch, batch_idx, dataloader_idx)

    def multi_validation_epoch_end(self, outputs: List[Dict], dataloader_idx: int = 0) -> Dict:
        """Mean loss, and exact match and F1 of the answers over the loader's whole file (every rank's logits
        gathered)."""
        prefix = "test" if self.testing else "val"
        losses = [o["val_loss"] for o in outputs]
        avg_loss = torch.stack(losses).mean() if losses else torch.tensor(0.0)
        collected = [(u, s, e) for o in outputs for u, s, e in zip(o["unique_ids"], o["start_logits"], o["end_logits"])]
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            parts: List[Any] = [None] * torch.distributed.get_world_size()
            torch.distributed.all_gather_object(parts, collected)
            collected = [item for part in parts for item in part]
        loaders = self._test_dl if self.testing else self._validation_dl
        dataset = (loaders[dataloader_idx] if isinstance(loaders, list) else loaders).dataset
        unique_ids, start_logits, end_logits = zip(*collected) if collected else ((), (), ())
        exact_match, f1, predictions, nbest = dataset.evaluate(
            unique_ids, start_logits, end_logits, allow_partial=True, **self._prediction_options()
        )
        logging.info(
            f"{prefix} exact match {exact_match:.2f}, f1 {f1:.2f} on {len(predictions)} of {len(dataset.examples)} "
            "questions"
        )
        if self.testing:
            test_ds = self._cfg.get("test_ds") or {}
            nbest_file = test_ds.get("output_nbest_file")
            _write_outputs(predictions, _nbest_lists(nbest), test_ds.get("output_prediction_file"), nbest_file)
        log = {f"{prefix}_loss": avg_loss, f"{prefix}_exact_match": exact_match, f"{prefix}_f1": f1}
        return {f"{prefix}_loss": avg_loss, "log": log}

    def multi_test_epoch_end(self, outputs: List[Dict], dataloader_idx: int = 0) -> Dict:
        return self.multi_validation_epoch_end(outputs, dataloader_idx)

    def _prediction_options(self) -> Dict[str, Any]:
        do_lower_case = self._option("do_lower_case")
        if do_lower_case is None:
            do_lower_case = getattr(self.tokenizer, "do_lower_case", True)
        return {
            "n_best_size": int(self._option("n_best_size")),
            "max_answer_length": int(self._option("max_answer_length")),
            "version_2_with_negative": bool(self._option("version_2_with_negative")),
            "null_score_diff_threshold": float(self._option("null_score_diff_threshold")),
            "do_lower_case": bool(do_lower_case),
        }

    # ------------------------------------------------------------------------------------------------------ data
    def _setup_dataloader_from_config(
        self, config: Any = None, name: str = "data", shuffle: bool = False, cfg: Any = None, mode: Optional[str] = None
    ) -> Optional[torch.utils.data.DataLoader]:
        """NLPModel's, with v1's ``mode`` (training for ``train``, else evaluation; inference: no labels)."""
        self._dataset_mode = mode or (TRAINING_MODE if name == "train" else EVALUATION_MODE)
        try:
            return super()._setup_dataloader_from_config(config, name, shuffle, cfg)
        finally:
            self._dataset_mode = TRAINING_MODE

    def _build_dataset(self, config: DictConfig) -> SquadDataset:
        return SquadDataset(
            tokenizer=self.tokenizer,
            data_file=config.file,
            doc_stride=self._option("doc_stride"),
            max_query_length=self._option("max_query_length"),
            max_seq_length=self._option("max_seq_length"),
            version_2_with_negative=bool(self._option("version_2_with_negative")),
            num_samples=config.get("num_samples", -1),
            mode=self._dataset_mode,
        )

    def _build_dataloader(self, dataset: SquadDataset, params: DictConfig) -> torch.utils.data.DataLoader:
        for key in _LOADER_DEFAULTS:
            if key not in params and self._option(key) is not None:
                params[key] = self._option(key)
        if "batch_size" not in params:
            params.batch_size = 24  # v1's config
        return super()._build_dataloader(dataset, params)

    # ------------------------------------------------------------------------------------------------- inference
    @torch.no_grad()
    def inference(
        self,
        file: str,
        batch_size: int = 1,
        num_samples: int = -1,
        output_nbest_file: Optional[str] = None,
        output_prediction_file: Optional[str] = None,
    ) -> Tuple[Dict[str, Tuple[str, str]], Dict[str, List[Dict[str, Any]]]]:
        """Answer the questions of a SQuAD-format ``file`` (answers not needed): ``(question id -> (question,
        answer), question id -> n-best list of {text, probability, start_logit, end_logit})``, v1's return value;
        also written as JSON to the output files given. The model runs in eval mode on its device and gets back the
        mode it had."""
        config = OmegaConf.create(
            {"file": file, "batch_size": batch_size, "num_samples": num_samples, "shuffle": False}
        )
        loader = self._setup_dataloader_from_config(cfg=config, name="inference", mode=INFERENCE_MODE)
        device = next(self.parameters()).device
        was_training = self.training
        self.eval()
        unique_ids, start_logits, end_logits = [], [], []
        try:
            for input_ids, token_type_ids, attention_mask, ids in loader:
                logits = self.forward(
                    input_ids=input_ids.to(device),
                    token_type_ids=token_type_ids.to(device),
                    attention_mask=attention_mask.to(device),
                ).float()
                for row, n in zip(logits.cpu(), attention_mask.sum(dim=1).tolist()):
                    start_logits.append(row[:n, 0].tolist())
                    end_logits.append(row[:n, 1].tolist())
                unique_ids.extend(ids.tolist())
        finally:
            self.train(was_training)
        answers, nbest, _ = loader.dataset.get_predictions(
            unique_ids, start_logits, end_logits, **self._prediction_options()
        )
        questions = {example.qas_id: example.question_text for example in loader.dataset.examples}
        predictions = {qid: (questions[qid], answer) for qid, answer in answers.items()}
        nbest_lists = _nbest_lists(nbest)
        _write_outputs(predictions, nbest_lists, output_prediction_file, output_nbest_file)
        return predictions, nbest_lists

    @classmethod
    def list_available_models(cls) -> Optional[List]:
        return None


def _nbest_lists(nbest: Dict[str, List[NBestEntry]]) -> Dict[str, List[Dict[str, Any]]]:
    """The n-best lists as JSON-ready dicts (``text``, ``probability``, ``start_logit``, ``end_logit``)."""
    return {qid: [entry._asdict() for entry in entries] for qid, entries in nbest.items()}


def _write_outputs(predictions: Dict, nbest: Dict, prediction_file: Optional[str], nbest_file: Optional[str]) -> None:
    """Write the answers and the n-best lists as JSON where files are named (v1's layout, indented)."""
    for path, content in ((prediction_file, predictions), (nbest_file, nbest)):
        if path:
            with open(path, "w", encoding="utf-8") as f:
                f.write(json.dumps(content, indent=4) + "\n")
