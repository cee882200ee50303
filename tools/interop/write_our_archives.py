"""Write ``.nemo`` archives with our packages and our outputs on fixed inputs, for ``check_ours_in_nemo.py``.

The reverse of ``write_nemo_archives.py``: run it with our packages installed (never NVIDIA's NeMo)::

    /work/dev/bin/python tools/interop/write_our_archives.py build/interop/ours
    /work/nemo-ref/bin/python tools/interop/check_ours_in_nemo.py build/interop/ours

Every family of ``families.FAMILIES`` is built by our classes from the very config NeMo's example configs would give
(NeMo class paths go through our table of known renames), with random weights and BatchNorm statistics
(``families.randomize``); ``<family>.nemo``, ``<family>.npz`` and ``<family>.json`` are written as by
``write_nemo_archives.py`` (the archives as our ``save_to`` writes them, uncompressed). The output folder is a build
product, not committed.
"""

import argparse
import importlib
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import families  # noqa: E402
from check_nemo_in_ours import our_decode  # noqa: E402


def build(spec: Dict[str, Any], workdir: Path, seed: int) -> Any:
    """Our model of the family. Data nodes marked with NeMo's ``defer_setup`` (HiFi-GAN's, whose manifest does not
    exist here) are added to the config after construction: our ModelPT does not know that key and would set the
    data up; saved in the archive, they are what NeMo's HifiGanModel needs to find its dataset class."""
    from omegaconf import OmegaConf, open_dict

    torch.manual_seed(seed)
    config = spec["config"](workdir)
    deferred = {key: config.pop(key) for key in ("train_ds", "validation_ds", "test_ds")
                if isinstance(config.get(key), dict) and config[key].get("defer_setup")}  # fmt: skip
    module, _, name = spec["model"].rpartition(".")
    model = getattr(importlib.import_module(module), name)(cfg=OmegaConf.create(config))
    with open_dict(model._cfg):
        for key, node in deferred.items():
            model._cfg[key] = node
    families.randomize(model, spec, seed)
    return model.eval()


def write_family(name: str, spec: Dict[str, Any], out_dir: Path) -> Dict[str, Any]:
    from importlib.metadata import version

    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(families.SEED_TRIES):
            model = build(spec, Path(tmp), seed)
            arrays, meta = families.run(model, spec, our_decode)
            if families.acceptable(meta):
                break
        else:
            raise RuntimeError(f"{name}: no seed in range({families.SEED_TRIES}) gives acceptable goldens")
        if spec["kind"] == "ctc":
            meta["vocabulary"] = list(model.decoder.vocabulary)
        archive = out_dir / f"{name}.nemo"
        model.save_to(str(archive))
    meta.update(
        family=name,
        model_class=f"{type(model).__module__}.{type(model).__qualname__}",
        writer={dist: version(dist) for dist in ("nemo-core", f"nemo-{spec['collection']}")},
        torch=torch.__version__,
        seed=seed,
        parameters=sum(p.numel() for p in model.parameters()),
    )
    families.save_goldens(out_dir, name, arrays, meta)
    print(f"{name:13s} seed {seed}  {archive.stat().st_size / 1024:7.1f} KB  margin {meta['margin']}  "
          f"{meta.get('transcripts') or meta.get('labels') or ''}  ({time.perf_counter() - start:.1f} s)")  # fmt: skip
    return meta


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for <family>.nemo/.npz/.json")
    parser.add_argument("--families", nargs="*", default=sorted(families.FAMILIES), help="a subset to write")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.families:
        write_family(name, families.FAMILIES[name], args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
