"""ConformerEncoder: NeMo's arguments and state-dict keys, shapes and lengths, masking of padded frames, the attention
context, stochastic depth, export, and building on the meta device."""

import warnings

import pytest
import torch

from nemo.collections.asr.modules import ConformerEncoder
from nemo.core.classes.restore import materialize_buffers, meta_tensors
from nemo.core.neural_types import AcousticEncodedRepresentation, LengthsType

SMALL = dict(feat_in=16, n_layers=2, d_model=32, n_heads=4, conv_kernel_size=9, subsampling_conv_channels=8)


def _encoder(**overrides):
    torch.manual_seed(0)
    return ConformerEncoder(**{**SMALL, **overrides})


def test_state_dict_keys_are_nemos():
    keys = set(_encoder().state_dict())
    layer = "layers.1."
    expected = {
        "pre_encode.conv.0.weight", "pre_encode.conv.2.weight", "pre_encode.out.weight",
        layer + "norm_feed_forward1.weight", layer + "feed_forward1.linear1.weight",
        layer + "feed_forward1.linear2.weight", layer + "norm_self_att.weight", layer + "self_attn.linear_q.weight",
        layer + "self_attn.linear_k.weight", layer + "self_attn.linear_v.weight", layer + "self_attn.linear_out.weight",
        layer + "self_attn.linear_pos.weight", layer + "self_attn.pos_bias_u", layer + "self_attn.pos_bias_v",
        layer + "norm_conv.weight", layer + "conv.pointwise_conv1.weight", layer + "conv.depthwise_conv.weight",
        layer + "conv.batch_norm.running_mean", layer + "conv.pointwise_conv2.weight",
        layer + "norm_feed_forward2.weight", layer + "feed_forward2.linear1.weight", layer + "norm_out.weight",
    }  # fmt: skip
    assert expected <= keys
    assert not any(k.startswith("pos_enc") for k in keys)  # the positional table is not saved, as in NeMo
    assert not any(k.startswith("out_proj") for k in keys)
    assert "out_proj.weight" in _encoder(feat_out=20).state_dict()


@pytest.mark.parametrize(
    "subsampling, factor, expected",
    [("striding", 4, [25, 13, 6]), ("dw_striding", 8, [13, 7, 3]), ("vggnet", 4, [25, 13, 6]),
     ("stacking", 4, [25, 12, 5]), ("stacking_norm", 2, [50, 25, 11]), (None, 1, [99, 50, 21])],
)  # fmt: skip
def test_shapes_lengths_and_types(subsampling, factor, expected):
    encoder = _encoder(subsampling=subsampling, subsampling_factor=factor, feat_out=24).eval()
    outputs, lengths = encoder(audio_signal=torch.randn(3, 16, 99), length=torch.tensor([99, 50, 21]))
    assert lengths.tolist() == expected and lengths.dtype == torch.int64
    assert outputs.shape == (3, 24, max(expected)) and encoder._feat_out == 24
    assert isinstance(outputs.neural_type.elements_type, AcousticEncodedRepresentation)
    assert isinstance(lengths.neural_type.elements_type, LengthsType)
    full, full_len = encoder(audio_signal=torch.randn(2, 16, 99))  # no lengths: every frame counts
    assert full_len.tolist() == [expected[0]] * 2


@pytest.mark.parametrize(
    "overrides",
    [{}, {"self_attention_model": "abs_pos", "xscaling": False}, {"subsampling": "vggnet"},
     {"untie_biases": False, "conv_norm_type": "layer_norm"}, {"att_context_size": [4, 1]},
     {"use_pytorch_sdpa": True}, {"use_pytorch_sdpa": False, "self_attention_model": "abs_pos"}],
    ids=["rel_pos", "abs_pos", "vggnet", "tied_layer_norm", "context", "sdpa", "explicit_abs"],
)  # fmt: skip
def test_padding_in_a_batch_does_not_change_an_utterance(overrides):
    encoder = _encoder(**overrides).eval()
    x = torch.randn(1, 16, 61)
    alone, alone_len = encoder(audio_signal=x, length=torch.tensor([61]))
    batch = torch.cat([torch.cat([x, torch.full((1, 16, 40), 3.0)], dim=2), torch.randn(1, 16, 101)])
    padded, padded_len = encoder(audio_signal=batch, length=torch.tensor([61, 101]))
    n = int(alone_len)
    assert int(padded_len[0]) == n
    torch.testing.assert_close(padded[:1, :, :n], alone, rtol=1e-4, atol=1e-5)


def test_attention_context_limits_what_a_frame_sees():
    """One layer, no convolution reach (kernel 1): output frame t depends on frames t-2 ... t+1 only."""
    encoder = _encoder(n_layers=1, conv_kernel_size=1, subsampling=None, att_context_size=[2, 1]).eval()
    x = torch.randn(1, 16, 12)
    out, _ = encoder(audio_signal=x)
    changed = x.clone()
    changed[..., 9] += 3.0
    out2, _ = encoder(audio_signal=changed)
    moved = (out2 - out).abs().amax(dim=1)[0] > 1e-6
    assert moved.nonzero().flatten().tolist() == [8, 9, 10, 11]


def test_untied_and_tied_biases():
    tied = _encoder(untie_biases=False)
    assert tied.layers[0].self_attn.pos_bias_u is tied.layers[1].self_attn.pos_bias_u
    assert sum(p.numel() for p in tied.parameters()) == sum(p.numel() for p in _encoder().parameters()) - 2 * 32
    untied = _encoder()
    assert untied.layers[0].self_attn.pos_bias_u is not untied.layers[1].self_attn.pos_bias_u


