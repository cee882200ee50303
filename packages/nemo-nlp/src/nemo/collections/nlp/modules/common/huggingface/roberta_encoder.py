"""``RobertaEncoder``: RoBERTa in plain PyTorch, with HuggingFace's ``RobertaModel`` parameter names.

RoBERTa is BERT's architecture with other embeddings bookkeeping: positions count only non-padding tokens and start
after the padding id (``pad_token_id + 1``), so padded rows embed like unpadded ones; one segment type.
"""

from typing import Optional

import torch

from nemo.collections.nlp.modules.common.huggingface.bert_encoder import BertEncoder

__all__ = ["RobertaEncoder", "roberta_position_ids"]


def roberta_position_ids(input_ids: torch.Tensor, padding_idx: int) -> torch.Tensor:
    """``padding_idx + 1 + i`` for the i-th non-padding token of a row, ``padding_idx`` for padding."""
    keep = input_ids.ne(padding_idx).long()
    return torch.cumsum(keep, dim=1) * keep + padding_idx


class RobertaEncoder(BertEncoder):
    """RoBERTa encoder from an :class:`EncoderConfig` (``model_type: roberta``); checkpoints may say ``roberta.``."""

    def _embed(self, input_ids: torch.Tensor, token_type_ids: Optional[torch.Tensor]) -> torch.Tensor:
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        positions = roberta_position_ids(input_ids, self.config.pad_token_id)
        return self.embeddings(input_ids, token_type_ids, positions)
