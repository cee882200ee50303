"""Multi-head self-attention of the Conformer (absolute and Transformer-XL relative positions) and its positional
encodings, with NeMo's class names, arguments and parameter names (``linear_q``, ``linear_k``, ``linear_v``,
``linear_out``, ``linear_pos``, ``pos_bias_u``, ``pos_bias_v``).

Masks follow NeMo: ``mask`` is ``(B, T1, T2)`` bool, True where a query may **not** look; masked scores get
``-10000`` added before the softmax (NeMo sets them to it: the same probabilities, as ``exp(-10000)`` is 0) and the
probabilities are multiplied by 0 after it, so a query row with every key masked (a padded frame) attends to nothing
and outputs ``linear_out``'s bias. Arithmetic rather than ``masked_fill``, whose broadcast over the heads is several
times slower on CPU. The encoder passes no mask at all when no frame is padded.

Two implementations of the same function, chosen per call:

- explicit: ``softmax(q k^T / sqrt(d_k))`` with matmuls (for ``rel_pos``: ``((q + u) k^T + rel_shift((q + v) p^T)) /
  sqrt(d_k)``);
- ``torch.nn.functional.scaled_dot_product_attention`` (SDPA): ``rel_pos`` passes its positional term, scaled and
  masked with ``-10000``, as the additive ``attn_mask``; ``abs_pos`` passes the additive mask alone. Fully masked
  rows are zeroed afterwards, as in the explicit path.

``use_pytorch_sdpa`` (NeMo's argument) picks one: True/False force it, None (the default here) picks per call by the
rule :func:`prefer_sdpa` encodes from measurements on CPU (see nemo-asr's README); ONNX export always takes the
explicit path (the default opset 12 has no SDPA). Under autocast the attention runs in float32, as NeMo's does.
"""

import contextlib
import math
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from nemo.collections.common.parts.dropout import Dropout
from nemo.collections.common.parts.graph_capture import capturing_graph

__all__ = [
    "INF_VAL",
    "MultiHeadAttention",
    "PositionalEncoding",
    "RelPositionMultiHeadAttention",
    "RelPositionalEncoding",
    "prefer_sdpa",
]

INF_VAL = 10000.0

# The projected query, key and value heads, each (B, H, T, d_k).
_Heads = Tuple[torch.Tensor, torch.Tensor, torch.Tensor]


def prefer_sdpa(rel_pos: bool, device: torch.device, needs_grad: bool) -> bool:
    """Whether SDPA is the faster implementation for a call (``use_pytorch_sdpa=None``).

    Measured on CPU with ``benchmarks/asr_conformer_attention.py`` (numbers in nemo-asr's README): SDPA is faster for
    ``abs_pos`` forward (1.1-2.0x) and training steps (1.0-1.3x) and for ``rel_pos`` forward from the medium size on
    (1.1-1.4x; a tie at the small one); ``rel_pos`` training steps tie (0.94-1.04x; 0.95x with the strided positional
    term), so they keep the explicit path. On CUDA SDPA's fused kernels are used (not measured here).
    """
    if device.type == "cuda":
        return True
    return not (rel_pos and needs_grad)


def _sdpa_backends(names: Optional[Sequence[str]]) -> List["torch.nn.attention.SDPBackend"]:
    if not names:
        return []
    from torch.nn.attention import SDPBackend

    return [getattr(SDPBackend, name) for name in names]


def _float32_attention(enabled: bool, device: torch.device):
    """Autocast off (the attention runs in float32, as NeMo's ``avoid_float16_autocast_context``); a no-op else."""
    return torch.autocast(device_type=device.type, enabled=False) if enabled else contextlib.nullcontext()


