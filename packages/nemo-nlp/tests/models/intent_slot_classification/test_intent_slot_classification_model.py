import json

import pytest
import torch

pl = pytest.importorskip("pytorch_lightning")

from nemo.collections.nlp.models import IntentSlotClassificationModel  # noqa: E402


def _always(mlp: torch.nn.Module, class_id: int) -> None:
    """Make the MLP predict ``class_id`` everywhere."""
    layer = mlp.last_linear_layer
    with torch.no_grad():
        layer.weight.zero_()
        layer.bias.zero_()
        layer.bias[class_id] = 10.0


def test_data_desc_keys_and_typed_outputs(tmp_path, toy_rows, intent_slot_task, intent_slot_cfg):
    intent_slot_task(tmp_path, "train", toy_rows(8))
    intent_slot_task(tmp_path, "test", toy_rows(4, seed=1))
    model = IntentSlotClassificationModel(intent_slot_cfg(tmp_path))
    desc = model.cfg.data_desc
    assert list(desc.intent_labels) == ["dislike", "like"] and dict(desc.slot_label_ids) == {"O": 0, "opinion": 1}
    assert desc.pad_label == 0  # pad_label -1: the 'O' slot
    assert {k.split(".")[0] for k in model.state_dict()} == {"bert_model", "classifier"}
    assert any(k.startswith("classifier.intent_mlp.") for k in model.state_dict())
    assert set(model.output_types) == {"intent_logits", "slot_logits"}
    input_ids, token_type_ids, attention_mask = next(iter(model.train_dataloader()))[:3]
    intent, slot = model(input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask)
    assert intent.shape == (input_ids.shape[0], 2) and slot.shape == (*input_ids.shape, 2)


def test_intent_accuracy_and_slot_f1_on_a_hand_case(tmp_path, intent_slot_task, intent_slot_cfg):
    """Intent always 'like' on 2 like + 2 dislike queries: micro precision (accuracy) 50.0. Slot always 'opinion'
    over 16 words of which 5 are opinions: micro P = R = F1 = 5/16 = 31.25 (every word has exactly one slot)."""
    rows = [("the film is good", 1), ("a great movie", 1), ("i hate it", 0)]
    intent_slot_task(tmp_path, "train", rows)
    intent_slot_task(tmp_path, "test", rows + [("this plot is bad and dull", 0)])
    model = IntentSlotClassificationModel(intent_slot_cfg(tmp_path)).eval()
    _always(model.classifier.intent_mlp, 1)
    _always(model.classifier.slot_mlp, 1)
    step = model.validation_step(next(iter(model.val_dataloader())), 0)
    assert step["intent_tp"].tolist() == [0, 2] and step["intent_fp"].tolist() == [0, 2]
    assert step["slot_tp"].tolist() == [0, 5] and step["slot_fp"].tolist() == [0, 11]
    log = model.multi_validation_epoch_end([step])["log"]
    assert float(log["intent_precision"]) == pytest.approx(50.0, abs=1e-3)
    assert float(log["slot_f1"]) == pytest.approx(31.25, abs=1e-3)
    intents, slots = model.predict_from_examples(["good film", "the plot"])
    assert intents == ["like", "like"] and slots == ["opinion opinion", "opinion opinion"]


@pytest.mark.slow
def test_train_and_restore_in_a_fresh_process(
    tmp_path, toy_rows, intent_slot_task, intent_slot_cfg, fresh_restore, fit_and_validate
):
    intent_slot_task(tmp_path, "train", toy_rows(64, seed=0))
    queries = intent_slot_task(tmp_path, "test", toy_rows(16, seed=1))
    torch.manual_seed(0)
    cfg = intent_slot_cfg(tmp_path)
    # The tiny encoder learns the slots first; a light slot loss lets the intent follow (at 0.9 the intent stayed at
    # chance after 25 steps for 3 of 16 seeds, at 0.99 for none of 12, slots at 100 F1 either way).
    cfg.intent_loss_weight = 0.99
    model = IntentSlotClassificationModel(cfg)
    before, after = fit_and_validate(model, 25)
    assert after["val_loss"] < 0.5 * before["val_loss"]
    assert after["intent_precision"] > 90.0 and after["slot_f1"] > 90.0
    predicted = model.predict_from_examples(queries[:5])
    model.save_to(str(tmp_path / "intent.nemo"))
    for name in ("train.tsv", "dict.intents.csv", "dict.slots.csv"):
        (tmp_path / name).unlink()  # the archive carries the labels
    restored = fresh_restore(
        "IntentSlotClassificationModel",
        tmp_path / "intent.nemo",
        "m.predict_from_examples(json.loads(sys.argv[2]))",
        json.dumps(queries[:5]),
    )
    assert [list(x) for x in predicted] == restored


def test_bad_config_is_refused(tmp_path, toy_rows, intent_slot_task, intent_slot_cfg):
    intent_slot_task(tmp_path, "train", toy_rows(4))
    intent_slot_task(tmp_path, "test", toy_rows(4))
    cfg = intent_slot_cfg(tmp_path)
    cfg.train_ds.prefx = cfg.train_ds.pop("prefix")
    with pytest.raises(ValueError, match=r"train_ds: unknown key 'prefx'.*did you mean 'prefix'"):
        IntentSlotClassificationModel(cfg)
    cfg = intent_slot_cfg(tmp_path)
    cfg.intent_loss_weight = 1.5
    with pytest.raises(ValueError, match=r"intent_loss_weight=1.5; expected a value in \[0, 1\]"):
        IntentSlotClassificationModel(cfg)
    cfg = intent_slot_cfg(tmp_path / "missing")
    with pytest.raises(ValueError, match=r"model.data_dir=.*missing' is not a directory"):
        IntentSlotClassificationModel(cfg)
