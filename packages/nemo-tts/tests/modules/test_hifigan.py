"""HiFi-GAN generator and discriminators: lengths, NeMo's parameter names (and NeMo 1.0's), weight-norm removal, period
folding."""

import pytest
import torch

from nemo.collections.tts.modules.hifigan import (
    DiscriminatorP,
    Generator,
    MultiPeriodDiscriminator,
    MultiScaleDiscriminator,
)

SMALL_V3 = dict(
    resblock=2,
    upsample_rates=[4, 4],
    upsample_kernel_sizes=[8, 8],
    upsample_initial_channel=16,
    resblock_kernel_sizes=[3, 5],
    resblock_dilation_sizes=[[1, 2], [2, 6]],
    initial_input_size=10,
)


def test_generator_upsamples_by_the_product_of_rates_and_stays_in_range():
    torch.manual_seed(0)
    for resblock in (1, 2):
        dilations = [[1, 3, 5], [1, 3, 5]] if resblock == 1 else [[1, 2], [2, 6]]
        generator = Generator(**{**SMALL_V3, "resblock": resblock, "resblock_dilation_sizes": dilations})
        audio = generator(x=torch.randn(2, 10, 7))
        assert audio.shape == (2, 1, 7 * 16)
        assert audio.abs().max() <= 1.0


def test_remove_weight_norm_keeps_the_output_and_names_match_nemo():
    torch.manual_seed(0)
    generator = Generator(**SMALL_V3).eval()
    keys = set(generator.state_dict())  # NeMo 3's nested resblocks.<stage>.<block>
    assert {"conv_pre.weight_g", "conv_pre.weight_v", "ups.0.weight_v", "resblocks.1.1.convs.1.weight_g"} <= keys
    assert "conv_post.weight_v" in keys
    mel = torch.randn(1, 10, 5)
    with torch.no_grad():
        before = generator(x=mel)
        generator.remove_weight_norm()
        after = generator(x=mel)
    assert "conv_pre.weight" in generator.state_dict()
    torch.testing.assert_close(before, after, atol=1e-5, rtol=1e-4)


def test_generator_config_errors_name_the_keys():
    with pytest.raises(ValueError, match="upsample_kernel_sizes"):
        Generator(**{**SMALL_V3, "upsample_kernel_sizes": [8]})
    with pytest.raises(ValueError, match="resblock must be 1 or 2"):
        Generator(**{**SMALL_V3, "resblock": 3})
    with pytest.raises(ValueError, match="at least one residual block, each with a dilation"):
        Generator(**{**SMALL_V3, "resblock_dilation_sizes": [[1, 2], []]})
    with pytest.raises(ValueError, match="at least one residual block"):
        Generator(**{**SMALL_V3, "resblock_kernel_sizes": [], "resblock_dilation_sizes": []})


def test_residual_sums_in_place_match_out_of_place_and_train():
    """The blocks sum their residuals and the stage its blocks' outputs in buffers they made: the same audio as the
    out-of-place sums, with and without gradients, and the input the caller keeps is never written."""
    torch.manual_seed(0)
    for resblock in (1, 2):
        dilations = [[1, 3, 5], [1, 3, 5]] if resblock == 1 else [[1, 2], [2, 6]]
        generator = Generator(**{**SMALL_V3, "resblock": resblock, "resblock_dilation_sizes": dilations})
        mel = torch.randn(2, 10, 7)
        kept = mel.clone()
        audio = generator(x=mel)
        audio.square().sum().backward()
        assert torch.equal(mel, kept)
        with torch.no_grad():
            x = generator.conv_pre(mel)
            for upsample, group in zip(generator.ups, generator.resblocks):
                x = upsample(torch.nn.functional.leaky_relu(x, 0.1))
                x = sum(_out_of_place(block, x) for block in group) / len(group)
            want = torch.tanh(generator.conv_post(torch.nn.functional.leaky_relu(x)))
            torch.testing.assert_close(generator(x=mel), want)
        torch.testing.assert_close(audio.detach(), want)
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in generator.parameters())


