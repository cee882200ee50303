import pytest
import torch
from asr_models_testing import jasper_block
from omegaconf import OmegaConf

from nemo.collections.asr.losses import CTCLoss
from nemo.collections.asr.modules import ConvASRDecoder, ConvASRDecoderClassification, ConvASREncoder
from nemo.core.classes.module import NeuralModule

# A tiny QuartzNet: separable prolog with stride 2, one residual block of two sub-blocks, pointwise epilog.
QUARTZNET = [
    jasper_block(8, kernel=3, stride=2, separable=True),
    jasper_block(8, kernel=5, repeat=2, residual=True, separable=True),
    jasper_block(16, kernel=1),
]

BN = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]


def _bn(prefix, channels):
    return [(f"{prefix}.{k}", () if k == "num_batches_tracked" else (channels,)) for k in BN]


# Written from NeMo's jasper.py: per sub-block [depthwise MaskedConv1d, pointwise MaskedConv1d, BatchNorm1d] then
# [activation, dropout] between sub-blocks; residual branch res.0 = [pointwise MaskedConv1d, BatchNorm1d].
EXPECTED_ENCODER = dict(
    [("encoder.0.mconv.0.conv.weight", (4, 1, 3)), ("encoder.0.mconv.1.conv.weight", (8, 4, 1))]
    + _bn("encoder.0.mconv.2", 8)
    + [("encoder.1.mconv.0.conv.weight", (8, 1, 5)), ("encoder.1.mconv.1.conv.weight", (8, 8, 1))]
    + _bn("encoder.1.mconv.2", 8)
    + [("encoder.1.mconv.5.conv.weight", (8, 1, 5)), ("encoder.1.mconv.6.conv.weight", (8, 8, 1))]
    + _bn("encoder.1.mconv.7", 8)
    + [("encoder.1.res.0.0.conv.weight", (8, 8, 1))]
    + _bn("encoder.1.res.0.1", 8)
    + [("encoder.2.mconv.0.conv.weight", (16, 8, 1))]
    + _bn("encoder.2.mconv.1", 16)
)
EXPECTED_ENCODER_KEYS = list(EXPECTED_ENCODER)


def _nemo_style_state_dict():
    """A state dict keyed exactly as NeMo writes it, filled with values of our choosing."""
    gen = torch.Generator().manual_seed(0)
    state = {}
    for key, shape in EXPECTED_ENCODER.items():
        if key.endswith("num_batches_tracked"):
            state[key] = torch.tensor(7)
        elif key.endswith("running_var"):
            state[key] = torch.rand(shape, generator=gen) + 0.5
        else:
            state[key] = torch.randn(shape, generator=gen)
    return state


def test_encoder_and_decoder_have_nemo_state_dict_keys():
    encoder = ConvASREncoder(QUARTZNET, activation="relu", feat_in=4)
    assert list(encoder.state_dict()) == EXPECTED_ENCODER_KEYS
    assert {k: tuple(v.shape) for k, v in encoder.state_dict().items()} == EXPECTED_ENCODER
    decoder = ConvASRDecoder(feat_in=16, num_classes=5)
    assert {k: tuple(v.shape) for k, v in decoder.state_dict().items()} == {
        "decoder_layers.0.weight": (6, 16, 1),
        "decoder_layers.0.bias": (6,),
    }


def test_nemo_keyed_state_dict_loads_strictly_and_gives_identical_outputs():
    state = _nemo_style_state_dict()
    a = ConvASREncoder(OmegaConf.create(QUARTZNET), activation="relu", feat_in=4).eval()
    b = ConvASREncoder(QUARTZNET, activation="relu", feat_in=4).eval()
    a.load_state_dict(state, strict=True)
    b.load_state_dict(state, strict=True)
    x, lengths = torch.randn(2, 4, 20), torch.tensor([20, 13])
    out_a, len_a = a(audio_signal=x, length=lengths)
    out_b, len_b = b(audio_signal=x, length=lengths)
    assert torch.equal(out_a, out_b) and len_a.tolist() == len_b.tolist() == [10, 7]


def test_masking_makes_outputs_independent_of_padding():
    encoder = ConvASREncoder(QUARTZNET, activation="relu", feat_in=4).eval()
    x = torch.randn(1, 4, 13)
    alone, alone_len = encoder(audio_signal=x, length=torch.tensor([13]))
    padded = torch.cat([x, torch.randn(1, 4, 9)], dim=-1)
    batched, batched_len = encoder(audio_signal=padded, length=torch.tensor([13]))
    assert alone_len.tolist() == batched_len.tolist() == [7]
    torch.testing.assert_close(batched[..., :7], alone[..., :7])


def test_encoder_without_length_returns_outputs_only():
    encoder = ConvASREncoder(QUARTZNET, activation="relu", feat_in=4)
    out = encoder(audio_signal=torch.randn(2, 4, 10))
    assert isinstance(out, torch.Tensor) and out.shape == (2, 16, 5)
    assert encoder._feat_out == 16
    assert encoder.input_example()[0].shape == (16, 4, 256)
    assert encoder.disabled_deployment_input_names == {"length"}


