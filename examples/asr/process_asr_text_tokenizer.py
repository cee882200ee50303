"""Build a sub-word tokenizer for EncDecCTCModelBPE from the transcripts of ASR manifests (NeMo's script of this name).

    python examples/asr/process_asr_text_tokenizer.py --manifest=<train manifest>[,<another>] \
        --data_root=<output folder> --vocab_size=256 --tokenizer=spe --spe_type=bpe --log

The transcripts go to ``<data_root>/text_corpus/document.txt`` (one per line) and the tokenizer to
``<data_root>/tokenizer_spe_<spe_type>_v<vocab_size>`` (``tokenizer.model``, ``tokenizer.vocab``, ``vocab.txt``) or,
for ``--tokenizer=wpe``, ``<data_root>/tokenizer_wpe_v<vocab_size>/vocab.txt``. Pass that folder as
``model.tokenizer.dir`` (with ``model.tokenizer.type=bpe`` or ``wpe``) to speech_to_text_bpe.py. ``--data_file``
takes a plain text file instead of manifests. SentencePiece trains the ``spe`` models, the ``tokenizers`` library
(a nemo-core dependency) the WordPiece vocabulary, as in NeMo.
"""

import argparse
import logging
import os
from typing import List

from nemo.collections.common.data.manifest import read_transcripts
from nemo.collections.common.tokenizers.sentencepiece_tokenizer import create_spt_model


def build_tokenizer(args: argparse.Namespace) -> str:
    """Write the corpus and train the tokenizer; return the tokenizer folder."""
    if args.data_file:
        corpus = args.data_file
    else:
        texts = read_transcripts(args.manifest)
        corpus = os.path.join(args.data_root, "text_corpus", "document.txt")
        os.makedirs(os.path.dirname(corpus), exist_ok=True)
        partial = corpus + ".partial"
        with open(partial, "w", encoding="utf-8") as f:
            f.write("\n".join(t if args.no_lower_case else t.lower() for t in texts) + "\n")
        os.replace(partial, corpus)
        logging.info(f"Wrote {len(texts)} transcripts to {corpus}")
    if args.tokenizer == "wpe":
        from tokenizers import BertWordPieceTokenizer

        folder = os.path.join(args.data_root, f"tokenizer_wpe_v{args.vocab_size}")
        os.makedirs(folder, exist_ok=True)
        wordpiece = BertWordPieceTokenizer(lowercase=not args.no_lower_case)
        wordpiece.train(files=[corpus], vocab_size=args.vocab_size, show_progress=args.log)
        wordpiece.save_model(folder)
        return folder
    folder = os.path.join(args.data_root, f"tokenizer_spe_{args.spe_type}_v{args.vocab_size}")
    create_spt_model(
        corpus,
        args.vocab_size,
        args.spe_sample_size,
        do_lower_case=not args.no_lower_case,
        tokenizer_type=args.spe_type,
        output_dir=folder,
        character_coverage=args.spe_character_coverage,
        max_sentencepiece_length=args.spe_max_sentencepiece_length,
    )
    return folder


def parse_args(argv: List[str] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--manifest", help="comma-separated ASR manifests whose 'text' fields train the tokenizer")
    source.add_argument("--data_file", help="a text file, one sentence per line, used instead of manifests")
    parser.add_argument("--data_root", required=True, help="folder for the text corpus and the tokenizer")
    parser.add_argument("--vocab_size", type=int, default=1024, help="number of sub-word units")
    parser.add_argument("--tokenizer", choices=["spe", "wpe"], default="spe", help="SentencePiece or WordPiece")
    parser.add_argument("--spe_type", choices=["bpe", "unigram", "char", "word"], default="bpe")
    parser.add_argument("--spe_character_coverage", type=float, default=1.0)
    parser.add_argument("--spe_sample_size", type=int, default=-1, help="sentences sampled for training; -1: all")
    parser.add_argument("--spe_max_sentencepiece_length", type=int, default=-1)
    parser.add_argument("--no_lower_case", action="store_true", help="keep the transcripts' case")
    parser.add_argument("--log", action="store_true", help="log progress")
    return parser.parse_args(argv)


def main(argv: List[str] = None) -> str:
    args = parse_args(argv)
    if args.log:
        logging.basicConfig(level=logging.INFO)
    if args.vocab_size < 2:
        raise SystemExit(f"--vocab_size must be at least 2, got {args.vocab_size}")
    folder = build_tokenizer(args)
    print(f"Tokenizer written to {folder}")
    return folder


if __name__ == "__main__":
    main()