def _out_of_place(block, x):
    """A residual block's output with the sums out of place (the reference)."""
    lrelu = torch.nn.functional.leaky_relu
    if hasattr(block, "convs1"):
        for conv1, conv2 in zip(block.convs1, block.convs2):
            x = conv2(lrelu(conv1(lrelu(x, 0.1)), 0.1)) + x
        return x
    for conv in block.convs:
        x = conv(lrelu(x, 0.1)) + x
    return x


def test_period_discriminator_folds_any_length():
    discriminator = DiscriminatorP(period=3, debug=True)
    for length in (2, 100, 101):  # shorter than the padding, and lengths needing padding or not
        score, maps = discriminator(x=torch.randn(2, 1, length))
        assert score.shape[0] == 2 and len(maps) == 6
        assert maps[0].shape[-1] == 3


def test_multi_discriminators_return_scores_and_maps_for_real_and_fake():
    torch.manual_seed(0)
    y, y_hat = torch.randn(2, 1, 1024), torch.randn(2, 1, 1024)
    mpd, msd = MultiPeriodDiscriminator(debug=True), MultiScaleDiscriminator(debug=True)
    real, fake, real_maps, fake_maps = mpd(y=y, y_hat=y_hat)
    assert len(real) == len(fake) == len(real_maps) == 5 and len(real_maps[0]) == 6
    real, fake, real_maps, fake_maps = msd(y=y, y_hat=y_hat)
    assert len(real) == 3 and len(real_maps[0]) == 8
    assert real_maps[1][0].shape[-1] < real_maps[0][0].shape[-1]  # the 2nd scale sees pooled audio
    assert not torch.equal(real[0], fake[0])


def test_nemo_1_flat_resblock_names_are_renamed_on_load():
    torch.manual_seed(0)
    source = Generator(**SMALL_V3)
    flat = {}
    for key, value in source.state_dict().items():
        parts = key.split(".")
        if parts[0] == "resblocks":  # NeMo 1.0: resblocks.<stage * kernels + block>
            key = ".".join(["resblocks", str(int(parts[1]) * 2 + int(parts[2])), *parts[3:]])
        flat[key] = value
    assert "resblocks.3.convs.1.weight_g" in flat
    assert set(source.upgrade_state_dict(flat)) == set(source.state_dict())
    target = Generator(**SMALL_V3)
    target.load_state_dict(flat, strict=True)
    mel = torch.randn(1, 10, 4)
    with torch.no_grad():
        torch.testing.assert_close(target(x=mel), source(x=mel))
    assert torch.equal(target.resblocks[1][1].convs[1].weight_v, source.resblocks[1][1].convs[1].weight_v)


def test_generator_gives_the_same_audio_and_gradients_on_both_layouts():
    torch.manual_seed(0)
    generator = Generator(
        resblock=1, upsample_rates=[4, 2], upsample_kernel_sizes=[8, 4], upsample_initial_channel=32,
        resblock_kernel_sizes=[3, 7], resblock_dilation_sizes=[[1, 3, 5], [1, 3, 5]], initial_input_size=10,
    )  # fmt: skip
    assert generator.channels_last  # the rule: up to 256 initial channels
    mel = torch.randn(2, 10, 9)
    runs = []
    for channels_last in (True, False):
        generator.channels_last = channels_last
        generator.zero_grad()
        audio = generator(x=mel)
        audio.pow(2).sum().backward()
        runs.append((audio.detach(), [p.grad.clone() for p in generator.parameters()]))
    (fast, fast_grads), (plain, plain_grads) = runs
    assert fast.shape == plain.shape == (2, 1, 9 * 8)
    torch.testing.assert_close(fast, plain, rtol=0, atol=1e-5)
    for ours, reference in zip(fast_grads, plain_grads):
        torch.testing.assert_close(ours, reference, rtol=1e-4, atol=1e-5)
    generator.remove_weight_norm()  # folded weights keep working on the channels-last path
    generator.channels_last = True
    with torch.no_grad():
        torch.testing.assert_close(generator(x=mel), plain, rtol=0, atol=1e-5)


def test_v1_width_stays_on_the_1d_path():
    generator = Generator(
        resblock=1, upsample_rates=[8, 8, 2, 2], upsample_kernel_sizes=[16, 16, 4, 4], upsample_initial_channel=512,
        resblock_kernel_sizes=[3], resblock_dilation_sizes=[[1, 3, 5]],
    )  # fmt: skip
    assert not generator.channels_last
