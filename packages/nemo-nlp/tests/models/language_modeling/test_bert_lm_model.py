import json
import random
import subprocess
import sys

import pytest
import torch

pl = pytest.importorskip("pytorch_lightning")

from nemo.collections.nlp.models import BERTLMModel  # noqa: E402
from nemo.core.testing import examples_dir  # noqa: E402


def _batch(model):
    random.seed(0)
    return next(iter(model.train_dataloader()))


def test_typed_outputs_tied_weights_and_loss(tmp_path, lm_text, bert_lm_cfg, bert_config):
    model = BERTLMModel(bert_lm_cfg(lm_text(tmp_path / "train.txt", 32)))
    assert set(model.output_types) == {"mlm_log_probs", "nsp_logits"}
    assert {k.split(".")[0] for k in model.state_dict()} == {"bert_model", "mlm_classifier", "nsp_classifier"}
    assert model.mlm_classifier.mlp.last_linear_layer.weight is model.bert_model.embeddings.word_embeddings.weight
    input_ids, type_ids, input_mask, output_ids, output_mask, labels = _batch(model)
    mlm, nsp = model(input_ids=input_ids, attention_mask=input_mask, token_type_ids=type_ids)
    assert mlm.shape == (16, 32, bert_config["vocab_size"]) and nsp.shape == (16, 2)
    assert torch.allclose(mlm.exp().sum(-1), torch.ones(16, 32), atol=1e-4)  # log-probabilities
    loss, mlm_loss = model._losses((input_ids, type_ids, input_mask, output_ids, output_mask, labels))
    picked = mlm.gather(2, output_ids.unsqueeze(2)).squeeze(2)
    expected = -(picked * output_mask).sum() / output_mask.sum()
    assert mlm_loss.item() == pytest.approx(expected.item(), rel=1e-4)
    nsp_loss = torch.nn.functional.cross_entropy(nsp, labels)
    assert loss.item() == pytest.approx(mlm_loss.item() + nsp_loss.item(), rel=1e-4)


def test_only_mlm_loss_has_no_nsp_head(tmp_path, lm_text, bert_lm_cfg):
    cfg = bert_lm_cfg(lm_text(tmp_path / "train.txt", 8))
    cfg.only_mlm_loss = True
    model = BERTLMModel(cfg)
    assert set(model.output_types) == {"mlm_log_probs"} and not hasattr(model, "nsp_classifier")
    batch = _batch(model)
    loss, mlm_loss = model._losses(batch)
    assert loss is mlm_loss


def test_bad_config_is_refused(tmp_path, lm_text, bert_lm_cfg):
    cfg = bert_lm_cfg(lm_text(tmp_path / "train.txt", 8))
    cfg.train_ds.mask_prb = cfg.train_ds.pop("mask_prob")
    with pytest.raises(ValueError, match=r"train_ds: unknown key 'mask_prb'.*did you mean 'mask_prob'"):
        BERTLMModel(cfg)
    cfg = bert_lm_cfg(lm_text(tmp_path / "train.txt", 8))
    cfg.num_tok_classification_layers = 2
    cfg.language_model.config.vocab_size = 64  # the tests' tokenizer has fewer tokens; the head still ties
    model = BERTLMModel(cfg)
    assert model.mlm_classifier.mlp.layer2.weight is model.bert_model.embeddings.word_embeddings.weight
    cfg.language_model.config.vocab_size = 8
    with pytest.raises(ValueError, match=r"model.tokenizer has \d+ tokens but model.language_model's vocab_size is 8"):
        BERTLMModel(cfg)


def test_masked_lm_loss_falls(tmp_path, bert_lm_cfg, fit_and_validate):
    torch.manual_seed(0)
    random.seed(0)
    # four sentences over and over: the masked words are predictable from their context
    sentences = ["the movie is good and fun", "this plot was very boring", "i love the actors", "a dull films"]
    (tmp_path / "train.txt").write_text("\n".join(sentences * 16) + "\n", encoding="utf-8")
    model = BERTLMModel(bert_lm_cfg(tmp_path / "train.txt", tmp_path / "train.txt"))
    before, after = fit_and_validate(model, 30)
    assert after["val_mlm_loss"] < 0.7 * before["val_mlm_loss"]
    assert after["val_perplexity"] == pytest.approx(float(torch.tensor(after["val_mlm_loss"]).exp()), rel=1e-4)


@pytest.mark.slow  # a new Python process: ~10 s idle, over 30 s on a busy machine
def test_save_and_restore_in_a_fresh_process_give_identical_outputs(tmp_path, lm_text, bert_lm_cfg, fresh_restore):
    torch.manual_seed(0)
    model = BERTLMModel(bert_lm_cfg(lm_text(tmp_path / "train.txt", 32)))
    model.save_to(str(tmp_path / "bert_lm.nemo"))
    (tmp_path / "vocab.txt").unlink()  # the archive carries the vocabulary
    model.eval()
    batch = _batch(model)
    ids, type_ids, mask = (t.tolist() for t in batch[:3])
    with torch.no_grad():
        mlm, nsp = model(input_ids=batch[0], attention_mask=batch[2], token_type_ids=batch[1])
    restored = fresh_restore(
        "BERTLMModel",
        tmp_path / "bert_lm.nemo",
        "[t.tolist() for t in m(input_ids=torch.tensor(json.loads(sys.argv[2])), "
        "attention_mask=torch.tensor(json.loads(sys.argv[4])), token_type_ids=torch.tensor(json.loads(sys.argv[3])))]"
        " + [m.mlm_classifier.mlp.last_linear_layer.weight is m.bert_model.embeddings.word_embeddings.weight]",
        *(json.dumps(x) for x in (ids, type_ids, mask)),
    )
    assert torch.allclose(torch.tensor(restored[0]), mlm, atol=1e-5)
    assert torch.allclose(torch.tensor(restored[1]), nsp, atol=1e-5)
    assert restored[2] is True  # the restored head still shares the word embeddings


@pytest.mark.slow
def test_example_script_trains_and_saves(tmp_path, lm_text, vocab_file):
    text = lm_text(tmp_path / "train.txt", 32)
    overrides = [
        f"model.train_ds.data_file={text}",
        f"model.validation_ds.data_file={text}",
        f"model.tokenizer.vocab_file={vocab_file}",
        f"model.nemo_path={tmp_path / 'out.nemo'}",
        "model.max_seq_length=32",
        "model.language_model.config.hidden_size=32",
        "model.language_model.config.num_attention_heads=2",
        "model.language_model.config.intermediate_size=64",
        "model.language_model.config.num_hidden_layers=1",
        "trainer.max_steps=3",
        "trainer.accelerator=cpu",
        f"exp_manager.exp_dir={tmp_path / 'exp'}",
    ]
    script = examples_dir("nlp", "language_modeling", "bert_pretraining.py")
    proc = subprocess.run([sys.executable, str(script), *overrides], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    model = BERTLMModel.restore_from(str(tmp_path / "out.nemo"), map_location="cpu")
    assert (
        model.bert_model.config.hidden_size == 32 and model.bert_model.config.vocab_size == model.tokenizer.vocab_size
    )
