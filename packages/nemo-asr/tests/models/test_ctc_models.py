import gc
import os

import numpy as np
import onnx
import onnxruntime
import pytest
import pytorch_lightning as pl
import torch
from asr_model_checks import change_vocabulary_keeping_the_encoder, saved_and_restored
from asr_models_testing import LABELS, TEXTS, ctc_config, data_config, manifest_paths, write_corpus

from nemo.collections.asr.models import ASRModel, EncDecCTCModel
from nemo.collections.asr.parts.rnnt_utils import Hypothesis
from nemo.collections.common.data.audio import AudioReadError
from nemo.core.testing import quiet_cpu_trainer, reference_error_rate, run_if


def _trainer(tmp_path, **kwargs):
    return quiet_cpu_trainer(**{"max_steps": 12, "default_root_dir": str(tmp_path), **kwargs})


def _greedy_texts(predictions, lengths):
    """Greedy CTC decoding written out here (merge repeats, then drop blanks), to check the model's own against."""
    blank, texts = len(LABELS), []
    for row, length in zip(predictions.tolist(), lengths.tolist()):
        ids = [p for i, p in enumerate(row[:length]) if p != blank and (i == 0 or p != row[i - 1])]
        texts.append("".join(LABELS[p] for p in ids))
    return texts


@pytest.fixture
def model():
    torch.manual_seed(0)
    return EncDecCTCModel(cfg=ctc_config())


def test_builds_from_config_and_fills_decoder_feat_in(model):
    assert model.cfg.decoder.feat_in == 32
    assert model.decoder.vocabulary == LABELS
    assert model.loss._blank == len(LABELS)
    assert model.cfg.target == "nemo.collections.asr.models.ctc_models.EncDecCTCModel"
    assert isinstance(model, ASRModel)


def test_forward_with_raw_or_processed_signal_agrees(model):
    model.eval()
    signal, lengths = torch.randn(2, 8000), torch.tensor([8000, 6000])
    log_probs, encoded_len, greedy = model(input_signal=signal, input_signal_length=lengths)
    assert log_probs.shape[0] == 2 and log_probs.shape[2] == len(LABELS) + 1
    assert torch.equal(greedy, log_probs.argmax(-1))
    assert encoded_len.tolist() == [25, 19]  # 50 and 37 feature frames (len // hop, as NeMo >= 2.5), stride 2
    processed, processed_len = model.preprocessor(input_signal=signal, length=lengths)
    log_probs2, encoded_len2, _ = model(processed_signal=processed, processed_signal_length=processed_len)
    torch.testing.assert_close(log_probs, log_probs2)
    assert torch.equal(encoded_len, encoded_len2)


def test_forward_needs_exactly_one_input_pair(model):
    signal, lengths = torch.randn(1, 4000), torch.tensor([4000])
    with pytest.raises(ValueError, match="exactly one"):
        model()
    processed, processed_len = model.preprocessor(input_signal=signal, length=lengths)
    with pytest.raises(ValueError, match="exactly one"):
        model(
            input_signal=signal,
            input_signal_length=lengths,
            processed_signal=processed,
            processed_signal_length=processed_len,
        )


