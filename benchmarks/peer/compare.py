"""Side by side with NVIDIA NeMo: run ``figures.py`` for each figure in our interpreter and in NeMo's, alternating
which goes first on each repetition (so load on a shared machine hits both alike), and print one JSON line per
figure with both values, the ratio ours / NeMo and the aim of issue #17 it is held against. Standard library only,
so any Python can drive it (``nox -s bench_peer`` does). The best (lowest; highest for throughputs) of the
repetitions is kept on each side; figures taken on a loaded machine are indicative.

``--scripts`` runs the repository's own ``benchmarks/*.py`` scripts the same way instead (each prints one JSON
line; the few spellings NeMo 3 lacks go through ``compat.py``) and prints one line per numeric field whose values
differ between the sides, with the median of the repetitions on each side.

Usage: python benchmarks/peer/compare.py --ours PY --nemo PY [--repeat 2] [--threads 1] [--figures F ...]
                                         [--precision fp32|bf16]
       python benchmarks/peer/compare.py --ours PY --nemo PY --scripts ["asr_features.py --repeat 3" ...]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

HERE = Path(__file__).resolve().parent
ASR = ["config", "quartznet5x5", "citrinet_small", "conformer_ctc_small", "quartznet15x5", "jasper10x1"]
TTS = ["fastpitch", "hifigan"]  # tts_figures.py
# Figure -> (aim text, field the aim reads, "max" or "min", bound); ordered by value to the user.
AIMS: Dict[str, tuple] = {
    **{f"train:{name}": ("training step <= 0.7x NeMo's (fp32)", "ratio", "max", 0.7) for name in ASR + TTS},
    **{f"infer:{name}": ("inference <= 0.5x NeMo's", "ratio", "max", 0.5) for name in ASR + TTS},
    "cold_start": ("cold start to first transcript <= 0.5x NeMo's", "ratio", "max", 0.5),
    "transcribe_rtf": ("transcribe RTF <= 0.5x NeMo's", "ratio", "max", 0.5),
    "restore_100m": ("restore <= 1/3 of NeMo's time, peak RSS <= 1.3x weights", "ratio", "max", 1 / 3),
    "features": (">= 2x librosa's throughput, values within 1e-4 of NeMo's", "ours_over_librosa", "min", 2.0),
    "typecheck": ("typecheck overhead <= 1/10 of NeMo's", "ratio", "max", 0.1),
}
FIGURES = [f"{kind}:{name}" for name in ASR[:5] for kind in ("train", "infer")]
FIGURES += ["cold_start", "features", "typecheck", "transcribe_rtf", "restore_100m", "train:jasper10x1"]
FIGURES += [f"{kind}:{name}" for name in TTS for kind in ("train", "infer")]
HIGHER_IS_BETTER = {"features"}
# The repository's benchmark scripts that run in both (arguments sized for a shared 2-core machine).
SCRIPTS = [
    "asr_features.py --batch 8 --seconds 10 --repeat 3",
    "asr_transcribe.py --files 8 --repeat 2 --threads 1",
    "typecheck.py --number 1000 --repeat 10",
    "asr_train_step.py --repeat 2 --threads 1",
]
# Models with layers on kernels of our own (depthwise: nemo.collections.asr.parts.depthwise_conv; dense long
# kernels: nemo.collections.common.parts.spectral_conv; three taps: nemo.collections.common.parts.winograd_conv), and
# the switches that send ours to nn.Conv1d.
OWN_KERNELS = {*ASR, "fastpitch"}
CONV1D_ENV = {"NEMO_ASR_DEPTHWISE_CONV": "0", "NEMO_SPECTRAL_CONV": "0", "NEMO_WINOGRAD_CONV": "0"}
PREPARED = {"cold_start", "transcribe_rtf", "restore_100m"}


def summarize(figure: str, ours: List[dict], nemo: List[dict], precision: str = "fp32") -> dict:
    """One figure's JSON line from both sides' per-repetition results (``figures.py`` lines). The aims hold for
    float32; a ``bf16`` line carries ``precision`` and no aim (issue #17 asks for the figure beside fp32)."""
    pick = max if figure in HIGHER_IS_BETTER else min
    best_ours, best_nemo = pick(ours, key=lambda r: r["value"]), pick(nemo, key=lambda r: r["value"])
    line = {
        "figure": figure,
        "unit": best_ours["unit"],
        "ours": round(best_ours["value"], 4),
        "nemo": round(best_nemo["value"], 4),
        "ratio": round(best_ours["value"] / best_nemo["value"], 3),
        "repeats": len(ours),
    }
    for key in ("detail", "threads"):
        if key in best_ours:
            line[key] = best_ours[key]
    if precision != "fp32":
        line["precision"] = precision
    if "librosa" in best_ours:
        line["librosa"] = round(best_ours["librosa"], 1)
        line["ours_over_librosa"] = round(best_ours["value"] / best_ours["librosa"], 3)
    diffs = [r["max_abs_diff"] for r in ours + nemo if "max_abs_diff" in r]  # the same on both sides, once both ran
    if diffs:
        line["max_abs_diff"] = max(diffs)
    if "peak_rss_over_weights" in best_ours:
        line["peak_rss_over_weights"] = {"ours": round(min(r["peak_rss_over_weights"] for r in ours), 2),
                                         "nemo": round(min(r["peak_rss_over_weights"] for r in nemo), 2)}  # fmt: skip
    if figure in AIMS and precision == "fp32":
        text, field, sense, bound = AIMS[figure]
        value = line[field]
        met = value <= bound if sense == "max" else value >= bound
        if figure == "restore_100m":
            met = met and line["peak_rss_over_weights"]["ours"] <= 1.3
        if figure == "features":
            met = met and line.get("max_abs_diff", float("inf")) <= 1e-4
        line["aim"], line["met"] = text, met
    return line


def numeric_leaves(line: dict, prefix: str = "") -> Dict[str, float]:
    """``{"a": {"b": 1.5}, "c": "x"}`` -> ``{"a.b": 1.5}`` (booleans and strings are not figures)."""
    leaves: Dict[str, float] = {}
    for key, value in line.items():
        if isinstance(value, dict):
            leaves.update(numeric_leaves(value, f"{prefix}{key}."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            leaves[f"{prefix}{key}"] = float(value)
    return leaves


def summarize_script(script: str, ours: List[dict], nemo: List[dict]) -> List[dict]:
    """One line per numeric field of a script's JSON line that is not the same constant on both sides."""
    lines = []
    ours_leaves, nemo_leaves = [numeric_leaves(r) for r in ours], [numeric_leaves(r) for r in nemo]
    for field in ours_leaves[0]:
        mine = [leaves[field] for leaves in ours_leaves if field in leaves]
        theirs = [leaves[field] for leaves in nemo_leaves if field in leaves]
        if not theirs or set(mine) == set(theirs) and len(set(mine)) == 1:
            continue
        a, b = round(statistics.median(mine), 4), round(statistics.median(theirs), 4)
        ratio = round(a / b, 3) if b else None
        lines.append({"script": script, "figure": field, "ours": a, "nemo": b, "ratio": ratio, "repeats": len(mine)})
    return lines


def run_one(python: str, command: List[str], threads: int, env: Optional[Dict[str, str]] = None) -> Optional[dict]:
    """One fresh process; its JSON line, with a null value replaced by the process's wall time."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads), **(env or {})}
    start = time.perf_counter()
    done = subprocess.run([python, *command], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        print(f"{shlex.join(command)} failed under {python} (exit {done.returncode}):\n{done.stderr[-3000:]}",
              file=sys.stderr)  # fmt: skip
        return None
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result.get("value", 0.0) is None:
        result["value"] = wall
    return result


def alternate(sides: Dict[str, tuple], command: List[str], repeat: int, threads: int) -> Dict[str, List[dict]]:
    """``repeat`` runs per side (``name -> (python, env)``), the order rotated by one on each repetition."""
    results: Dict[str, List[dict]] = {side: [] for side in sides}
    names = list(sides)
    for rep in range(repeat):
        for side in names[rep % len(names) :] + names[: rep % len(names)]:
            result = run_one(*sides[side][:1], command, threads, sides[side][1])
            if result is not None:
                results[side].append(result)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ours", required=True, help="python of the virtualenv holding our packages")
    parser.add_argument("--nemo", required=True, help="python of the virtualenv holding NVIDIA's nemo_toolkit")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--figures", nargs="+", default=FIGURES)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "nemo_bench_peer")
    parser.add_argument("--scripts", nargs="*", default=None, help=f"benchmarks/*.py runs (default: {SCRIPTS})")
    parser.add_argument("--precision", choices=("fp32", "bf16"), default="fp32",
                        help="train:/infer: figures under CPU bf16 autocast (CTC loss in float32)")  # fmt: skip
    args = parser.parse_args()
    sides = {"ours": (args.ours, None), "nemo": (args.nemo, None)}
    failed = False
    if args.scripts is not None:
        for script in args.scripts or SCRIPTS:
            name, *rest = shlex.split(script)
            results = alternate(sides, [str(HERE.parent / name), *rest], args.repeat, args.threads)
            failed = failed or not (results["ours"] and results["nemo"])
            for line in summarize_script(script, results["ours"], results["nemo"]) if not failed else []:
                print(json.dumps(line), flush=True)
        sys.exit(1 if failed else 0)
    for figure in args.figures:
        command = [str(HERE / "figures.py"), figure, "--work", str(args.work), "--threads", str(args.threads)]
        if args.precision != "fp32":
            command += ["--precision", args.precision]
        if figure.split(":")[0] in PREPARED:
            for python, _ in sides.values():
                run_one(python, [*command, "--prepare"], args.threads)
        # Where our depthwise rule may pick its own kernel, the same step forced onto plain nn.Conv1d beside it.
        conv1d = {"ours_conv1d": (args.ours, CONV1D_ENV)} if figure.split(":")[-1] in OWN_KERNELS else {}
        results = alternate({**sides, **conv1d}, command, args.repeat, args.threads)
        if results["ours"] and results["nemo"]:
            line = summarize(figure, results["ours"], results["nemo"], args.precision)
            if results.get("ours_conv1d"):
                line["ours_conv1d"] = round(min(r["value"] for r in results["ours_conv1d"]), 4)
                line["ratio_vs_conv1d"] = round(line["ours"] / line["ours_conv1d"], 3)
            print(json.dumps(line), flush=True)
        else:
            failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
