"""Time and peak memory of ``ModelPT.save_to``/``restore_from`` of a ~100M-parameter model, next to plain
``torch.save``/``torch.load`` of the same state dict.

Every operation runs in a fresh interpreter, which reports its wall time and its peak RSS above the RSS it had just
before the operation (``/proc/self/status`` VmHWM, reset through ``/proc/self/clear_refs``; ``ru_maxrss`` elsewhere).
Times are medians; the ``.nemo`` save includes the fsync that makes it atomic and durable (``torch.save`` has none).
Prints one JSON line. Aims: restore within 1.5x of ``torch.load``; peak RSS within 1.3x of the weights' size.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LAYERS = 6
WIDTH = 4096  # 6 x (4096 x 4096 + 4096) = 100.7M float32 parameters, ~403 MB
REPEATS = 3
AIM_RESTORE_RATIO = 1.5
AIM_PEAK_RSS_X_WEIGHTS = 1.3


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _rss_bytes() -> int:
    try:
        return _status_kib("VmRSS") * 1024
    except (OSError, KeyError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _reset_peak() -> None:
    """Make the kernel's high-water mark equal the current RSS, so the next peak is this operation's own."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        pass


def _peak_bytes() -> int:
    try:
        return _status_kib("VmHWM") * 1024
    except (OSError, KeyError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _model_class():
    import torch

    from nemo.core.classes.modelPT import ModelPT

    class BenchModel(ModelPT):
        """A stack of linear layers: all the cost is in the weights."""

        def __init__(self, cfg, trainer=None):
            super().__init__(cfg=cfg, trainer=trainer)
            self.layers = torch.nn.ModuleList(torch.nn.Linear(WIDTH, WIDTH) for _ in range(LAYERS))

        def setup_training_data(self, train_data_config):
            pass

        def setup_validation_data(self, val_data_config):
            pass

        @classmethod
        def list_available_models(cls):
            return []

    BenchModel.__module__ = "__main__"
    return BenchModel


def _model():
    import torch

    torch.manual_seed(0)
    return _model_class()(cfg={"width": WIDTH, "layers": LAYERS})


def _fingerprint(state) -> float:
    return float(sum(t.double().sum() for t in state.values()))


def worker(operation: str, workdir: Path) -> dict:
    """Run one operation in this (fresh) process and report seconds and peak RSS growth."""
    import torch

    plain, archive = workdir / "plain.pt", workdir / "model.nemo"
    result = {}
    if operation.startswith("save"):
        model = _model()
        state = model.state_dict()
        result["weights_bytes"] = sum(t.numel() * t.element_size() for t in state.values())
        base = _rss_bytes()  # after imports and set-up: the peak below is the operation's own
        _reset_peak()
        start = time.perf_counter()
        if operation == "save_torch":
            torch.save(state, plain)
        else:
            model.save_to(str(archive))
    else:
        model_class = _model_class()
        base = _rss_bytes()
        _reset_peak()
        start = time.perf_counter()
        if operation == "load_torch":
            state = torch.load(plain, map_location="cpu", weights_only=True)
        else:
            state = model_class.restore_from(str(archive), map_location="cpu").state_dict()
    result["seconds"] = time.perf_counter() - start
    result["peak_growth_bytes"] = _peak_bytes() - base
    result["fingerprint"] = _fingerprint(state)
    return result


def _run(operation: str, workdir: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", operation, str(workdir)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="nemo-bench-") as tmp:
        workdir = Path(tmp)
        runs = {op: [] for op in ("save_torch", "save_nemo", "load_torch", "load_nemo")}
        for _ in range(REPEATS):  # interleaved, so torch and nemo see the same disk and page-cache state
            for op in runs:
                runs[op].append(_run(op, workdir))
        archive_bytes = (workdir / "model.nemo").stat().st_size
    weights = runs["save_torch"][0]["weights_bytes"]

    def seconds(samples):
        return statistics.median(r["seconds"] for r in samples)

    def peak_x(samples):
        return max(r["peak_growth_bytes"] for r in samples) / weights

    fingerprints = {r["fingerprint"] for op_runs in runs.values() for r in op_runs}
    times = {op: seconds(op_runs) for op, op_runs in runs.items()}
    report = {
        "benchmark": "save_restore",
        "params_m": round(weights / 4 / 1e6, 1),
        "weights_mb": round(weights / 1e6, 1),
        "archive_mb": round(archive_bytes / 1e6, 1),
        "repeats": REPEATS,
        **{f"{op}_s": round(t, 3) for op, t in times.items()},
        "save_ratio_vs_torch": round(times["save_nemo"] / times["save_torch"], 3),
        "restore_ratio_vs_torch": round(times["load_nemo"] / times["load_torch"], 3),
        **{f"{op}_peak_rss_x_weights": round(peak_x(op_runs), 3) for op, op_runs in runs.items()},
        "same_weights_everywhere": len(fingerprints) == 1,
        "aim_restore_ratio": AIM_RESTORE_RATIO,
        "aim_peak_rss_x_weights": AIM_PEAK_RSS_X_WEIGHTS,
    }
    print(json.dumps(report))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        print(json.dumps(worker(sys.argv[2], Path(sys.argv[3]))))
    else:
        main()
