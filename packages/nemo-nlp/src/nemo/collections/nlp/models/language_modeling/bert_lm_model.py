"""``BERTLMModel``: BERT pretraining from plain text, masked-LM loss plus (optionally) next-sentence prediction.

NeMo v1's model: a BERT-family encoder (``model.language_model``), the masked-LM head ``mlm_classifier`` whose output
layer shares the encoder's word embeddings, and unless ``model.only_mlm_loss`` the next-sentence head
``nsp_classifier``; the losses are summed. Data: ``BertPretrainingDataset`` from the ``data_file`` of each ``*_ds``.
"""

import math
from typing import Dict, List, Optional, Sequence, Tuple, Union

import pytorch_lightning as pl
import torch
from omegaconf import DictConfig, open_dict

from nemo.collections.common.losses import AggregatorLoss, CrossEntropyLoss, SmoothedCrossEntropyLoss
from nemo.collections.nlp.data.language_modeling.lm_bert_dataset import BertPretrainingDataset
from nemo.collections.nlp.models.nlp_model import NLPModel
from nemo.collections.nlp.modules.common.sequence_classifier import SequenceClassifier
from nemo.collections.nlp.modules.common.token_classifier import BertPretrainingTokenClassifier
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import NeuralType
from nemo.utils import logging
from nemo.utils.model_utils import convert_model_config_to_dict_config

__all__ = ["BERTLMModel"]


