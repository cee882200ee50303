"""NeMo v1's default MT config (YouTokenToMe tokenizers) builds, saves and restores an MTEncDecModel.

``data/yttm_bpe.model`` was trained by youtokentome 1.0.6 (tools/write_yttm_goldens.py).
"""

from pathlib import Path

import torch
from omegaconf import OmegaConf

from nemo.collections.common.tokenizers.youtokentome_tokenizer import YouTokenToMeTokenizer
from nemo.collections.nlp.models import MTEncDecModel
from nemo.collections.nlp.models.machine_translation.mt_enc_dec_config import AAYNBaseConfig

YTTM_MODEL = str(Path(__file__).parent / "data" / "yttm_bpe.model")


def _config(yttm_model: str):
    cfg = OmegaConf.structured(AAYNBaseConfig())
    assert cfg.encoder_tokenizer.library == "yttm" and cfg.decoder_tokenizer.library == "yttm"  # v1's default
    cfg.encoder_tokenizer.tokenizer_model = cfg.decoder_tokenizer.tokenizer_model = yttm_model
    for side in (cfg.encoder, cfg.decoder):
        side.update(num_layers=1, hidden_size=32, inner_size=64, num_attention_heads=2)
    for key in ("train_ds", "validation_ds", "test_ds"):
        cfg[key] = None
    return cfg


def test_aayn_base_config_with_yttm_files_builds_saves_and_restores(tmp_path):
    torch.manual_seed(0)
    yttm_model = tmp_path / "bpe.model"
    yttm_model.write_bytes(Path(YTTM_MODEL).read_bytes())
    model = MTEncDecModel(_config(str(yttm_model)))
    assert isinstance(model.encoder_tokenizer, YouTokenToMeTokenizer)
    assert model.encoder_tokenizer.text_to_ids("the quick fox") == [39, 4, 29, 18, 49, 47, 25]
    model.save_to(str(tmp_path / "mt.nemo"))
    yttm_model.unlink()  # the tokenizer file travels inside the archive
    restored = MTEncDecModel.restore_from(str(tmp_path / "mt.nemo"), map_location="cpu")
    assert isinstance(restored.decoder_tokenizer, YouTokenToMeTokenizer)
    model.eval(), restored.eval()
    assert restored.translate(["the quick fox"]) == model.translate(["the quick fox"])
    assert restored.encoder_tokenizer.ids_to_text(restored.encoder_tokenizer.text_to_ids("peter piper")) == (
        "peter piper"
    )