def test_fit_lowers_loss_and_logs_wer_for_every_validation_set(tmp_path, text_corpus, monkeypatch):
    torch.manual_seed(0)
    other = write_corpus(tmp_path / "other", [{"text": t} for t in TEXTS[:2]], name="other.json")
    cfg = ctc_config(train_manifest=text_corpus)
    cfg["validation_ds"] = data_config([str(text_corpus), str(other)])
    trainer = _trainer(tmp_path, max_steps=-1, max_epochs=3, check_val_every_n_epoch=3)
    model = EncDecCTCModel(cfg=cfg, trainer=trainer)
    assert isinstance(model._validation_dl, list) and len(model._validation_dl) == 2
    losses, wers, batches = [], [], []
    batch_wer = model._batch_wer

    def spy(predictions, encoded_len, transcript, transcript_len):
        batches.append((predictions.clone(), encoded_len.clone(), transcript.clone(), transcript_len.clone()))
        return batch_wer(predictions, encoded_len, transcript, transcript_len)

    monkeypatch.setattr(model, "_batch_wer", spy)

    class Record(pl.Callback):
        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            losses.append(float(outputs["loss"]))
            predictions, encoded_len, transcript, transcript_len = batches[-1]
            references = ["".join(LABELS[t] for t in row[:n]) for row, n in zip(transcript.tolist(), transcript_len)]
            expected = reference_error_rate(_greedy_texts(predictions, encoded_len), references)
            wers.append((float(outputs["log"]["training_batch_wer"]), expected))

    trainer.callbacks.append(Record())
    trainer.fit(model)
    assert len(losses) == 9
    assert np.mean(losses[-3:]) < 0.7 * np.mean(losses[:3])
    assert len(wers) == 9 and all(logged == pytest.approx(expected) for logged, expected in wers), wers
    metrics = trainer.callback_metrics
    assert "val_loss" in metrics and "val_wer" in metrics
    assert any(key.endswith("val_wer") and key != "val_wer" for key in metrics)


def test_validation_epoch_end_aggregates_corpus_wer(model):
    outputs = [
        {"val_loss": torch.tensor(2.0), "val_wer_num": torch.tensor(1.0), "val_wer_denom": torch.tensor(4.0)},
        {"val_loss": torch.tensor(4.0), "val_wer_num": torch.tensor(3.0), "val_wer_denom": torch.tensor(4.0)},
    ]
    result = model.multi_validation_epoch_end(outputs)
    assert float(result["val_loss"]) == 3.0
    assert float(result["log"]["val_wer"]) == 0.5
    test = model.multi_test_epoch_end([{k.replace("val", "test"): v for k, v in o.items()} for o in outputs])
    assert float(test["log"]["test_wer"]) == 0.5


def test_training_step_logs_batch_wer_every_n_steps(tmp_path, model, text_corpus):
    model.setup_training_data(data_config(text_corpus))
    model.set_trainer(_trainer(tmp_path, log_every_n_steps=2))
    batch = next(iter(model._train_dl))
    assert "training_batch_wer" not in model.training_step(batch, 0)["log"]
    out = model.training_step(batch, 1)
    assert {"train_loss", "training_batch_wer"} <= set(out["log"])
    assert out["loss"].requires_grad
    # the metric is reset after each step, so batch WERs do not accumulate across steps
    assert int(model._wer.words) == 0


def test_transcribe_returns_texts_logprobs_and_hypotheses(model, text_corpus):
    files = manifest_paths(text_corpus)
    texts = model.transcribe(files, batch_size=4)
    assert len(texts) == len(files) and all(isinstance(t, str) for t in texts)
    assert set("".join(texts)) <= set(LABELS)
    logprobs = model.transcribe(files[:3], batch_size=2, logprobs=True)
    assert [lp.shape[1] for lp in logprobs] == [len(LABELS) + 1] * 3
    assert all(isinstance(lp, np.ndarray) for lp in logprobs)
    hyps = model.transcribe(files, batch_size=4, return_hypotheses=True)
    assert all(isinstance(h, Hypothesis) for h in hyps)
    assert hyps[0].y_sequence.shape[1] == len(LABELS) + 1
    assert [h.text for h in hyps] == texts  # same batching, same greedy decode
    assert model.transcribe([]) == {}
    with pytest.raises(ValueError, match="return_hypotheses"):
        model.transcribe(files, logprobs=True, return_hypotheses=True)
    with pytest.raises(FileNotFoundError, match="nope.wav"):
        model.transcribe(["nope.wav"])


