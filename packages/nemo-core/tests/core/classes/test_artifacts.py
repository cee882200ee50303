"""register_artifact and artifacts across any sequence of save_to / restore_from."""

import copy
import gc
import hashlib
import io
import re
import shutil
import tarfile
import uuid
from pathlib import Path
from typing import Optional

import modelpt_testing as mt
import pytest
import pytorch_lightning as pl
import torch
import yaml
from omegaconf import DictConfig, OmegaConf

from nemo.core.archive import NemoArchive
from nemo.core.classes.artifacts import ArtifactPathType, artifact_archive_name
from nemo.core.classes.modelPT import ModelPT

pytestmark = pytest.mark.usefixtures("fresh_app_state")

NAME = re.compile(r"^nemo:[0-9a-f]{32}_vocab\.txt$")


@pytest.fixture
def vocab(tmp_path):
    path = tmp_path / "src" / "vocab.txt"
    path.parent.mkdir()
    path.write_text("hello\nworld\n")
    return path


def _cfg(vocab_file, **extra):
    return mt.base_config(tokenizer={"vocab_file": str(vocab_file), "merges_file": None}, **extra)


def _saved_config(path) -> dict:
    with NemoArchive(path) as archive:
        return yaml.safe_load(archive.read_config())


def _members(path):
    with NemoArchive(path) as archive:
        return sorted(archive.artifact_names())


def _digest_name(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:32] + "_" + path.name


# ---------------------------------------------------------------------------------------------------- registering
def test_register_local_file(vocab, monkeypatch):
    monkeypatch.chdir(vocab.parent)
    model = mt.VocabModel(_cfg("vocab.txt"))  # relative paths become absolute
    assert model.vocab == ["hello", "world"]
    item = model.artifacts["tokenizer.vocab_file"]
    assert item.path_type is ArtifactPathType.LOCAL_PATH and item.path == str(vocab)
    assert model.cfg.tokenizer.vocab_file == str(vocab)
    assert "tokenizer.merges_file" not in model.artifacts and model.merges_file is None


def test_missing_src(tmp_path, caplog):
    model = mt.TinyModel(mt.base_config())
    with pytest.raises(FileNotFoundError, match="'tok.model': '/no/such/tokenizer.model' is neither an existing"):
        model.register_artifact("tok.model", "/no/such/tokenizer.model")
    assert model.register_artifact("tok.model", "/no/such/tokenizer.model", verify_src_exists=False) is None
    assert "verify_src_exists=False" in caplog.text
    assert model.register_artifact("tok.model", None) is None and model.register_artifact("tok.model", "") == ""
    assert model.artifacts == {}


def test_nemo_path_outside_a_restore():
    model = mt.TinyModel(mt.base_config())
    with pytest.raises(FileNotFoundError, match="not being restored from a .nemo"):
        model.register_artifact("tok.model", "nemo:abc_tokenizer.model")


def test_directories_are_refused(tmp_path):
    with pytest.raises(ValueError, match="is a directory; only files"):
        mt.TinyModel(mt.base_config()).register_artifact("tok.dir", str(tmp_path))


def test_registering_twice_warns_and_replaces(vocab, tmp_path, caplog):
    other = tmp_path / "other.txt"
    other.write_text("x")
    model = mt.VocabModel(_cfg(vocab))
    model.register_artifact("tokenizer.vocab_file", str(other))
    assert "already registered" in caplog.text
    assert model.cfg.tokenizer.vocab_file == str(other)


def test_artifact_name_is_a_content_hash():
    data = Path(__file__)
    assert artifact_archive_name(data) == _digest_name(data)


# ----------------------------------------------------------------------------------------- seed: Register Artifacts
class NMTModel(ModelPT):
    """The seed's register_artifact example: a tokenizer model file registered from the constructor."""

    def __init__(self, cfg: DictConfig, trainer: Optional[pl.Trainer] = None):
        super().__init__(cfg=cfg, trainer=trainer)
        self.encoder_tokenizer = get_nmt_tokenizer(
            library="whitespace",
            tokenizer_model=self.register_artifact(config_path='encoder_tokenizer.tokenizer_model',
                                                   src=cfg.encoder_tokenizer.tokenizer_model,
                                                   verify_src_exists=True),
        )
        self.embedding = torch.nn.Embedding(len(self.encoder_tokenizer), 4)

    @classmethod
    def list_available_models(cls):
        return None

    def setup_training_data(self, cfg):
        pass

    def setup_validation_data(self, cfg):
        pass


