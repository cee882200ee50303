"""Building blocks shared by the Transformer encoder and decoder: embeddings, attention, feed-forward, masks."""

import copy
import math
from typing import Any, Callable, List, Optional, Union

import torch
from torch import nn

from nemo.collections.common.parts.dropout import Dropout

__all__ = [
    "FixedPositionalEncoding",
    "TransformerEmbedding",
    "MultiHeadAttention",
    "PositionWiseFF",
    "TransformerBlock",
    "TransformerStack",
    "form_attention_mask",
    "NEG_INF",
    "transformer_weights_init",
]

# Added to attention scores of masked positions; large but finite so fully masked rows stay NaN-free.
NEG_INF = -10000.0

_ACTIVATIONS = {"relu": torch.relu, "gelu": nn.functional.gelu, "swish": nn.functional.silu}


def form_attention_mask(
    key_mask: torch.Tensor, num_queries: Optional[int] = None, causal: bool = False
) -> torch.Tensor:
    """Additive attention mask of shape ``(B, 1, Q, K)`` from a ``(B, K)`` key padding mask (1 = real token).

    With ``causal`` the ``Q`` queries are the last ``Q`` of the ``K`` positions and may only look at keys at or
    before their own position (this also covers incremental decoding, where earlier positions come from a cache).
    """
    batch, num_keys = key_mask.shape
    num_queries = num_keys if num_queries is None else num_queries
    allowed = key_mask.bool()[:, None, None, :].expand(batch, 1, num_queries, num_keys)
    if causal:
        offset = num_keys - num_queries
        future = torch.ones(num_queries, num_keys, dtype=torch.bool, device=key_mask.device).triu(offset + 1)
        allowed = allowed & ~future
    return (~allowed).to(torch.float32) * NEG_INF


