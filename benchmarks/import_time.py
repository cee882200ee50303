"""Cold-process import cost of ``nemo.core`` on top of ``import torch`` (median of fresh interpreters).

Prints one JSON line. Aim: ``nemo_core_after_torch_s`` under 0.3 s; heavy imports (Lightning, Hydra, ONNX) are lazy.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

RUNS = 5
# One fresh interpreter per sample: time ``import torch``, then ``import nemo.core`` on top of it, in the same process,
# so machine load between processes does not leak into the difference.
PROBE = (
    "import time; t0 = time.perf_counter(); import torch; t1 = time.perf_counter(); import nemo.core; "
    "t2 = time.perf_counter(); print(t1 - t0, t2 - t1)"
)


def cold_import_seconds() -> tuple[float, float]:
    """Median seconds of ``import torch`` and of ``import nemo.core`` after it, over fresh interpreters."""
    torch_s, core_s = [], []
    for _ in range(RUNS):
        out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
        first, second = out.stdout.split()
        torch_s.append(float(first))
        core_s.append(float(second))
    return statistics.median(torch_s), statistics.median(core_s)


def heavy_modules_loaded() -> list[str]:
    code = (
        "import sys, nemo.core; print(','.join(m for m in ('pytorch_lightning', 'hydra', 'omegaconf', 'onnx', "
        "'onnxruntime', 'librosa') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    return [m for m in out.split(",") if m]


def main() -> None:
    torch_s, core_s = cold_import_seconds()
    print(
        json.dumps(
            {
                "benchmark": "import_time",
                "runs": RUNS,
                "torch_s": round(torch_s, 4),
                "nemo_core_after_torch_s": round(core_s, 4),
                "ratio_vs_torch": round((torch_s + core_s) / torch_s, 3),
                "heavy_modules_loaded_by_nemo_core": heavy_modules_loaded(),
                "aim_s": 0.3,
            }
        )
    )


if __name__ == "__main__":
    main()
