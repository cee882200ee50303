"""``BertModule``: the typed interface every BERT-family encoder of the NLP collection implements."""

import os
from typing import Dict, Iterable, Optional, Tuple

import torch
from torch import nn

from nemo.core.classes.exportable import Exportable
from nemo.core.classes.module import NeuralModule
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import ChannelType, MaskType, NeuralType
from nemo.utils import logging

__all__ = ["BertModule", "LayerList", "load_checkpoint_state_dict"]


class LayerList(nn.Module):
    """The encoder's layers as ``<name>.layer.<i>`` (the checkpoint names of BERT's ``encoder`` and DistilBERT's
    ``transformer``)."""

    def __init__(self, layers: Iterable[nn.Module]) -> None:
        super().__init__()
        self.layer = nn.ModuleList(layers)


def load_checkpoint_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """Tensors of a ``.safetensors`` file or a torch checkpoint (read with ``weights_only=True``, never unpickled).

    A Lightning/NeMo checkpoint that nests the weights under ``state_dict`` is unwrapped.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Encoder checkpoint {path!r} does not exist")
    if path.endswith(".safetensors"):
        from safetensors.torch import load_file

        return load_file(path, device="cpu")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - re-raised with the file name and the reason
        raise ValueError(f"{path}: not a weights-only torch checkpoint ({type(e).__name__}: {e})") from e
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise ValueError(f"{path}: expected a mapping of parameter names to tensors")
    return state


class BertModule(NeuralModule, Exportable):
    """Encoder taking ``input_ids``/``token_type_ids``/``attention_mask`` and returning the last hidden states.

    Subclasses define ``config`` (with ``hidden_size`` and ``max_position_embeddings``), ``_embed`` and ``layers``;
    ``forward`` runs the layers over the embeddings. :meth:`restore_weights` loads a checkpoint whose parameter names
    may carry the model-family prefix (``bert.``, ``distilbert.``, ``roberta.``, ``albert.``, ``bert_model.``).
    """

    # Prefixes checkpoints put in front of the encoder's own parameter names.
    checkpoint_prefixes: Tuple[str, ...] = ("bert_model.", "bert.", "distilbert.", "roberta.", "albert.", "model.")
    # Checkpoint entries that are not parameters of the encoder and are dropped silently.
    ignored_checkpoint_keys: Tuple[str, ...] = ("embeddings.position_ids", "embeddings.token_type_ids")
    ignored_checkpoint_prefixes: Tuple[str, ...] = (
        "pooler.",
        "cls.",
        "vocab_",
        "qa_outputs.",
        "classifier.",
        "lm_head.",
        "predictions.",
        "sop_classifier.",
    )

    @property
    def input_types(self) -> Optional[Dict[str, NeuralType]]:
        return {
            "input_ids": NeuralType(("B", "T"), ChannelType()),
            "attention_mask": NeuralType(("B", "T"), MaskType(), optional=True),
            "token_type_ids": NeuralType(("B", "T"), ChannelType(), optional=True),
        }

    @property
    def output_types(self) -> Optional[Dict[str, NeuralType]]:
        return {"last_hidden_states": NeuralType(("B", "T", "D"), ChannelType())}

    @property
    def layers(self) -> nn.ModuleList:
        """The transformer layers, each called as ``layer(hidden_states, keep_mask)``."""
        raise NotImplementedError

    def _embed(self, input_ids: torch.Tensor, token_type_ids: Optional[torch.Tensor]) -> torch.Tensor:
        """Embeddings ``(B, T, D)`` of the inputs."""
        raise NotImplementedError

    @typecheck()
    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: Optional[torch.Tensor] = None,
        token_type_ids: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        if input_ids.shape[1] > self.config.max_position_embeddings:
            raise ValueError(
                f"{type(self).__name__}: input_ids has {input_ids.shape[1]} positions, more than the "
                f"max_position_embeddings={self.config.max_position_embeddings} of the encoder"
            )
        keep = None if attention_mask is None else attention_mask.bool()
        x = self._embed(input_ids, token_type_ids)
        for layer in self.layers:
            x = layer(x, keep)
        return x

    def encoder_state_dict(self, state: Dict[str, torch.Tensor], source: str = "checkpoint") -> Dict[str, torch.Tensor]:
        """Map checkpoint names onto this module's names: strip a family prefix, drop non-encoder entries."""
        own = set(self.state_dict())
        mapped: Dict[str, torch.Tensor] = {}
        for name, tensor in state.items():
            key = name
            if key not in own:
                for prefix in self.checkpoint_prefixes:
                    if key.startswith(prefix) and key[len(prefix) :] in own:
                        key = key[len(prefix) :]
                        break
            bare = key.split(".", 1)[1] if key.split(".", 1)[0] + "." in self.checkpoint_prefixes else key
            if key not in own and (
                bare in self.ignored_checkpoint_keys
                or bare.startswith(self.ignored_checkpoint_prefixes)
                or key.startswith(self.ignored_checkpoint_prefixes)
            ):
                continue
            mapped[key] = tensor
        unexpected = sorted(set(mapped) - own)
        missing = sorted(own - set(mapped))
        if unexpected or missing:
            raise ValueError(
                f"{source}: does not match {type(self).__name__}: missing {missing[:8]}"
                f"{' ...' if len(missing) > 8 else ''}, unexpected {unexpected[:8]}{' ...' if len(unexpected) > 8 else ''}"
            )
        return mapped

    def restore_weights(self, restore_path: str) -> None:
        """Load encoder weights from ``restore_path`` (``.safetensors``, ``.bin``/``.pt`` weights-only)."""
        state = self.encoder_state_dict(load_checkpoint_state_dict(restore_path), source=restore_path)
        self.load_state_dict(state, strict=True)
        logging.info(f"Restored {type(self).__name__} weights from {restore_path}")

    def input_example(self, max_batch: int = 2, max_dim: int = 16) -> Tuple[torch.Tensor, ...]:
        """``(input_ids, attention_mask, token_type_ids)`` on the module's device, for tracing and export."""
        device = next(self.parameters()).device
        vocab_size = getattr(getattr(self, "config", None), "vocab_size", 100)
        input_ids = torch.randint(0, min(vocab_size, 100), (max_batch, max_dim), device=device)
        mask = torch.ones_like(input_ids)
        return input_ids, mask, torch.zeros_like(input_ids)
