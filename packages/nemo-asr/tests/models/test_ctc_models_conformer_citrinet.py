"""The Conformer-CTC and Citrinet example configs as models: each builds (at test size), runs forward with the expected
shapes and lengths, survives save/restore with identical outputs, and learns in a few steps; NGC's
``stt_en_conformer_ctc_*`` entries restore (NeMo 1.0's config layout)."""

import json
from pathlib import Path
from typing import List

import pytest
import torch
from asr_models_testing import TEXTS, write_tone
from omegaconf import OmegaConf

from nemo.collections.asr.models import EncDecCTCModel, EncDecCTCModelBPE
from nemo.collections.asr.modules import ConformerEncoder
from nemo.collections.common.tokenizers.sentencepiece_tokenizer import create_spt_model
from nemo.core.testing import examples_dir
from nemo.core.testing.restore_once import assert_saved_model_restores_once

CONF = examples_dir("asr", "conf")
FEATURES = 16
STEPS, LR = 30, 1e-2  # the few training steps' budget
CONFORMER_TINY = {"n_layers": 1, "d_model": 32, "n_heads": 4, "subsampling_conv_channels": 8, "conv_kernel_size": 7}

# config file -> (model class, time reduction of the encoder)
CONFIGS = {
    "conformer/conformer_ctc_char.yaml": (EncDecCTCModel, 4),
    "conformer/conformer_ctc_bpe.yaml": (EncDecCTCModelBPE, 4),
    "conformer/conformer_ctc_small.yaml": (EncDecCTCModel, 4),
    "citrinet/citrinet_512.yaml": (EncDecCTCModelBPE, 8),
    "citrinet/citrinet_small.yaml": (EncDecCTCModelBPE, 8),
}


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("spe")
    corpus = folder / "text.txt"
    corpus.write_text("\n".join(TEXTS * 20) + "\n", encoding="utf-8")
    create_spt_model(str(corpus), vocab_size=24, sample_size=-1, do_lower_case=True, output_dir=str(folder / "bpe"))
    return folder / "bpe"


@pytest.fixture(scope="module")
def long_clips(tmp_path_factory) -> Path:
    """Six 1.2 s tones with the test transcripts (long enough for 8x subsampling); returns their manifest."""
    folder = tmp_path_factory.mktemp("clips")
    manifest = folder / "manifest.json"
    with open(manifest, "w", encoding="utf-8") as handle:
        for idx, text in enumerate(TEXTS):
            wav = write_tone(folder / f"clip_{idx}.wav", 1.2, 200.0 + 150.0 * idx, seed=idx)
            handle.write(json.dumps({"audio_filepath": str(wav), "duration": 1.2, "text": text}) + "\n")
    return manifest


def _model_config(name: str, tokenizer_dir: Path):
    """The config's ``model`` node at test size: 16 mel features, a one-layer Conformer of width 32, or Citrinet blocks
    of 16 channels with one sub-block; no data (the tests feed batches themselves)."""
    model = OmegaConf.load(CONF / name).model
    for split in ("train_ds", "validation_ds", "test_ds"):
        model[split].manifest_filepath = None
    model.preprocessor.features = FEATURES
    model.encoder.feat_in = FEATURES
    if "tokenizer" in model:
        model.tokenizer.dir = str(tokenizer_dir)
    if "conformer" in name:
        model.encoder = OmegaConf.merge(model.encoder, CONFORMER_TINY)
        if model.decoder.feat_in is not None:
            model.decoder.feat_in = CONFORMER_TINY["d_model"]
    else:
        model.model_defaults.repeat = 1
        model.model_defaults.enc_final = 24
        for block in model.encoder.jasper:
            if not OmegaConf.is_interpolation(block, "filters"):
                block.filters = 16
            elif "filters" in model.model_defaults:
                model.model_defaults.filters = 16
    if "freq_width" in model.get("spec_augment", {}):
        model.spec_augment.freq_width = 4
    return model


def _build(name: str, tokenizer_dir: Path):
    torch.manual_seed(0)
    model_class, _ = CONFIGS[name]
    return model_class(cfg=_model_config(name, tokenizer_dir))


def _audio(lengths: List[int]):
    signal = torch.randn(len(lengths), max(lengths), generator=torch.Generator().manual_seed(0)) * 0.1
    for row, n in enumerate(lengths):
        signal[row, n:] = 0.0
    return signal, torch.tensor(lengths)


