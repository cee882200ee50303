"""Restore the archives NVIDIA NeMo wrote (``write_nemo_archives.py``) with ours and compare with NeMo's outputs.

Run it with our packages installed (never NVIDIA's)::

    /work/dev/bin/python tools/interop/check_nemo_in_ours.py \
        packages/nemo-asr/tests/interop/archives packages/nemo-tts/tests/interop/archives [--json report.json]

Every archive is restored with ``strict=True``; the table gives, per family, the largest absolute difference of each
float output (features, log-probabilities/logits/waveform) and whether lengths, greedy predictions and transcripts or
labels are equal; a folder with ``pipeline.npz`` also gets a row for the FastPitch + HiFi-GAN pipeline (our waveform
of its text against the writer's). The legacy-archive suites (``packages/*/tests/interop/test_nemo_archives.py``) assert the same in
every test run; this script prints the numbers (README table) and also compares ``transcribe()`` of the same clips as
arrays with NeMo's ``transcribe()`` (both pad clips shorter than 1 s to 1 s).
"""

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import families  # noqa: E402

DIRECTION = "NeMo 3.0 archive -> ours"


def our_decode(model: Any, outputs: Dict[str, torch.Tensor]) -> Dict[str, Any]:
    """Our greedy decoding: CTC from the greedy predictions, transducers from the encoder outputs (with ``tokens``)."""
    if "encoded" in outputs:
        best, _ = model.decoding.rnnt_decoder_predictions_tensor(
            outputs["encoded"], outputs["encoded_lengths"], return_hypotheses=True
        )
        return {"transcripts": [h.text for h in best], "tokens": [[int(i) for i in h.y_sequence] for h in best]}
    texts = model._wer.ctc_decoder_predictions_tensor(
        outputs["greedy_predictions"], predictions_len=outputs["encoded_lengths"]
    )
    return {"transcripts": list(texts)}


def our_transcribe(model: Any, arrays: Dict[str, np.ndarray]) -> List[str]:
    """``model.transcribe`` of the clips as float arrays, one batch (as the NeMo side calls it)."""
    clips = [arrays["audio_int16"][i, :length].astype(np.float32) / 32768.0
             for i, length in enumerate(arrays["audio_lengths"].tolist())]  # fmt: skip
    results = model.transcribe(clips, batch_size=len(clips), verbose=False)
    return [result.text if hasattr(result, "text") else str(result) for result in results]


def load_goldens(folder: Path, family: str):
    with np.load(folder / f"{family}.npz", allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    return arrays, json.loads((folder / f"{family}.json").read_text(encoding="utf-8"))


def our_restorer(folder: Path) -> Callable[[str], Any]:
    """``restore(family)``: our ``restore_from`` of ``<folder>/<family>.nemo`` (strict, CPU, eval mode)."""

    def restore(family: str) -> Any:
        module, _, name = families.FAMILIES[family]["model"].rpartition(".")
        model = getattr(importlib.import_module(module), name)
        return model.restore_from(str(folder / f"{family}.nemo"), strict=True, map_location="cpu").eval()

    return restore


def check_family(folder: Path, family: str, restore: Callable[[str], Any], decode: Callable[..., Dict[str, Any]],
                 direction: str) -> Tuple[Dict[str, Any], Any, Dict[str, Any], Dict[str, Any]]:  # fmt: skip
    """One side's outputs of ``<folder>/<family>.nemo`` (restored by ``restore``) against the writer's goldens:
    ``(result, model, expected arrays, expected metadata)``."""
    expected, expected_meta = load_goldens(folder, family)
    model = restore(family)
    arrays, meta = families.run(model, families.FAMILIES[family], decode)
    result = families.compare(expected, arrays, expected_meta, meta)
    result.update(family=family, direction=direction, model_class=type(model).__name__)
    return result, model, expected, expected_meta


def check(folder: Path, family: str) -> Dict[str, Any]:
    result, model, expected, expected_meta = check_family(folder, family, our_restorer(folder), our_decode, DIRECTION)
    if families.FAMILIES[family]["kind"] in ("ctc", "rnnt"):
        transcribed = our_transcribe(model, expected)
        result["transcribe_equal"] = transcribed == expected_meta.get("transcribe")
        result["transcribe"] = {"nemo": expected_meta.get("transcribe"), "ours": transcribed}
    return result


def failure(family: str, direction: str, err: BaseException) -> Dict[str, Any]:
    return {"family": family, "direction": direction, "max_diff": {"restore": float("inf")},
            "equal": {"restore": False}, "error": f"{type(err).__name__}: {err}"}  # fmt: skip


def print_table(results: List[Dict[str, Any]]) -> None:
    print(f"{'family':21s} {'direction':26s} {'max |diff|':>10s}  outputs/lengths/transcripts equal")
    for result in results:
        worst = max(result["max_diff"].values())
        equal = all(result["equal"].values())
        details = ", ".join(f"{key} {value:.1e}" for key, value in result["max_diff"].items())
        print(f"{result['family']:21s} {result['direction']:26s} {worst:10.2e}  {equal}  ({details})")
        if "error" in result:
            print(f"{'':21s} {result['error'][:400]}")
        if "transcribe_equal" in result:
            print(f"{'':21s} transcribe() equal: {result['transcribe_equal']}")


def check_folders(folders: List[Path], check: Callable[[Path, str], Dict[str, Any]], direction: str,
                  json_path: Optional[Path], restorer: Callable[[Path], Callable[[str], Any]]) -> int:  # fmt: skip
    """Check every family with goldens in ``folders`` (and the text-to-waveform pipeline where a folder holds
    ``pipeline.npz``, its archives restored by ``restorer(folder)``), print the table, write it to ``json_path``;
    the exit status."""
    torch.set_num_threads(1)
    results = []
    for folder in folders:
        for golden in sorted(folder.glob("*.json")):
            if golden.stem in families.FAMILIES:
                try:
                    results.append(check(folder, golden.stem))
                except Exception as err:  # noqa: BLE001 - one family's failure is a row of the table
                    results.append(failure(golden.stem, direction, err))
        if (folder / "pipeline.npz").is_file():
            try:
                results.append(families.check_pipeline(folder, restorer(folder), direction))
            except Exception as err:  # noqa: BLE001
                results.append(failure("fastpitch+hifigan", direction, err))
    print_table(results)
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    failed = [r["family"] for r in results if max(r["max_diff"].values()) > 1e-4 or not all(r["equal"].values())]
    if failed:
        print(f"FAILED: {failed}")
    return 1 if failed else 0


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path, help="folders holding <family>.nemo/.npz/.json")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    return check_folders(args.folders, check, DIRECTION, args.json, our_restorer)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
