"""Conformer self-attention: NeMo's parameter names, the relative-position shift, masking, and the explicit and SDPA
implementations agreeing (outputs and gradients)."""

import math

import pytest
import torch

from nemo.collections.asr.parts.submodules.multi_head_attention import (
    MultiHeadAttention,
    PositionalEncoding,
    RelPositionalEncoding,
    RelPositionMultiHeadAttention,
    prefer_sdpa,
)


def _mask(lengths, steps):
    valid = torch.arange(steps).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)
    return ~(valid.unsqueeze(1) & valid.unsqueeze(2))


def _attention(rel_pos, sdpa, seed=0):
    torch.manual_seed(seed)
    if rel_pos:
        module = RelPositionMultiHeadAttention(4, 16, 0.0, None, None, use_pytorch_sdpa=sdpa)
        with torch.no_grad():  # NeMo initialises the biases to zero, which would hide mistakes in their use
            module.pos_bias_u.normal_()
            module.pos_bias_v.normal_()
    else:
        module = MultiHeadAttention(4, 16, 0.0, use_pytorch_sdpa=sdpa)
    return module


def test_parameter_names_are_nemos():
    names = sorted(f"linear_{n}.{p}" for n in ("q", "k", "v", "out") for p in ("weight", "bias"))
    assert sorted(MultiHeadAttention(2, 8, 0.0).state_dict()) == names
    rel = RelPositionMultiHeadAttention(2, 8, 0.0, None, None).state_dict()
    assert {"linear_pos.weight", "pos_bias_u", "pos_bias_v"} <= set(rel) and "linear_pos.bias" not in rel
    assert rel["pos_bias_u"].shape == (2, 4)
    assert "linear_q.bias" not in MultiHeadAttention(2, 8, 0.0, use_bias=False).state_dict()


def test_rel_shift_puts_position_i_minus_j_at_i_j():
    t = 5
    positions = torch.arange(t - 1, -t, -1)  # the order of RelPositionalEncoding's table: T-1 ... -(T-1)
    scores = positions.float().view(1, 1, 1, -1).expand(1, 1, t, 2 * t - 1)  # score = the key's relative position
    shifted = RelPositionMultiHeadAttention.rel_shift(scores.contiguous())[..., :t]
    expected = (torch.arange(t).unsqueeze(1) - torch.arange(t).unsqueeze(0)).float()
    torch.testing.assert_close(shifted[0, 0], expected)


