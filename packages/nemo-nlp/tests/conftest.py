"""Shared fixtures: a tiny WordPiece vocabulary, a tiny random BERT config and checkpoint dir, toy data files, the
v1-layout configs of the BERT classifiers, a tiny SentencePiece model and the toy NMT example config; one torch
thread for the whole suite. Trainers come from the test kit (``nemo.core.testing.quiet_cpu_trainer``)."""

import json
import random
import subprocess
import sys
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


def write_punctuation_task(directory: Path, name: str, rows: List[tuple], labeller: Optional[Callable] = None) -> tuple:
    """Files of the punctuation/capitalisation task from ``toy_sentences`` rows: ``text_<name>.txt`` (lower-cased
    words) and ``labels_<name>.txt``: by default NER-format labels (the mark after each word, ``-U`` when it was
    capitalised); ``labeller`` gives another format (``punct_capit_labels``: NeMo's ``OU ,O .O``)."""
    from nemo.collections.nlp.data.token_classification import punctuation_capitalization_labels

    texts, labels = [], []
    for sentence, _ in rows:
        words = sentence.split()
        text = " ".join([words[0].capitalize(), *words[1:3]]) + ", " + " ".join(words[3:]) + "."
        w, t = (labeller or punctuation_capitalization_labels)(text)
        texts.append(" ".join(w))
        labels.append(" ".join(t))
    (directory / f"text_{name}.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
    (directory / f"labels_{name}.txt").write_text("\n".join(labels) + "\n", encoding="utf-8")
    return texts, labels


@pytest.fixture
def punctuation_task() -> Callable[..., tuple]:
    """``write_punctuation_task(directory, name, rows)``, for tests that need token classification files."""
    return write_punctuation_task


@pytest.fixture
def punct_capit_task() -> Callable[..., tuple]:
    """``punct_capit_task(directory, name, rows)``: the punctuation task's files in NeMo's punctuation format."""
    from nemo.collections.nlp.data.token_classification import punct_capit_labels

    return lambda directory, name, rows: write_punctuation_task(directory, name, rows, punct_capit_labels)


def run_restored(model_class: str, nemo_file: Any, expression: str, *args: str) -> Any:
    """Restore ``model_class`` (from ``nemo.collections.nlp.models``) from ``nemo_file`` in a new Python process, as
    ``m`` in eval mode, and return the JSON value of ``expression`` there (it may use ``json``, ``torch``, ``sys`` and
    the ``args`` as ``sys.argv[2:]``)."""
    import torch

    script = (
        "import json, sys, torch\n"
        # as many threads as here: reductions sum in another order on more threads
        f"torch.set_num_threads({torch.get_num_threads()})\n"
        f"from nemo.collections.nlp.models import {model_class}\n"
        f"m = {model_class}.restore_from(sys.argv[1], map_location='cpu').eval()\n"
        f"print(json.dumps({expression}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(nemo_file), *args], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture
def fresh_restore() -> Callable[..., Any]:
    """``run_restored(model_class, nemo_file, expression, *args)``: a value computed by a model restored in a new
    process."""
    return run_restored


def fit_validated(model: Any, epochs: int) -> tuple:
    """Validation metrics of ``model`` before and after ``epochs`` epochs of training (validated once at the end)."""
    from nemo.core.testing import quiet_cpu_trainer

    # validate() runs under inference_mode: the metrics it resets must still take the training steps' updates
    trainer = quiet_cpu_trainer(max_epochs=epochs, check_val_every_n_epoch=epochs)
    before = trainer.validate(model, dataloaders=model.val_dataloader(), verbose=False)[0]
    trainer.fit(model)
    return before, {key: float(value) for key, value in trainer.callback_metrics.items()}


@pytest.fixture
def fit_and_validate() -> Callable[..., tuple]:
    """``fit_validated(model, epochs)``: validation metrics before and after training."""
    return fit_validated


@pytest.fixture
def bert_example(vocab_file: str, bert_config: Dict) -> Callable[[Path], DictConfig]:
    """``bert_example(conf)``: an example config's ``model`` node over the tiny random BERT (no download) and the
    tests' vocabulary."""

    def make(conf: Path) -> DictConfig:
        model = OmegaConf.load(conf).model
        model.language_model.config = bert_config
        model.tokenizer.vocab_file = vocab_file
        return model

    return make


@pytest.fixture
def punct_capit_cfg(bert_example: Callable[[Path], DictConfig]) -> Callable[..., DictConfig]:
    """``punct_capit_cfg(data_dir)``: the example ``punctuation_capitalization_config.yaml``'s model node over the
    tiny encoder, reading ``text_{train,dev}.txt``/``labels_{train,dev}.txt`` in ``data_dir``, batches of 16,
    no dropout."""

    def make(data_dir: Any) -> DictConfig:
        model = bert_example(
            examples_dir("nlp", "token_classification", "conf", "punctuation_capitalization_config.yaml")
        )
        model.dataset.data_dir = str(data_dir)
        model.dataset.max_seq_length = 32
        for node in ("train_ds", "validation_ds"):
            model[node].batch_size = 16
        for head in ("punct_head", "capit_head"):
            model[head].fc_dropout = 0.0
        model.optim = {"name": "adam", "lr": 1e-2}
        return model

    return make


def write_intent_slot_task(directory: Path, prefix: str, rows: List[tuple]) -> List[str]:
    """NeMo's intent/slot files from ``toy_sentences`` rows in ``directory``: intents ``dislike`` (0) and ``like``
    (1), slots ``O`` (0) and ``opinion`` (1, the sentiment word); writes the dictionaries too. Returns the
    sentences."""
    (directory / "dict.intents.csv").write_text("dislike\nlike\n", encoding="utf-8")
    (directory / "dict.slots.csv").write_text("O\nopinion\n", encoding="utf-8")
    opinion = set(POSITIVE) | set(NEGATIVE)
    sentences = [sentence for sentence, _ in rows]
    lines = ["sentence\tlabel"] + [f"{sentence}\t{label}" for sentence, label in rows]
    (directory / f"{prefix}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    slots = [" ".join(str(int(w in opinion)) for w in sentence.split()) for sentence in sentences]
    (directory / f"{prefix}_slots.tsv").write_text("\n".join(slots) + "\n", encoding="utf-8")
    return sentences


@pytest.fixture
def intent_slot_task() -> Callable[..., List[str]]:
    """``write_intent_slot_task(directory, prefix, rows)``."""
    return write_intent_slot_task


@pytest.fixture
def intent_slot_cfg(bert_example: Callable[[Path], DictConfig]) -> Callable[..., DictConfig]:
    """``intent_slot_cfg(data_dir)``: the example ``intent_slot_classification_config.yaml``'s model node over the
    tiny encoder, ``train``/``test`` prefixes in ``data_dir``, batches of 16, no dropout."""

    def make(data_dir: Any) -> DictConfig:
        model = bert_example(
            examples_dir("nlp", "intent_slot_classification", "conf", "intent_slot_classification_config.yaml")
        )
        model.data_dir = str(data_dir)
        model.language_model.max_seq_length = 32
        for node in ("train_ds", "validation_ds", "test_ds"):
            model[node].batch_size = 16
        model.head.fc_dropout = 0.0
        model.language_model.config.hidden_dropout_prob = 0.0
        model.language_model.config.attention_probs_dropout_prob = 0.0
        model.optim = {"name": "adam", "lr": 3e-3}
        return model

    return make


def write_lm_text(path: Path, n: int, seed: int = 0) -> Path:
    """``n`` lines of ``toy_sentences`` text (some words plural: ``film`` + ``##s``), for masked-LM pretraining."""
    lines = [sentence.replace("film ", "films ") for sentence, _ in toy_sentences(n, seed)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def lm_text() -> Callable[..., Path]:
    """``write_lm_text(path, n, seed=0)``."""
    return write_lm_text


@pytest.fixture
def bert_lm_cfg(bert_example: Callable[[Path], DictConfig]) -> Callable[..., DictConfig]:
    """``bert_lm_cfg(train_file, validation_file=None)``: the example ``bert_pretraining_from_text_config.yaml``'s
    model node over the tiny encoder, sequences of 32 tokens, batches of 16, no dropout, Adam without a schedule."""

    def make(train_file: Any, validation_file: Any = None) -> DictConfig:
        model = bert_example(examples_dir("nlp", "language_modeling", "conf", "bert_pretraining_from_text_config.yaml"))
        model.max_seq_length = 32
        model.train_ds.data_file = str(train_file)
        model.validation_ds.data_file = None if validation_file is None else str(validation_file)
        model.language_model.config.hidden_dropout_prob = 0.0
        model.language_model.config.attention_probs_dropout_prob = 0.0
        model.optim = {"name": "adam", "lr": 3e-3}
        return model

    return make


# ---------------------------------------------------------------------------------------------- question answering
NAMES = ["anna", "ben", "cara", "dan", "eve", "finn", "gus", "hana"]
COLOURS = ["red", "blue", "green", "gray", "pink", "gold"]


def qa_vocab_tokens() -> List[str]:
    return SPECIAL + NAMES + COLOURS + ["likes", "what", "does", "like", "(", ")", "-", "1895", "##s"] + PUNCT


def toy_squad(n_contexts: int, seed: int = 0, negatives: bool = False) -> Dict:
    """SQuAD JSON of contexts ``anna likes red . ben likes blue . cara likes green .`` (three names, random
    colours) with ``what does ben like ?`` for each name (answer: its colour); ``negatives`` adds one unanswerable
    question per context about a name not in it (SQuAD v2.0)."""
    rng = random.Random(seed)
    paragraphs = []
    for c in range(n_contexts):
        names = rng.sample(NAMES, 4)
        context, qas = "", []
        for name in names[:3]:
            colour = rng.choice(COLOURS)
            context += f"{name} likes "
            answer = {"text": colour, "answer_start": len(context)}
            context += f"{colour} . "
            qas.append({"id": f"c{c}-{name}", "question": f"what does {name} like ?", "answers": [answer]})
        if negatives:
            qas.append(
                {"id": f"c{c}-none", "question": f"what does {names[3]} like ?", "answers": [], "is_impossible": True}
            )
        paragraphs.append({"context": context.strip(), "qas": qas})
    return {"version": "v2.0" if negatives else "v1.1", "data": [{"title": "toy", "paragraphs": paragraphs}]}


@pytest.fixture
def squad_content() -> Callable[..., Dict]:
    """The ``toy_squad(n_contexts, seed=0, negatives=False)`` generator."""
    return toy_squad


@pytest.fixture
def squad_file(tmp_path: Path) -> Callable[..., str]:
    """``squad_file(name, n_contexts, seed=0, negatives=False)``: a ``toy_squad`` set written to ``tmp_path``."""
    return lambda name, *args, **kwargs: _write(tmp_path / name, json.dumps(toy_squad(*args, **kwargs)))


@pytest.fixture
def qa_vocab_file(tmp_path: Path) -> str:
    return _write(tmp_path / "qa_vocab.txt", "\n".join(qa_vocab_tokens()) + "\n")


def _write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture
def qa_cfg(qa_vocab_file: str) -> Callable[..., DictConfig]:
    """``qa_cfg(train_file, validation_file=None, version_2=False)``: the example
    ``question_answering_squad_config.yaml``'s model node over a tiny random encoder and the toy vocabulary,
    16-token windows 4 apart (each toy context takes two), batches of 16, Adam without a schedule."""

    def make(train_file: Optional[str], validation_file: Optional[str] = None, version_2: bool = False) -> DictConfig:
        model = OmegaConf.load(
            examples_dir("nlp", "question_answering", "conf", "question_answering_squad_config.yaml")
        )
        model = model.model
        model.tokenizer.vocab_file = qa_vocab_file
        model.language_model.config = {
            **tiny_bert_config(len(qa_vocab_tokens())),
            "hidden_dropout_prob": 0.0,
            "attention_probs_dropout_prob": 0.0,
        }
        model.dataset.update(
            {"version_2_with_negative": version_2, "max_seq_length": 16, "doc_stride": 4, "max_query_length": 8}
        )
        model.train_ds.file, model.validation_ds.file = train_file, validation_file
        for node in ("train_ds", "validation_ds", "test_ds"):
            model[node].batch_size = 16
        model.optim = {"name": "adam", "lr": 3e-3}
        return model

    return make


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
