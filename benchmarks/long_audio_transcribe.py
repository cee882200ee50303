"""Peak memory and time of ``EncDecCTCModel.transcribe`` on long files (chunked) against short ones (whole file).

    python benchmarks/long_audio_transcribe.py build --manifest CORPUS/test_manifest.json ... --out /tmp/long \
        --minutes 1 7 120
    python benchmarks/long_audio_transcribe.py run --model MODEL.nemo --audio /tmp/long/120min.wav [--whole]
    python benchmarks/long_audio_transcribe.py compare --model MODEL.nemo --audio /tmp/long/7min.wav

``build`` concatenates corpus utterances (cycling through them) with 0.3 s silences into 16 kHz int16 WAVs, written
block by block. ``run`` transcribes one file in this (fresh) process and prints its time and peak RSS
(``resource.getrusage``); ``--whole`` forces whole-file decoding. ``compare`` decodes one file both ways and prints
the word differences between the transcripts.
"""

import argparse
import difflib
import json
import math
import resource
import sys
import time
from pathlib import Path

import numpy as np
import soundfile

from nemo.collections.common.data.manifest import read_manifest

SAMPLE_RATE = 16000


def build(manifests, out_dir: Path, minutes) -> None:
    entries = [entry.as_record() for entry in read_manifest(list(manifests), need_text=True)]
    out_dir.mkdir(parents=True, exist_ok=True)
    gap = np.zeros(int(0.3 * SAMPLE_RATE), dtype=np.int16)
    for total in minutes:
        target, written, texts, k = int(total * 60 * SAMPLE_RATE), 0, [], 0
        name = f"{total:g}min"
        with soundfile.SoundFile(out_dir / f"{name}.wav", "w", SAMPLE_RATE, 1, subtype="PCM_16") as handle:
            while written < target:
                entry = entries[k % len(entries)]
                k += 1
                audio, rate = soundfile.read(entry["audio_filepath"], dtype="int16")
                assert rate == SAMPLE_RATE, entry["audio_filepath"]
                audio = audio[: target - written]
                handle.write(audio)
                handle.write(gap)
                written += audio.size + gap.size
                texts.append(entry["text"])
        (out_dir / f"{name}.txt").write_text(" ".join(texts) + "\n", encoding="utf-8")
        print(f"{out_dir / name}.wav: {written / SAMPLE_RATE:.0f} s, {k} utterances")


def _model(path):
    from nemo.collections.asr.models import EncDecCTCModel

    return EncDecCTCModel.restore_from(path)


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run(model_path, audio, whole: bool) -> None:
    model = _model(model_path)
    after_load = _peak_rss_mib()
    threshold = math.inf if whole else None
    started = time.perf_counter()
    (text,) = model.transcribe([audio], long_audio_threshold_in_secs=threshold, verbose=False)
    seconds = time.perf_counter() - started
    duration = soundfile.info(audio).duration
    print(
        json.dumps(
            {
                "audio": audio,
                "audio_s": round(duration, 1),
                "path": "whole" if whole or duration <= 120 else "chunked",
                "transcribe_s": round(seconds, 1),
                "peak_rss_mib": round(_peak_rss_mib(), 1),
                "peak_rss_after_model_load_mib": round(after_load, 1),
                "words": len(text.split()),
            }
        )
    )


def compare(model_path, audio) -> None:
    model = _model(model_path)
    whole = model.transcribe([audio], long_audio_threshold_in_secs=math.inf, verbose=False)[0].split()
    chunked = model.transcribe([audio], long_audio_threshold_in_secs=0.0, verbose=False)[0].split()
    ops = [op for op in difflib.SequenceMatcher(a=whole, b=chunked, autojunk=False).get_opcodes() if op[0] != "equal"]
    print(json.dumps({"whole_words": len(whole), "chunked_words": len(chunked), "differing_spans": len(ops)}))
    for tag, i1, i2, j1, j2 in ops:
        print(f"  {tag}: whole {' '.join(whole[i1:i2])!r} -> chunked {' '.join(chunked[j1:j2])!r} (word {i1})")
    reference = Path(audio).with_suffix(".txt")
    if reference.exists():
        from nemo.collections.asr.metrics.wer import word_error_rate

        ref = [reference.read_text(encoding="utf-8").strip()]
        print(
            f"WER vs reference: whole {word_error_rate([' '.join(whole)], ref):.3f}, "
            f"chunked {word_error_rate([' '.join(chunked)], ref):.3f}"
        )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("--manifest", nargs="+", required=True)
    b.add_argument("--out", type=Path, required=True)
    b.add_argument("--minutes", type=float, nargs="+", default=[1, 7, 120])
    for name in ("run", "compare"):
        p = sub.add_parser(name)
        p.add_argument("--model", required=True)
        p.add_argument("--audio", required=True)
        if name == "run":
            p.add_argument("--whole", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "build":
        build(args.manifest, args.out, args.minutes)
    elif args.command == "run":
        run(args.model, args.audio, args.whole)
    else:
        compare(args.model, args.audio)


if __name__ == "__main__":
    sys.exit(main())