def test_rel_pos_scores_follow_transformer_xl():
    """Explicit path against a naive loop: ((q + u) . k_j + (q + v) . W p(i - j)) / sqrt(d_k)."""
    torch.manual_seed(1)
    module = _attention(rel_pos=True, sdpa=False).eval()
    enc = RelPositionalEncoding(16, 0.0, max_len=10)
    x = torch.randn(1, 6, 16)
    _, pos_emb = enc(x)
    captured = {}
    module.forward_attention = lambda v, scores, mask: captured.setdefault("scores", scores)
    module(x, x, x, None, pos_emb=pos_emb)
    q, k, _ = module.forward_qkv(x, x, x)
    p = module.linear_pos(pos_emb).view(1, -1, 4, 4).transpose(1, 2)  # (1, H, 2T-1, d_k); index T-1 is position 0
    naive = torch.zeros(1, 4, 6, 6)
    for i in range(6):
        for j in range(6):
            content = (q[0, :, i] + module.pos_bias_u) * k[0, :, j]
            position = (q[0, :, i] + module.pos_bias_v) * p[0, :, 5 - (i - j)]
            naive[0, :, i, j] = (content + position).sum(-1) / 2.0
    torch.testing.assert_close(captured["scores"], naive, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("rel_pos", [True, False], ids=["rel_pos", "abs_pos"])
def test_sdpa_and_explicit_agree_forward_and_backward(rel_pos):
    lengths, steps = [9, 6, 2], 9
    mask = _mask(lengths, steps)
    mask[0] |= torch.ones(steps, steps, dtype=torch.bool).triu(3)  # a limited right context in one item
    enc = (RelPositionalEncoding if rel_pos else PositionalEncoding)(16, 0.0, max_len=20)
    results = []
    for sdpa in (False, True):
        module = _attention(rel_pos, sdpa)
        x = torch.randn(3, steps, 16, generator=torch.Generator().manual_seed(3), requires_grad=True)
        _, pos_emb = enc(x.detach())
        out = module(x, x, x, mask, pos_emb=pos_emb)
        out.square().sum().backward()
        results.append((out.detach(), x.grad, [p.grad for p in module.parameters()]))
    (out0, gx0, gp0), (out1, gx1, gp1) = results
    torch.testing.assert_close(out1, out0, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(gx1, gx0, rtol=1e-4, atol=1e-5)
    for a, b in zip(gp1, gp0):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("sdpa", [False, True], ids=["explicit", "sdpa"])
@pytest.mark.parametrize("rel_pos", [True, False], ids=["rel_pos", "abs_pos"])
def test_padded_queries_attend_to_nothing_and_padded_keys_are_ignored(rel_pos, sdpa):
    module = _attention(rel_pos, sdpa).eval()
    enc = (RelPositionalEncoding if rel_pos else PositionalEncoding)(16, 0.0, max_len=20)
    x = torch.randn(2, 7, 16)
    _, pos_emb = enc(x)
    mask = _mask([7, 4], 7)
    out = module(x, x, x, mask, pos_emb=pos_emb)
    torch.testing.assert_close(out[1, 4:], module.linear_out.bias.expand(3, 16))  # all-masked rows: bias only
    garbage = x.clone()
    garbage[1, 4:] = 1e3  # whatever sits in the padding
    torch.testing.assert_close(module(garbage, garbage, garbage, mask, pos_emb=pos_emb)[1, :4], out[1, :4])


def test_masked_keys_outside_the_context_do_not_matter():
    module = _attention(rel_pos=True, sdpa=None).eval()
    enc = RelPositionalEncoding(16, 0.0, max_len=20)
    x = torch.randn(1, 8, 16)
    _, pos_emb = enc(x)
    band = torch.ones(8, 8, dtype=torch.bool)
    band = ~(band.triu(-2) & band.tril(1))  # two frames on the left, one on the right
    out = module(x, x, x, band.unsqueeze(0), pos_emb=pos_emb)
    changed = x.clone()
    changed[0, 7] += 5.0  # frame 7 is outside frame 0..5's context
    out2 = module(changed, changed, changed, band.unsqueeze(0), pos_emb=pos_emb)
    torch.testing.assert_close(out2[0, :6], out[0, :6])
    assert not torch.allclose(out2[0, 6:], out[0, 6:])


def test_shared_biases_are_the_given_parameters():
    u, v = torch.nn.Parameter(torch.zeros(2, 4)), torch.nn.Parameter(torch.zeros(2, 4))
    module = RelPositionMultiHeadAttention(2, 8, 0.0, u, v)
    assert module.pos_bias_u is u and module.pos_bias_v is v


def test_default_rule_and_onnx_export_use_the_measured_implementation(monkeypatch):
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert prefer_sdpa(rel_pos=False, device=cpu, needs_grad=False)
    assert prefer_sdpa(rel_pos=False, device=cpu, needs_grad=True)
    assert prefer_sdpa(rel_pos=True, device=cpu, needs_grad=False)
    assert not prefer_sdpa(rel_pos=True, device=cpu, needs_grad=True)
    assert prefer_sdpa(rel_pos=True, device=cuda, needs_grad=True)
    module = _attention(rel_pos=False, sdpa=None)
    calls = []
    module._sdpa = lambda *args: calls.append(1) or torch.zeros(1, 4, 3, 4)
    with torch.no_grad():
        module(torch.randn(1, 3, 16), torch.randn(1, 3, 16), torch.randn(1, 3, 16), None)
    assert calls == [1]

    monkeypatch.setattr(torch.onnx, "is_in_onnx_export", lambda: True)
    with torch.no_grad():  # the default opset has no SDPA: export takes the explicit path
        module(torch.randn(1, 3, 16), torch.randn(1, 3, 16), torch.randn(1, 3, 16), None)
    assert calls == [1]


def test_positional_tables_are_nemos_sinusoids():
    d, n = 8, 6
    enc = PositionalEncoding(d, 0.0, max_len=n)
    rel = RelPositionalEncoding(d, 0.0, max_len=n)
    pos = torch.arange(n).float().unsqueeze(1)
    rate = torch.exp(torch.arange(0, d, 2).float() * -(math.log(10000.0) / d))
    expected = torch.stack([torch.sin(pos * rate), torch.cos(pos * rate)], dim=-1).reshape(n, d)
    torch.testing.assert_close(enc.pe[0], expected)
    assert rel.pe.shape == (1, 2 * n - 1, d)
    torch.testing.assert_close(rel.pe[0, :n].flip(0), expected)  # the table holds positions n-1 ... 0 ... -(n-1)
    torch.testing.assert_close(rel.pe[0, n - 1 :, 0::2], -expected[:, 0::2])  # negative positions: sin flips
    assert "pe" not in enc.state_dict() and "pe" not in rel.state_dict()  # non-persistent, as in NeMo


def test_positional_encodings_scale_add_and_slice():
    x = torch.randn(2, 4, 8)
    enc = PositionalEncoding(8, 0.0, max_len=10, xscale=2.0)
    out, pos = enc(x)
    torch.testing.assert_close(out, 2.0 * x + enc.pe[:, :4])
    rel = RelPositionalEncoding(8, 0.0, max_len=10, xscale=2.0)
    out, pos = rel(x)
    torch.testing.assert_close(out, 2.0 * x)
    torch.testing.assert_close(pos, RelPositionalEncoding(8, 0.0, max_len=4).pe)  # positions 3 ... -3
    rel.extend_pe(30)
    assert rel.pe.shape[1] == 59
    torch.testing.assert_close(rel(torch.randn(1, 4, 8))[1], pos)


def test_reset_buffers_recomputes_a_meta_table():
    with torch.device("meta"):
        rel = RelPositionalEncoding(8, 0.0, max_len=5)
    assert rel.pe.is_meta
    rel.reset_buffers()
    torch.testing.assert_close(rel.pe, RelPositionalEncoding(8, 0.0, max_len=5).pe)


def test_strided_position_scores_equal_nemos_rel_shift_forward_and_backward():
    """The one-GEMM, strided-view positional term against NeMo's matmul + ``rel_shift`` + slice, with gradients."""
    module = _attention(rel_pos=True, sdpa=False)
    torch.manual_seed(2)
    q = torch.randn(3, 7, 4, 4, requires_grad=True)  # (B, T, H, d_k)
    p = torch.randn(1, 13, 4, 4, requires_grad=True)  # (1, 2T - 1, H, d_k)
    grad = torch.randn(3, 4, 7, 7)
    fast = module._position_scores(q, p, 7)
    reference = module.rel_shift(torch.matmul(q.transpose(1, 2), p.permute(0, 2, 3, 1)))[..., :7]
    torch.testing.assert_close(fast, reference, rtol=1e-5, atol=1e-5)
    fast_grads = torch.autograd.grad(fast, (q, p), grad)
    reference_grads = torch.autograd.grad(reference, (q, p), grad)
    for got, expected in zip(fast_grads, reference_grads):
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