def test_transcribe_batches_longest_first_and_answers_in_input_order(model, text_corpus, monkeypatch):
    files = manifest_paths(text_corpus)  # 0.4, 0.5, 0.6, 0.4, 0.5, 0.6 s
    alone = [model.transcribe([path], batch_size=1, logprobs=True)[0] for path in files]
    batches, forward = [], model.forward

    def recording_forward(**kwargs):
        batches.append(kwargs["input_signal_length"].tolist())
        return forward(**kwargs)

    monkeypatch.setattr(model, "forward", recording_forward)
    batched = model.transcribe(files, batch_size=2, logprobs=True)
    assert [len(set(lengths)) for lengths in batches] == [1, 1, 1]  # files of one length per batch
    assert batches[0][0] > batches[1][0] > batches[2][0]  # longest first
    assert [lp.shape for lp in batched] == [lp.shape for lp in alone]
    for got, expected in zip(batched, alone):
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)


def test_transcribe_names_an_unreadable_file_and_the_reason_not_a_temporary_manifest(model, tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF----WAVEjunk")
    with pytest.raises(
        AudioReadError, match=r"^cannot read audio file '.*bad.wav': not a readable audio file \("
    ) as err:
        model.transcribe([str(bad)])
    assert "manifest" not in str(err.value)


def test_transcribe_restores_state(model, text_corpus):
    files = manifest_paths(text_corpus)
    model.train()
    model.encoder.encoder[0].eval()  # a submodule left in eval mode on purpose stays so
    model.decoder.decoder_layers[0].weight.requires_grad_(False)
    dither, pad_to = model.preprocessor.featurizer.dither, model.preprocessor.featurizer.pad_to
    model.transcribe(files[:2])
    assert model.training and not model.encoder.encoder[0].training and model.encoder.encoder[1].training
    assert model.preprocessor.featurizer.dither == dither and model.preprocessor.featurizer.pad_to == pad_to
    assert not model.decoder.decoder_layers[0].weight.requires_grad
    assert all(p.requires_grad for p in model.encoder.parameters())
    assert model.cfg.get("test_ds") is None and model._test_dl is None


def test_transcribe_is_deterministic_and_memory_stays_flat(model, text_corpus):
    files = manifest_paths(text_corpus)
    first = model.transcribe(files, batch_size=3)

    def live_tensors():
        gc.collect()
        return sum(1 for obj in gc.get_objects() if issubclass(type(obj), torch.Tensor))

    model.transcribe(files, batch_size=3)
    before = live_tensors()
    for _ in range(3):
        assert model.transcribe(files, batch_size=3) == first
    assert live_tensors() <= before
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())


def test_save_restore_gives_identical_transcriptions(tmp_path, model, text_corpus):
    saved_and_restored(model, manifest_paths(text_corpus), tmp_path / "model.nemo")


def test_change_vocabulary_replaces_decoder_loss_and_metric(model, text_corpus):
    model.setup_training_data(data_config(text_corpus))
    new = ["a", "b", "c", " "]
    change_vocabulary_keeping_the_encoder(model, new, "decoder")
    assert model.decoder.vocabulary == new and model.decoder.num_classes_with_blank == 5
    assert model.loss._blank == 4 and model._wer.blank_id == 4
    assert list(model.cfg.decoder.vocabulary) == new and model.cfg.decoder.num_classes == 4
    assert list(model.cfg.labels) == new and list(model.cfg.train_ds.labels) == new
    log_probs, _, _ = model(input_signal=torch.randn(1, 4000), input_signal_length=torch.tensor([4000]))
    assert log_probs.shape[-1] == 5


def test_export_to_onnx_matches_torch(tmp_path, model):
    path = str(tmp_path / "qn.onnx")
    model.export(path)
    graph = onnx.load(path)
    assert [i.name for i in graph.graph.input] == ["audio_signal"]
    assert [o.name for o in graph.graph.output] == ["logprobs"]
    features = torch.randn(2, 16, 64)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    (onnx_out,) = session.run(None, {"audio_signal": features.numpy()})
    model.eval()
    with torch.no_grad():
        expected = model.forward_for_export(features)
    np.testing.assert_allclose(onnx_out, expected.numpy(), rtol=1e-3, atol=1e-4)


