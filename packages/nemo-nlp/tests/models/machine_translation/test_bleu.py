"""``val_sacreBLEU``/``test_sacreBLEU`` are sacreBLEU's corpus BLEU (13a tokenisation, 'exp' smoothing, 4-grams) of
the epoch's translations against one reference stream, as in NeMo v1."""

import pytest
import sacrebleu
from omegaconf import OmegaConf

from nemo.collections.nlp.models.machine_translation import AAYNBaseConfig, MTEncDecModel


@pytest.fixture(scope="module")
def model(spm_model):
    cfg = OmegaConf.structured(AAYNBaseConfig())
    for side in ("encoder_tokenizer", "decoder_tokenizer"):
        cfg[side].library = "sentencepiece"
        cfg[side].tokenizer_model = spm_model
    for side in ("encoder", "decoder"):
        cfg[side].update(hidden_size=16, inner_size=32, num_layers=1, num_attention_heads=2)
    cfg.train_ds = cfg.validation_ds = cfg.test_ds = None
    return MTEncDecModel(cfg=cfg)


def _logged_bleu(model, hypotheses, references, mode="val"):
    """What the epoch end logs for these translations (split over two batches, as loaders would)."""
    half = len(hypotheses) // 2
    outputs = [
        {"loss_sum": 1.0, "num_tokens": 2, "translations": hypotheses[:half], "ground_truths": references[:half]},
        {"loss_sum": 3.0, "num_tokens": 2, "translations": hypotheses[half:], "ground_truths": references[half:]},
    ]
    result = model._eval_epoch_end(outputs, mode, num_examples=0)
    assert result["log"][f"{mode}_sacreBLEU"] == result[f"{mode}_sacreBLEU"]
    assert float(result[f"{mode}_loss"]) == pytest.approx(1.0)  # token-weighted mean of the batches' losses
    return result[f"{mode}_sacreBLEU"]


# (hypotheses, references, BLEU): values the collection's own BLEU gave before it used sacrebleu, where they agree.
CASES = [
    # the toy number task: words -> digits, a few digits wrong or missing
    (["2 1", "5 4 3", "6", "8 7 1"], ["2 1", "5 4 3", "6", "8 7"], None),
    (["a b c d"], ["a b c e"], 100 * (0.75 * (2 / 3) * 0.5 * 0.5) ** 0.25),  # 4-gram 0/1 smoothed to 1/2
    (["one two three four five", "six seven eight nine"], ["one two three four five", "six seven eight nine"], 100.0),
    (["x"], ["y"], 0.0),  # an order with no n-gram at all
    (["x y z w", "q r s t"], ["one two three four five", "six seven eight nine"], 0.0),  # no match at all: 0
    (["It costs 3.50 dollars, ok?"], ["It costs 3.50 dollars , ok ?"], 100.0),  # 13a splits the punctuation
]


@pytest.mark.parametrize("hypotheses, references, expected", CASES)
def test_logged_bleu_is_sacrebleu_corpus_bleu(model, hypotheses, references, expected):
    logged = _logged_bleu(model, hypotheses, references)
    assert logged == sacrebleu.corpus_bleu(hypotheses, [references], tokenize="13a").score
    if expected is not None:
        assert logged == pytest.approx(expected)


def test_test_epoch_logs_test_sacrebleu(model):
    assert _logged_bleu(model, ["5 4 3", "2 1"], ["5 4 3", "2 2"], mode="test") == pytest.approx(
        sacrebleu.corpus_bleu(["5 4 3", "2 1"], [["5 4 3", "2 2"]]).score
    )
