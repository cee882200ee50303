"""Shared fixtures: a tiny WordPiece vocabulary, a tiny random BERT config and checkpoint dir, toy data files, the
v1-layout configs of the BERT classifiers, a tiny SentencePiece model and the toy NMT example config; one torch
thread for the whole suite. Trainers come from the test kit (``nemo.core.testing.quiet_cpu_trainer``)."""

import json
import random
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest
from omegaconf import DictConfig, OmegaConf

from nemo.core.testing import examples_dir, load_script, torch_threads

POSITIVE = ["good", "great", "love", "fun", "brilliant"]
NEGATIVE = ["bad", "awful", "hate", "boring", "dull"]
FILLER = ["the", "a", "movie", "film", "is", "was", "this", "plot", "actors", "very", "and", "i", "it"]
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PUNCT = [",", ".", "?", "!"]


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """The tests' tensors are tiny: one thread is as fast, and immune to OpenMP spin-waiting when the machine's cores
    are shared with other processes."""
    with torch_threads(1):
        yield


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


# --------------------------------------------------------------------------------------------------- BERT classifiers
def _data_node(batch_size: int = 16, shuffle: bool = False, **files: Any) -> Dict[str, Any]:
    return {**files, "batch_size": batch_size, "shuffle": shuffle, "num_samples": -1}


@pytest.fixture
def bert_model_cfg(vocab_file: str, bert_config: Dict) -> Callable[..., DictConfig]:
    """A factory of v1-layout ``model`` configs of the BERT classifiers over the tiny random encoder.

    ``bert_model_cfg(tokenizer_name=..., language_model={...}, **nodes)``: the ``tokenizer`` and ``language_model``
    nodes every BERT model has (by default the tests' vocabulary and ``language_model.config``; with
    ``language_model`` given, those keys replace the defaults and no vocabulary is set), an Adam ``optim`` node, and
    the task's own nodes.
    """

    def make(tokenizer_name: str = "bert-base-uncased", language_model: Optional[Dict] = None, **nodes: Any):
        own = language_model is not None
        return OmegaConf.create(
            {
                "tokenizer": {
                    "tokenizer_name": tokenizer_name,
                    "vocab_file": None if own else vocab_file,
                    "tokenizer_model": None,
                    "special_tokens": None,
                },
                "language_model": {
                    "pretrained_model_name": "bert-base-uncased",
                    "lm_checkpoint": None,
                    "config_file": None,
                    "config": None if own else bert_config,
                    **(language_model or {}),
                },
                "optim": {"name": "adam", "lr": 3e-3},
                **nodes,
            }
        )

    return make


@pytest.fixture
def text_classification_cfg(bert_model_cfg: Callable[..., DictConfig]) -> Callable[..., DictConfig]:
    """``text_classification_cfg(files, num_classes=2, tokenizer_name=..., language_model=..., **dataset)``: a
    ``TextClassificationModel`` config reading ``files['train']``/``files['dev']`` (either may be absent)."""

    def make(files: Optional[Dict[str, str]] = None, num_classes: int = 2, **kwargs: Any) -> DictConfig:
        files = files or {}
        bert = {key: kwargs.pop(key) for key in ("tokenizer_name", "language_model") if key in kwargs}
        return bert_model_cfg(
            **bert,
            classifier_head={"num_output_layers": 2, "fc_dropout": 0.0},
            class_labels={"class_labels_file": None},
            dataset={
                "num_classes": num_classes,
                "do_lower_case": True,
                "max_seq_length": 32,
                "class_balancing": None,
                "use_cache": False,
                **kwargs,
            },
            train_ds={**_data_node(shuffle=True, file_path=files.get("train")), "num_workers": 0},
            validation_ds={**_data_node(file_path=files.get("dev")), "num_workers": 0},
        )

    return make


