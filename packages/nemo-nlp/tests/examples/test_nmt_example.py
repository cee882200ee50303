"""examples/nlp/machine_translation: the toy corpus generator and the enc_dec_nmt.py config/tokenizer pipeline."""

import pytest

from nemo.core.testing import examples_dir, load_script, quiet_cpu_trainer


@pytest.fixture(scope="module")
def toy():
    return load_script(examples_dir("nlp", "machine_translation", "make_toy_nmt_data.py"))


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


def test_toy_config_trains_tokenizer_and_model(toy, tmp_path, nmt_example, toy_nmt_cfg):
    for split, count, seed in (("train", 300, 0), ("val", 20, 1)):
        toy._write(toy.make_pairs(count, seed), str(tmp_path / split))
    cfg = toy_nmt_cfg(*[(tmp_path / f"{split}.src", tmp_path / f"{split}.tgt") for split in ("train", "val")])
    assert cfg.model.decoder_tokenizer.tokenizer_model == cfg.model.encoder_tokenizer.tokenizer_model
    trainer = quiet_cpu_trainer(max_steps=2, limit_val_batches=1, val_check_interval=2)
    model = nmt_example.MTEncDecModel(cfg.model, trainer=trainer)
    trainer.fit(model)
    assert model.encoder.hidden_size == 64 and len(model.encoder.encoder.layers) == 2
    assert "val_sacreBLEU" in trainer.callback_metrics
