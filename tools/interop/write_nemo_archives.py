"""Write ``.nemo`` archives with NVIDIA NeMo and NeMo's outputs on fixed inputs, for our legacy-archive suite.

Run it with a Python that has NVIDIA's ``nemo_toolkit`` installed, never ours (the two share the ``nemo`` package
name, so this script must stay out of our packages and their environments)::

    python3.11 -m venv /work/nemo-ref
    /work/nemo-ref/bin/pip install "torch==2.13.0+cpu" "nemo_toolkit[asr,tts]==3.0.0"
    /work/nemo-ref/bin/python tools/interop/write_nemo_archives.py \
        --asr-out packages/nemo-asr/tests/interop/archives --tts-out packages/nemo-tts/tests/interop/archives

(``nox -s interop`` does this and the reverse check.) For every family of ``families.FAMILIES`` it builds NeMo's model
from the family's config, gives it random weights and BatchNorm statistics measured on the inputs, then perturbed at
random (``families.randomize``), and writes next to each other:

* ``<family>.nemo``: the archive, as NeMo's ``save_to`` writes it. The HiFi-GAN and FastPitch archives are repacked as
  tar.gz (the format of NeMo 1.0-1.6, which NeMo 3 and ours read): HiFi-GAN's debug-size discriminators and
  FastPitch's aligner (neither shapes the outputs compared) are constants that compress away;
* ``<family>.npz``: the int16 input audio and its lengths, the features and feature lengths of the model's front end,
  and the outputs: log-probabilities, encoded lengths and greedy predictions (CTC), encoder outputs and lengths, the
  greedy label sequences (``targets``, ``target_lengths``) and the joint's outputs at the lattice cells greedy
  decoding visited (``joint_cells``, ``joint``; transducers), logits (classification), the generated waveform
  (vocoder), or the token ids of fixed texts and the mels, lengths, durations and pitch made of them (FastPitch,
  also at pace 1.25; its ``features`` are its front end's); floats as float32;
* ``pipeline.npz`` (with the FastPitch family): the tokens, mels and waveform of ``families.PIPELINE_TEXT`` made by
  the FastPitch and HiFi-GAN archives written (``generate_spectrogram``, ``convert_spectrogram_to_audio``);
* ``<family>.json``: the greedy transcripts (NeMo's decoding of the outputs) and the ``transcribe()`` results of the
  same clips as arrays (NeMo 3 pads clips shorter than 1 s to 1 s there, so they may differ), or the labels; the
  smallest top-1/top-2 margin of the outputs (transducers: at the visited cells), versions, the seed and the model
  class.

A family's seed is the first in ``range(SEED_TRIES)`` whose outputs have a margin of at least ``MIN_MARGIN`` at every
valid frame, so float rounding cannot flip a greedy transcript or label, no empty transcript, and more than one label
among a classifier's clips (``families.acceptable``). Everything runs on CPU in eval mode.
"""

import argparse
import gzip
import io
import sys
import tarfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import families  # noqa: E402


def model_class(path: str) -> type:
    from nemo.utils.model_utils import import_class_by_path

    return import_class_by_path(path)


def nemo_decode(model: Any, outputs: Dict[str, torch.Tensor]) -> Dict[str, Any]:
    """NeMo's greedy decoding (the path ``transcribe`` takes): CTC from the log-probabilities, transducers from the
    encoder outputs (with the label ids, ``tokens``)."""
    if "encoded" in outputs:
        hypotheses = model.decoding.rnnt_decoder_predictions_tensor(
            encoder_output=outputs["encoded"], encoded_lengths=outputs["encoded_lengths"], return_hypotheses=True
        )
    else:
        hypotheses = model.decoding.ctc_decoder_predictions_tensor(
            outputs["log_probs"], decoder_lengths=outputs["encoded_lengths"], return_hypotheses=False
        )
    if isinstance(hypotheses, tuple):  # NeMo < 2 returned (best, all)
        hypotheses = hypotheses[0]
    result = {"transcripts": [h.text if hasattr(h, "text") else h for h in hypotheses]}
    if "encoded" in outputs:
        result["tokens"] = [[int(i) for i in h.y_sequence] for h in hypotheses]
    return result


def nemo_transcribe(model: Any, spec: Dict[str, Any]) -> List[str]:
    """``model.transcribe`` of the same clips as float arrays, one batch."""
    data = families.audio_tensors(spec)
    clips = [data["audio"][i, :length].numpy() for i, length in enumerate(spec["lengths"])]
    results = model.transcribe(clips, batch_size=len(clips), verbose=False)
    if isinstance(results, tuple):
        results = results[0]
    return [r.text if hasattr(r, "text") else str(r) for r in results]


def build(spec: Dict[str, Any], workdir: Path, seed: int) -> Any:
    from omegaconf import OmegaConf

    torch.manual_seed(seed)
    config = OmegaConf.create(spec["config"](workdir))
    model = model_class(spec["model"])(cfg=config)
    families.randomize(model, spec, seed)
    return model.eval()


def repack_gzip(path: Path) -> None:
    """Rewrite the tar NeMo wrote as a tar.gz with the same members (NeMo 1.0-1.6's format)."""
    with tarfile.open(path, "r:") as source:
        members = [(member, source.extractfile(member).read() if member.isfile() else None) for member in source]
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as zipped, tarfile.open(fileobj=zipped, mode="w:") as tar:
        for member, data in members:
            tar.addfile(member, io.BytesIO(data) if data is not None else None)
    path.write_bytes(buffer.getvalue())


def nemo_extra(spec: Dict[str, Any]):
    """NeMo's version and, for ASR models, its ``transcribe()`` of the clips as arrays (padded to 1 s, see above)."""

    def extra(model: Any) -> Dict[str, Any]:
        import nemo

        meta = {"nemo_toolkit": nemo.__version__}
        if spec["kind"] in ("ctc", "rnnt"):
            meta["transcribe"] = nemo_transcribe(model, spec)
        return meta

    return extra


def write_family(name: str, spec: Dict[str, Any], out_dir: Path) -> Dict[str, Any]:
    repack = repack_gzip if spec["kind"] in ("vocoder", "spectrogram") else None
    return families.write_family(name, spec, out_dir, build, nemo_decode, nemo_extra(spec), repack)


def restorer(folder: Path) -> Callable[[str], Any]:
    """``restore(family)``: NeMo's ``restore_from`` of ``<folder>/<family>.nemo`` (strict, CPU, eval mode)."""

    def restore(family: str) -> Any:
        model = model_class(families.FAMILIES[family]["model"])
        return model.restore_from(str(folder / f"{family}.nemo"), strict=True, map_location="cpu").eval()

    return restore


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--asr-out", type=Path, help="folder of the ASR families' archives and goldens")
    parser.add_argument("--tts-out", type=Path, help="folder of the TTS families' archives and goldens")
    parser.add_argument("--families", nargs="*", default=sorted(families.FAMILIES), help="a subset to write")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    outs = {"asr": args.asr_out, "tts": args.tts_out}
    start = time.perf_counter()
    for name in args.families:
        spec = families.FAMILIES[name]
        out_dir = outs[spec["collection"]]
        if out_dir is None:
            print(f"{name}: skipped (no --{spec['collection']}-out)")
            continue
        out_dir.mkdir(parents=True, exist_ok=True)
        write_family(name, spec, out_dir)
    if args.tts_out is not None and "fastpitch" in args.families:
        families.write_pipeline(args.tts_out, restorer(args.tts_out))
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
