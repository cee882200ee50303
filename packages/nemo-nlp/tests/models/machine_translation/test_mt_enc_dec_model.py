import pytest
import torch
from omegaconf import OmegaConf

from nemo.collections.nlp.models.machine_translation import AAYNBaseConfig, MTEncDecModel
from nemo.core.testing import quiet_cpu_trainer

PAIRS = [
    ("one two", "2 1"),
    ("three four five", "5 4 3"),
    ("six", "6"),
    ("seven eight", "8 7"),
]


def _write_pairs(directory, name, pairs):
    src, tgt = directory / f"{name}.src", directory / f"{name}.tgt"
    src.write_text("".join(s + "\n" for s, _ in pairs), encoding="utf-8")
    tgt.write_text("".join(t + "\n" for _, t in pairs), encoding="utf-8")
    return str(src), str(tgt)


def _tiny_cfg(tmp_path, spm_model, **overrides):
    cfg = OmegaConf.structured(AAYNBaseConfig())
    for side in ("encoder_tokenizer", "decoder_tokenizer"):
        cfg[side].library = "sentencepiece"
        cfg[side].tokenizer_model = spm_model
    for side in ("encoder", "decoder"):
        cfg[side].update(
            hidden_size=32,
            inner_size=64,
            num_layers=1,
            num_attention_heads=2,
            max_sequence_length=64,
            ffn_dropout=0.0,
            attn_score_dropout=0.0,
            attn_layer_dropout=0.0,
        )
    train_src, train_tgt = _write_pairs(tmp_path, "train", PAIRS)
    cfg.train_ds.update(src_file_name=train_src, tgt_file_name=train_tgt, tokens_in_batch=256, num_workers=0)
    cfg.validation_ds.update(src_file_name=train_src, tgt_file_name=train_tgt, tokens_in_batch=256, num_workers=0)
    cfg.test_ds = None
    cfg.optim.lr = 3e-3
    cfg.beam_size = 2
    cfg.max_generation_delta = 4
    for key, value in overrides.items():
        OmegaConf.update(cfg, key, value)
    return cfg


