"""How intelligible is synthesized speech? Transcribe it with an ASR model and compare with the real recordings.

    python examples/tts/evaluate_intelligibility.py --spec-model FastPitch.nemo --vocoder griffin_lim \
        --asr-model demo_output/QuartzNet_small.nemo --manifest /tmp/tts_corpus/test_manifest.json \
        --limit 100 --out-dir /tmp/eval

For each line of ``--manifest`` (NeMo JSON lines: ``audio_filepath`` absolute or relative to the manifest, ``text``;
normally the held-out test split of ``make_tts_corpus.py``), the sentence is synthesized with the spectrogram
generator (``--spec-model``) and vocoder (``--vocoder``: a ``.nemo`` or ``griffin_lim``; or ``--pipeline`` with a
pipeline ``.nemo`` from ``tts_infer.py save_pipeline=``). The synthesized audio and the reference recording are both
resampled (soxr, nemo-core's one resampler) to the ASR model's sample rate and transcribed by the same ASR ``.nemo`` (``EncDecCTCModel``). The
report puts the WER/CER of the synthesized speech next to those of the recordings (the ASR model's own error floor
on this material), adds the mean mel cepstral distortion (MCD, dB, DTW-aligned, silence trimmed) of synthesized vs
reference audio and the synthesis real-time factor, and ends with one JSON line.

References are normalized the way the ASR vocabulary needs (lower-case letters, space, apostrophe): numbers and
abbreviations are spelled out by the TTS text normalizer, any other character outside the vocabulary becomes a
space. ``--out-dir`` keeps the 16 kHz WAVs and a ``results.jsonl`` line per sentence. Needs ``nemo-asr`` and
``soxr`` next to ``nemo-tts``.
"""

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch

from nemo.collections.common.data.audio import read_audio, resample
from nemo.collections.common.data.manifest import read_manifest as read_manifest_entries

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tts_infer import GRIFFIN_LIM, load_pipeline, synthesize, write_wav  # noqa: E402

__all__ = ["read_manifest", "normalize_for_asr", "evaluate", "main"]

MCD_TRIM_TOP_DB = 40.0  # silence this far below the peak is cut before MCD, so padding is not scored


def read_manifest(path: str, limit: Optional[int] = None) -> List[Dict[str, Any]]:
    """Manifest lines (each needs ``text``; audio headers checked) with ``audio_filepath`` made absolute, read by
    nemo-core's manifest reader: errors read ``<manifest>:<line>: <what>``."""
    entries = read_manifest_entries(
        path, duration="optional", need_text=True, check_audio=True, max_number=limit or 0, what="--manifest"
    )
    return [entry.as_record() for entry in entries]


def normalize_for_asr(text: str, vocabulary: Sequence[str]) -> str:
    """``text`` as the ASR model could write it: spelled-out numbers, lower case, only ``vocabulary`` characters."""
    from nemo.collections.tts.parts.text.normalizer import normalize_text

    allowed = {symbol for symbol in vocabulary if len(symbol) == 1}
    spoken = normalize_text(text).lower()
    kept = "".join(char if char in allowed else " " for char in spoken)
    return re.sub(r"\s+", " ", kept).strip()


def _asr_sample_rate(asr_model: Any) -> int:
    rate = getattr(getattr(asr_model, "preprocessor", None), "_sample_rate", None) or asr_model.cfg.get("sample_rate")
    if rate is None:
        raise ValueError(f"cannot tell the sample rate {type(asr_model).__name__} expects (no preprocessor rate)")
    return int(rate)


def _error_rates(hypotheses: List[str], references: List[str]) -> Dict[str, float]:
    from nemo.collections.asr.metrics.wer import word_error_rate

    return {
        "wer": word_error_rate(hypotheses, references, use_cer=False),
        "cer": word_error_rate(hypotheses, references, use_cer=True),
    }


