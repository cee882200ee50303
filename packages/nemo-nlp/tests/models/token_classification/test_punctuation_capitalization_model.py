import json

import pytest
import torch

pl = pytest.importorskip("pytorch_lightning")

from nemo.collections.nlp.models import PunctuationCapitalizationModel  # noqa: E402
from nemo.core.neural_types import LogitsType  # noqa: E402

HAND_TEXT = "good film\nbad plot is dull\n"
HAND_LABELS = "OU .O\nOU OO ,O .O\n"


def _hand_case(tmp_path, punct_capit_cfg):
    for split in ("train", "dev"):
        (tmp_path / f"text_{split}.txt").write_text(HAND_TEXT, encoding="utf-8")
        (tmp_path / f"labels_{split}.txt").write_text(HAND_LABELS, encoding="utf-8")
    return PunctuationCapitalizationModel(punct_capit_cfg(tmp_path))


def _always(head: torch.nn.Module, class_id: int) -> None:
    """Make ``head`` predict ``class_id`` at every position."""
    layer = head.mlp.last_linear_layer
    with torch.no_grad():
        layer.weight.zero_()
        layer.bias.zero_()
        layer.bias[class_id] = 10.0


def test_label_ids_heads_and_typed_outputs(tmp_path, punct_capit_cfg):
    model = _hand_case(tmp_path, punct_capit_cfg)
    assert dict(model.cfg.punct_label_ids) == {"O": 0, ",": 1, ".": 2}
    assert dict(model.cfg.capit_label_ids) == {"O": 0, "U": 1}
    keys = {k.split(".")[0] for k in model.state_dict()}
    assert keys == {"bert_model", "punct_classifier", "capit_classifier"}  # v1's state-dict names
    assert {name: t.elements_type.__class__ for name, t in model.output_types.items()} == {
        "punct_logits": LogitsType,
        "capit_logits": LogitsType,
    }
    input_ids, token_type_ids, attention_mask = next(iter(model.train_dataloader()))[:3]
    punct, capit = model(input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask)
    assert punct.shape == (*input_ids.shape, 3) and capit.shape == (*input_ids.shape, 2)


def test_word_level_reports_on_a_hand_case(tmp_path, punct_capit_cfg):
    """Punctuation always 'O', capitalization always 'U' over 6 words (gold punct O . O O , . and case U O U O O O):
    punct O has P 3/6, R 1 (F1 2/3), ',' and '.' F1 0: macro 22.22; capit U has P 2/6, R 1 (F1 1/2), O F1 0: 25.0."""
    model = _hand_case(tmp_path, punct_capit_cfg)
    _always(model.punct_classifier, 0)
    _always(model.capit_classifier, 1)
    model.eval()
    batch = next(iter(model.val_dataloader()))
    step = model.validation_step(batch, 0)
    assert set(step) == {"val_loss", "punct_tp", "punct_fn", "punct_fp", "capit_tp", "capit_fn", "capit_fp"}
    assert step["punct_tp"].tolist() == [3, 0, 0] and step["punct_fp"].tolist() == [3, 0, 0]
    assert step["punct_fn"].tolist() == [0, 1, 2]
    assert step["capit_tp"].tolist() == [0, 2] and step["capit_fp"].tolist() == [0, 4]
    log = model.multi_validation_epoch_end([step])["log"]
    assert float(log["punct_f1"]) == pytest.approx(200 / 9, abs=1e-3)
    assert float(log["punct_precision"]) == pytest.approx(50 / 3, abs=1e-3)
    assert float(log["capit_f1"]) == pytest.approx(25.0, abs=1e-3)
    assert float(log["capit_recall"]) == pytest.approx(50.0, abs=1e-3)
    assert model.add_punctuation_capitalization(["good film", "bad plot is dull"]) == ["Good Film", "Bad Plot Is Dull"]


@pytest.mark.slow
def test_train_restore_in_a_fresh_process_and_punctuate(
    tmp_path, toy_rows, punct_capit_task, punct_capit_cfg, fresh_restore, fit_and_validate
):
    punct_capit_task(tmp_path, "train", toy_rows(48, seed=0))
    dev_texts, _ = punct_capit_task(tmp_path, "dev", toy_rows(8, seed=1))
    torch.manual_seed(0)
    model = PunctuationCapitalizationModel(punct_capit_cfg(tmp_path))
    before, after = fit_and_validate(model, 6)
    assert after["val_loss"] < 0.5 * before["val_loss"]
    assert after["punct_f1"] > 90.0 and after["capit_f1"] > 90.0

    queries = dev_texts[:4]
    restored_here = model.add_punctuation_capitalization(queries, batch_size=3)
    words = dev_texts[0].split()
    assert restored_here[0] == f"{words[0].capitalize()} {words[1]} {words[2]}, {' '.join(words[3:])}."
    nemo_file = tmp_path / "punct.nemo"
    model.save_to(str(nemo_file))
    for name in ("text_train.txt", "labels_train.txt", "vocab.txt"):
        (tmp_path / name).unlink()  # the archive carries the vocabulary, the encoder config and the label ids

    forward = "[t.tolist() for t in m(input_ids=ids, token_type_ids=torch.zeros_like(ids), attention_mask=ids > 0)]"
    restored = fresh_restore(
        "PunctuationCapitalizationModel",
        nemo_file,
        f"{{'text': m.add_punctuation_capitalization(json.loads(sys.argv[2]), batch_size=2),"
        f" 'logits': (lambda ids: {forward})(torch.tensor([[2, 5, 6, 3]]))}}",
        json.dumps(queries),
    )
    assert restored["text"] == restored_here
    model.eval()
    ids = torch.tensor([[2, 5, 6, 3]])
    with torch.no_grad():
        logits = model(input_ids=ids, token_type_ids=torch.zeros_like(ids), attention_mask=ids > 0)
    assert all(torch.equal(torch.tensor(r), t) for r, t in zip(restored["logits"], logits))


def test_bad_data_and_config_are_refused(tmp_path, punct_capit_cfg):
    (tmp_path / "text_train.txt").write_text("good film\nbad plot\n", encoding="utf-8")
    (tmp_path / "labels_train.txt").write_text("OU .O\nOU .\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"labels_train.txt:2: label 2 '\.': expected two characters"):
        PunctuationCapitalizationModel(punct_capit_cfg(tmp_path))
    (tmp_path / "labels_train.txt").write_text("OU .O\nOU\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"labels_train.txt:2: 1 labels for the 2 words of .*text_train.txt:2"):
        PunctuationCapitalizationModel(punct_capit_cfg(tmp_path))
    (tmp_path / "labels_train.txt").write_text("OU .O\nOU .O\n", encoding="utf-8")
    cfg = punct_capit_cfg(tmp_path)
    cfg.validation_ds.label_file = cfg.validation_ds.pop("labels_file")
    with pytest.raises(ValueError, match=r"validation_ds: unknown key 'label_file'.*did you mean 'labels_file'"):
        PunctuationCapitalizationModel(cfg)
    cfg = punct_capit_cfg(tmp_path)
    cfg.dataset.class_balancing = "weighted_loss"
    with pytest.raises(ValueError, match="class_balancing='weighted_loss'.*supports none"):
        PunctuationCapitalizationModel(cfg)
