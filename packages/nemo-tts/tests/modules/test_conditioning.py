import pytest
import torch

from nemo.collections.tts.modules.conditioning import ConditionalInput, ConditionalLayerNorm


def test_unconditioned_layers_are_plain_and_ignore_the_conditioning():
    x = torch.randn(2, 4, 6)
    assert ConditionalInput(6, 6)(x, torch.randn(2, 1, 6)) is x
    norm = ConditionalLayerNorm(6)
    torch.testing.assert_close(norm(x), torch.nn.functional.layer_norm(x, (6,), norm.weight, norm.bias))


def test_add_concat_and_layernorm_conditioning():
    torch.manual_seed(0)
    x, speaker = torch.randn(2, 4, 6), torch.randn(2, 1, 3)
    added = ConditionalInput(6, 3, ["add"])  # sizes differ: projected first
    torch.testing.assert_close(added(x, speaker), x + added.add_proj(speaker))
    concat = ConditionalInput(6, 3, ["concat"])
    assert concat(x, speaker).shape == (2, 4, 6)
    norm = ConditionalLayerNorm(6, condition_dim=3, condition_types=["layernorm"])
    assert "weight" not in dict(norm.named_parameters())  # the affine part comes from the conditioning
    torch.testing.assert_close(norm(x, speaker), torch.nn.functional.layer_norm(x, (6,)))  # starts as the identity
    with pytest.raises(ValueError, match="needs a conditioning input"):
        norm(x)
    with pytest.raises(ValueError, match="unknown \\['scale'\\]"):
        ConditionalInput(6, 6, ["scale"])