def get_nmt_tokenizer(library, tokenizer_model):
    return Path(tokenizer_model).read_text().split()


def test_seed_register_artifacts(tmp_path):
    tokenizer = tmp_path / "path" / "to" / "tokenizer.model"
    tokenizer.parent.mkdir(parents=True)
    tokenizer.write_text("a b c d")
    model = NMTModel(OmegaConf.create({"encoder_tokenizer": {"library": "whitespace", "tokenizer_model": str(tokenizer)}}))
    # "By default, .register_artifact will always return a path ... the local path specified by the user."
    assert model.cfg.encoder_tokenizer.tokenizer_model == str(tokenizer)
    model.save_to(tmp_path / "nmt.nemo")

    # the packaged config holds `tokenizer_model: nemo:<hash>_tokenizer.model`, and the .nemo holds that file
    saved = _saved_config(tmp_path / "nmt.nemo")["encoder_tokenizer"]["tokenizer_model"]
    assert re.fullmatch(r"nemo:[0-9a-f]{32}_tokenizer\.model", saved)
    assert _members(tmp_path / "nmt.nemo") == [saved[len("nemo:"):]]

    # restored: "that path will be to the artifact in the .nemo file"
    tokenizer.unlink()
    restored = NMTModel.restore_from(tmp_path / "nmt.nemo")
    assert restored.encoder_tokenizer == ["a", "b", "c", "d"]
    restored_path = Path(restored.cfg.encoder_tokenizer.tokenizer_model)
    assert restored_path.name == saved[len("nemo:"):] and restored_path.read_text() == "a b c d"


# ----------------------------------------------------------------------------------------------- save and restore
def test_saved_config_holds_nemo_names_and_no_host_paths(vocab, tmp_path):
    model = mt.VocabModel(_cfg(vocab))
    model.save_to(tmp_path / "a.nemo")
    text = NemoArchive(tmp_path / "a.nemo").read_config()
    config = yaml.safe_load(text)
    assert NAME.match(config["tokenizer"]["vocab_file"])
    assert config["tokenizer"]["vocab_file"] == "nemo:" + _digest_name(vocab)
    assert str(tmp_path) not in text and "nemo-artifacts-" not in text
    assert _members(tmp_path / "a.nemo") == [_digest_name(vocab)]
    assert model.cfg.tokenizer.vocab_file == str(vocab)  # the live config keeps the usable local path


def test_same_basename_different_files_do_not_collide(tmp_path):
    first, second = tmp_path / "a" / "tokenizer.model", tmp_path / "b" / "tokenizer.model"
    for path, text in ((first, "one"), (second, "two")):
        path.parent.mkdir()
        path.write_text(text)
    model = mt.TinyModel(mt.base_config())
    model.register_artifact("encoder.tokenizer", str(first))
    model.register_artifact("decoder.tokenizer", str(second))
    model.save_to(tmp_path / "m.nemo")
    assert _members(tmp_path / "m.nemo") == sorted([_digest_name(first), _digest_name(second)])
    config = _saved_config(tmp_path / "m.nemo")
    assert config["encoder"]["tokenizer"] != config["decoder"]["tokenizer"]


def test_second_save_of_a_never_restored_model(vocab, tmp_path):
    model = mt.VocabModel(_cfg(vocab))
    model.save_to(tmp_path / "first.nemo")
    model.save_to(tmp_path / "second.nemo")
    assert _members(tmp_path / "first.nemo") == _members(tmp_path / "second.nemo") == [_digest_name(vocab)]
    assert _saved_config(tmp_path / "first.nemo") == _saved_config(tmp_path / "second.nemo")
    assert mt.VocabModel.restore_from(tmp_path / "second.nemo").vocab == ["hello", "world"]