def test_jasper_dense_residual_and_dilation():
    dense = jasper_block(6, kernel=3, repeat=2, dropout=0.1, residual=True, residual_dense=True)
    blocks = [
        jasper_block(6, kernel=3, dropout=0.1),
        dense,
        dict(dense),
        jasper_block(10, kernel=5, dilation=2, dropout=0.1),
    ]
    encoder = ConvASREncoder(blocks, activation="relu", feat_in=3, normalization_mode="group", norm_groups=2)
    assert encoder.dense_residual
    assert len(encoder.encoder[2].res) == 2 and "encoder.2.res.1.0.conv.weight" in encoder.state_dict()
    out, lengths = encoder(audio_signal=torch.randn(2, 3, 11), length=torch.tensor([11, 6]))
    assert out.shape == (2, 10, 11) and lengths.tolist() == [11, 6]


def test_encoder_config_errors():
    with pytest.raises(ValueError, match=r"jasper\[0\] is missing key\(s\) \['stride'"):
        ConvASREncoder([{"filters": 4, "repeat": 1, "kernel": [1]}], activation="relu", feat_in=2)
    with pytest.raises(ValueError, match="activation"):
        ConvASREncoder(QUARTZNET, activation="gelu2", feat_in=2)


def test_from_config_dict_with_target():
    cfg = {
        "_target_": "nemo.collections.asr.modules.ConvASREncoder",
        "jasper": QUARTZNET,
        "activation": "relu",
        "feat_in": 4,
    }
    encoder = NeuralModule.from_config_dict(OmegaConf.create(cfg))
    assert isinstance(encoder, ConvASREncoder) and list(encoder.state_dict()) == EXPECTED_ENCODER_KEYS


def test_decoder_blank_is_last_and_vocabulary_checked():
    decoder = ConvASRDecoder(feat_in=16, num_classes=3, vocabulary=["a", "b", "c"])
    assert decoder.num_classes_with_blank == 4 and decoder.vocabulary == ["a", "b", "c"]
    logprobs = decoder(encoder_output=torch.randn(2, 16, 7))
    assert logprobs.shape == (2, 7, 4)
    torch.testing.assert_close(logprobs.exp().sum(-1), torch.ones(2, 7))
    with pytest.raises(ValueError, match="num_classes"):
        ConvASRDecoder(feat_in=16, num_classes=4, vocabulary=["a", "b", "c"])


def test_decoder_takes_nemo_3s_add_blank_and_vocabulary_sized_num_classes():
    assert ConvASRDecoder(feat_in=16, num_classes=3, add_blank=False).num_classes_with_blank == 3
    assert ConvASRDecoder(feat_in=16, num_classes=-1, vocabulary=["a", "b"]).num_classes_with_blank == 3
    with pytest.raises(ValueError, match="num_classes` or `vocabulary"):
        ConvASRDecoder(feat_in=16, num_classes=-1)


def test_encoder_takes_nemo_3s_activations_and_refuses_future_context():
    for activation in ("identity", "silu", "gelu"):
        encoder = ConvASREncoder(QUARTZNET, activation=activation, feat_in=4)
        assert encoder(audio_signal=torch.randn(1, 4, 9), length=torch.tensor([9]))[0].shape[0] == 1
    with pytest.raises(ValueError, match="future_context=2 is not supported"):
        ConvASREncoder([{**QUARTZNET[0], "future_context": 2}], activation="relu", feat_in=4)


def test_classification_decoder_pooling():
    decoder = ConvASRDecoderClassification(feat_in=6, num_classes=3, pooling_type="max")
    x = torch.randn(2, 6, 9)
    expected = decoder.decoder_layers(x.amax(-1))
    torch.testing.assert_close(decoder(encoder_output=x), expected)
    probs = ConvASRDecoderClassification(feat_in=6, num_classes=3, return_logits=False)(encoder_output=x)
    torch.testing.assert_close(probs.sum(-1), torch.ones(2))
    assert list(decoder.state_dict()) == ["decoder_layers.0.weight", "decoder_layers.0.bias"]
    with pytest.raises(ValueError, match="pooling_type"):
        ConvASRDecoderClassification(feat_in=6, num_classes=3, pooling_type="median")


def test_encoder_exports_to_onnx_without_lengths(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    encoder = ConvASREncoder(QUARTZNET, activation="relu", feat_in=4)
    path = str(tmp_path / "encoder.onnx")
    encoder.export(path, input_example=(torch.randn(2, 4, 32),))
    session = ort.InferenceSession(path)
    assert [i.name for i in session.get_inputs()] == ["audio_signal"]
    assert [o.name for o in session.get_outputs()] == ["outputs"]
    x = torch.randn(3, 4, 40)  # other batch and time sizes: dynamic axes
    (onnx_out,) = session.run(None, {"audio_signal": x.numpy()})
    torch.testing.assert_close(torch.from_numpy(onnx_out), encoder.eval()(audio_signal=x), rtol=1e-4, atol=1e-5)


def test_small_quartznet_trains_with_ctc():
    torch.manual_seed(0)
    encoder = ConvASREncoder(QUARTZNET, activation="relu", feat_in=4)
    decoder = ConvASRDecoder(feat_in=16, num_classes=4)
    loss_fn = CTCLoss(num_classes=4, zero_infinity=True)
    params = list(encoder.parameters()) + list(decoder.parameters())
    optimizer = torch.optim.Adam(params, lr=0.02)
    features, lengths = torch.randn(4, 4, 24), torch.tensor([24, 24, 20, 16])
    targets, target_lengths = torch.randint(0, 4, (4, 3)), torch.tensor([3, 3, 2, 2])
    losses = []
    for _ in range(30):
        encoded, encoded_len = encoder(audio_signal=features, length=lengths)
        log_probs = decoder(encoder_output=encoded)
        loss = loss_fn(log_probs=log_probs, targets=targets, input_lengths=encoded_len, target_lengths=target_lengths)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
