"""Peak memory and time of ``transcribe`` (CTC or RNN-T models) on long files (chunked) against short ones (whole
file).

    python benchmarks/long_audio_transcribe.py build --manifest CORPUS/test_manifest.json ... --out /tmp/long \
        --minutes 1 7 120
    python benchmarks/long_audio_transcribe.py rnnt-from-ctc --ctc-model CTC.nemo --manifest CORPUS/train_manifest.json \
        --out /tmp/rnnt.nemo --seconds 300
    python benchmarks/long_audio_transcribe.py run --model MODEL.nemo --audio /tmp/long/120min.wav [--whole]
    python benchmarks/long_audio_transcribe.py compare --model MODEL.nemo --audio /tmp/long/7min.wav \
        [--chunk-len 5 --context 0.5]

``build`` concatenates corpus utterances (cycling through them) with 0.3 s silences into 16 kHz int16 WAVs, written
block by block. ``run`` transcribes one file in this (fresh) process and prints its time and peak RSS
(``resource.getrusage``); ``--whole`` forces whole-file decoding. ``compare`` decodes one file both ways and prints
the word differences between the transcripts (``--chunk-len``/``--context``: window seconds; default the model's).
``MODEL.nemo`` is any ``ASRModel`` archive (``EncDecCTCModel``, ``EncDecRNNTModel``, ...). ``rnnt-from-ctc`` makes
a transducer for these measurements in minutes: the CTC model's preprocessor and trained encoder (frozen) with the
ContextNet example config's prediction network, joint and decoding, those trained for ``--seconds`` on a manifest.
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
    from nemo.collections.asr.models import ASRModel

    return ASRModel.restore_from(path)  # the archive's class


def rnnt_from_ctc(ctc_path, manifest, out, seconds: float) -> None:
    import torch
    from omegaconf import OmegaConf

    from nemo.collections.asr.models import EncDecRNNTModel

    ctc = _model(ctc_path)
    example = Path(__file__).parents[1] / "examples/asr/conf/contextnet_rnnt/contextnet_rnnt_small.yaml"
    cfg = OmegaConf.load(example).model
    cfg.model_defaults.enc_hidden = ctc.cfg.decoder.feat_in
    for key in ("labels", "preprocessor", "encoder"):
        cfg[key] = ctc.cfg[key]
    cfg.train_ds = {**ctc.cfg.train_ds, "manifest_filepath": manifest, "batch_size": 16}
    del cfg.validation_ds, cfg.test_ds, cfg.spec_augment
    model = EncDecRNNTModel(cfg=cfg)
    model.preprocessor.load_state_dict(ctc.preprocessor.state_dict())
    model.encoder.load_state_dict(ctc.encoder.state_dict())
    model.encoder.requires_grad_(False)
    model.train()
    model.encoder.eval()
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=3e-3)
    started, step = time.perf_counter(), 0
    while time.perf_counter() - started < seconds:
        for signal, signal_len, transcript, transcript_len, *_ in model._train_dl:
            with torch.no_grad():
                encoded, encoded_len = model.forward(input_signal=signal, input_signal_length=signal_len)
            loss = model._transducer_loss(encoded, encoded_len, transcript, transcript_len)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if time.perf_counter() - started >= seconds:
                break
    print(f"{step} steps, last loss {float(loss):.1f}")
    model.eval()
    model.save_to(out)


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


def compare(model_path, audio, chunk_len=None, context=None) -> None:
    model = _model(model_path)
    if context is not None:
        model.transcribe_chunk_context_in_secs = context
    whole = model.transcribe([audio], long_audio_threshold_in_secs=math.inf, verbose=False)[0].split()
    (chunked,) = model.transcribe([audio], long_audio_threshold_in_secs=0.0, chunk_len_in_secs=chunk_len, verbose=False)
    chunked = chunked.split()
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
    r = sub.add_parser("rnnt-from-ctc")
    r.add_argument("--ctc-model", required=True)
    r.add_argument("--manifest", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--seconds", type=float, default=300.0)
    for name in ("run", "compare"):
        p = sub.add_parser(name)
        p.add_argument("--model", required=True)
        p.add_argument("--audio", required=True)
        if name == "run":
            p.add_argument("--whole", action="store_true")
        else:
            p.add_argument("--chunk-len", type=float)
            p.add_argument("--context", type=float)
    args = parser.parse_args(argv)
    if args.command == "build":
        build(args.manifest, args.out, args.minutes)
    elif args.command == "rnnt-from-ctc":
        rnnt_from_ctc(args.ctc_model, args.manifest, args.out, args.seconds)
    elif args.command == "run":
        run(args.model, args.audio, args.whole)
    else:
        compare(args.model, args.audio, args.chunk_len, args.context)


if __name__ == "__main__":
    sys.exit(main())
