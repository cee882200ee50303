"""Restore the archives our packages wrote (``write_our_archives.py``) with NVIDIA NeMo and compare with our outputs.

Run it with a Python that has NVIDIA's ``nemo_toolkit`` (see ``write_nemo_archives.py``), never ours::

    /work/nemo-ref/bin/python tools/interop/check_ours_in_nemo.py build/interop/ours [--json report.json]

Each archive is restored with NeMo's ``restore_from(..., strict=True)`` on CPU, run in eval mode on the same fixed
inputs, and compared: the largest absolute difference of each float output (features, log-probabilities, logits,
waveform) and whether lengths, greedy predictions and transcripts or labels are equal (NeMo's own greedy CTC
decoding). The exit status is 1 when a family fails to restore, differs by more than 1e-4, or any equality fails.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Dict, List

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import families  # noqa: E402
from check_nemo_in_ours import failure, load_goldens, print_table  # noqa: E402
from write_nemo_archives import model_class, nemo_decode  # noqa: E402

DIRECTION = "ours -> NeMo 3.0"


def check(folder: Path, family: str) -> Dict[str, Any]:
    spec = families.FAMILIES[family]
    expected, expected_meta = load_goldens(folder, family)
    model = model_class(spec["model"]).restore_from(str(folder / f"{family}.nemo"), strict=True, map_location="cpu")
    arrays, meta = families.run(model, spec, nemo_decode)
    result = families.compare(expected, arrays, expected_meta, meta)
    result.update(family=family, direction=DIRECTION, model_class=type(model).__name__)
    return result


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="the folder write_our_archives.py wrote")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    results = []
    for golden in sorted(args.folder.glob("*.json")):
        if golden.stem in families.FAMILIES:
            try:
                results.append(check(args.folder, golden.stem))
            except Exception as err:  # noqa: BLE001 - one family's failure is a row of the table
                results.append(failure(golden.stem, DIRECTION, err))
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
