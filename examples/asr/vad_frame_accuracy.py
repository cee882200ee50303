"""Train a small MarbleNet VAD on the eSpeak corpus and print its frame accuracy on long audio of held-out voices.

    python examples/asr/make_speech_corpus.py --out-dir /tmp/speech --num-train 400 --num-val 20 --num-test 40
    python examples/asr/vad_frame_accuracy.py --corpus /tmp/speech --work-dir /tmp/vad --max-epochs 5

Training: 0.63 s crops of the training sentences (over a random background) labelled ``speech`` and as many crops of
synthetic background (silence, white/pink/brown noise, mains hum, at -70..-25 dBFS) labelled ``background``, on
``conf/marblenet/marblenet_3x2x64.yaml``. Evaluation: the test sentences (voices never heard in training) laid end to
end over a continuous background with gaps of 0.3-2 s at known places, so every 10 ms frame's label is known; the file
goes through ``vad_infer.py``'s pipeline (``conf/vad/vad_inference_postprocessing.yaml``) and the script prints the
frame accuracy of the raw frame predictions (> 0.5), of the smoothed ones (> 0.5) and of the post-processed segments
(the config's padding widens each segment: it keeps word edges for ASR and costs frame accuracy). The reference and
predicted segments are written as ``long_test_truth.rttm`` and ``long_test_vad.rttm``. ``--model`` scores an
existing ``.nemo`` instead of training one.
"""

import argparse
import json
import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import soundfile
from omegaconf import OmegaConf

from nemo.collections.asr.models import EncDecClassificationModel
from nemo.collections.asr.parts.utils.vad_utils import (
    frame_labels_from_segments,
    generate_overlap_vad_seq_per_tensor,
    generate_vad_frame_pred,
    generate_vad_segment_table_per_tensor,
    vad_parameters,
    write_rttm,
)
from nemo.collections.common.data.audio import load_audio
from nemo.collections.common.data.manifest import iter_manifest

CONF = Path(__file__).resolve().parent / "conf"
SAMPLE_RATE = 16000
WINDOW_S = 0.63
BACKGROUNDS = ("silence", "white", "pink", "brown", "hum")


def background(rng: np.random.Generator, num_samples: int) -> np.ndarray:
    """Non-speech of one random kind at a random level (-70..-25 dBFS RMS)."""
    kind = BACKGROUNDS[rng.integers(len(BACKGROUNDS))]
    if kind == "hum":
        t = np.arange(num_samples) / SAMPLE_RATE
        base = rng.choice([50.0, 60.0])
        noise = sum(np.sin(2 * np.pi * base * h * t + rng.uniform(0, 6.3)) / h for h in (1, 2, 3))
    else:
        noise = rng.standard_normal(num_samples)
        if kind in ("pink", "brown"):
            spectrum = np.fft.rfft(noise)
            freqs = np.maximum(np.fft.rfftfreq(num_samples), 1.0 / num_samples)
            spectrum /= freqs ** (0.5 if kind == "pink" else 1.0)
            noise = np.fft.irfft(spectrum, n=num_samples)
    level = -90.0 if kind == "silence" else rng.uniform(-70.0, -25.0)
    rms = float(np.sqrt(np.mean(np.square(noise)))) or 1.0
    return (noise / rms * 10 ** (level / 20)).astype(np.float32)


def _clips(manifest: str, limit: Optional[int] = None) -> List[np.ndarray]:
    entries = list(iter_manifest(manifest, duration="optional"))[:limit]
    return [load_audio(entry.audio_file, SAMPLE_RATE) for entry in entries]