def _halve(lengths: torch.Tensor, times: int) -> torch.Tensor:
    """A "same"-padded stride-2 layer's output length, ``times`` times over."""
    for _ in range(times):
        lengths = torch.div(lengths - 1, 2, rounding_mode="floor") + 1
    return lengths


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_config_builds_runs_and_restores_with_identical_outputs(name, tokenizer_dir, tmp_path):
    model = _build(name, tokenizer_dir).eval()
    _, reduction = CONFIGS[name]
    if "conformer" in name:
        assert isinstance(model.encoder, ConformerEncoder)
    else:
        assert all(block.se for block in model.encoder.encoder)  # squeeze-and-excite in every block
    signal, lengths = _audio([16000, 11000, 5000])
    with torch.no_grad():
        log_probs, encoded_len, greedy = model(input_signal=signal, input_signal_length=lengths)
        features, frames = model.preprocessor(input_signal=signal, length=lengths)
    halvings = reduction.bit_length() - 1
    assert encoded_len.tolist() == _halve(frames, halvings).tolist()
    steps = int(_halve(torch.tensor(features.shape[-1]), halvings))  # the features may be padded (pad_to)
    assert log_probs.shape == (3, steps, len(model.decoder.vocabulary) + 1) and greedy.shape == (3, steps)

    path = tmp_path / "model.nemo"
    model.save_to(str(path))
    restored = type(model).restore_from(str(path), map_location="cpu").eval()
    with torch.no_grad():
        again, again_len, _ = restored(input_signal=signal, input_signal_length=lengths)
    assert again_len.tolist() == encoded_len.tolist()
    torch.testing.assert_close(again, log_probs, rtol=0.0, atol=0.0)


