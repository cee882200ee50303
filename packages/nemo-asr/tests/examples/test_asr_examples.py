"""examples/asr/speech_to_text.py and transcribe_speech.py run end to end on a tiny model and corpus."""

import json
from pathlib import Path

import pytest
from asr_models_testing import TEXTS, tiny_encoder, write_corpus
from omegaconf import OmegaConf

from nemo.core.testing import examples_dir, load_script, reference_error_rate

EXAMPLES = examples_dir("asr")


def _load(name):
    return load_script(EXAMPLES / f"{name}.py")


def test_train_then_transcribe_with_the_example_scripts(tmp_path, corpus, monkeypatch, quiet_cfg):
    monkeypatch.chdir(tmp_path)
    cfg = quiet_cfg(OmegaConf.load(EXAMPLES / "conf" / "config.yaml"), corpus)
    cfg.model.encoder = OmegaConf.merge(cfg.model.encoder, tiny_encoder(feat_in=64))
    cfg.model.decoder.feat_in = 32
    model = _load("speech_to_text").main(cfg)
    assert "test_wer" in model.trainer.callback_metrics  # the test split ran on its own single-device trainer
    nemo_files = sorted((tmp_path / "exp").rglob("*.nemo"))
    assert nemo_files, "exp_manager should save the final .nemo"

    transcribe = _load("transcribe_speech")
    output = tmp_path / "predictions.json"
    options = transcribe.TranscriptionConfig(
        model_path=str(nemo_files[0]), dataset_manifest=str(corpus["test"]), output_filename=str(output), batch_size=2
    )
    wer = transcribe.main(OmegaConf.structured(options))
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    assert [line["text"] for line in lines] == TEXTS[:3] and all("pred_text" in line for line in lines)
    assert wer == pytest.approx(reference_error_rate([line["pred_text"] for line in lines], TEXTS[:3]))

    options = transcribe.TranscriptionConfig(model_path=str(nemo_files[0]), audio_dir=str(tmp_path / "corpus"))
    assert transcribe.main(OmegaConf.structured(options)) is None  # no references, no WER
    assert len((tmp_path / f"{nemo_files[0].stem}_transcriptions.json").read_text().splitlines()) == 11
    with pytest.raises(ValueError, match="exactly one"):
        transcribe.main(OmegaConf.structured(transcribe.TranscriptionConfig(model_path="x.nemo")))


def test_the_shipped_config_names_a_manifest_never_set_and_refuses_an_empty_one(tmp_path):
    """conf/config.yaml's `???` manifests name their key (they were once reported as None); an empty training
    manifest is refused when its dataset is built (not by a TypeError in the LR scheduler once `fit` runs)."""
    from nemo.collections.asr.models import EncDecCTCModel

    cfg = OmegaConf.load(EXAMPLES / "conf" / "config.yaml")
    cfg.model.encoder = OmegaConf.merge(cfg.model.encoder, tiny_encoder(feat_in=64))
    cfg.model.decoder.feat_in = 32
    with pytest.raises(ValueError, match=r"train_ds.manifest_filepath is '\?\?\?' \(mandatory\) and was never set"):
        EncDecCTCModel(cfg=cfg.model)
    empty = tmp_path / "train.json"
    empty.write_text("")
    cfg.model.train_ds.manifest_filepath = str(empty)
    with pytest.raises(ValueError, match=rf"ASR manifest {empty}: no lines \(the manifest is empty\)"):
        EncDecCTCModel(cfg=cfg.model)


def test_bpe_example_trains_and_packs_the_tokenizer(tmp_path, corpus, monkeypatch, quiet_cfg):
    from nemo.collections.asr.models import EncDecCTCModelBPE

    monkeypatch.chdir(tmp_path)
    tokenizer_dir = _load("process_asr_text_tokenizer").main(
        [f"--manifest={corpus['train']}", f"--data_root={tmp_path / 'tokenizers'}", "--vocab_size=24"]
    )
    assert tokenizer_dir == str(tmp_path / "tokenizers" / "tokenizer_spe_bpe_v24")
    manifests = {split: corpus[split] for split in ("train", "validation")}
    cfg = quiet_cfg(OmegaConf.load(EXAMPLES / "conf" / "config_bpe.yaml"), manifests)
    cfg.model.tokenizer.dir = tokenizer_dir
    cfg.model.encoder = OmegaConf.merge(cfg.model.encoder, tiny_encoder(feat_in=64))
    cfg.model.decoder.feat_in = 32
    model = _load("speech_to_text_bpe").main(cfg)
    assert model.decoder.num_classes_with_blank == 25
    (nemo_file,) = (tmp_path / "exp").rglob("*.nemo")
    restored = EncDecCTCModelBPE.restore_from(str(nemo_file))
    assert restored.tokenizer.vocab == model.tokenizer.vocab