def evaluate(
    tts: Any,
    asr_model: Any,
    records: List[Dict[str, Any]],
    work_dir: str,
    batch_size: int = 8,
    generator_kwargs: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """Synthesize, transcribe and score ``records``; writes WAVs and ``results.jsonl`` under ``work_dir``."""
    from nemo.collections.tts.metrics.mcd import mel_cepstral_distortion

    asr_rate, tts_rate = _asr_sample_rate(asr_model), tts.sample_rate
    vocabulary = list(asr_model.decoder.vocabulary)
    folder = Path(work_dir)
    synth_paths, ref_paths, mcds = [], [], []
    synth_seconds = audio_seconds = 0.0
    for index, record in enumerate(records):
        start = time.perf_counter()
        audio = synthesize(tts, record["text"], **(generator_kwargs or {}))
        synth_seconds += time.perf_counter() - start
        audio_seconds += len(audio) / tts_rate
        reference, ref_rate = read_audio(record["audio_filepath"])
        mcds.append(
            mel_cepstral_distortion(
                resample(reference, ref_rate, tts_rate), audio, tts_rate, trim_top_db=MCD_TRIM_TOP_DB
            )
        )
        for kind, samples, rate, paths in (("synth", audio, tts_rate, synth_paths), ("ref", reference, ref_rate, ref_paths)):  # fmt: skip
            path = folder / f"{kind}_{index:05d}.wav"
            write_wav(str(path), resample(samples, rate, asr_rate), asr_rate)
            paths.append(str(path))

    synth_text = [normalize_for_asr(t, vocabulary) for t in asr_model.transcribe(synth_paths, batch_size=batch_size)]
    ref_text = [normalize_for_asr(t, vocabulary) for t in asr_model.transcribe(ref_paths, batch_size=batch_size)]
    targets = [normalize_for_asr(record["text"], vocabulary) for record in records]
    lines = [
        json.dumps(
            {
                "text": r["text"],
                "target": target,
                "reference_asr": ref,
                "synthesized_asr": syn,
                "mcd": mcd,
                "reference_audio": r["audio_filepath"],
                "synthesized_wav": path,
            }
        )  # fmt: skip
        for r, target, ref, syn, mcd, path in zip(records, targets, ref_text, synth_text, mcds, synth_paths)
    ]
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".results-", suffix=".jsonl")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    os.replace(temporary, folder / "results.jsonl")
    return {
        "utterances": len(records),
        "synthesized": _error_rates(synth_text, targets),
        "reference": _error_rates(ref_text, targets),
        "mcd_db": float(np.mean(mcds)),
        "synthesis_rtf": synth_seconds / max(audio_seconds, 1e-9),
        "examples": [json.loads(line) for line in lines[:3]],
    }


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec-model", help=".nemo of a SpectrogramGenerator (FastPitch, Tacotron 2, ...)")
    parser.add_argument("--vocoder", default=GRIFFIN_LIM, help=".nemo of a Vocoder, or griffin_lim (default)")
    parser.add_argument("--pipeline", help=".nemo of a SpectrogramVocoderPipeline, instead of --spec-model/--vocoder")
    parser.add_argument("--asr-model", required=True, help=".nemo of an EncDecCTCModel")
    parser.add_argument("--manifest", required=True, help="held-out sentences with reference recordings")
    parser.add_argument("--limit", type=int, default=None, help="evaluate only the first N lines")
    parser.add_argument("--out-dir", help="keep the 16 kHz WAVs and results.jsonl here (default: a temp folder)")
    parser.add_argument("--batch-size", type=int, default=8, help="ASR batch size")
    parser.add_argument("--pace", type=float, default=None, help="FastPitch speaking-rate factor")
    parser.add_argument("--griffin-lim-iters", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error(f"--limit must be >= 1, got {args.limit}")
    if (args.spec_model is None) == (args.pipeline is None):
        parser.error("give exactly one of --spec-model and --pipeline")

    from nemo.collections.asr.models import EncDecCTCModel

    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    records = read_manifest(args.manifest, args.limit)
    tts = load_pipeline(args.spec_model, args.vocoder, args.pipeline, device, args.griffin_lim_iters)
    asr_model = EncDecCTCModel.restore_from(args.asr_model, map_location=device).eval()
    generator_kwargs = {} if args.pace is None else {"pace": args.pace}
    with tempfile.TemporaryDirectory(prefix="tts-eval-") as scratch:
        work_dir = args.out_dir or scratch
        Path(work_dir).mkdir(parents=True, exist_ok=True)
        report = evaluate(tts, asr_model, records, work_dir, args.batch_size, generator_kwargs)

    syn, ref = report["synthesized"], report["reference"]
    print(f"{report['utterances']} held-out sentences from {args.manifest}, ASR model {args.asr_model}")
    print(f"{'':<24}{'WER':>8}{'CER':>8}")
    print(f"{'reference recordings':<24}{ref['wer']:>8.4f}{ref['cer']:>8.4f}")
    print(f"{'synthesized speech':<24}{syn['wer']:>8.4f}{syn['cer']:>8.4f}")
    print(f"MCD vs references: {report['mcd_db']:.2f} dB   synthesis real-time factor: {report['synthesis_rtf']:.3f}")
    for example in report["examples"]:
        print(f"  text: {example['target']!r}\n    ref asr: {example['reference_asr']!r}\n"
              f"    tts asr: {example['synthesized_asr']!r}")  # fmt: skip
    summary = {
        "evaluation": "tts_intelligibility",
        "spec_model": args.spec_model or args.pipeline,
        "vocoder": args.vocoder if args.pipeline is None else "pipeline",
        "asr_model": args.asr_model,
        "utterances": report["utterances"],
        "synth_wer": round(syn["wer"], 4),
        "synth_cer": round(syn["cer"], 4),
        "ref_wer": round(ref["wer"], 4),
        "ref_cer": round(ref["cer"], 4),
        "mcd_db": round(report["mcd_db"], 3),
        "synthesis_rtf": round(report["synthesis_rtf"], 4),
        "device": str(device),
    }
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