def write_crops(manifest: str, out_dir: Path, crops_per_clip: int, rng: np.random.Generator) -> str:
    """Labelled 0.63 s crops (speech over background, and background alone) and their manifest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    size = int(round(WINDOW_S * SAMPLE_RATE))
    lines = []
    for c, clip in enumerate(_clips(manifest)):
        for k in range(crops_per_clip):
            start = int(rng.integers(max(1, clip.size - size)))
            speech = np.pad(clip[start : start + size], (0, max(0, size - clip.size)))
            for label, audio in (("speech", speech + background(rng, size)), ("background", background(rng, size))):
                path = out_dir / f"{label}_{c}_{k}.wav"
                soundfile.write(path, np.clip(audio, -1, 1), SAMPLE_RATE)
                lines.append({"audio_filepath": str(path), "duration": WINDOW_S, "label": label})
    path = out_dir / "manifest.json"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return str(path)


def train(
    train_manifest: str, val_manifest: str, max_epochs: int, out: Path, seed: int = 0
) -> EncDecClassificationModel:
    """MarbleNet 3x2x64 trained briefly on CPU; saved to ``out``."""
    import pytorch_lightning as pl

    cfg = OmegaConf.load(CONF / "marblenet" / "marblenet_3x2x64.yaml").model
    for key, manifest in (("train_ds", train_manifest), ("validation_ds", val_manifest)):
        cfg[key].update({"manifest_filepath": manifest, "batch_size": 64, "num_workers": 0, "pin_memory": False})
    cfg.test_ds.manifest_filepath = None
    trainer = pl.Trainer(
        accelerator="cpu",
        devices=1,
        max_epochs=max_epochs,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    pl.seed_everything(seed, verbose=False)  # weights and batch order
    model = EncDecClassificationModel(cfg=cfg, trainer=trainer)
    trainer.fit(model)
    model.save_to(str(out))
    return model


def long_audio(clips: Sequence[np.ndarray], rng: np.random.Generator) -> Tuple[np.ndarray, List[Tuple[float, float]]]:
    """The clips end to end with 0.3-2 s gaps, over a background that changes kind at every gap; the speech spans."""
    gaps = [int(rng.uniform(0.3, 2.0) * SAMPLE_RATE) for _ in range(len(clips) + 1)]
    pieces, spans, position = [], [], 0
    for gap, clip in zip(gaps, list(clips) + [None]):
        pieces.append(background(rng, gap))
        position += gap
        if clip is not None:
            pieces.append(clip + background(rng, clip.size))
            spans.append((position / SAMPLE_RATE, (position + clip.size) / SAMPLE_RATE))
            position += clip.size
    return np.clip(np.concatenate(pieces), -1, 1).astype(np.float32), spans


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", required=True, help="make_speech_corpus.py output folder")
    parser.add_argument("--work-dir", required=True)
    parser.add_argument("--model", default=None, help="score this MarbleNet .nemo instead of training one")
    parser.add_argument("--max-epochs", type=int, default=5)
    parser.add_argument("--crops-per-clip", type=int, default=2)
    parser.add_argument("--num-test-clips", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    work = Path(args.work_dir)
    corpus = Path(args.corpus)
    if args.model:
        model = EncDecClassificationModel.restore_from(args.model, map_location="cpu")
    else:
        train_manifest = write_crops(str(corpus / "train_manifest.json"), work / "train", args.crops_per_clip, rng)
        val_manifest = write_crops(str(corpus / "validation_manifest.json"), work / "validation", 1, rng)
        model = train(train_manifest, val_manifest, args.max_epochs, work / "marblenet.nemo", args.seed)
    audio, spans = long_audio(_clips(str(corpus / "test_manifest.json"), args.num_test_clips), rng)
    os.makedirs(work, exist_ok=True)
    soundfile.write(work / "long_test.wav", audio, SAMPLE_RATE)
    parameters = vad_parameters(
        OmegaConf.to_container(OmegaConf.load(CONF / "vad" / "vad_inference_postprocessing.yaml").vad.parameters)
    )
    window, frame_len = float(parameters["window_length_in_sec"]), float(parameters["shift_length_in_sec"])
    write_rttm(spans, "long_test", str(work / "long_test_truth.rttm"))
    raw = generate_vad_frame_pred(model, str(work / "long_test.wav"), window, frame_len, chunk_len_in_sec=30.0)
    smoothed = generate_overlap_vad_seq_per_tensor(raw, parameters, parameters["smoothing"])
    segments = generate_vad_segment_table_per_tensor(
        smoothed, {**parameters["postprocessing"], "frame_length_in_sec": frame_len}
    )
    write_rttm(segments, "long_test", str(work / "long_test_vad.rttm"))
    truth = frame_labels_from_segments(spans, raw.numel(), frame_len)
    scores = {
        "raw": float(((raw > 0.5).long() == truth).float().mean()),
        "smoothed": float(((smoothed > 0.5).long() == truth).float().mean()),
        "postprocessed": float((frame_labels_from_segments(segments, raw.numel(), frame_len) == truth).float().mean()),
        "speech_fraction": float(truth.float().mean()),
    }
    print(
        f"VAD frame accuracy on {len(spans)} held-out-voice sentences ({audio.size / SAMPLE_RATE:.1f} s, "
        f"{scores['speech_fraction']:.1%} speech): raw frames {scores['raw']:.4f}, "
        f"{parameters['smoothing']}-smoothed frames {scores['smoothed']:.4f}, "
        f"post-processed segments {scores['postprocessed']:.4f}"
    )
    return scores


if __name__ == "__main__":
    main()
