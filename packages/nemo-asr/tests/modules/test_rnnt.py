"""RNNTDecoder, RNNTJoint and RNNTDecoderJoint: NeMo's state-dict keys and shapes, NeMo's outputs (goldens written by
NeMo 3.0 itself, see tools/write_rnnt_goldens.py), initialisation, neural types and export."""

import numpy as np
import onnxruntime
import pytest
import torch
from rnnt_testing import nemo_golden_modules

from nemo.collections.asr.modules import RNNTDecoder, RNNTDecoderJoint, RNNTJoint
from nemo.collections.asr.modules.rnnt import label_collate
from nemo.core.neural_types import EmbeddedTextType, LogprobsType


def _decoder(vocab_size=5, layers=2, dropout=0.1, **prednet):
    return RNNTDecoder(
        prednet={"pred_hidden": 24, "pred_rnn_layers": layers, "dropout": dropout, **prednet}, vocab_size=vocab_size
    )


def _joint(num_classes=5, dropout=0.2, activation="relu", **kwargs):
    jointnet = {"encoder_hidden": 16, "pred_hidden": 24, "joint_hidden": 32, "activation": activation}
    return RNNTJoint(jointnet={**jointnet, "dropout": dropout}, num_classes=num_classes, **kwargs)


def test_decoder_state_dict_keys_and_shapes_are_nemos():
    shapes = {k: tuple(v.shape) for k, v in _decoder().state_dict().items()}
    lstm = {f"prediction.dec_rnn.lstm.{w}_l{i}": s for i in range(2) for w, s in (
        ("weight_ih", (96, 24)), ("weight_hh", (96, 24)), ("bias_ih", (96,)), ("bias_hh", (96,)))}  # fmt: skip
    assert shapes == {"prediction.embed.weight": (6, 24), **lstm}  # blank_as_pad: one more row, for the blank
    no_pad = RNNTDecoder(prednet={"pred_hidden": 8, "pred_rnn_layers": 1}, vocab_size=5, blank_as_pad=False)
    assert no_pad.prediction["embed"].weight.shape == (5, 8)


def test_joint_state_dict_keys_follow_nemos_sequential():
    with_dropout = {k: tuple(v.shape) for k, v in _joint().state_dict().items()}
    assert with_dropout == {
        "pred.weight": (32, 24), "pred.bias": (32,), "enc.weight": (32, 16), "enc.bias": (32,),
        "joint_net.2.weight": (6, 32), "joint_net.2.bias": (6,),
    }  # fmt: skip
    assert {k for k in _joint(dropout=0.0).state_dict() if k.startswith("joint_net")} == {
        "joint_net.1.weight",
        "joint_net.1.bias",
    }
    assert _joint(num_extra_outputs=2).num_classes_with_blank == 8