class BERTLMModel(NLPModel):
    """BERT pretraining: ``forward`` gives the masked-LM log-probabilities ``(B, T, V)`` and, unless
    ``only_mlm_loss``, the next-sentence logits ``(B, 2)``."""

    data_file_keys = ("data_file",)
    dataset_config_keys = frozenset({"data_file", "max_seq_length", "mask_prob", "short_seq_prob", "num_samples"})

    @property
    def output_types(self) -> Optional[Dict[str, NeuralType]]:
        types = {"mlm_log_probs": self.mlm_classifier.output_types["log_probs"]}
        if not self.only_mlm_loss:
            types["nsp_logits"] = self.nsp_classifier.output_types["logits"]
        return types

    def __init__(self, cfg: DictConfig, trainer: Optional[pl.Trainer] = None) -> None:
        cfg = convert_model_config_to_dict_config(cfg)
        super().__init__(cfg=cfg, trainer=trainer)
        cfg = self._cfg
        config = cfg.language_model.get("config")
        if config is not None and "vocab_size" not in config and self.tokenizer is not None:
            with open_dict(cfg):  # a random encoder embeds exactly the tokenizer's vocabulary
                config.vocab_size = self.tokenizer.vocab_size
        self.setup_bert_model()
        hidden_size, vocab_size = self.bert_model.config.hidden_size, self.bert_model.config.vocab_size
        if self.tokenizer is not None and self.tokenizer.vocab_size > vocab_size:
            raise ValueError(
                f"model.tokenizer has {self.tokenizer.vocab_size} tokens but model.language_model's vocab_size is "
                f"{vocab_size}: token ids would fall outside the word embeddings"
            )
        self.only_mlm_loss = bool(cfg.get("only_mlm_loss", False))
        self.mlm_classifier = BertPretrainingTokenClassifier(
            hidden_size=hidden_size,
            num_classes=vocab_size,
            num_layers=cfg.get("num_tok_classification_layers", 1),
            activation="gelu",
            log_softmax=True,
            use_transformer_init=True,
        )
        # the output layer of the masked LM is the word embedding matrix (BERT's weight tying, as v1 does it)
        output_layer = self.mlm_classifier.mlp.last_linear_layer
        embeddings = self.bert_model.embeddings.word_embeddings
        if output_layer.weight.shape != embeddings.weight.shape:
            raise ValueError(
                f"model.num_tok_classification_layers: the masked-LM output layer {tuple(output_layer.weight.shape)} "
                f"cannot share the word embeddings {tuple(embeddings.weight.shape)}"
            )
        output_layer.weight = embeddings.weight
        self.mlm_loss = SmoothedCrossEntropyLoss()
        if not self.only_mlm_loss:
            self.nsp_classifier = SequenceClassifier(
                hidden_size=hidden_size,
                num_classes=2,
                num_layers=cfg.get("num_seq_classification_layers", 2),
                log_softmax=False,
                activation="tanh",
                use_transformer_init=True,
            )
            self.nsp_loss = CrossEntropyLoss()
            self.agg_loss = AggregatorLoss(num_inputs=2)

    @typecheck()
    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> Union[torch.Tensor, Tuple[torch.Tensor, torch.Tensor]]:
        hidden_states = self.bert_model(
            input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask
        )
        mlm_log_probs = self.mlm_classifier(hidden_states=hidden_states)
        if self.only_mlm_loss:
            return mlm_log_probs
        return mlm_log_probs, self.nsp_classifier(hidden_states=hidden_states)

    def _losses(self, batch: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(total loss, masked-LM loss)`` of a ``BertPretrainingDataset`` batch."""
        input_ids, input_type_ids, input_mask, output_ids, output_mask, labels = batch
        outputs = self.forward(input_ids=input_ids, token_type_ids=input_type_ids, attention_mask=input_mask)
        mlm_log_probs = outputs if self.only_mlm_loss else outputs[0]
        mlm_loss = self.mlm_loss(log_probs=mlm_log_probs, labels=output_ids, output_mask=output_mask)
        if self.only_mlm_loss:
            return mlm_loss, mlm_loss
        nsp_loss = self.nsp_loss(logits=outputs[1], labels=labels)
        return self.agg_loss(loss_1=mlm_loss, loss_2=nsp_loss), mlm_loss

    def training_step(self, batch: Sequence[torch.Tensor], batch_idx: int) -> Dict[str, torch.Tensor]:
        loss, mlm_loss = self._losses(batch)
        lr = self._optimizer.param_groups[0]["lr"]
        self.log("train_loss", loss)
        self.log("train_mlm_loss", mlm_loss)
        self.log("lr", lr, prog_bar=True)
        return {"loss": loss, "lr": lr}

    def validation_step(self, batch: Sequence[torch.Tensor], batch_idx: int, dataloader_idx: int = 0) -> Dict:
        loss, mlm_loss = self._losses(batch)
        return {"val_loss": loss, "val_mlm_loss": mlm_loss}

    def multi_validation_epoch_end(self, outputs: List[Dict], dataloader_idx: int = 0) -> Dict:
        """Mean losses, and the masked-LM perplexity ``exp(mlm loss)``."""
        if not outputs:
            return {}
        avg_loss = torch.stack([o["val_loss"] for o in outputs]).mean()
        mlm_loss = torch.stack([o["val_mlm_loss"] for o in outputs]).mean()
        perplexity = math.exp(min(float(mlm_loss), 50.0))
        logging.info(f"masked-LM loss {float(mlm_loss):.4f}, perplexity {perplexity:.2f}")
        log = {"val_loss": avg_loss, "val_mlm_loss": mlm_loss, "val_perplexity": torch.tensor(perplexity)}
        return {"val_loss": avg_loss, "log": log}

    def _build_dataset(self, config: DictConfig) -> BertPretrainingDataset:
        return BertPretrainingDataset(
            tokenizer=self.tokenizer,
            data_file=config.data_file,
            max_seq_length=config.get("max_seq_length", self._cfg.get("max_seq_length", 128)),
            mask_prob=config.get("mask_prob", self._cfg.get("mask_prob", 0.15)),
            short_seq_prob=config.get("short_seq_prob", self._cfg.get("short_seq_prob", 0.1)),
            num_samples=config.get("num_samples", -1),
        )

    def _build_dataloader(self, dataset: BertPretrainingDataset, params: DictConfig) -> torch.utils.data.DataLoader:
        if "batch_size" not in params:
            params.batch_size = 16  # v1's config
        return super()._build_dataloader(dataset, params)

    @classmethod
    def list_available_models(cls) -> Optional[List]:
        return None
