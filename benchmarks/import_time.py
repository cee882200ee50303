"""Cold-process import cost of ``nemo.core`` beyond ``import torch`` (median of fresh interpreters).

Prints one JSON line. Aim: ``nemo_core_minus_torch_s`` under 0.3 s; heavy imports (Lightning, Hydra, ONNX) are lazy.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

RUNS = 5
PROBE = "import time, sys; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def cold_import_seconds(module: str) -> float:
    """Median wall time of ``import module`` in fresh interpreters (torch imported first for nemo modules)."""
    samples = []
    for _ in range(RUNS):
        out = subprocess.run([sys.executable, "-c", PROBE.format(module=module)], capture_output=True, text=True,
                             check=True)
        samples.append(float(out.stdout.strip()))
    return statistics.median(samples)


def heavy_modules_loaded() -> list[str]:
    code = ("import sys, nemo.core; print(','.join(m for m in ('pytorch_lightning', 'hydra', 'omegaconf', 'onnx', "
            "'onnxruntime', 'librosa') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    return [m for m in out.split(",") if m]


def main() -> None:
    torch_s = cold_import_seconds("torch")
    core_s = cold_import_seconds("torch, nemo.core")
    print(json.dumps({
        "benchmark": "import_time",
        "runs": RUNS,
        "torch_s": round(torch_s, 4),
        "torch_plus_nemo_core_s": round(core_s, 4),
        "nemo_core_minus_torch_s": round(core_s - torch_s, 4),
        "ratio_vs_torch": round(core_s / torch_s, 3),
        "heavy_modules_loaded_by_nemo_core": heavy_modules_loaded(),
        "aim_s": 0.3,
    }))


if __name__ == "__main__":
    main()
