"""Shared fixtures: a tiny WordPiece vocabulary, a tiny random BERT config and checkpoint dir, toy data files."""

import json
import random
from pathlib import Path
from typing import Dict, List

import pytest

POSITIVE = ["good", "great", "love", "fun", "brilliant"]
NEGATIVE = ["bad", "awful", "hate", "boring", "dull"]
FILLER = ["the", "a", "movie", "film", "is", "was", "this", "plot", "actors", "very", "and", "i", "it"]
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PUNCT = [",", ".", "?", "!"]


def vocab_tokens() -> List[str]:
    return SPECIAL + POSITIVE + NEGATIVE + FILLER + PUNCT + ["##s", "##ly"]


def tiny_bert_config(vocab_size: int) -> Dict:
    return {
        "model_type": "bert",
        "vocab_size": vocab_size,
        "hidden_size": 32,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "intermediate_size": 64,
        "max_position_embeddings": 64,
        "type_vocab_size": 2,
    }


def toy_sentences(n: int, seed: int = 0) -> List[tuple]:
    """``(sentence, label)`` pairs: label 1 when the sentence holds a positive word, 0 for a negative one."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = i % 2
        word = rng.choice(POSITIVE if label else NEGATIVE)
        words = rng.sample(FILLER, 3) + [word] + rng.sample(FILLER, 2)
        rows.append((" ".join(words), label))
    return rows


@pytest.fixture
def vocab_file(tmp_path: Path) -> str:
    path = tmp_path / "vocab.txt"
    path.write_text("\n".join(vocab_tokens()) + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture
def bert_config() -> Dict:
    return tiny_bert_config(len(vocab_tokens()))


@pytest.fixture
def bert_checkpoint_dir(tmp_path: Path, vocab_file: str, bert_config: Dict) -> str:
    """A HF-style checkpoint directory (config.json, vocab.txt, model.safetensors with ``bert.`` prefixes)."""
    import torch
    from safetensors.torch import save_file

    from nemo.collections.nlp.modules.common.lm_utils import encoder_from_config

    directory = tmp_path / "tiny-bert-uncased"
    directory.mkdir()
    torch.manual_seed(123)
    encoder = encoder_from_config(bert_config)
    save_file(
        {f"bert.{k}": v.contiguous() for k, v in encoder.state_dict().items()}, str(directory / "model.safetensors")
    )
    (directory / "config.json").write_text(json.dumps(bert_config), encoding="utf-8")
    (directory / "vocab.txt").write_text(Path(vocab_file).read_text(encoding="utf-8"), encoding="utf-8")
    return str(directory)


@pytest.fixture
def sentiment_files(tmp_path: Path) -> Dict[str, str]:
    """train/dev TSVs in the v1 text classification format (train with a header line)."""
    files = {}
    for name, n, seed, header in (("train", 64, 0, True), ("dev", 16, 1, False)):
        path = tmp_path / f"{name}.tsv"
        lines = (["sentence\tlabel"] if header else []) + [f"{s}\t{label}" for s, label in toy_sentences(n, seed)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        files[name] = str(path)
    return files


@pytest.fixture
def toy_rows():
    """The ``toy_sentences(n, seed)`` generator, for tests that need labelled queries."""
    return toy_sentences
