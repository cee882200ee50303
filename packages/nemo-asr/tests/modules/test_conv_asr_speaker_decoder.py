import pytest
import torch

from nemo.collections.asr.modules import SpeakerDecoder


@pytest.mark.parametrize(("pool_mode", "emb_sizes"), [("attention", 8), ("xvector", [16, 8]), ("tap", 8)])
def test_logits_and_embeddings_ignore_padding(pool_mode, emb_sizes):
    torch.manual_seed(0)
    decoder = SpeakerDecoder(feat_in=6, num_classes=5, emb_sizes=emb_sizes, pool_mode=pool_mode).eval()
    x, lengths = torch.randn(2, 6, 15), torch.tensor([15, 9])
    logits, embs = decoder(encoder_output=x, length=lengths)
    assert logits.shape == (2, 5) and embs.shape == (2, 8)
    alone_logits, alone_embs = decoder(encoder_output=x[1:, :, :9], length=lengths[1:])
    torch.testing.assert_close(alone_logits, logits[1:])
    torch.testing.assert_close(alone_embs, embs[1:])


def test_state_dict_keys_are_nemos():
    attention = SpeakerDecoder(feat_in=6, num_classes=5, emb_sizes=8, pool_mode="attention", angular=True)
    assert (
        set(attention.state_dict())
        >= {
            "_pooling.attention_layer.0.conv_layer.weight",
            "_pooling.attention_layer.0.bn.running_var",
            "_pooling.attention_layer.2.weight",
            "emb_layers.0.0.running_mean",
            "emb_layers.0.1.weight",
            "final.weight",
        }
        and "final.bias" not in attention.state_dict()
    )
    xvector = SpeakerDecoder(feat_in=6, num_classes=5, emb_sizes=[16, 8])
    assert {"emb_layers.1.0.weight", "emb_layers.1.1.running_mean", "final.bias"} <= set(xvector.state_dict())
    assert xvector.emb_layers[0][0].in_features == 12 and xvector.num_classes == 5


def test_embedding_is_before_the_relu_and_angular_normalizes_it():
    torch.manual_seed(0)
    decoder = SpeakerDecoder(feat_in=6, num_classes=3, emb_sizes=4, pool_mode="xvector", angular=True).eval()
    x = torch.randn(4, 6, 10)
    logits, embs = decoder(encoder_output=x)
    assert (embs < 0).any()  # not passed through the ReLU
    hidden = torch.nn.functional.normalize(torch.relu(embs), dim=1)
    torch.testing.assert_close(logits, hidden @ decoder.final.weight.T)


def test_unknown_pool_mode_and_empty_embeddings_are_refused():
    with pytest.raises(ValueError, match="pool_mode must be 'xvector', 'tap' or 'attention', got 'max'"):
        SpeakerDecoder(feat_in=6, num_classes=3, pool_mode="max")
    with pytest.raises(ValueError, match="emb_sizes"):
        SpeakerDecoder(feat_in=6, num_classes=3, emb_sizes=[])