def test_save_restore_save_restore(vocab, tmp_path):
    mt.VocabModel(_cfg(vocab)).save_to(tmp_path / "1.nemo")
    vocab.unlink()  # from now on the archive is the only copy
    current = tmp_path / "1.nemo"
    for round_ in range(2, 5):
        restored = mt.VocabModel.restore_from(current)
        assert restored.vocab == ["hello", "world"]
        item = restored.artifacts["tokenizer.vocab_file"]
        assert item.path_type is ArtifactPathType.TAR_PATH and Path(item.path).is_file()
        current = tmp_path / f"{round_}.nemo"
        restored.save_to(current)
        assert _members(current) == _members(tmp_path / "1.nemo")
        assert _saved_config(current)["tokenizer"] == _saved_config(tmp_path / "1.nemo")["tokenizer"]


def test_restored_model_saves_after_its_temp_dir_is_deleted(vocab, tmp_path):
    mt.VocabModel(_cfg(vocab)).save_to(tmp_path / "a.nemo")
    restored = mt.VocabModel.restore_from(tmp_path / "a.nemo")
    shutil.rmtree(Path(restored.artifacts["tokenizer.vocab_file"].path).parent)
    restored.save_to(tmp_path / "b.nemo")  # extracted again from a.nemo
    assert _members(tmp_path / "b.nemo") == _members(tmp_path / "a.nemo")
    assert mt.VocabModel.restore_from(tmp_path / "b.nemo").vocab == ["hello", "world"]
    restored.save_to(tmp_path / "c.nemo")
    assert _members(tmp_path / "c.nemo") == _members(tmp_path / "a.nemo")


def test_temp_dir_and_source_archive_both_gone(vocab, tmp_path):
    mt.VocabModel(_cfg(vocab)).save_to(tmp_path / "a.nemo")
    restored = mt.VocabModel.restore_from(tmp_path / "a.nemo")
    shutil.rmtree(Path(restored.artifacts["tokenizer.vocab_file"].path).parent)
    (tmp_path / "a.nemo").unlink()
    with pytest.raises(FileNotFoundError, match="a.nemo that this model was restored from no longer exists"):
        restored.save_to(tmp_path / "b.nemo")
    assert not (tmp_path / "b.nemo").exists()


def test_overwrite_the_archive_the_model_came_from(vocab, tmp_path):
    path = tmp_path / "model.nemo"
    mt.VocabModel(_cfg(vocab)).save_to(path)
    restored = mt.VocabModel.restore_from(path)
    shutil.rmtree(Path(restored.artifacts["tokenizer.vocab_file"].path).parent)
    restored.save_to(path)
    assert mt.VocabModel.restore_from(path).vocab == ["hello", "world"]


def test_a_deleted_local_source_is_a_clear_error(vocab, tmp_path):
    model = mt.VocabModel(_cfg(vocab))
    vocab.unlink()
    with pytest.raises(FileNotFoundError, match="artifact 'tokenizer.vocab_file': its file .*vocab.txt no longer exists"):
        model.save_to(tmp_path / "a.nemo")


def test_temp_dir_is_removed_with_the_model(vocab, tmp_path):
    mt.VocabModel(_cfg(vocab)).save_to(tmp_path / "a.nemo")
    restored = mt.VocabModel.restore_from(tmp_path / "a.nemo")
    folder = Path(restored.artifacts["tokenizer.vocab_file"].path).parent
    assert folder.is_dir()
    del restored
    gc.collect()
    assert not folder.exists()


