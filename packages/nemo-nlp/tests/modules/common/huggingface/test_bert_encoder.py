"""multi_head_attention's CPU dropout path (weights computed explicitly, nemo-core's cheaper dropout on them): the
same attention on average, padded keys still ignored, one fresh mask per call."""

import torch

from nemo.collections.nlp.modules.common.huggingface.bert_encoder import multi_head_attention


def _inputs():
    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 6, 8) for _ in range(3))
    keep = torch.tensor([[True] * 6, [True] * 4 + [False] * 2])
    return q, k, v, keep


def test_attention_dropout_keeps_the_mean_of_the_plain_attention():
    q, k, v, keep = _inputs()
    plain = multi_head_attention(q, k, v, keep, 2, 0.0)  # SDPA's fused kernel
    draws = torch.stack([multi_head_attention(q, k, v, keep, 2, 0.3) for _ in range(10_000)])
    assert not torch.equal(draws[0], draws[1]) and not torch.equal(draws[0], plain)
    # The draws' largest per-element standard deviation is 0.93: the mean's is below 0.01 (0.05 is 5 of them).
    torch.testing.assert_close(draws.mean(0), plain, atol=0.05, rtol=0)


def test_attention_dropout_gives_padded_keys_no_weight():
    q, k, v, keep = _inputs()
    k2, v2 = k.clone(), v.clone()
    k2[1, 4:], v2[1, 4:] = 50.0, 100.0
    torch.manual_seed(1)
    out = multi_head_attention(q, k, v, keep, 2, 0.3)
    torch.manual_seed(1)
    assert torch.equal(multi_head_attention(q, k2, v2, keep, 2, 0.3), out)