def _citrinet_block_keys(block: int, channels: int, kernel: int, repeat: int) -> dict:
    """NeMo's keys of a separable Citrinet block with SE and a residual branch (checked against NeMo 3.0.0's
    ConvASREncoder built from its citrinet_512.yaml: all 921 keys and shapes agree)."""

    def bn(prefix: str) -> dict:
        stats = {f"{prefix}.{k}": (channels,) for k in ("weight", "bias", "running_mean", "running_var")}
        return {**stats, f"{prefix}.num_batches_tracked": ()}

    keys, p = {}, f"encoder.{block}"
    for r in range(repeat):
        keys[f"{p}.mconv.{5 * r}.conv.weight"] = (channels, 1, kernel)
        keys[f"{p}.mconv.{5 * r + 1}.conv.weight"] = (channels, channels, 1)
        keys.update(bn(f"{p}.mconv.{5 * r + 2}"))
    se = 5 * (repeat - 1) + 3
    keys[f"{p}.mconv.{se}.fc.0.weight"] = (channels // 8, channels)
    keys[f"{p}.mconv.{se}.fc.2.weight"] = (channels, channels // 8)
    keys[f"{p}.res.0.0.conv.weight"] = (channels, channels, 1)
    keys.update(bn(f"{p}.res.0.1"))
    return keys


def test_citrinet_512_has_nemos_keys_and_size():
    cfg = OmegaConf.to_container(OmegaConf.load(CONF / "citrinet" / "citrinet_512.yaml").model.encoder, resolve=True)
    cfg.pop("_target_")
    from nemo.collections.asr.modules import ConvASREncoder

    with torch.device("meta"):  # shapes only: no 36M-parameter initialisation
        encoder = ConvASREncoder(**cfg)
    state = {k: tuple(v.shape) for k, v in encoder.state_dict().items()}
    assert len(state) == 921
    assert {k: v for k, v in state.items() if k.startswith("encoder.1.")} == _citrinet_block_keys(1, 512, 11, 5)
    assert sum(1 for k in state if k.endswith(".fc.0.weight")) == 23  # squeeze-and-excite in every block
    assert state["encoder.22.mconv.3.fc.0.weight"] == (80, 640)
    assert sum(p.numel() for p in encoder.parameters()) == 36_337_296


@pytest.mark.parametrize("name", ["conformer/conformer_ctc_small.yaml", "conformer/conformer_ctc_bpe.yaml"])
def test_conformer_restores_once_on_the_meta_device_and_quietly(name, tokenizer_dir, tmp_path):
    model_class, _ = CONFIGS[name]
    assert_saved_model_restores_once(model_class, _model_config(name, tokenizer_dir), tmp_path)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_a_few_training_steps_lower_the_loss(name, tokenizer_dir, long_clips):
    model = _build(name, tokenizer_dir)
    model.spec_augmentation = None  # memorizing six clips, not generalizing
    data = {"manifest_filepath": str(long_clips), "sample_rate": 16000, "batch_size": 6, "shuffle": False}
    if "labels" in model.cfg:
        data["labels"] = list(model.cfg.labels)
    model.setup_training_data(data)
    signal, signal_len, targets, target_len = next(iter(model._train_dl))
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    model.train()
    losses = []
    for _ in range(STEPS):
        log_probs, encoded_len, _ = model(input_signal=signal, input_signal_length=signal_len)
        loss = model.loss(log_probs=log_probs, targets=targets, input_lengths=encoded_len, target_lengths=target_len)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    assert all(torch.isfinite(torch.tensor(losses)))
    assert losses[-1] < 0.6 * losses[0], losses  # measured here: 0.04-0.22 (Conformer), 0.14-0.47 (Citrinet)


# NeMo 1.0's Conformer-CTC config layout (examples/asr/conf/conformer/conformer_ctc_bpe.yaml at v1.0.0, which NGC's
# stt_en_conformer_ctc_* 1.0.0 checkpoints carry): only these encoder keys, and NeMo 1.0's preprocessor keys.
_NEMO_1_0_ENCODER = {
    "_target_": "nemo.collections.asr.modules.ConformerEncoder",
    "feat_in": FEATURES, "feat_out": -1, "n_layers": 2, "d_model": 16, "subsampling": "striding",
    "subsampling_factor": 4, "subsampling_conv_channels": -1, "ff_expansion_factor": 4,
    "self_attention_model": "rel_pos", "n_heads": 4, "att_context_size": [-1, -1], "xscaling": True,
    "untie_biases": True, "pos_emb_max_len": 5000, "conv_kernel_size": 31, "dropout": 0.1, "dropout_emb": 0.0,
    "dropout_att": 0.1,
}  # fmt: skip


@pytest.mark.parametrize("size", ["small", "medium", "large"])
def test_ngc_conformer_ctc_entries_restore(size, tokenizer_dir, tmp_path, monkeypatch):
    infos = {m.pretrained_model_name: m for m in EncDecCTCModelBPE.list_available_models()}
    for name in (f"stt_en_conformer_ctc_{size}", f"stt_en_conformer_ctc_{size}_ls"):
        assert infos[name].location.endswith(f"/{name}/versions/1.0.0/files/{name}.nemo")
    cfg = OmegaConf.load(CONF / "conformer" / "conformer_ctc_bpe.yaml").model
    for split in ("train_ds", "validation_ds", "test_ds"):
        cfg[split].manifest_filepath = None
    cfg.tokenizer = {"dir": str(tokenizer_dir), "type": "bpe"}
    cfg.preprocessor = {
        "_target_": "nemo.collections.asr.modules.AudioToMelSpectrogramPreprocessor", "sample_rate": 16000,
        "normalize": "per_feature", "window_size": 0.025, "window_stride": 0.01, "window": "hann",
        "features": FEATURES, "n_fft": 512, "log": True, "frame_splicing": 1, "dither": 0.00001, "pad_to": 0,
        "pad_value": 0.0,
    }  # fmt: skip
    cfg.spec_augment = {"_target_": "nemo.collections.asr.modules.SpectrogramAugmentation", "freq_masks": 2,
                        "time_masks": 5, "freq_width": 4, "time_width": 0.05}  # fmt: skip
    cfg.encoder = dict(_NEMO_1_0_ENCODER)
    torch.manual_seed(0)
    model = EncDecCTCModelBPE(cfg=cfg).eval()
    path = tmp_path / f"stt_en_conformer_ctc_{size}.nemo"
    model.save_to(str(path))

    import nemo.core.classes.model as model_module

    seen = []
    monkeypatch.setattr(model_module, "resolve_location", lambda location, **kw: seen.append(location) or path)
    restored = EncDecCTCModelBPE.from_pretrained(f"stt_en_conformer_ctc_{size}", map_location="cpu").eval()
    assert seen and seen[0].endswith(f"stt_en_conformer_ctc_{size}.nemo")
    assert isinstance(restored.encoder, ConformerEncoder)
    signal, lengths = _audio([8000, 5000])
    with torch.no_grad():
        expected = model(input_signal=signal, input_signal_length=lengths)[0]
        torch.testing.assert_close(restored(input_signal=signal, input_signal_length=lengths)[0], expected)


def test_conformer_model_exports_to_onnx_with_lengths(tokenizer_dir, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    import warnings

    model = _build("conformer/conformer_ctc_small.yaml", tokenizer_dir).eval()
    path = str(tmp_path / "conformer_ctc.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the exporter's constant-folding notes
        model.export(path)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["audio_signal", "length"]
    features, lengths = torch.randn(2, FEATURES, 75), torch.tensor([75, 40])
    (onnx_out,) = session.run(None, {"audio_signal": features.numpy(), "length": lengths.numpy()})
    with torch.no_grad():
        expected = model.forward_for_export(features, lengths)
    torch.testing.assert_close(torch.from_numpy(onnx_out), expected, rtol=1e-3, atol=1e-4)
