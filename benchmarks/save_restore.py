"""Time and peak memory of ``ModelPT.save_to``/``restore_from`` of a ~100M-parameter model, next to plain
``torch.save``/``torch.load`` of the same state dict.

Models (``--model``): ``linear`` (default), a stack of linear layers whose whole cost is its weights; ``ctc``, an
``EncDecCTCModel`` from ``examples/asr/conf/jasper/jasper_10x5dr.yaml`` with every block's filters scaled by 0.54
(97M parameters: mel front end, convolutions, batch norms, CTC decoder); ``all``: both, one JSON line each.

Every operation runs in a fresh interpreter, which reports its wall time and its peak RSS above the RSS it had just
before the operation (``/proc/self/status`` VmHWM, reset through ``/proc/self/clear_refs``; ``ru_maxrss`` elsewhere).
Times are medians; the ``.nemo`` save includes the fsync that makes it atomic and durable (``torch.save`` has none).
``load_nemo`` is ``restore_from`` as it runs: one build on the meta device with the weights assigned as mapped from
the archive (read when first used, so its peak is near zero).
``load_nemo_two_builds`` forces the fallback that a constructor which cannot run on the meta device gets (what every
CTC model got before its front end was made meta-safe): a second, ordinary build (random init), then a copy.
Prints one JSON line per model. Aims: restore within 1.5x of ``torch.load``; peak RSS within 1.3x of the weights' size.
"""

from __future__ import annotations

import argparse
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
CTC_CONFIG = Path(__file__).resolve().parents[1] / "examples" / "asr" / "conf" / "jasper" / "jasper_10x5dr.yaml"
CTC_FILTER_SCALE = 0.54  # 332.6M -> 97.4M parameters
OPERATIONS = ("save_torch", "save_nemo", "load_torch", "load_nemo", "load_nemo_two_builds")
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


def _ctc_config():
    from omegaconf import OmegaConf

    cfg = OmegaConf.load(CTC_CONFIG).model
    for split in ("train_ds", "validation_ds", "test_ds"):
        if split in cfg:
            cfg[split].manifest_filepath = None  # no data: the benchmark saves and restores weights only
    for block in cfg.encoder.jasper:
        block.filters = max(8, round(block.filters * CTC_FILTER_SCALE / 8) * 8)
    cfg.decoder.feat_in = cfg.encoder.jasper[-1].filters
    return cfg


def _model_class_for(kind: str):
    if kind == "ctc":
        import librosa  # noqa: F401 - imported here, not inside the measured restore (the front end needs it)

        from nemo.collections.asr.models import EncDecCTCModel

        return EncDecCTCModel
    return _model_class()


def _model(kind: str):
    import torch

    torch.manual_seed(0)
    if kind == "ctc":
        return _model_class_for(kind)(cfg=_ctc_config())
    return _model_class()(cfg={"width": WIDTH, "layers": LAYERS})


def _force_two_builds() -> None:
    """Make ``restore_from`` take the fallback of a constructor that cannot run on the meta device."""
    import torch

    from nemo.core.classes import modelPT

    meta_build = modelPT.build_with_weights

    def two_builds(build, *args, **kwargs):
        def real_only():
            if torch.get_default_device().type == "meta":
                raise RuntimeError("benchmark: this build may not run on the meta device")
            return build()

        return meta_build(real_only, *args, **kwargs)

    modelPT.build_with_weights = two_builds


def _fingerprint(state) -> float:
    return float(sum(t.double().sum() for t in state.values()))


def worker(kind: str, operation: str, workdir: Path) -> dict:
    """Run one operation in this (fresh) process and report seconds and peak RSS growth."""
    import logging

    import torch

    logging.getLogger("nemo_logger").setLevel(logging.ERROR)  # the forced fallback's WARNING is expected
    plain, archive = workdir / "plain.pt", workdir / "model.nemo"
    result = {}
    if operation.startswith("save"):
        model = _model(kind)
        state = model.state_dict()
        result["weights_bytes"] = sum(t.numel() * t.element_size() for t in state.values())
        result["params"] = sum(p.numel() for p in model.parameters())
        base = _rss_bytes()  # after imports and set-up: the peak below is the operation's own
        _reset_peak()
        start = time.perf_counter()
        if operation == "save_torch":
            torch.save(state, plain)
        else:
            model.save_to(str(archive))
    else:
        model_class = _model_class_for(kind)
        if operation == "load_nemo_two_builds":
            _force_two_builds()
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


def _run(kind: str, operation: str, workdir: Path) -> dict:
    command = [sys.executable, __file__, "--worker", kind, operation, str(workdir)]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def benchmark(kind: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="nemo-bench-") as tmp:
        workdir = Path(tmp)
        runs = {op: [] for op in OPERATIONS}
        for _ in range(REPEATS):  # interleaved, so torch and nemo see the same disk and page-cache state
            for op in runs:
                runs[op].append(_run(kind, op, workdir))
        archive_bytes = (workdir / "model.nemo").stat().st_size
    weights = runs["save_torch"][0]["weights_bytes"]

    def seconds(samples):
        return statistics.median(r["seconds"] for r in samples)

    def peak_x(samples):
        return max(r["peak_growth_bytes"] for r in samples) / weights

    fingerprints = {r["fingerprint"] for op_runs in runs.values() for r in op_runs}
    times = {op: seconds(op_runs) for op, op_runs in runs.items()}
    return {
        "benchmark": "save_restore",
        "model": kind,
        "params_m": round(runs["save_torch"][0]["params"] / 1e6, 1),
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


def main(argv: list) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=("linear", "ctc", "all"), default="linear")
    args = parser.parse_args(argv)
    for kind in ("linear", "ctc") if args.model == "all" else (args.model,):
        print(json.dumps(benchmark(kind)), flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--worker":
        print(json.dumps(worker(sys.argv[2], sys.argv[3], Path(sys.argv[4]))))
    else:
        main(sys.argv[1:])
