import pytest
import torch

from nemo.collections.asr.parts.submodules.tdnn_attention import AttentivePoolLayer, StatsPoolLayer

LENGTHS = torch.tensor([20, 13, 1])


@pytest.fixture
def padded():
    torch.manual_seed(0)
    x = torch.randn(3, 6, 20)
    for b, n in enumerate(LENGTHS.tolist()):
        x[b, :, n:] = 1e3  # padding that must not reach any statistic
    return x


def test_stats_pool_is_the_mean_and_std_of_the_valid_frames(padded):
    xvector, tap = StatsPoolLayer(6, "xvector"), StatsPoolLayer(6, "tap")
    assert (xvector.feat_in, tap.feat_in) == (12, 6)
    pooled, means = xvector(padded, LENGTHS), tap(padded, LENGTHS)
    for b, n in enumerate(LENGTHS.tolist()[:2]):
        frames = padded[b, :, :n]
        torch.testing.assert_close(pooled[b], torch.cat([frames.mean(-1), frames.std(-1)]))
        torch.testing.assert_close(means[b], frames.mean(-1))
    assert torch.equal(pooled[2, 6:], torch.full((6,), 1e-5))  # one frame: variance 0, clamped at eps (NeMo: NaN)
    biased = StatsPoolLayer(6, "xvector", unbiased=False)(padded[:1], LENGTHS[:1])
    torch.testing.assert_close(biased[0, 6:], padded[0].std(-1, correction=0))
    torch.testing.assert_close(xvector(padded[:1]), pooled[:1])  # no lengths: every frame
    with pytest.raises(ValueError, match="pool_mode must be one of"):
        StatsPoolLayer(6, "attention")


def test_attentive_pool_ignores_padding_and_is_plain_statistics_under_uniform_attention(padded):
    torch.manual_seed(0)
    layer = AttentivePoolLayer(inp_filters=6, attention_channels=4).eval()
    pooled = layer(padded, LENGTHS)
    assert pooled.shape == (3, 12, 1) and layer.feat_in == 12
    for b, n in enumerate(LENGTHS.tolist()):
        alone = layer(padded[b : b + 1, :, :n], LENGTHS[b : b + 1])
        torch.testing.assert_close(alone, pooled[b : b + 1])
    torch.nn.init.zeros_(layer.attention_layer[2].weight)
    torch.nn.init.zeros_(layer.attention_layer[2].bias)  # equal scores: attention is uniform over valid frames
    uniform = layer(padded, LENGTHS)[:, :, 0]
    frames = padded[0]
    torch.testing.assert_close(uniform[0], torch.cat([frames.mean(-1), frames.std(-1, correction=0)]))
    torch.testing.assert_close(layer(padded[:1]), layer(padded[:1], LENGTHS[:1]))  # no lengths: every frame
