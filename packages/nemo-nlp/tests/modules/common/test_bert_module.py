import pytest
import torch

from nemo.collections.nlp.modules.common.bert_module import load_checkpoint_state_dict
from nemo.collections.nlp.modules.common.lm_utils import encoder_from_config
from nemo.core.neural_types import ChannelType, MaskType


def test_ports_are_v1s(bert_config):
    encoder = encoder_from_config(bert_config)
    assert list(encoder.input_types) == ["input_ids", "attention_mask", "token_type_ids"]
    assert isinstance(encoder.input_types["attention_mask"].elements_type, MaskType)
    out = encoder.output_types["last_hidden_states"]
    assert out.axes[2].kind.name == "Dimension" and isinstance(out.elements_type, ChannelType)


def test_padding_does_not_change_real_positions(bert_config):
    encoder = encoder_from_config(bert_config).eval()
    ids = torch.tensor([[2, 7, 9, 3]])
    padded = torch.tensor([[2, 7, 9, 3, 0, 0]])
    with torch.no_grad():
        short = encoder(input_ids=ids, attention_mask=torch.ones_like(ids))
        long = encoder(input_ids=padded, attention_mask=(padded != 0).long())
    assert torch.allclose(short, long[:, :4], atol=1e-5)


def test_too_long_input_is_reported(bert_config):
    encoder = encoder_from_config(bert_config)
    ids = torch.ones(1, bert_config["max_position_embeddings"] + 1, dtype=torch.long)
    with pytest.raises(ValueError, match="more than the max_position_embeddings=64"):
        encoder(input_ids=ids)


def test_pickled_objects_are_refused(tmp_path):
    path = tmp_path / "evil.bin"
    torch.save({"weight": torch.zeros(1), "obj": object()}, path, _use_new_zipfile_serialization=True)
    with pytest.raises(ValueError, match="evil.bin: not a weights-only torch checkpoint"):
        load_checkpoint_state_dict(str(path))


def test_onnx_export_runs(tmp_path, bert_config):
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    encoder = encoder_from_config(bert_config).eval()
    path = tmp_path / "bert.onnx"
    encoder.export(str(path))
    session = ort.InferenceSession(str(path))
    ids, mask, types = encoder.input_example()
    feeds = {i.name: t.numpy() for i, t in zip(session.get_inputs(), (ids, mask, types))}
    (ours,) = session.run(None, feeds)
    with torch.no_grad():
        expected = encoder(input_ids=ids, attention_mask=mask, token_type_ids=types)
    assert torch.allclose(torch.from_numpy(ours), expected, atol=1e-4)