class FixedPositionalEncoding(nn.Module):
    """Sinusoidal position encodings ("Attention Is All You Need"), precomputed for ``max_sequence_length``."""

    def __init__(self, hidden_size: int, max_sequence_length: int = 512):
        super().__init__()
        positions = torch.arange(max_sequence_length, dtype=torch.float32).unsqueeze(1)
        inv_freq = torch.exp(torch.arange(0, hidden_size, 2, dtype=torch.float32) * -(math.log(10000.0) / hidden_size))
        table = torch.zeros(max_sequence_length, hidden_size)
        table[:, 0::2] = torch.sin(positions * inv_freq)
        table[:, 1::2] = torch.cos(positions * inv_freq[: hidden_size // 2])
        # Persistent, as in NeMo v1, so v1 state dicts (which hold it) load strictly.
        self.register_buffer("pos_enc", table / math.sqrt(hidden_size))

    def forward(self, position_ids: torch.Tensor) -> torch.Tensor:
        return nn.functional.embedding(position_ids, self.pos_enc)


class TransformerEmbedding(nn.Module):
    """Token + position (+ token type) embeddings, then LayerNorm and dropout.

    Token id 0 is the padding index in NeMo's NMT vocabularies only by convention, so no ``padding_idx`` is fixed here;
    padded positions are masked out by attention and the loss instead.
    """

    def __init__(
        self,
        vocab_size: int,
        hidden_size: int,
        max_sequence_length: int = 512,
        num_token_types: int = 2,
        embedding_dropout: float = 0.0,
        learn_positional_encodings: bool = False,
    ):
        super().__init__()
        self.max_sequence_length = max_sequence_length
        self.token_embedding = nn.Embedding(vocab_size, hidden_size)
        if learn_positional_encodings:
            self.position_embedding = nn.Embedding(max_sequence_length, hidden_size)
        else:
            self.position_embedding = FixedPositionalEncoding(hidden_size, max_sequence_length)
        self.token_type_embedding = nn.Embedding(num_token_types, hidden_size) if num_token_types > 0 else None
        self.layer_norm = nn.LayerNorm(hidden_size, eps=1e-5)
        self.dropout = Dropout(embedding_dropout)

    def forward(
        self, input_ids: torch.Tensor, token_type_ids: Optional[torch.Tensor] = None, start_pos: int = 0
    ) -> torch.Tensor:
        seq_length = input_ids.shape[1]
        if start_pos + seq_length > self.max_sequence_length:
            raise ValueError(
                f"TransformerEmbedding: positions up to {start_pos + seq_length} exceed max_sequence_length="
                f"{self.max_sequence_length}; raise the encoder/decoder max_sequence_length config key"
            )
        position_ids = torch.arange(start_pos, start_pos + seq_length, device=input_ids.device).unsqueeze(0)
        embeddings = self.token_embedding(input_ids) + self.position_embedding(position_ids)
        if token_type_ids is not None:
            if self.token_type_embedding is None:
                raise ValueError("TransformerEmbedding: token_type_ids given but num_token_types is 0")
            embeddings = embeddings + self.token_type_embedding(token_type_ids)
        return self.dropout(self.layer_norm(embeddings))


class MultiHeadAttention(nn.Module):
    """Scaled dot-product attention over ``num_attention_heads`` heads with an additive mask."""

    def __init__(
        self,
        hidden_size: int,
        num_attention_heads: int,
        attn_score_dropout: float = 0.0,
        attn_layer_dropout: float = 0.0,
    ):
        super().__init__()
        if hidden_size % num_attention_heads != 0:
            raise ValueError(
                f"MultiHeadAttention: hidden_size ({hidden_size}) must be a multiple of num_attention_heads "
                f"({num_attention_heads})"
            )
        self.num_heads = num_attention_heads
        self.head_size = hidden_size // num_attention_heads
        self.query_net = nn.Linear(hidden_size, hidden_size)
        self.key_net = nn.Linear(hidden_size, hidden_size)
        self.value_net = nn.Linear(hidden_size, hidden_size)
        self.out_projection = nn.Linear(hidden_size, hidden_size)
        self.attn_dropout = Dropout(attn_score_dropout)
        self.layer_dropout = Dropout(attn_layer_dropout)

    def _split_heads(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, _ = x.shape
        return x.view(batch, length, self.num_heads, self.head_size).transpose(1, 2)

    def forward(
        self, queries: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, attention_mask: Optional[torch.Tensor]
    ) -> torch.Tensor:
        q = self._split_heads(self.query_net(queries))
        k = self._split_heads(self.key_net(keys))
        v = self._split_heads(self.value_net(values))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_size)
        if attention_mask is not None:
            scores = scores + attention_mask.to(scores.dtype)
        probs = self.attn_dropout(torch.softmax(scores, dim=-1))
        context = torch.matmul(probs, v).transpose(1, 2).flatten(2)
        return self.layer_dropout(self.out_projection(context))


class PositionWiseFF(nn.Module):
    """Two linear layers with an activation between them, applied to every position independently."""

    def __init__(self, hidden_size: int, inner_size: int, ffn_dropout: float = 0.0, hidden_act: str = "relu"):
        super().__init__()
        if hidden_act not in _ACTIVATIONS:
            raise ValueError(f"PositionWiseFF: hidden_act={hidden_act!r}; expected one of {sorted(_ACTIVATIONS)}")
        self.dense_in = nn.Linear(hidden_size, inner_size)
        self.dense_out = nn.Linear(inner_size, hidden_size)
        self.act_fn = _ACTIVATIONS[hidden_act]
        self.dropout = Dropout(ffn_dropout)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.dense_out(self.act_fn(self.dense_in(hidden_states))))


class TransformerBlock(nn.Module):
    """Base of the encoder and decoder layers: sub-layers with residual connections, the first a self-attention.

    It holds ``layer_norm_1``, ``first_sub_layer`` (self-attention) and ``layer_norm_2``; ``_add_sub_layers`` adds the
    rest (the state-dict names are NeMo v1's). ``pre_ln=False`` normalises after each residual sum (the original
    Transformer); ``pre_ln=True`` normalises the input of each sub-layer, which trains more stably for deep stacks.
    """

    def __init__(
        self,
        hidden_size: int,
        inner_size: int,
        num_attention_heads: int = 1,
        attn_score_dropout: float = 0.0,
        attn_layer_dropout: float = 0.0,
        ffn_dropout: float = 0.0,
        hidden_act: str = "relu",
        pre_ln: bool = False,
    ):
        super().__init__()

        def attention() -> MultiHeadAttention:
            return MultiHeadAttention(hidden_size, num_attention_heads, attn_score_dropout, attn_layer_dropout)

        def norm() -> nn.LayerNorm:
            return nn.LayerNorm(hidden_size, eps=1e-5)

        self.pre_ln = pre_ln
        self.layer_norm_1 = norm()
        self.first_sub_layer = attention()
        self.layer_norm_2 = norm()
        self._add_sub_layers(attention, norm, lambda: PositionWiseFF(hidden_size, inner_size, ffn_dropout, hidden_act))

    def _add_sub_layers(
        self,
        attention: Callable[[], "MultiHeadAttention"],
        norm: Callable[[], nn.LayerNorm],
        feed_forward: Callable[[], "PositionWiseFF"],
    ) -> None:
        """Add the sub-layers after ``layer_norm_2``, made by the given factories (in state-dict order)."""
        raise NotImplementedError

    def _residual(self, norm: nn.Module, sub_layer: Callable[[torch.Tensor], torch.Tensor], hidden: torch.Tensor):
        """``hidden + sub_layer(norm(hidden))`` (pre-LN) or ``norm(hidden + sub_layer(hidden))`` (post-LN)."""
        if self.pre_ln:
            return hidden + sub_layer(norm(hidden))
        return norm(hidden + sub_layer(hidden))

    def _self_attention(self, query: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The first sub-layer: ``query`` attends to ``keys`` (pre-LN normalises both)."""
        if self.pre_ln:
            keys = self.layer_norm_1(keys)
        return self._residual(self.layer_norm_1, lambda x: self.first_sub_layer(x, keys, keys, mask), query)


class TransformerStack(nn.Module):
    """Base of the encoder and decoder stacks: ``num_layers`` copies of one ``block_class`` layer and, for pre-LN
    stacks with ``pre_ln_final_layer_norm``, a final LayerNorm.

    ``_run_layers`` runs them with per-layer caches for incremental use: ``mems_list`` (the input of every layer plus
    the final output, cached from earlier steps, as returned with ``return_mems=True``) holds the earlier positions,
    which are prepended as keys; with ``return_mems`` the per-layer inputs (cached + new) and the final output are
    returned, so the last element's last position is the newest output.
    """

    block_class: type = TransformerBlock

    def __init__(
        self,
        num_layers: int,
        hidden_size: int,
        inner_size: int,
        *block_args: Any,
        pre_ln_final_layer_norm: bool = True,
        **block_kwargs: Any,
    ):
        """``block_args``/``block_kwargs``: the block's arguments after ``inner_size`` (``num_attention_heads``,
        ``attn_score_dropout``, ``attn_layer_dropout``, ``ffn_dropout``, ``hidden_act``, ``pre_ln``)."""
        super().__init__()
        layer = self.block_class(hidden_size, inner_size, *block_args, **block_kwargs)
        self.layers = nn.ModuleList([copy.deepcopy(layer) for _ in range(num_layers)])
        final_norm = layer.pre_ln and pre_ln_final_layer_norm
        self.final_layer_norm = nn.LayerNorm(hidden_size, eps=1e-5) if final_norm else None

    def _run_layers(
        self,
        states: torch.Tensor,
        key_mask: torch.Tensor,
        mask_name: str,
        mems_list: Optional[List[torch.Tensor]],
        return_mems: bool,
        step: Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor],
    ) -> Union[torch.Tensor, List[torch.Tensor]]:
        """Run ``step(layer, hidden, keys)`` through the layers; ``key_mask`` (named ``mask_name`` in errors) must
        cover the cached and the new positions."""

        def with_cache(hidden: torch.Tensor, index: int) -> torch.Tensor:
            cached = mems_list[index] if mems_list is not None else None
            return hidden if cached is None else torch.cat([cached, hidden], dim=1)

        keys = with_cache(states, 0)
        if key_mask.shape[1] != keys.shape[1]:
            raise ValueError(
                f"{type(self).__name__}: {mask_name} covers {key_mask.shape[1]} positions but the states (with mems) "
                f"have {keys.shape[1]}"
            )
        mems = [keys]
        hidden = states
        for i, layer in enumerate(self.layers):
            hidden = step(layer, hidden, keys)
            keys = with_cache(hidden, i + 1)
            mems.append(keys)
        if self.final_layer_norm is not None:
            # Only the new positions are normalised: the cached last entry already holds normalised outputs.
            hidden = self.final_layer_norm(hidden)
            mems[-1] = with_cache(hidden, -1)
        return mems if return_mems else hidden


def transformer_weights_init(module: nn.Module, std_init_range: float = 0.02, xavier: bool = True) -> None:
    """Initialise one module the way NeMo's Transformers are: Xavier (or N(0, std)) linears, N(0, std) embeddings,
    unit LayerNorms, zero biases. Use with ``model.apply(...)``."""
    if isinstance(module, nn.Linear):
        if xavier:
            nn.init.xavier_uniform_(module.weight)
        else:
            nn.init.normal_(module.weight, mean=0.0, std=std_init_range)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, mean=0.0, std=std_init_range)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
