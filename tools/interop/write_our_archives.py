"""Write ``.nemo`` archives with our packages and our outputs on fixed inputs, for ``check_ours_in_nemo.py``.

The reverse of ``write_nemo_archives.py``: run it with our packages installed (never NVIDIA's NeMo)::

    /work/dev/bin/python tools/interop/write_our_archives.py build/interop/ours
    /work/nemo-ref/bin/python tools/interop/check_ours_in_nemo.py build/interop/ours

Every family of ``families.FAMILIES`` is built by our classes from the very config NeMo's example configs would give
(NeMo class paths go through our table of known renames), with random weights and BatchNorm statistics
(``families.randomize``); ``<family>.nemo``, ``<family>.npz`` and ``<family>.json`` are written as by
``write_nemo_archives.py`` (the archives as our ``save_to`` writes them, uncompressed), and ``pipeline.npz`` (our
FastPitch + HiFi-GAN waveform of ``families.PIPELINE_TEXT``). The output folder is a build
product, not committed.
"""

import argparse
import importlib
import sys
from pathlib import Path
from typing import Any, Dict, List

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import families  # noqa: E402
from check_nemo_in_ours import our_decode, our_restorer  # noqa: E402


def build(spec: Dict[str, Any], workdir: Path, seed: int) -> Any:
    """Our model of the family (data nodes with NeMo's ``defer_setup``, HiFi-GAN's, are kept but not set up)."""
    from omegaconf import OmegaConf

    torch.manual_seed(seed)
    module, _, name = spec["model"].rpartition(".")
    model = getattr(importlib.import_module(module), name)(cfg=OmegaConf.create(spec["config"](workdir)))
    families.randomize(model, spec, seed)
    return model.eval()


def our_extra(spec: Dict[str, Any]):
    def extra(model: Any) -> Dict[str, Any]:
        from importlib.metadata import version

        return {"writer": {dist: version(dist) for dist in ("nemo-core", f"nemo-{spec['collection']}")}}

    return extra


def write_family(name: str, spec: Dict[str, Any], out_dir: Path) -> Dict[str, Any]:
    return families.write_family(name, spec, out_dir, build, our_decode, our_extra(spec))


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for <family>.nemo/.npz/.json")
    parser.add_argument("--families", nargs="*", default=sorted(families.FAMILIES), help="a subset to write")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.families:
        write_family(name, families.FAMILIES[name], args.out)
    if {"fastpitch", "hifigan"} <= set(args.families):
        families.write_pipeline(args.out, our_restorer(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