def test_no_temp_dir_without_artifacts(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    mt.TinyModel(mt.base_config()).save_to(tmp_path / "a.nemo")
    mt.TinyModel.restore_from(tmp_path / "a.nemo")
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_deep_copy_survives_the_original(vocab, tmp_path):
    mt.VocabModel(_cfg(vocab)).save_to(tmp_path / "a.nemo")
    restored = mt.VocabModel.restore_from(tmp_path / "a.nemo")
    clone = copy.deepcopy(restored)
    del restored
    gc.collect()
    clone.save_to(tmp_path / "b.nemo")
    assert _members(tmp_path / "b.nemo") == _members(tmp_path / "a.nemo")


def test_failed_restore_cleans_up_extracted_files(vocab, tmp_path):
    class Broken(mt.VocabModel):
        def __init__(self, cfg, trainer=None):
            super().__init__(cfg, trainer)
            self.seen = Path(self.cfg.tokenizer.vocab_file)
            Broken.last_seen = self.seen
            raise RuntimeError("boom")

    mt.VocabModel(_cfg(vocab)).save_to(tmp_path / "a.nemo")
    with pytest.raises(RuntimeError, match="boom"):
        Broken.restore_from(tmp_path / "a.nemo")
    assert not Broken.last_seen.exists()


def test_return_config_keeps_nemo_paths(vocab, tmp_path):
    mt.VocabModel(_cfg(vocab)).save_to(tmp_path / "a.nemo")
    conf = mt.VocabModel.restore_from(tmp_path / "a.nemo", return_config=True)
    assert NAME.match(conf.tokenizer.vocab_file)


def test_optional_artifact_round_trip(vocab, tmp_path):
    merges = tmp_path / "merges.txt"
    merges.write_text("a b\n")
    cfg = _cfg(vocab)
    cfg.tokenizer.merges_file = str(merges)
    mt.VocabModel(cfg).save_to(tmp_path / "a.nemo")
    restored = mt.VocabModel.restore_from(tmp_path / "a.nemo")
    assert Path(restored.merges_file).read_text() == "a b\n"
    assert len(_members(tmp_path / "a.nemo")) == 2


def test_reregistering_an_extracted_file_keeps_it_an_archive_member(vocab, tmp_path):
    mt.VocabModel(_cfg(vocab)).save_to(tmp_path / "a.nemo")
    restored = mt.VocabModel.restore_from(tmp_path / "a.nemo")
    restored.register_artifact("tokenizer.vocab_file", restored.cfg.tokenizer.vocab_file)
    assert restored.artifacts["tokenizer.vocab_file"].path_type is ArtifactPathType.TAR_PATH
    shutil.rmtree(Path(restored.artifacts["tokenizer.vocab_file"].path).parent)
    restored.save_to(tmp_path / "b.nemo")
    assert _members(tmp_path / "b.nemo") == _members(tmp_path / "a.nemo")


def test_nemo_v1_archive_with_uuid_names_and_bare_basenames(vocab, tmp_path):
    """NeMo v1 named artifacts ``<uuid hex>_<basename>``; older configs even held just the basename."""
    v1_name = f"{uuid.uuid4().hex}_vocab.txt"
    model = mt.VocabModel(_cfg(vocab))
    config = OmegaConf.to_container(model.cfg)
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    for node, label in ((f"nemo:{v1_name}", "prefixed"), (f"/home/someone/data/{v1_name}", "bare")):
        config["tokenizer"]["vocab_file"] = node
        path = tmp_path / f"{label}.nemo"
        with tarfile.open(path, "w:gz") as tar:
            for name, data in (
                ("model_config.yaml", yaml.safe_dump(config).encode()),
                ("model_weights.ckpt", buffer.getvalue()),
                (v1_name, b"hello\nworld\n"),
            ):
                info = tarfile.TarInfo(f"./{name}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        restored = mt.VocabModel.restore_from(path)
        assert restored.vocab == ["hello", "world"]
        restored.save_to(tmp_path / f"{label}-resaved.nemo")
        assert _members(tmp_path / f"{label}-resaved.nemo") == [v1_name]  # the original name is kept
        assert _saved_config(tmp_path / f"{label}-resaved.nemo")["tokenizer"]["vocab_file"] == f"nemo:{v1_name}"


def test_unknown_nemo_member_is_reported(vocab, tmp_path):
    mt.VocabModel(_cfg(vocab)).save_to(tmp_path / "a.nemo")
    conf = mt.VocabModel.restore_from(tmp_path / "a.nemo", return_config=True)
    conf.tokenizer.vocab_file = "nemo:0123_missing.txt"
    with pytest.raises(FileNotFoundError, match="'nemo:0123_missing.txt' is neither .* archive member in .*a.nemo"):
        mt.VocabModel.restore_from(tmp_path / "a.nemo", override_config_path=conf)


def test_a_deep_copy_cleans_up_its_own_extraction(vocab, tmp_path):
    mt.VocabModel(_cfg(vocab)).save_to(tmp_path / "a.nemo")
    restored = mt.VocabModel.restore_from(tmp_path / "a.nemo")
    clone = copy.deepcopy(restored)
    shutil.rmtree(Path(clone.artifacts["tokenizer.vocab_file"].path).parent)
    clone.save_to(tmp_path / "b.nemo")  # the clone's store extracts into its own folder
    folder = clone._artifact_store._directory
    assert folder is not None and folder.is_dir()
    del clone
    gc.collect()
    assert not folder.exists()
