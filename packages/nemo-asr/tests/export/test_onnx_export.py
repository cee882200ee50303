"""Every ASR model class exports to ONNX where NeMo exports it, built from its shipped CPU config, and onnxruntime gives
torch's outputs within 1e-4 at two batch sizes and time lengths other than the export example's (dynamic axes).

Encoder-decoder models export one graph (spectrogram in, decoder outputs out); transducers export NeMo's two subnets,
``encoder-<name>`` and ``decoder_joint-<name>`` (encoder frames, labels, their lengths and the LSTM state in; joint
scores and the new state out)."""

import warnings
from pathlib import Path
from typing import Any, Callable, Dict, List, Sequence

import numpy as np
import pytest
import torch
from asr_models_testing import make_tokenizer_dir
from omegaconf import OmegaConf

from nemo.collections.asr.models import (
    EncDecClassificationModel,
    EncDecCTCModel,
    EncDecCTCModelBPE,
    EncDecRNNTModel,
    EncDecSpeakerLabelModel,
)
from nemo.core.testing import examples_dir

ort = pytest.importorskip("onnxruntime")

CONF = examples_dir("asr", "conf")
TOLERANCE = 1e-4
# (batch, frames) at which the exported graphs run: neither is the export example's size.
SIZES = [(2, 61), (3, 143)]


def _shipped(config: str, model_class: type, tmp_path: Path) -> Any:
    """``model_class`` built from the shipped ``config`` as it is (no data), in eval mode, seeded."""
    cfg = OmegaConf.load(CONF / config).model
    for split in ("train_ds", "validation_ds", "test_ds"):
        if split in cfg:
            cfg[split].manifest_filepath = None
    if "tokenizer" in cfg:
        cfg.tokenizer.dir = str(make_tokenizer_dir(tmp_path / "spe", vocab_size=24))
    torch.manual_seed(0)
    return model_class(cfg=cfg).eval()


def _session(path: Path) -> Any:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _export(module: Any, path: Path) -> List[str]:
    """``module.export(path)`` without the exporter's notes on tracing and constant folding; the files written."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        return module.export(str(path))[0]


def _assert_close(got: Sequence[np.ndarray], want: Sequence[torch.Tensor], names: List[str]) -> None:
    assert len(got) == len(want), names
    for name, g, w in zip(names, got, want):
        assert g.shape == tuple(w.shape), name
        np.testing.assert_allclose(g, w.numpy(), rtol=0, atol=TOLERANCE, err_msg=name)


def _features(model: Any, batch: int, frames: int) -> Dict[str, torch.Tensor]:
    """A spectrogram batch for ``model``'s encoder and its lengths (each utterance shorter than the last)."""
    generator = torch.Generator().manual_seed(batch * 1000 + frames)
    features = torch.randn(batch, model.cfg.encoder.feat_in, frames, generator=generator)
    return {"audio_signal": features, "length": torch.tensor([frames - 17 * i for i in range(batch)])}


def _decoder_joint_inputs(model: Any, batch: int, frames: int) -> Dict[str, torch.Tensor]:
    """Encoder frames, labels, their lengths and a random LSTM state for ``model``'s prediction network and joint."""
    generator = torch.Generator().manual_seed(batch + frames)
    labels = 1 + frames % 5  # the label axis is dynamic too
    encoder_outputs = model.joint.input_example(max_batch=batch, max_dim=frames // 4)[0]
    _, _, (h, c) = model.decoder.input_example(max_batch=batch, max_dim=labels)
    return {
        "encoder_outputs": torch.randn(encoder_outputs.shape, generator=generator),
        "targets": torch.randint(0, model.decoder.vocab_size, (batch, labels), generator=generator),
        "target_length": torch.full((batch,), labels),
        "input_states_1": torch.randn(h.shape, generator=generator),
        "input_states_2": torch.randn(c.shape, generator=generator),
    }


def _check_graph(
    path: Path, forward: Callable[..., Any], make_inputs: Callable[[int, int], Dict[str, torch.Tensor]]
) -> Any:
    """Run the graph at ``path`` at each of SIZES on the inputs it takes and compare with ``forward``; the session."""
    session = _session(path)
    names = [i.name for i in session.get_inputs()]
    for batch, frames in SIZES:
        inputs = {name: value for name, value in make_inputs(batch, frames).items() if name in names}
        assert list(inputs) == names
        with torch.no_grad():
            want = forward(*inputs.values())
        want = list(want) if isinstance(want, tuple) else [want]
        got = session.run(None, {name: value.numpy() for name, value in inputs.items()})
        _assert_close(got, want, [o.name for o in session.get_outputs()])
    return session


ENCODER_DECODER = {
    "quartznet": ("config.yaml", EncDecCTCModel, ["audio_signal"], ["logprobs"]),
    "citrinet": ("citrinet/citrinet_small.yaml", EncDecCTCModelBPE, ["audio_signal"], ["logprobs"]),
    "conformer_ctc": ("conformer/conformer_ctc_small.yaml", EncDecCTCModel, ["audio_signal", "length"], ["logprobs"]),
    "matchboxnet": ("matchboxnet/matchboxnet_3x1x64_v1.yaml", EncDecClassificationModel, ["audio_signal"], ["logits"]),
    "marblenet": ("marblenet/marblenet_3x2x64.yaml", EncDecClassificationModel, ["audio_signal"], ["logits"]),
    "titanet": ("speaker/titanet-cpu.yaml", EncDecSpeakerLabelModel, ["audio_signal"], ["logits", "embs"]),
}


@pytest.mark.parametrize("family", list(ENCODER_DECODER))
def test_encoder_decoder_models_match_torch_in_onnxruntime(tmp_path, family):
    config, model_class, inputs, outputs = ENCODER_DECODER[family]
    model = _shipped(config, model_class, tmp_path)
    path = tmp_path / f"{family}.onnx"
    _export(model, path)
    session = _check_graph(path, model.forward_for_export, lambda batch, frames: _features(model, batch, frames))
    assert [i.name for i in session.get_inputs()] == inputs
    assert [o.name for o in session.get_outputs()] == outputs


TRANSDUCERS = {
    "contextnet_rnnt": ("contextnet_rnnt/contextnet_rnnt_small.yaml", ["audio_signal"]),
    "conformer_transducer": ("conformer/conformer_transducer_small.yaml", ["audio_signal", "length"]),
}


@pytest.mark.parametrize("family", list(TRANSDUCERS))
def test_transducer_subnets_match_torch_in_onnxruntime(tmp_path, family):
    config, encoder_inputs = TRANSDUCERS[family]
    model = _shipped(config, EncDecRNNTModel, tmp_path)
    files = _export(model, tmp_path / f"{family}.onnx")
    assert [Path(f).name for f in files] == [f"encoder-{family}.onnx", f"decoder_joint-{family}.onnx"]
    encoder_forward = getattr(model.encoder, "forward_for_export", model.encoder.forward)
    session = _check_graph(Path(files[0]), encoder_forward, lambda batch, frames: _features(model, batch, frames))
    assert [i.name for i in session.get_inputs()] == encoder_inputs
    step = model.decoder_joint.eval()
    session = _check_graph(Path(files[1]), step, lambda batch, frames: _decoder_joint_inputs(model, batch, frames))
    assert [o.name for o in session.get_outputs()] == [
        "outputs",
        "prednet_lengths",
        "output_states_1",
        "output_states_2",
    ]