def test_data_setup_keeps_configs_and_skips_missing_manifests(model, text_corpus):
    model.setup_validation_data(data_config(text_corpus))
    assert model._validation_dl is not None and model.cfg.validation_ds.shuffle is False
    model.setup_test_data(data_config(None))
    assert model._test_dl is None
    with pytest.raises(ValueError, match="is_tarred"):
        model.setup_training_data({**data_config(text_corpus), "is_tarred": True})


def test_list_available_models_lists_ngc_checkpoints():
    models = {m.pretrained_model_name: m for m in EncDecCTCModel.list_available_models()}
    assert {"QuartzNet15x5Base-En", "stt_en_quartznet15x5", "stt_en_jasper10x5dr", "stt_zh_citrinet_512"} <= set(models)
    assert models["stt_en_quartznet15x5"].location == (
        "https://api.ngc.nvidia.com/v2/models/nvidia/nemo/stt_en_quartznet15x5/versions/1.0.0rc1/files/"
        "stt_en_quartznet15x5.nemo"
    )
    assert models["QuartzNet15x5Base-En"].location.endswith(
        "nemospeechmodels/versions/1.0.0a5/files/QuartzNet15x5Base-En.nemo"
    )
    assert models["asr_talknet_aligner"].location.endswith("/qn5x5_libri_tts_phonemes.nemo")
    everything = {m.pretrained_model_name: m for m in ASRModel.list_available_models()}
    assert everything["stt_en_quartznet15x5"].class_ is EncDecCTCModel
    assert everything["stt_en_citrinet_512"].class_.__name__ == "EncDecCTCModelBPE"
    assert everything["commandrecognition_en_matchboxnet3x1x64_v1"].class_.__name__ == "EncDecClassificationModel"


def test_from_pretrained_restores_a_cached_checkpoint(tmp_path, model, monkeypatch):
    path = tmp_path / "stt_en_quartznet15x5.nemo"
    model.save_to(str(path))
    import nemo.core.classes.model as model_module

    seen = []
    monkeypatch.setattr(model_module, "resolve_location", lambda location, **kw: seen.append(location) or path)
    restored = EncDecCTCModel.from_pretrained("stt_en_quartznet15x5")
    assert seen and seen[0].endswith("stt_en_quartznet15x5.nemo")
    assert isinstance(restored, EncDecCTCModel)
    assert os.path.isfile(path)


@pytest.mark.gpu
@run_if(min_cuda_gpus=1)
def test_transcribe_on_gpu_matches_cpu(model, text_corpus):
    files = manifest_paths(text_corpus)
    expected = model.transcribe(files, batch_size=6, logprobs=True)
    model.cuda()
    on_gpu = model.transcribe(files, batch_size=6, logprobs=True)
    assert next(model.parameters()).is_cuda
    for cpu, gpu in zip(expected, on_gpu):
        np.testing.assert_allclose(cpu, gpu, atol=1e-3)


def test_transcribe_works_with_a_vocabulary_without_the_placeholder_letters(tmp_path):
    cfg = ctc_config()
    labels = [" ", "a", "b"]
    cfg["labels"] = labels
    cfg["decoder"].update(num_classes=len(labels), vocabulary=labels)
    model = EncDecCTCModel(cfg=cfg)
    paths = manifest_paths(write_corpus(tmp_path, [{"text": "ab"}, {"text": "ba"}]))
    assert len(model.transcribe(paths, batch_size=2)) == 2


def test_restored_model_exports_to_torchscript_without_a_trainer(tmp_path, model):
    model.save_to(str(tmp_path / "qn.nemo"))
    restored = EncDecCTCModel.restore_from(str(tmp_path / "qn.nemo"), map_location="cpu")
    assert restored._trainer is None
    path = str(tmp_path / "qn.ts")
    restored.export(path)  # used to fail: "EncDecCTCModel is not attached to a `Trainer`"
    features = torch.randn(2, 16, 64)
    restored.eval()
    with torch.no_grad():
        expected = restored.forward_for_export(features)
        torch.testing.assert_close(torch.jit.load(path)(features), expected)