@pytest.fixture
def token_classification_cfg(bert_model_cfg: Callable[..., DictConfig]) -> Callable[..., DictConfig]:
    """``token_classification_cfg(data_dir, **dataset)``: a ``TokenClassificationModel`` config over
    ``text_{train,dev}.txt``/``labels_{train,dev}.txt`` in ``data_dir`` (``label_ids`` computed from the training
    labels)."""

    def make(data_dir: Any, **dataset: Any) -> DictConfig:
        cfg = bert_model_cfg(
            label_ids=None,
            head={"num_fc_layers": 1, "fc_dropout": 0.0, "activation": "relu", "use_transformer_init": True},
            dataset={
                "data_dir": str(data_dir),
                "class_balancing": None,
                "max_seq_length": 32,
                "pad_label": "O",
                "ignore_extra_tokens": False,
                "ignore_start_end": True,
                **dataset,
            },
            train_ds=_data_node(shuffle=True, text_file="text_train.txt", labels_file="labels_train.txt"),
            validation_ds=_data_node(text_file="text_dev.txt", labels_file="labels_dev.txt"),
        )
        cfg.optim.lr = 1e-2
        return cfg

    return make


def write_punctuation_task(directory: Path, name: str, rows: List[tuple]) -> tuple:
    """NER-format files of the punctuation/capitalisation task from ``toy_sentences`` rows: ``text_<name>.txt``
    (lower-cased words) and ``labels_<name>.txt`` (the mark after each word, ``-U`` when it was capitalised)."""
    from nemo.collections.nlp.data.token_classification import punctuation_capitalization_labels

    texts, labels = [], []
    for sentence, _ in rows:
        words = sentence.split()
        text = " ".join([words[0].capitalize(), *words[1:3]]) + ", " + " ".join(words[3:]) + "."
        w, t = punctuation_capitalization_labels(text)
        texts.append(" ".join(w))
        labels.append(" ".join(t))
    (directory / f"text_{name}.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
    (directory / f"labels_{name}.txt").write_text("\n".join(labels) + "\n", encoding="utf-8")
    return texts, labels


@pytest.fixture
def punctuation_task() -> Callable[..., tuple]:
    """``write_punctuation_task(directory, name, rows)``, for tests that need token classification files."""
    return write_punctuation_task


# --------------------------------------------------------------------------------------------- machine translation
NUMBER_WORDS = "zero one two three four five six seven eight nine".split()


@pytest.fixture(scope="session")
def spm_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A tiny SentencePiece model (with bos/eos/pad) over number words and digits, shared by both sides."""
    from nemo.collections.common.tokenizers import create_spt_model

    directory = tmp_path_factory.mktemp("spm")
    corpus = directory / "corpus.txt"
    lines = [f"{a} {b} {c}" for a in NUMBER_WORDS for b in NUMBER_WORDS[:5] for c in ("1 2", "3 4 5", "6 7 8 9 0")]
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    model_path, _ = create_spt_model(
        str(corpus),
        vocab_size=40,
        sample_size=-1,
        do_lower_case=False,
        tokenizer_type="bpe",
        output_dir=str(directory / "tok"),
        bos=True,
        eos=True,
        pad=True,
    )
    return model_path


@pytest.fixture
def nmt_example():
    """``examples/nlp/machine_translation/enc_dec_nmt.py`` as a module."""
    return load_script(examples_dir("nlp", "machine_translation", "enc_dec_nmt.py"))


@pytest.fixture
def toy_nmt_cfg(tmp_path: Path, nmt_example) -> Callable[..., DictConfig]:
    """``toy_nmt_cfg(train=(src, tgt), validation=(src, tgt) or None)``: the whole config of the toy NMT example
    (``conf/aayn_toy.yaml`` merged over the script's dataclass, no test set) with its SentencePiece tokenizer
    trained on the training files, as ``enc_dec_nmt.py`` does."""

    def make(train: tuple, validation: Optional[tuple] = None) -> DictConfig:
        cfg = OmegaConf.load(examples_dir("nlp", "machine_translation", "conf", "aayn_toy.yaml"))
        cfg.model.preproc_out_dir = str(tmp_path / "preproc")
        cfg.model.train_ds.src_file_name, cfg.model.train_ds.tgt_file_name = map(str, train)
        if validation is None:
            cfg.model.pop("validation_ds")
        else:
            cfg.model.validation_ds.src_file_name, cfg.model.validation_ds.tgt_file_name = map(str, validation)
        cfg.model.pop("test_ds")
        cfg = nmt_example.update_model_config(nmt_example.MTEncDecConfig(), cfg)
        nmt_example.prepare_tokenizers(cfg.model)
        return cfg

    return make
