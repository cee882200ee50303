"""Tiny configs and synthetic audio corpora shared by the ASR model tests (imported by name: tests/ is on sys.path)."""

import json
import math
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np
import soundfile
import torch

SAMPLE_RATE = 16000
LABELS = [" "] + [chr(c) for c in range(ord("a"), ord("z") + 1)] + ["'"]
TEXTS = ["hello world", "yes", "no no", "stop", "go left", "up"]


def jasper_block(filters: int, kernel: int, **fields: Any) -> Dict:
    """One ``jasper`` entry of a ``ConvASREncoder`` config: one unstrided, undilated sub-block without dropout or
    residual unless ``fields`` say otherwise (``stride``/``dilation`` as ints; NeMo writes them as lists)."""
    block = {"filters": filters, "repeat": 1, "kernel": [kernel], "stride": 1, "dilation": 1, "dropout": 0.0}
    block.update({"residual": False, **fields})
    block["stride"], block["dilation"] = [block["stride"]], [block["dilation"]]
    return block


def tiny_encoder(feat_in: int = 16) -> Dict:
    return {
        "_target_": "nemo.collections.asr.modules.ConvASREncoder",
        "feat_in": feat_in,
        "activation": "relu",
        "jasper": [
            jasper_block(32, kernel=11, stride=2, separable=True),
            jasper_block(32, kernel=5, repeat=2, residual=True, separable=True),
        ],
    }


def preprocessor(features: int = 16) -> Dict:
    return {
        "_target_": "nemo.collections.asr.modules.AudioToMelSpectrogramPreprocessor",
        "sample_rate": SAMPLE_RATE,
        "features": features,
        "window_size": 0.02,
        "window_stride": 0.01,
        "dither": 1e-5,
        "pad_to": 16,
    }


def data_config(manifest, labels=LABELS, batch_size: int = 2, shuffle: bool = False) -> Dict:
    return {
        "manifest_filepath": manifest if manifest is None or isinstance(manifest, list) else str(manifest),
        "sample_rate": SAMPLE_RATE,
        "labels": list(labels),
        "batch_size": batch_size,
        "shuffle": shuffle,
    }


def ctc_config(train_manifest=None, val_manifest=None) -> Dict:
    cfg = {
        "labels": list(LABELS),
        "sample_rate": SAMPLE_RATE,
        "preprocessor": preprocessor(),
        "spec_augment": {
            "_target_": "nemo.collections.asr.modules.SpectrogramAugmentation",
            "freq_masks": 1,
            "time_masks": 1,
            "freq_width": 2,
            "time_width": 4,
        },
        "encoder": tiny_encoder(),
        "decoder": {
            "_target_": "nemo.collections.asr.modules.ConvASRDecoder",
            "feat_in": None,
            "num_classes": len(LABELS),
            "vocabulary": list(LABELS),
        },
        "optim": {"name": "adam", "lr": 0.01},
    }
    if train_manifest is not None:
        cfg["train_ds"] = data_config(train_manifest, shuffle=True)
    if val_manifest is not None:
        cfg["validation_ds"] = data_config(val_manifest)
    return cfg


