import pytest
import torch

from nemo.collections.nlp.modules.common.transformer import (
    TransformerEncoderNM,
    form_attention_mask,
    get_nemo_transformer,
)


@pytest.mark.parametrize("pre_ln", [False, True])
def test_encoder_output_ignores_padding(pre_ln):
    torch.manual_seed(0)
    encoder = TransformerEncoderNM(13, 16, num_layers=2, inner_size=32, num_attention_heads=4, pre_ln=pre_ln).eval()
    ids = torch.randint(3, 13, (1, 5))
    padded = torch.cat([ids, torch.zeros(1, 3, dtype=torch.long)], dim=1)
    mask = torch.tensor([[1] * 5 + [0] * 3])
    short = encoder(input_ids=ids, encoder_mask=torch.ones_like(ids))
    long = encoder(input_ids=padded, encoder_mask=mask)
    assert long.shape == (1, 8, 16)
    assert torch.allclose(short, long[:, :5], atol=1e-5)


def test_pre_ln_adds_final_layer_norm_only_when_asked():
    with_norm = TransformerEncoderNM(5, 8, 1, 16, 2, pre_ln=True)
    without = TransformerEncoderNM(5, 8, 1, 16, 2, pre_ln=True, pre_ln_final_layer_norm=False)
    post = TransformerEncoderNM(5, 8, 1, 16, 2)
    assert with_norm.encoder.final_layer_norm is not None
    assert without.encoder.final_layer_norm is None and post.encoder.final_layer_norm is None


def test_causal_mask_with_cache_offset():
    mask = form_attention_mask(torch.ones(1, 4), num_queries=2, causal=True)
    allowed = (mask[0, 0] == 0).int().tolist()
    assert allowed == [[1, 1, 1, 0], [1, 1, 1, 1]]


def test_get_nemo_transformer_reports_missing_keys_and_bad_library():
    with pytest.raises(ValueError, match="missing required keys"):
        get_nemo_transformer({"hidden_size": 8, "num_layers": 1}, vocab_size=5)
    with pytest.raises(ValueError, match="library='huggingface'"):
        get_nemo_transformer({"library": "huggingface"}, vocab_size=5)
    decoder = get_nemo_transformer(
        {"hidden_size": 8, "num_layers": 1, "inner_size": 16, "num_attention_heads": 2}, vocab_size=5, encoder=False
    )
    assert (decoder.hidden_size, decoder.vocab_size, decoder.max_sequence_length) == (8, 5, 512)


def test_attention_heads_must_divide_hidden_size():
    with pytest.raises(ValueError, match="multiple of num_attention_heads"):
        TransformerEncoderNM(5, 10, 1, 16, 3)
