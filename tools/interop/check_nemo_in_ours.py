"""Restore the archives NVIDIA NeMo wrote (``write_nemo_archives.py``) with ours and compare with NeMo's outputs.

Run it with our packages installed (never NVIDIA's)::

    /work/dev/bin/python tools/interop/check_nemo_in_ours.py \
        packages/nemo-asr/tests/interop/archives packages/nemo-tts/tests/interop/archives [--json report.json]

Every archive is restored with ``strict=True``; the table gives, per family, the largest absolute difference of each
float output (features, log-probabilities/logits/waveform) and whether lengths, greedy predictions and transcripts or
labels are equal. The legacy-archive suites (``packages/*/tests/interop/test_nemo_archives.py``) assert the same in
every test run; this script prints the numbers (README table) and also compares ``transcribe()`` on WAV files of the
same clips with NeMo's ``transcribe()``, which differs by design (see the README).
"""

import argparse
import importlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import families  # noqa: E402


def our_decode(model: Any, outputs: Dict[str, torch.Tensor]) -> Dict[str, Any]:
    texts = model._wer.ctc_decoder_predictions_tensor(
        outputs["greedy_predictions"], predictions_len=outputs["encoded_lengths"]
    )
    return {"transcripts": list(texts)}


def our_transcribe(model: Any, arrays: Dict[str, np.ndarray], sample_rate: int) -> List[str]:
    import soundfile

    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for index, length in enumerate(arrays["audio_lengths"].tolist()):
            path = Path(tmp) / f"clip{index}.wav"
            soundfile.write(str(path), arrays["audio_int16"][index, :length], sample_rate, subtype="PCM_16")
            paths.append(str(path))
        return [str(text) for text in model.transcribe(paths, batch_size=len(paths))]


def load_goldens(folder: Path, family: str):
    with np.load(folder / f"{family}.npz", allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    return arrays, json.loads((folder / f"{family}.json").read_text(encoding="utf-8"))


def check(folder: Path, family: str) -> Dict[str, Any]:
    spec = families.FAMILIES[family]
    module, _, name = spec["model"].rpartition(".")
    expected, expected_meta = load_goldens(folder, family)
    model = getattr(importlib.import_module(module), name).restore_from(
        str(folder / f"{family}.nemo"), strict=True, map_location="cpu"
    )
    arrays, meta = families.run(model, spec, our_decode)
    result = families.compare(expected, arrays, expected_meta, meta)
    result.update(family=family, direction="NeMo 3.0 archive -> ours", model_class=type(model).__name__)
    if spec["kind"] == "ctc":
        meta["transcribe"] = our_transcribe(model, expected, spec["sample_rate"])
        result["transcribe_equal"] = meta["transcribe"] == expected_meta.get("transcribe")
        result["transcribe"] = {"nemo": expected_meta.get("transcribe"), "ours": meta["transcribe"]}
    return result


def failure(family: str, direction: str, err: BaseException) -> Dict[str, Any]:
    return {"family": family, "direction": direction, "max_diff": {"restore": float("inf")},
            "equal": {"restore": False}, "error": f"{type(err).__name__}: {err}"}  # fmt: skip


def print_table(results: List[Dict[str, Any]]) -> None:
    print(f"{'family':13s} {'direction':26s} {'max |diff|':>10s}  outputs/lengths/transcripts equal")
    for result in results:
        worst = max(result["max_diff"].values())
        equal = all(result["equal"].values())
        details = ", ".join(f"{key} {value:.1e}" for key, value in result["max_diff"].items())
        print(f"{result['family']:13s} {result['direction']:26s} {worst:10.2e}  {equal}  ({details})")
        if "error" in result:
            print(f"{'':13s} {result['error'][:400]}")
        if "transcribe_equal" in result:
            print(f"{'':13s} transcribe() equal: {result['transcribe_equal']}")


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path, help="folders holding <family>.nemo/.npz/.json")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    results = []
    for folder in args.folders:
        for golden in sorted(folder.glob("*.json")):
            if golden.stem in families.FAMILIES:
                try:
                    results.append(check(folder, golden.stem))
                except Exception as err:  # noqa: BLE001 - one family's failure is a row of the table
                    results.append(failure(golden.stem, "NeMo 3.0 archive -> ours", err))
    print_table(results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    failed = [r["family"] for r in results if max(r["max_diff"].values()) > 1e-4 or not all(r["equal"].values())]
    if failed:
        print(f"FAILED: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