def test_modules_reproduce_nemos_outputs():
    goldens, decoder, joint = nemo_golden_modules()  # NeMo's state dict loads strictly
    ours = [f"decoder.{k}" for k in decoder.state_dict()] + [f"joint.{k}" for k in joint.state_dict()]
    assert ours == goldens["meta"]["state_keys"]  # the same keys, in NeMo's order
    decoder.eval()
    joint.eval()
    with torch.no_grad():
        g, lengths, (h, c) = decoder(targets=goldens["targets"], target_length=goldens["target_length"])
        scores = joint(encoder_outputs=goldens["encoder_output"], decoder_outputs=g)
    assert g.shape == (2, 24, 5)  # start token + 4 labels
    torch.testing.assert_close(g, goldens["decoder_outputs"], atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(h, goldens["decoder_h"], atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(c, goldens["decoder_c"], atol=1e-6, rtol=1e-5)
    assert scores.shape == (2, 7, 5, 6)
    torch.testing.assert_close(scores, goldens["joint_outputs"], atol=1e-5, rtol=1e-5)  # log-softmaxed on CPU
    assert torch.equal(lengths, goldens["target_length"])


def test_decoder_initialisation_and_start_token():
    decoder = _decoder(layers=1, dropout=0.0)
    hidden = decoder.pred_hidden
    bias_ih, bias_hh = decoder.prediction["dec_rnn"].lstm.bias_ih_l0, decoder.prediction["dec_rnn"].lstm.bias_hh_l0
    assert torch.all(bias_ih[hidden : 2 * hidden] == 1.0) and torch.all(bias_hh[hidden : 2 * hidden] == 0.0)
    chrono = _decoder(layers=1, t_max=20).prediction["dec_rnn"].lstm.bias_ih_l0
    forget = chrono[hidden : 2 * hidden]
    assert torch.all((forget >= 0) & (forget <= np.log(19) + 1e-6)) and torch.equal(chrono[:hidden], -forget)
    assert torch.count_nonzero(decoder.prediction["embed"].weight[decoder.blank_idx]) == 0
    decoder.eval()
    start, _ = decoder.predict(None, state=None, add_sos=False, batch_size=2)
    blank, _ = decoder.predict(torch.full((2, 1), decoder.blank_idx), state=None, add_sos=False)
    torch.testing.assert_close(start, blank)  # the blank's zero row is the start token
    g, _, _ = decoder(targets=torch.tensor([[1, 2]]), target_length=torch.tensor([2]))
    first, _ = decoder.predict(torch.tensor([[1]]), state=None, add_sos=True)
    torch.testing.assert_close(g.transpose(1, 2)[:, :2], first)


def test_decoder_states_carry_between_calls():
    decoder = _decoder()
    decoder.eval()
    labels = torch.tensor([[3, 1, 4, 2]])
    whole, state = decoder.predict(labels, add_sos=False)
    part, mid = decoder.predict(labels[:, :2], add_sos=False)
    rest, end = decoder.predict(labels[:, 2:], state=mid, add_sos=False)
    torch.testing.assert_close(torch.cat([part, rest], dim=1), whole)
    torch.testing.assert_close(end[0], state[0])
    items = [decoder.batch_select_state(state, 0)] * 3
    assert [s.shape for s in decoder.batch_concat_states(items)] == [(2, 3, 24), (2, 3, 24)]
    assert [s.shape for s in decoder.initialize_state(torch.zeros(5, 1))] == [(2, 5, 24), (2, 5, 24)]


def test_neural_types_of_outputs():
    decoder, joint = _decoder(), _joint()
    g, _, states = decoder(targets=torch.tensor([[1, 2]]), target_length=torch.tensor([2]))
    assert isinstance(g.neural_type.elements_type, EmbeddedTextType) and len(states) == 2
    scores = joint(encoder_outputs=torch.randn(1, 16, 4), decoder_outputs=g)
    assert isinstance(scores.neural_type.elements_type, LogprobsType)
    with pytest.raises(ValueError, match="decoder_outputs"):
        joint(encoder_outputs=torch.randn(1, 16, 4), decoder_outputs=None)


def test_joint_log_softmax_policy_and_bad_configs():
    raw = _joint(log_softmax=False, dropout=0.0)
    f, g = torch.randn(1, 3, 16), torch.randn(1, 2, 24)
    logits = raw.joint(f, g)
    assert not torch.allclose(logits.exp().sum(-1), torch.ones(1, 3, 2))
    raw.log_softmax = None  # NeMo: normalized on CPU
    torch.testing.assert_close(raw.joint(f, g), logits.log_softmax(-1))
    assert _joint(fuse_loss_wer=True, fused_batch_size=4).fuse_loss_wer is False
    with pytest.raises(ValueError, match="activation"):
        _joint(activation="gelu")
    with pytest.raises(ValueError, match="normalization_mode"):
        RNNTDecoder(prednet={"pred_hidden": 8, "pred_rnn_layers": 1}, vocab_size=3, normalization_mode="layer")
    with pytest.raises(ValueError, match="num_classes"):
        _joint(num_classes=3, vocabulary=["a", "b"])


def test_label_collate_pads_lists():
    assert label_collate([[1, 2, 3], [4]]).tolist() == [[1, 2, 3], [4, 0, 0]]
    assert label_collate(torch.tensor([[1.0]])).dtype == torch.long


def test_decoder_joint_exports_to_onnx_and_torchscript(tmp_path):
    torch.manual_seed(0)
    step = RNNTDecoderJoint(_decoder(layers=1, dropout=0.0), _joint(dropout=0.0))
    step.eval()
    example = step.input_example(max_batch=2, max_dim=1)
    with torch.no_grad():
        expected = step(*example)
    assert expected[0].shape == (2, 64, 1, 6)
    step.export(str(tmp_path / "dj.ts"))
    traced = torch.jit.load(str(tmp_path / "dj.ts"))
    for got, want in zip(traced(*example), expected):
        torch.testing.assert_close(got, want)
    step.export(str(tmp_path / "dj.onnx"))
    session = onnxruntime.InferenceSession(str(tmp_path / "dj.onnx"), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    assert names == ["encoder_outputs", "targets", "target_length", "input_states_1", "input_states_2"]
    got = session.run(None, {name: value.numpy() for name, value in zip(names, example)})
    np.testing.assert_allclose(got[0], expected[0].numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got[2], expected[2].numpy(), rtol=1e-4, atol=1e-5)
