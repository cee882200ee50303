"""Generate the toy "number words -> digits" translation corpus used by ``enc_dec_nmt.py``'s small config.

Source sentences are English number names, target sentences the same numbers as space-separated digits::

    three thousand forty two   ->   3 0 4 2
    seventeen                  ->   1 7
    nine hundred six thousand  ->   9 0 6 0 0 0

It is a small but non-trivial translation task: the model must insert zeros that have no source word ("forty two
thousand five" -> "4 2 0 0 5"), map one word to two digits ("twelve" -> "1 2") and two words to one ("twenty one"
has "2 1" but "twenty" alone has "2 0"), so word-by-word copying fails. Numbers are drawn from 0..999999 with a fixed
seed, so the same command always writes the same files.

Usage::

    python make_toy_nmt_data.py --out_dir /tmp/toy_nmt --num_train 6000 --num_val 300 --num_test 300
"""

import argparse
import os
import random
from typing import List, Tuple

from nemo.collections.common.parts.number_words import number_to_words as common_number_to_words

__all__ = ["number_to_words", "make_pairs"]


def number_to_words(n: int) -> str:
    """English name of ``0 <= n < 1_000_000`` without "and" or hyphens (e.g. 1042 -> "one thousand forty two")."""
    if not 0 <= n < 1_000_000:
        raise ValueError(f"number_to_words handles 0..999999, got {n}")
    return common_number_to_words(n)


def make_pairs(count: int, seed: int) -> List[Tuple[str, str]]:
    """``count`` (words, digits) pairs; sizes are spread evenly over 1-6 digit numbers."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(count):
        digits = rng.randint(1, 6)
        n = rng.randint(0 if digits == 1 else 10 ** (digits - 1), 10**digits - 1)
        pairs.append((number_to_words(n), " ".join(str(n))))
    return pairs


def _write(pairs: List[Tuple[str, str]], prefix: str) -> None:
    for side, suffix in ((0, "src"), (1, "tgt")):
        with open(f"{prefix}.{suffix}", "w", encoding="utf-8") as f:
            f.writelines(pair[side] + "\n" for pair in pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out_dir", required=True)
    parser.add_argument("--num_train", type=int, default=6000)
    parser.add_argument("--num_val", type=int, default=300)
    parser.add_argument("--num_test", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    for split, count, offset in (("train", args.num_train, 0), ("val", args.num_val, 1), ("test", args.num_test, 2)):
        _write(make_pairs(count, args.seed + offset), os.path.join(args.out_dir, split))
        print(f"wrote {count} pairs to {os.path.join(args.out_dir, split)}.{{src,tgt}}")


if __name__ == "__main__":
    main()