def test_tokenizer_script_writes_a_wordpiece_vocabulary(tmp_path, corpus):
    from nemo.collections.common.tokenizers.bert_wordpiece_tokenizer import BertWordPieceTokenizer

    folder = Path(
        _load("process_asr_text_tokenizer").main(
            [
                f"--manifest={corpus['train']},{corpus['validation']}",
                f"--data_root={tmp_path}",
                "--vocab_size=30",
                "--tokenizer=wpe",
            ]
        )
    )
    assert sorted(p.name for p in folder.iterdir()) == ["vocab.txt"]
    corpus_lines = (tmp_path / "text_corpus" / "document.txt").read_text().splitlines()
    assert len(corpus_lines) == sum(1 for _ in open(corpus["train"])) + sum(1 for _ in open(corpus["validation"]))
    tokenizer = BertWordPieceTokenizer(str(folder / "vocab.txt"))
    assert tokenizer.ids_to_text(tokenizer.text_to_ids(corpus_lines[0])) == corpus_lines[0]


def test_tokenizer_script_names_a_bad_manifest_line(tmp_path):
    manifest = tmp_path / "bad.json"
    manifest.write_text('{"audio_filepath": "a.wav", "duration": 1.0, "text": "fine"}\n{"text": "no audio"}\n')
    with pytest.raises(ValueError, match=r"bad.json:2: missing key 'audio_filepath': expected a non-empty string path"):
        _load("process_asr_text_tokenizer").main([f"--manifest={manifest}", f"--data_root={tmp_path}"])


def _shrink(blocks: int) -> list:
    """Overrides giving every encoder block 16 channels: the config's layout, at test size."""
    return [f"model.encoder.jasper.{i}.filters=16" for i in range(blocks)] + ["model.decoder.feat_in=16"]


@pytest.mark.parametrize(
    "family, name, blocks",
    [("quartznet", "quartznet_15x5", 18), ("jasper", "jasper_10x5dr", 13)],  # 18.9M and 333M parameters at full size
)
def test_seed_command_lines_train_one_step(tmp_path, corpus, run_cli, capfd, family, name, blocks):
    from nemo.collections.asr.models import EncDecCTCModel

    overrides = [f"--config-path=conf/{family}", f"--config-name={name}"]
    overrides += [f"model.train_ds.manifest_filepath={corpus['train']}"]
    overrides += [f"model.validation_ds.manifest_filepath={corpus['validation']}"]
    calls = run_cli("speech_to_text", EncDecCTCModel, *overrides, *_shrink(blocks))
    assert calls == {"training_step": 1, "validation_step": 1}
    assert f"name: {'QuartzNet15x5' if family == 'quartznet' else 'Jasper10x5'}" in capfd.readouterr().out
    assert not (tmp_path / "exp").exists()  # exp_manager does nothing under fast_dev_run, as in NeMo


def test_matchboxnet_command_line_trains_one_step(tmp_path, run_cli, capfd):
    from nemo.collections.asr.models import EncDecClassificationModel

    manifests = {
        split: write_corpus(tmp_path / "commands", [{"label": w} for w in words], name=f"{split}.json")
        for split, words in (("train", ["yes", "no", "up", "down"]), ("validation", ["yes", "no"]))
    }
    overrides = ["--config-path=conf/matchboxnet", "--config-name=matchboxnet_3x1x64_v1"]
    overrides += [f"model.{s}_ds.manifest_filepath={manifests[s if s == 'train' else 'validation']}"
                  for s in ("train", "validation")]  # fmt: skip
    calls = run_cli("speech_to_label", EncDecClassificationModel, *overrides)
    assert calls == {"training_step": 1, "validation_step": 1}
    assert "name: MatchboxNet-3x1x64-v1" in capfd.readouterr().out


