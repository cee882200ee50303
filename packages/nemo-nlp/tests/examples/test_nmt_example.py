"""examples/nlp/machine_translation: the toy corpus generator and the enc_dec_nmt.py config/tokenizer pipeline."""

import importlib.util
from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf

EXAMPLE_DIR = Path(__file__).resolve().parents[4] / "examples" / "nlp" / "machine_translation"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLE_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def toy():
    return _load("make_toy_nmt_data")


@pytest.mark.parametrize(
    "number, words",
    [
        (0, "zero"),
        (7, "seven"),
        (12, "twelve"),
        (40, "forty"),
        (105, "one hundred five"),
        (1042, "one thousand forty two"),
        (906000, "nine hundred six thousand"),
        (999999, "nine hundred ninety nine thousand nine hundred ninety nine"),
    ],
)
def test_number_to_words(toy, number, words):
    assert toy.number_to_words(number) == words


def test_pairs_are_deterministic_and_consistent(toy):
    pairs = toy.make_pairs(200, seed=5)
    assert pairs == toy.make_pairs(200, seed=5) and pairs != toy.make_pairs(200, seed=6)
    for words, digits in pairs:
        assert toy.number_to_words(int(digits.replace(" ", ""))) == words
    assert len({len(d.split()) for _, d in pairs}) == 6  # 1- to 6-digit numbers all occur
    with pytest.raises(ValueError, match="0..999999"):
        toy.number_to_words(10**6)


def test_toy_config_trains_tokenizer_and_model(toy, tmp_path):
    import pytorch_lightning as pl

    script = _load("enc_dec_nmt")
    for split, count, seed in (("train", 300, 0), ("val", 20, 1)):
        toy._write(toy.make_pairs(count, seed), str(tmp_path / split))
    cfg = OmegaConf.load(EXAMPLE_DIR / "conf" / "aayn_toy.yaml")
    cfg.model.preproc_out_dir = str(tmp_path / "preproc")
    for ds, split in (("train_ds", "train"), ("validation_ds", "val")):
        cfg.model[ds].src_file_name = str(tmp_path / f"{split}.src")
        cfg.model[ds].tgt_file_name = str(tmp_path / f"{split}.tgt")
    del cfg.model["test_ds"]
    cfg = script.update_model_config(script.MTEncDecConfig(), cfg)
    script.prepare_tokenizers(cfg.model)
    assert cfg.model.decoder_tokenizer.tokenizer_model == cfg.model.encoder_tokenizer.tokenizer_model
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        trainer = pl.Trainer(
            max_steps=2,
            accelerator="cpu",
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            limit_val_batches=1,
            num_sanity_val_steps=0,
            val_check_interval=2,
        )
        model = script.MTEncDecModel(cfg.model, trainer=trainer)
        trainer.fit(model)
    finally:
        torch.set_num_threads(threads)
    assert model.encoder.hidden_size == 64 and len(model.encoder.encoder.layers) == 2
    assert "val_sacreBLEU" in trainer.callback_metrics