def _additive(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """``mask`` (B, T1, T2), True where attention is not allowed, as an additive (B, 1, T1, T2) bias: ``-INF_VAL``
    there, 0 elsewhere (finite, so a query with every key masked gets no NaN)."""
    return mask.unsqueeze(1).to(dtype) * -INF_VAL


class MultiHeadAttention(nn.Module):
    """Multi-head attention of the Transformer (``abs_pos``). ``forward(query, key, value, mask)`` -> (B, T1, n_feat)."""

    _relative_positions = False

    def __init__(
        self,
        n_head: int,
        n_feat: int,
        dropout_rate: float,
        max_cache_len: int = 0,
        use_bias: bool = True,
        use_pytorch_sdpa: Optional[bool] = None,
        use_pytorch_sdpa_backends: Optional[Sequence[str]] = None,
    ) -> None:
        super().__init__()
        if n_feat % n_head != 0:
            raise ValueError(f"n_feat ({n_feat}) must be divisible by n_head ({n_head})")
        self.use_pytorch_sdpa = use_pytorch_sdpa
        self.use_pytorch_sdpa_backends = list(use_pytorch_sdpa_backends or [])
        self._sdpa_backends = _sdpa_backends(self.use_pytorch_sdpa_backends)
        self.cache_drop_size = None
        self.use_bias = use_bias
        self.dropout_rate = dropout_rate
        self.d_k = n_feat // n_head
        self.s_d_k = math.sqrt(self.d_k)
        self.h = n_head
        self.linear_q = nn.Linear(n_feat, n_feat, bias=use_bias)
        self.linear_k = nn.Linear(n_feat, n_feat, bias=use_bias)
        self.linear_v = nn.Linear(n_feat, n_feat, bias=use_bias)
        self.linear_out = nn.Linear(n_feat, n_feat, bias=use_bias)
        self.dropout = Dropout(p=dropout_rate)
        self._max_cache_len = max_cache_len

    # ----------------------------------------------------------------------------------------------------- helpers
    def _use_sdpa(self, x: torch.Tensor, rel_pos: bool) -> bool:
        if torch.onnx.is_in_onnx_export():
            return False
        if self.use_pytorch_sdpa is not None:
            return bool(self.use_pytorch_sdpa)
        # A traced graph must not depend on the grad mode it was traced in (trace checks re-run without grad).
        needs_grad = (
            not torch.jit.is_tracing()
            and torch.is_grad_enabled()
            and (x.requires_grad or self.linear_q.weight.requires_grad)
        )
        return prefer_sdpa(rel_pos, x.device, needs_grad)

    def _sdpa(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, attn_mask: Optional[torch.Tensor]):
        dropout_p = self.dropout_rate if self.training else 0.0
        if self._sdpa_backends:
            from torch.nn.attention import sdpa_kernel

            with sdpa_kernel(self._sdpa_backends):
                return F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, dropout_p=dropout_p)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, dropout_p=dropout_p)

    def _merge_heads(self, x: torch.Tensor) -> torch.Tensor:
        """(B, H, T, d_k) -> linear_out((B, T, H * d_k))."""
        return self.linear_out(x.transpose(1, 2).reshape(x.size(0), -1, self.h * self.d_k))

    @staticmethod
    def _zero_fully_masked_rows(out: torch.Tensor, mask: Optional[torch.Tensor]) -> torch.Tensor:
        """Rows whose keys are all masked attend to nothing (the explicit path's result); ``mask`` (B, T1, T2)."""
        if mask is None:
            return out
        # 1 where a query sees at least one key: a float max and a multiply (bool reductions and a broadcast
        # masked_fill are several times slower on CPU).
        attends = (~mask).to(out.dtype).amax(dim=-1)
        return out * attends[:, None, :, None]

    def forward_qkv(
        self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(B, T, n_feat) each -> (B, H, T, d_k) each."""
        n_batch = query.size(0)
        q = self.linear_q(query).view(n_batch, -1, self.h, self.d_k).transpose(1, 2)
        k = self.linear_k(key).view(n_batch, -1, self.h, self.d_k).transpose(1, 2)
        v = self.linear_v(value).view(n_batch, -1, self.h, self.d_k).transpose(1, 2)
        return q, k, v

    def forward_attention(
        self, value: torch.Tensor, scores: torch.Tensor, mask: Optional[torch.Tensor]
    ) -> torch.Tensor:
        """``linear_out(dropout(softmax(scores)) @ value)`` with NeMo's masking; scores (B, H, T1, T2)."""
        if mask is not None:
            # Added -INF_VAL, then a multiply by 0: the same probabilities as NeMo's masked_fill pair (exp(-10000)
            # is 0 in float32), without masked_fill's slow broadcast over the heads on CPU.
            keep = (~mask).unsqueeze(1).to(scores.dtype)
            attn = torch.softmax(scores + _additive(mask, scores.dtype), dim=-1) * keep
        else:
            attn = torch.softmax(scores, dim=-1)
        return self._merge_heads(torch.matmul(self.dropout(attn), value))

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        mask: Optional[torch.Tensor],
        pos_emb: Optional[torch.Tensor] = None,
        cache: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """Attention of ``query`` (B, T1, n_feat) over ``key``/``value`` (B, T2, n_feat); ``mask`` (B, T1, T2) is True
        where attention is not allowed. Under autocast the attention runs in float32 (NeMo's choice)."""
        if cache is not None:
            raise NotImplementedError(f"{type(self).__name__}: streaming caches are not supported")
        autocast = torch.is_autocast_enabled()
        if autocast:
            query, key, value = query.float(), key.float(), value.float()
            pos_emb = None if pos_emb is None else pos_emb.float()
        with _float32_attention(autocast, query.device):
            sdpa = self._use_sdpa(query, rel_pos=self._relative_positions)
            return self._attend(self.forward_qkv(query, key, value), mask, pos_emb, sdpa)

    def _attend(
        self, heads: _Heads, mask: Optional[torch.Tensor], pos_emb: Optional[torch.Tensor], sdpa: bool
    ) -> torch.Tensor:
        """The attention output of projected heads ``(q, k, v)`` (B, H, T, d_k), through PyTorch's SDPA when ``sdpa``
        (``pos_emb`` is not used)."""
        q, k, v = heads
        if sdpa:
            out = self._sdpa(q, k, v, None if mask is None else _additive(mask, q.dtype))
            return self._merge_heads(self._zero_fully_masked_rows(out, mask))
        scores = torch.matmul(q, k.transpose(-2, -1)) / self.s_d_k
        return self.forward_attention(v, scores, mask)


class RelPositionMultiHeadAttention(MultiHeadAttention):
    """Transformer-XL attention with relative positions (``rel_pos``); ``pos_emb`` (1, 2 * T - 1, n_feat) comes from
    ``RelPositionalEncoding``. ``pos_bias_u``/``pos_bias_v`` (H, d_k) are this layer's own unless shared ones are given
    (``untie_biases: false``)."""

    _relative_positions = True

    def __init__(
        self,
        n_head: int,
        n_feat: int,
        dropout_rate: float,
        pos_bias_u: Optional[nn.Parameter],
        pos_bias_v: Optional[nn.Parameter],
        max_cache_len: int = 0,
        use_bias: bool = True,
        use_pytorch_sdpa: Optional[bool] = None,
        use_pytorch_sdpa_backends: Optional[Sequence[str]] = None,
    ) -> None:
        super().__init__(
            n_head=n_head,
            n_feat=n_feat,
            dropout_rate=dropout_rate,
            max_cache_len=max_cache_len,
            use_bias=use_bias,
            use_pytorch_sdpa=use_pytorch_sdpa,
            use_pytorch_sdpa_backends=use_pytorch_sdpa_backends,
        )
        self.linear_pos = nn.Linear(n_feat, n_feat, bias=False)
        if pos_bias_u is None or pos_bias_v is None:
            self.pos_bias_u = nn.Parameter(torch.zeros(self.h, self.d_k))
            self.pos_bias_v = nn.Parameter(torch.zeros(self.h, self.d_k))
        else:
            self.pos_bias_u = pos_bias_u
            self.pos_bias_v = pos_bias_v

    @staticmethod
    def rel_shift(x: torch.Tensor) -> torch.Tensor:
        """(B, H, T1, P) scores against positions ``T1 - 1 ... -(T1 - 1)`` -> entry ``[i, j]`` for position ``i - j``."""
        b, h, qlen, pos_len = x.size()
        x = F.pad(x, pad=(1, 0))  # (b, h, t1, p + 1)
        x = x.view(b, h, -1, qlen)  # (b, h, p + 1, t1)
        return x[:, :, 1:].view(b, h, qlen, pos_len)

    def _position_scores(self, q_with_bias_v: torch.Tensor, p: torch.Tensor, keys: int) -> torch.Tensor:
        """``rel_shift(q_with_bias_v @ p^T)[..., :keys]`` (B, H, T1, keys); ``q_with_bias_v`` (B, T1, H, d_k), ``p``
        (1, P, H, d_k).

        With the usual positions (``P == 2 * T1 - 1`` shared by the batch, ``keys == T1``) one GEMM per head over the
        whole batch, (H, B * T1, d_k) @ (H, d_k, P), and the shift is a strided view of its result, entry ``[i, j]``
        at column ``T1 - 1 - i + j``: no copy of ``p`` per utterance and no padded copy of the scores (NeMo's
        ``rel_shift`` pads, reshapes and slices them). Traced graphs (ONNX export) keep NeMo's ``rel_shift``.
        """
        batch, t1, heads, d_k = q_with_bias_v.shape
        positions = p.size(1)
        if capturing_graph() or p.size(0) != 1 or positions != 2 * t1 - 1 or keys != t1:
            # NeMo's shift (a traced graph must not freeze the sizes of a strided view).
            scores = torch.matmul(q_with_bias_v.transpose(1, 2), p.permute(0, 2, 3, 1))
            return self.rel_shift(scores)[:, :, :, :keys]
        per_head = q_with_bias_v.permute(2, 0, 1, 3).reshape(heads, batch * t1, d_k)
        full = torch.matmul(per_head, p[0].permute(1, 2, 0))  # (H, B * T1, P)
        return full.as_strided(
            (batch, heads, t1, t1), (t1 * positions, batch * t1 * positions, positions - 1, 1), t1 - 1
        )

    def _attend(
        self, heads: _Heads, mask: Optional[torch.Tensor], pos_emb: Optional[torch.Tensor], sdpa: bool
    ) -> torch.Tensor:
        """Content plus relative-position scores (Transformer-XL) of projected heads ``(q, k, v)``."""
        if pos_emb is None:
            raise ValueError("RelPositionMultiHeadAttention needs pos_emb")
        q, k, v = heads
        q = q.transpose(1, 2)  # (B, T1, H, d_k)
        p = self.linear_pos(pos_emb).view(pos_emb.size(0), -1, self.h, self.d_k)
        q_with_bias_u = (q + self.pos_bias_u).transpose(1, 2)  # (B, H, T1, d_k)
        q_with_bias_v = q + self.pos_bias_v  # (B, T1, H, d_k)
        if sdpa:
            # The positional term, scaled (on the small factor before the matmul) and masked, is SDPA's bias.
            bias = self._position_scores(q_with_bias_v, p / self.s_d_k, k.size(-2))
            bias = bias.contiguous() if mask is None else bias + _additive(mask, bias.dtype)
            out = self._sdpa(q_with_bias_u, k, v, bias)
            return self._merge_heads(self._zero_fully_masked_rows(out, mask))
        matrix_bd = self._position_scores(q_with_bias_v, p, k.size(-2))
        matrix_ac = torch.matmul(q_with_bias_u, k.transpose(-2, -1))
        scores = (matrix_ac + matrix_bd) / self.s_d_k
        return self.forward_attention(v, scores, mask)


class PositionalEncoding(nn.Module):
    """Fixed sinusoidal positions added to the (``xscale`` d) input (``abs_pos``). ``forward(x (B, T, D))`` returns
    ``(dropout(x * xscale + pe[:T]), pe[:T])``.

    The table ``pe`` (1, positions, D) is a non-persistent buffer (not in the state dict, as in NeMo), computed for
    ``max_len`` positions and extended by ``extend_pe`` when a longer input comes; ``reset_buffers()`` recomputes it
    (a model restored on the meta device calls it once its weights are assigned).
    """

    def __init__(
        self,
        d_model: int,
        dropout_rate: float,
        max_len: int = 5000,
        xscale: Optional[float] = None,
        dropout_rate_emb: float = 0.0,
    ) -> None:
        super().__init__()
        self.d_model = d_model
        self.xscale = xscale
        self.dropout = Dropout(p=dropout_rate)
        self.max_len = max_len
        self.dropout_emb = Dropout(dropout_rate_emb) if dropout_rate_emb > 0 else None
        self._pe_length = max_len
        self.reset_buffers()

    def _positions(self, length: int, device: Optional[torch.device]) -> torch.Tensor:
        return torch.arange(0, length, dtype=torch.float32, device=device).unsqueeze(1)

    def create_pe(self, positions: torch.Tensor, dtype: Optional[torch.dtype] = None) -> None:
        """``pe[:, i, 2j] = sin(pos_i * w_j)``, ``pe[:, i, 2j + 1] = cos(pos_i * w_j)``, ``w_j = 10000^(-2j / D)``."""
        pe = torch.zeros(positions.size(0), self.d_model, device=positions.device)
        div_term = torch.exp(
            torch.arange(0, self.d_model, 2, dtype=torch.float32, device=positions.device)
            * -(math.log(INF_VAL) / self.d_model)
        )
        pe[:, 0::2] = torch.sin(positions * div_term)
        pe[:, 1::2] = torch.cos(positions * div_term)
        pe = pe.unsqueeze(0)
        if dtype is not None:
            pe = pe.to(dtype)
        self.register_buffer("pe", pe, persistent=False)

    def reset_buffers(self) -> None:
        """(Re)compute ``pe`` on the default device for the current number of positions."""
        self.create_pe(self._positions(self._pe_length, None))

    def extend_pe(
        self, length: int, device: Optional[torch.device] = None, dtype: Optional[torch.dtype] = None
    ) -> None:
        """Make ``pe`` cover inputs of ``length`` frames (no-op when it does)."""
        if length <= self._pe_length and hasattr(self, "pe") and not self.pe.is_meta:
            return
        self._pe_length = max(length, self._pe_length)
        device = device if device is not None else self.pe.device
        self.create_pe(self._positions(self._pe_length, device), dtype or self.pe.dtype)

    def forward(self, x: torch.Tensor, cache_len: int = 0) -> Tuple[torch.Tensor, torch.Tensor]:
        input_len = x.size(1) + cache_len
        if self.xscale:
            x = x * self.xscale
        pos_emb = self.pe[:, :input_len]
        if self.dropout_emb is not None:
            pos_emb = self.dropout_emb(pos_emb)
        return self.dropout(x + pos_emb), pos_emb


class RelPositionalEncoding(PositionalEncoding):
    """Relative positions for ``RelPositionMultiHeadAttention`` (Transformer-XL, appendix B): ``forward(x)`` returns
    ``(dropout(x * xscale), pe)`` where ``pe`` (1, 2T - 1, D) encodes the positions ``T - 1`` down to ``-(T - 1)``."""

    def _positions(self, length: int, device: Optional[torch.device]) -> torch.Tensor:
        return torch.arange(length - 1, -length, -1, dtype=torch.float32, device=device).unsqueeze(1)

    def forward(self, x: torch.Tensor, cache_len: int = 0) -> Tuple[torch.Tensor, torch.Tensor]:
        if self.xscale:
            x = x * self.xscale
        input_len = x.size(1) + cache_len
        center_pos = self.pe.size(1) // 2 + 1  # one past the index of position 0
        pos_emb = self.pe[:, center_pos - input_len : center_pos + input_len - 1]
        if self.dropout_emb is not None:
            pos_emb = self.dropout_emb(pos_emb)
        return self.dropout(x), pos_emb
