"""Write a small YouTokenToMe model and the ids/subwords the real ``youtokentome`` gives for fixed sentences.

Run with a Python that has ``youtokentome`` (it builds from source: ``pip install cython setuptools wheel`` then
``pip install --no-build-isolation youtokentome``); our own reader is checked against the output in
packages/nemo-core/tests/collections/common/tokenizers/test_youtokentome_tokenizer.py.

    python tools/write_yttm_goldens.py packages/nemo-core/tests/collections/common/tokenizers/goldens
"""

import json
import sys
import tempfile
from pathlib import Path

import youtokentome as yttm

TRAIN = [
    "the quick brown fox jumps over the lazy dog",
    "one two three four five six seven eight nine ten",
    "forty two thousand three hundred and seven",
    "a man a plan a canal panama",
    "she sells sea shells by the sea shore",
    "peter piper picked a peck of pickled peppers",
    "how much wood would a woodchuck chuck",
    "the rain in spain stays mainly in the plain",
]
SENTENCES = [
    "the quick brown fox",
    "  leading and trailing spaces   ",
    "tabs\tand\nnewlines  between   words",
    "unseen characters: ĀĒĪ and 中文 and émoji 🙂",
    "woodchuck pickled peppers panama",
    "",
    "x",
    "THE QUICK CAPITALS",
]


def main(out_dir: str) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "train.txt"
        corpus.write_text("\n".join(TRAIN * 5) + "\n", encoding="utf-8")
        model_path = out / "yttm_bpe.model"
        yttm.BPE.train(data=str(corpus), model=str(model_path), vocab_size=80, coverage=1.0)
    bpe = yttm.BPE(model=str(model_path))
    cases = []
    for sentence in SENTENCES:
        cases.append(
            {
                "text": sentence,
                "ids": bpe.encode([sentence], output_type=yttm.OutputType.ID)[0],
                "ids_bos_eos": bpe.encode([sentence], output_type=yttm.OutputType.ID, bos=True, eos=True)[0],
                "ids_reversed": bpe.encode([sentence], output_type=yttm.OutputType.ID, reverse=True)[0],
                "subwords": bpe.encode([sentence], output_type=yttm.OutputType.SUBWORD)[0],
                "decoded": bpe.decode([bpe.encode([sentence], output_type=yttm.OutputType.ID)[0]])[0],
            }
        )
    golden = {
        "vocab": bpe.vocab(),
        "special": {name: bpe.subword_to_id(name) for name in ("<PAD>", "<UNK>", "<BOS>", "<EOS>")},
        "cases": cases,
        "id_to_subword": [bpe.id_to_subword(i) for i in range(bpe.vocab_size())],
    }
    (out / "yttm_goldens.json").write_text(json.dumps(golden, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
