"""Train a word n-gram language model (ARPA file) from ASR manifests for LM beam search decoding.

    python examples/asr/train_ngram_lm.py --manifest=<train manifest>[,<another>] --order=2 --out=lm.arpa
    python examples/asr/train_ngram_lm.py --data_file=<text file, one sentence per line> --order=3 --out=lm.arpa
    python examples/asr/transcribe_speech.py model_path=<model.nemo> dataset_manifest=<test manifest> lm_path=lm.arpa

The ``text`` of every manifest line (or every non-empty line of ``--data_file``) is one sentence, split on
whitespace and kept as is (the manifests' text is already in the model's alphabet; add ``--lower_case`` otherwise).
The model is interpolated Kneser-Ney with one absolute ``--discount`` (``nemo.collections.asr.parts.ngram_lm``),
written atomically in the ARPA text format, which KenLM also reads. Only the words of the training text can be
produced when decoding with it, so train it on text that covers the words you expect: never on the test transcripts.
"""

import argparse
import os
from typing import List, Optional

from nemo.collections.asr.parts.ngram_lm import train_ngram_lm
from nemo.collections.common.data.manifest import read_transcripts


def read_text_file(path: str) -> List[str]:
    with open(path, encoding="utf-8") as handle:
        return [line.strip() for line in handle if line.strip()]


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--manifest", help="comma-separated NeMo manifests whose `text` fields are the corpus")
    source.add_argument("--data_file", help="a text file with one sentence per line")
    parser.add_argument("--order", type=int, default=2, help="n-gram order (1 = unigram, 2 = bigram, ...)")
    parser.add_argument("--discount", type=float, default=0.7, help="absolute discount of every order, in (0, 1)")
    parser.add_argument("--lower_case", action="store_true", help="lower-case the text first")
    parser.add_argument("--out", required=True, help="the ARPA file to write")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> str:
    """Train and write the model; return the ARPA path."""
    args = parse_args(argv)
    texts = read_transcripts(args.manifest) if args.manifest else read_text_file(args.data_file)
    source = args.manifest or args.data_file
    if not texts:
        raise ValueError(f"{source}: no sentences to train on")
    if args.lower_case:
        texts = [text.lower() for text in texts]
    lm = train_ngram_lm(texts, order=args.order, discount=args.discount)
    path = lm.to_arpa(args.out)
    counts = ", ".join(f"{n}-grams: {count}" for n, count in enumerate(lm.ngram_counts(), start=1))
    print(f"Trained a {lm.order}-gram LM on {len(texts)} sentences from {source}")
    print(f"Vocabulary: {len(lm.vocabulary)} words (<unk> included); {counts}")
    print(f"Wrote {os.path.abspath(path)}")
    return path


if __name__ == "__main__":
    main()