def write_tone(path: Path, seconds: float, freq: float, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    audio = 0.3 * np.sin(2 * math.pi * freq * t) + 0.01 * rng.standard_normal(t.shape)
    soundfile.write(str(path), audio.astype(np.float32), SAMPLE_RATE)
    return path


def write_speechlike(path, seconds: float, seed: int, lead: float = 0.3, tail: float = 0.45) -> str:
    """Tones gliding in pitch with amplitude bursts, between quiet lead and tail (trimmed by the loader)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    pitch = 200 + 150 * np.sin(2 * math.pi * 0.7 * t)
    envelope = 0.5 + 0.5 * np.sin(2 * math.pi * 3.0 * t) ** 2
    voiced = 0.3 * envelope * np.sin(2 * math.pi * np.cumsum(pitch) / SAMPLE_RATE) + 0.02 * rng.standard_normal(t.size)
    quiet = lambda s: 1e-5 * rng.standard_normal(int(s * SAMPLE_RATE))  # noqa: E731
    audio = np.concatenate([quiet(lead), voiced, quiet(tail)]).astype(np.float32)
    soundfile.write(str(path), audio, SAMPLE_RATE)
    return str(path)


def check_progress_only_when_verbose(
    transcribe: Callable[..., Any], tmp_path: Path, capfd: Any, monkeypatch: Any
) -> None:
    """``transcribe(paths, verbose=...)`` over a long and a short file prints nothing with ``verbose=False`` and its
    progress bars (shown at once here) with ``verbose=True``."""
    from nemo.collections.asr.parts import buffered_transcription

    monkeypatch.setattr(buffered_transcription, "_PROGRESS_DELAY_S", 0.0)
    paths = [write_speechlike(tmp_path / "long.wav", 4.0, seed=5), write_speechlike(tmp_path / "s.wav", 1.0, seed=6)]
    capfd.readouterr()
    transcribe(paths, verbose=False)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    transcribe(paths, verbose=True)
    out, err = capfd.readouterr()
    assert "Transcribing" in out + err


def write_corpus(directory: Path, entries: List[Dict], name: str = "manifest.json") -> Path:
    """WAV files of distinct tones and a JSON-lines manifest; each entry gives the manifest fields besides audio."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest = directory / name
    with open(manifest, "w", encoding="utf-8") as handle:
        for idx, fields in enumerate(entries):
            seconds = 0.4 + 0.1 * (idx % 3)
            wav = write_tone(directory / f"{Path(name).stem}_{idx}.wav", seconds, 200.0 + 150.0 * idx, seed=idx)
            handle.write(json.dumps({"audio_filepath": str(wav), "duration": seconds, **fields}) + "\n")
    return manifest


def make_tokenizer_dir(directory: Path, vocab_size: int, texts: List[str] = TEXTS) -> Path:
    """A SentencePiece BPE tokenizer of ``vocab_size`` pieces trained on ``texts``, written to ``directory``."""
    from nemo.collections.common.tokenizers.sentencepiece_tokenizer import create_spt_model

    directory.parent.mkdir(parents=True, exist_ok=True)
    corpus = directory.parent / f"{directory.name}.txt"
    corpus.write_text("\n".join(list(texts) * 20) + "\n", encoding="utf-8")
    create_spt_model(
        str(corpus), vocab_size=vocab_size, sample_size=-1, do_lower_case=True, tokenizer_type="bpe",
        output_dir=str(directory),
    )  # fmt: skip
    return directory


def bpe_config(cfg: Dict, tokenizer_dir: Path, manifest: Optional[Path] = None) -> Dict:
    """A character model's config ``cfg`` made sub-word: ``labels`` replaced by ``tokenizer`` (plus a ``train_ds``)."""
    cfg.pop("labels")
    cfg["tokenizer"] = {"dir": str(tokenizer_dir), "type": "bpe"}
    if manifest is not None:
        cfg["train_ds"] = {"manifest_filepath": str(manifest), "sample_rate": SAMPLE_RATE, "batch_size": 3}
    return cfg


def ctc_bpe_config(tokenizer_dir: Path, manifest: Optional[Path] = None) -> Dict:
    """The tiny CTC model over the tokenizer in ``tokenizer_dir`` (its decoder sized from the tokenizer)."""
    cfg = bpe_config(ctc_config(), tokenizer_dir, manifest)
    cfg["decoder"] = {"_target_": "nemo.collections.asr.modules.ConvASRDecoder", "feat_in": None, "num_classes": -1}
    return cfg


def padded_batch(paths: List[Path], texts: List[str], labels: List[str]) -> Tuple[torch.Tensor, ...]:
    """``(signal, lengths, targets, target_lengths)``: the clips and their transcripts' label ids, zero-padded."""
    clips = [torch.from_numpy(soundfile.read(str(path), dtype="float32")[0]) for path in paths]
    lengths = torch.tensor([len(clip) for clip in clips])
    signal = torch.zeros(len(clips), int(lengths.max()))
    for row, clip in enumerate(clips):
        signal[row, : len(clip)] = clip
    targets = torch.zeros(len(texts), max(len(t) for t in texts), dtype=torch.long)
    for row, text in enumerate(texts):
        targets[row, : len(text)] = torch.tensor([labels.index(c) for c in text])
    return signal, lengths, targets, torch.tensor([len(t) for t in texts])


def fit_steps(model: Any, batch_loss: Callable[[], torch.Tensor], steps: int, lr: float) -> List[float]:
    """``steps`` Adam steps on ``batch_loss()`` with the model in training mode; the loss of each step."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    losses = []
    for _ in range(steps):
        loss = batch_loss()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def manifest_paths(manifest: Path) -> List[str]:
    with open(manifest, encoding="utf-8") as handle:
        return [json.loads(line)["audio_filepath"] for line in handle]