def test_speech_to_label_trains_on_the_generated_commands(tmp_path, monkeypatch, quiet_cfg):
    """The `--commands` corpus (eSpeak NG) trains MatchboxNet through speech_to_label.py; labels from the CLI."""
    pytest.importorskip("espeakng_loader")
    pytest.importorskip("wordfreq")
    corpus = _load("make_speech_corpus")
    manifests = corpus.make_commands_corpus(str(tmp_path / "commands"), 20, 10, 10, seed=0)
    cfg = quiet_cfg(OmegaConf.load(EXAMPLES / "conf" / "matchboxnet" / "matchboxnet_3x1x64_v1.yaml"), epochs=2)
    cfg.model.labels = list(corpus.COMMANDS)
    for split in ("train", "validation", "test"):
        cfg.model[f"{split}_ds"].manifest_filepath = manifests[split]
        cfg.model[f"{split}_ds"].num_workers = 0
        cfg.model[f"{split}_ds"].batch_size = 10
    cfg.trainer.accelerator = "cpu"
    monkeypatch.chdir(tmp_path)
    model = _load("speech_to_label").main(cfg)
    assert list(model.cfg.train_ds.labels) == list(corpus.COMMANDS)  # the data configs follow model.labels
    assert "test_loss" in model.trainer.callback_metrics
    (nemo_file,) = (tmp_path / "exp").rglob("*.nemo")
    from nemo.collections.asr.models import EncDecClassificationModel

    restored = EncDecClassificationModel.restore_from(str(nemo_file))
    wavs = sorted(str(p) for p in (tmp_path / "commands" / "wavs").glob("test_*.wav"))
    assert set(restored.transcribe(wavs, batch_size=4)) <= set(corpus.COMMANDS)


def test_ngram_lm_script_and_lm_decoding_in_transcribe_speech(tmp_path, corpus, monkeypatch, capsys):
    """train_ngram_lm.py writes an ARPA LM from manifests; transcribe_speech.py decodes a tiny model with it."""
    import torch
    from asr_models_testing import ctc_config

    from nemo.collections.asr.models import EncDecCTCModel
    from nemo.collections.asr.parts.ngram_lm import NGramLanguageModel

    monkeypatch.chdir(tmp_path)
    train_lm = _load("train_ngram_lm")
    lm_path = train_lm.main([f"--manifest={corpus['train']},{corpus['validation']}", f"--out={tmp_path / 'lm.arpa'}"])
    printed = capsys.readouterr().out
    assert lm_path == str(tmp_path / "lm.arpa") and "Vocabulary: 9 words" in printed and lm_path in printed
    bad = tmp_path / "bad.json"
    bad.write_text('{"audio_filepath": "a.wav", "duration": 1, "text": "fine"}\n\n{"audio_filepath": "b.wav"}\n')
    with pytest.raises(ValueError, match=r"bad.json:3: missing transcript: expected one of 'text'"):
        train_lm.main([f"--manifest={bad}", f"--out={tmp_path / 'bad.arpa'}"])
    assert not (tmp_path / "bad.arpa").exists()
    (tmp_path / "sentences.txt").write_text("Hello World\n\nhello there\n", encoding="utf-8")
    unigram = train_lm.main(
        [f"--data_file={tmp_path / 'sentences.txt'}", "--order=1", "--lower_case", "--out=uni.arpa"]
    )
    assert NGramLanguageModel.from_arpa(unigram).vocabulary == {"hello", "world", "there", "<unk>"}

    torch.manual_seed(0)
    model_path = tmp_path / "tiny.nemo"
    EncDecCTCModel(cfg=ctc_config()).save_to(str(model_path))
    transcribe = _load("transcribe_speech")
    output = tmp_path / "lm_predictions.json"
    options = transcribe.TranscriptionConfig(
        model_path=str(model_path),
        dataset_manifest=str(corpus["test"]),
        output_filename=str(output),
        batch_size=2,
        lm_path=lm_path,
        beam_width=8,
        alpha=2.0,
        beta=1.0,
        show_examples=1,
    )
    wer = transcribe.main(OmegaConf.structured(options))
    printed = capsys.readouterr().out
    assert "WER on 3 utterances:" in printed and "WER with the LM on 3 utterances:" in printed
    assert "  with LM:    " in printed
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    words = set(" ".join(TEXTS[:6]).split())
    assert [line["text"] for line in lines] == TEXTS[:3]
    assert all(set(line["pred_text"].split()) <= words and "pred_text_greedy" in line for line in lines)
    # the returned WER is the LM-decoded pred_text's
    assert wer == pytest.approx(reference_error_rate([line["pred_text"] for line in lines], TEXTS[:3]))
    assert all(line["pred_text"].strip() for line in lines)  # an untrained model: only the LM makes these words
    assert all(set(line["pred_text_greedy"].split()) - words for line in lines)
    with pytest.raises(ValueError, match="LM decoding needs a character CTC model"):
        transcribe.transcribe_with_lm(object(), [], options)
