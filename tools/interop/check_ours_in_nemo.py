"""Restore the archives our packages wrote (``write_our_archives.py``) with NVIDIA NeMo and compare with our outputs.

Run it with a Python that has NVIDIA's ``nemo_toolkit`` (see ``write_nemo_archives.py``), never ours::

    /work/nemo-ref/bin/python tools/interop/check_ours_in_nemo.py build/interop/ours [--json report.json]

Each archive is restored with NeMo's ``restore_from(..., strict=True)`` on CPU, run in eval mode on the same fixed
inputs, and compared: the largest absolute difference of each float output (features, log-probabilities, logits,
waveform) and whether lengths, greedy predictions and transcripts or labels are equal (NeMo's own greedy CTC
decoding), and the FastPitch + HiFi-GAN pipeline's waveform of its text. The exit status is 1 when a family fails to restore, differs by more than 1e-4, or any equality fails.
"""

import argparse
import sys
from pathlib import Path
from typing import Any, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_nemo_in_ours import check_family, check_folders  # noqa: E402
from write_nemo_archives import nemo_decode, restorer  # noqa: E402

DIRECTION = "ours -> NeMo 3.0"


def check(folder: Path, family: str) -> Dict[str, Any]:
    return check_family(folder, family, restorer(folder), nemo_decode, DIRECTION)[0]


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="the folder write_our_archives.py wrote")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    return check_folders([args.folder], check, DIRECTION, args.json, restorer)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