def _train(model, steps):
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    losses = []
    for _ in range(steps):
        for batch in model.train_dataloader():
            src, src_mask, tgt, tgt_mask, labels, _ = model._unpack(batch)
            loss = model.loss_fn(log_probs=model(src, src_mask, tgt, tgt_mask), labels=labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


def test_seed_snippet_dataclass_config():
    cfg = AAYNBaseConfig()
    cfg.encoder.num_layers = 8
    cfg.train_ds.tokens_in_batch = 8192
    conf = OmegaConf.structured(cfg)
    assert conf.encoder.num_layers == 8 and conf.decoder.num_layers == 6
    assert conf.train_ds.tokens_in_batch == 8192 and conf.validation_ds.tokens_in_batch == 512
    assert conf.encoder.hidden_size == 512 and conf.encoder.inner_size == 2048 and conf.encoder.num_attention_heads == 8
    assert conf.optim.name == "adam" and conf.optim.sched.name == "InverseSquareRootAnnealing"
    assert conf.encoder_tokenizer.library == "yttm" and conf.head.log_softmax is True


def test_model_from_structured_aayn_config_trains_and_overfits(tmp_path, spm_model):
    torch.manual_seed(0)
    model = MTEncDecModel(cfg=_tiny_cfg(tmp_path, spm_model, label_smoothing=0.1))
    assert model.decoder.hidden_size == 32  # the decoder's hidden_size (unset in AAYNBaseConfig) follows the encoder
    assert model.log_softmax.mlp.layer0.weight is model.decoder.embedding.token_embedding.weight
    # NeMo v1's parameter names, so v1 .nemo weights load strictly.
    assert {
        "encoder._embedding.token_embedding.weight",
        "encoder._embedding.position_embedding.pos_enc",
        "encoder._encoder.layers.0.first_sub_layer.query_net.weight",
        "encoder._encoder.layers.0.second_sub_layer.dense_in.weight",
        "decoder._decoder.layers.0.second_sub_layer.out_projection.weight",
        "decoder._decoder.layers.0.layer_norm_3.weight",
        "log_softmax.mlp.layer0.bias",
    } <= set(model.state_dict())
    losses = _train(model, 150)
    assert losses[10] < losses[0] and losses[-1] < 0.5 * losses[0]
    sources = [s for s, _ in PAIRS]
    assert model.translate(sources) == [t for _, t in PAIRS]
    # Batching (and the source padding it brings) does not change any translation.
    assert [model.translate([s])[0] for s in sources] == [t for _, t in PAIRS]
    assert model.training  # translate restores the mode it found


def test_save_restore_round_trip_keeps_tokenizers_and_translations(tmp_path, spm_model):
    torch.manual_seed(1)
    model = MTEncDecModel(cfg=_tiny_cfg(tmp_path, spm_model))
    _train(model, 20)
    model.eval()
    sources = [s for s, _ in PAIRS]
    before = model.translate(sources)
    path = tmp_path / "mt.nemo"
    model.save_to(str(path))
    (tmp_path / "train.src").unlink()  # the archive must not need the training data or the original tokenizer dir
    restored = MTEncDecModel.restore_from(str(path), map_location="cpu")
    assert restored.translate(sources) == before
    assert restored.decoder_tokenizer.vocab_size == model.decoder_tokenizer.vocab_size
    assert restored.cfg.encoder_tokenizer.tokenizer_model != spm_model  # read from the archive, not the source


def test_lightning_fit_logs_loss_and_bleu(tmp_path, spm_model):
    torch.manual_seed(0)
    cfg = _tiny_cfg(tmp_path, spm_model)
    cfg.optim.sched.warmup_ratio = 0.1
    trainer = quiet_cpu_trainer(max_steps=4)
    model = MTEncDecModel(cfg=cfg, trainer=trainer)
    trainer.fit(model)
    metrics = trainer.callback_metrics
    assert {"train_loss", "val_loss", "val_sacreBLEU"} <= set(metrics)
    assert 0.0 <= float(metrics["val_sacreBLEU"]) <= 100.0


def test_several_validation_sets_get_prefixed_metrics(tmp_path, spm_model):
    cfg = _tiny_cfg(tmp_path, spm_model)
    files = [_write_pairs(tmp_path, name, PAIRS[i : i + 2]) for i, name in ((0, "dev_a"), (2, "dev_b"))]
    cfg.validation_ds.src_file_name = [src for src, _ in files]
    cfg.validation_ds.tgt_file_name = [tgt for _, tgt in files]
    trainer = quiet_cpu_trainer(max_steps=1)
    model = MTEncDecModel(cfg=cfg, trainer=trainer)
    assert len(model.val_dataloader()) == 2
    trainer.fit(model)
    assert {"dev_a_val_sacreBLEU", "dev_b_val_sacreBLEU", "val_loss"} <= set(trainer.callback_metrics)
    cfg.validation_ds.tgt_file_name = files[0][1]
    with pytest.raises(ValueError, match="lists of the same length"):
        MTEncDecModel(cfg=cfg)


def test_translate_checks_arguments(tmp_path, spm_model):
    model = MTEncDecModel(cfg=_tiny_cfg(tmp_path, spm_model, train_ds=None, validation_ds=None))
    assert model.translate([]) == []
    with pytest.raises(TypeError, match="list of strings"):
        model.translate("one two")
    with pytest.raises(ValueError, match="source_lang='de'"):
        model.translate(["one"], source_lang="de")


def test_config_errors_are_explicit(tmp_path, spm_model):
    cfg = _tiny_cfg(tmp_path, spm_model)
    cfg.train_ds.src_file_name = ""
    with pytest.raises(ValueError, match="train_ds.src_file_name must be set"):
        MTEncDecModel(cfg=cfg)
    mismatch = _tiny_cfg(tmp_path, spm_model, **{"decoder.hidden_size": 48})
    with pytest.raises(ValueError, match=r"decoder.hidden_size \(48\) must equal encoder.hidden_size \(32\)"):
        MTEncDecModel(cfg=mismatch)
    yttm = _tiny_cfg(tmp_path, spm_model)
    yttm.encoder_tokenizer.library = "yttm"
    with pytest.raises(ValueError, match="is not a YouTokenToMe model file"):  # a SentencePiece model named as yttm
        MTEncDecModel(cfg=yttm)
    missing = _tiny_cfg(tmp_path, spm_model, **{"encoder_tokenizer.tokenizer_model": str(tmp_path / "none.model")})
    with pytest.raises(FileNotFoundError, match="encoder_tokenizer.tokenizer_model"):
        MTEncDecModel(cfg=missing)


def test_a_typo_in_a_data_config_key_is_refused_with_a_did_you_mean(tmp_path, spm_model):
    cfg = OmegaConf.to_container(_tiny_cfg(tmp_path, spm_model))  # a plain config: no dataclass checks its keys
    cfg["validation_ds"]["tokens_in_bach"] = cfg["validation_ds"].pop("tokens_in_batch")
    with pytest.raises(
        ValueError, match=r"validation_ds: unknown key 'tokens_in_bach'.*did you mean 'tokens_in_batch'"
    ):
        MTEncDecModel(cfg=cfg)


@pytest.mark.parametrize("library", ["yttm", None])  # None: v1's default library, which is yttm
def test_a_missing_yttm_model_file_is_named(library):
    from nemo.collections.common.tokenizers.tokenizer_utils import get_nmt_tokenizer

    kwargs = {"library": library} if library else {}
    with pytest.raises(FileNotFoundError, match="YouTokenToMe model file tokenizer.BPE.model does not exist"):
        get_nmt_tokenizer(tokenizer_model="tokenizer.BPE.model", **kwargs)