def test_context_and_conv_sizes_are_normalised_as_in_nemo():
    encoder = _encoder(conv_context_size="causal", att_context_size=[8, 0])
    assert encoder.conv_context_size == [8, 0] and encoder.att_context_size == [8, 0]
    assert encoder.layers[0].conv.depthwise_conv._left_padding == 8
    assert _encoder().conv_context_size == [4, 4] and _encoder().att_context_size == [-1, -1]
    chunked = _encoder(att_context_style="chunked_limited", att_context_size=[4, 1])
    _, att_mask = chunked._create_masks([4, 1], torch.tensor([6]), 6, torch.device("cpu"))
    visible = (~att_mask[0]).int().tolist()
    assert visible[0] == [1, 1, 0, 0, 0, 0] and visible[5] == [1, 1, 1, 1, 1, 1]  # chunks of 2, 2 chunks back
    with pytest.raises(ValueError, match="conv_context_size"):
        _encoder(conv_context_size=[1, 1])


@pytest.mark.parametrize(
    "overrides, match",
    [({"reduction": "pooling", "reduction_factor": 2}, "reduction"),
     ({"self_attention_model": "rel_pos_local_attn"}, "rel_pos_local_attn"),
     ({"att_context_style": "chunked_limited_with_rc"}, "att_context_style"),
     ({"conv_context_style": "dcc"}, "conv_context_style"),
     ({"att_context_size": [[-1, -1], [4, 0]]}, "several att_context_size"),
     ({"subsampling": "pooling"}, "Not valid sub-sampling")],
)  # fmt: skip
def test_unsupported_options_are_refused(overrides, match):
    with pytest.raises((NotImplementedError, ValueError), match=match):
        _encoder(**overrides)


def test_stochastic_depth():
    encoder = _encoder(n_layers=4, stochastic_depth_drop_prob=0.5)
    assert encoder.layer_drop_probs == [0.0, 0.5 / 3, 1.0 / 3, 0.5]
    assert _encoder(n_layers=3, stochastic_depth_drop_prob=0.3, stochastic_depth_mode="uniform",
                    stochastic_depth_start_layer=2).layer_drop_probs == [0.0, 0.0, 0.3]  # fmt: skip
    encoder.eval()
    x = torch.randn(2, 16, 40)
    torch.testing.assert_close(encoder(audio_signal=x)[0], encoder(audio_signal=x)[0])  # no drops in eval
    with pytest.raises(ValueError, match="drop_prob"):
        _encoder(stochastic_depth_drop_prob=1.0)


def test_wrong_feature_count_is_reported():
    with pytest.raises(ValueError, match=r"\(batch, 16, n_frame\)"):
        _encoder()(audio_signal=torch.randn(1, 12, 30), length=torch.tensor([30]))


def test_positional_table_grows_for_long_inputs():
    encoder = _encoder(pos_emb_max_len=20).eval()
    assert encoder.pos_enc.pe.shape[1] == 39
    out, lengths = encoder(audio_signal=torch.randn(1, 16, 120))
    assert encoder.pos_enc.pe.shape[1] == 2 * 120 - 1 and out.shape[-1] == int(lengths[0])


def test_builds_on_the_meta_device_and_materializes_its_table():
    reference = _encoder().eval()
    with torch.device("meta"):
        encoder = ConformerEncoder(**SMALL)
    encoder.load_state_dict(reference.state_dict(), assign=True)
    materialize_buffers(encoder)
    assert meta_tensors(encoder) == []
    x, lengths = torch.randn(2, 16, 50), torch.tensor([50, 31])
    torch.testing.assert_close(
        encoder.eval()(audio_signal=x, length=lengths)[0], reference(audio_signal=x, length=lengths)[0]
    )


def _quiet_export(encoder, path, example):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the exporter's constant-folding notes
        encoder.export(path, input_example=example)


def test_exports_to_onnx_with_dynamic_batch_and_time(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    encoder = _encoder().eval()
    path = str(tmp_path / "conformer.onnx")
    _quiet_export(encoder, path, encoder.input_example(max_batch=2, max_dim=64))
    session = ort.InferenceSession(path)
    assert [i.name for i in session.get_inputs()] == ["audio_signal", "length"]
    assert [o.name for o in session.get_outputs()] == ["outputs", "encoded_lengths"]
    x, lengths = torch.randn(3, 16, 90), torch.tensor([90, 47, 12])
    outputs, out_len = session.run(None, {"audio_signal": x.numpy(), "length": lengths.numpy()})
    with torch.no_grad():
        expected, expected_len = encoder(audio_signal=x, length=lengths)
    assert out_len.tolist() == expected_len.tolist()
    torch.testing.assert_close(torch.from_numpy(outputs), expected, rtol=1e-4, atol=1e-4)


def test_traces_to_torchscript(tmp_path):
    encoder = _encoder(self_attention_model="abs_pos").eval()
    path = str(tmp_path / "conformer.ts")
    _quiet_export(encoder, path, encoder.input_example(max_batch=2, max_dim=64))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit.load: TorchScript is what export writes
        traced = torch.jit.load(path)
    x, lengths = torch.randn(2, 16, 80), torch.tensor([80, 33])
    with torch.no_grad():
        outputs, out_len = traced(x, lengths)
        expected, expected_len = encoder(audio_signal=x, length=lengths)
    assert out_len.tolist() == expected_len.tolist()
    torch.testing.assert_close(outputs, expected, rtol=1e-4, atol=1e-4)
