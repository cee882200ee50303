"""EncDecRNNTModel: building from NeMo's config, Lightning steps with the RNN-T loss and WER, transcription with each
decoding strategy, save/restore (in this process and a fresh one), change_vocabulary and export."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from asr_model_checks import change_vocabulary_keeping_the_encoder, saved_and_restored
from asr_models_testing import LABELS, data_config, manifest_paths, write_corpus
from rnnt_testing import JOINT_HIDDEN, PRED_HIDDEN, rnnt_config, with_decoding

from nemo.collections.asr.losses.rnnt import rnnt_loss
from nemo.collections.asr.models import ASRModel, EncDecRNNTModel
from nemo.collections.asr.parts.rnnt_utils import Hypothesis
from nemo.collections.asr.parts.submodules.rnnt_beam_decoding import BeamRNNTInfer
from nemo.core.testing import quiet_cpu_trainer, reference_error_rate, run_if


def _trainer(tmp_path, **kwargs):
    return quiet_cpu_trainer(**{"max_steps": 6, "default_root_dir": str(tmp_path), **kwargs})


@pytest.fixture
def model():
    torch.manual_seed(0)
    return EncDecRNNTModel(cfg=rnnt_config())


def _batch(model, corpus):
    model.setup_training_data(data_config(corpus, batch_size=3))
    return next(iter(model._train_dl))


def test_builds_from_config_and_fills_the_transducer_sizes(model):
    cfg = model.cfg
    assert cfg.decoder.vocab_size == len(LABELS) and cfg.joint.num_classes == len(LABELS)
    assert list(cfg.joint.vocabulary) == LABELS and model.joint.vocabulary == LABELS
    assert cfg.joint.jointnet.encoder_hidden == 32 and cfg.joint.jointnet.pred_hidden == PRED_HIDDEN
    assert model.loss._blank == len(LABELS) and model.decoding.blank_id == len(LABELS)
    assert cfg.decoding.strategy == "greedy_batch" and cfg.decoding.greedy.max_symbols == 10
    assert cfg.target == "nemo.collections.asr.models.rnnt_models.EncDecRNNTModel" and isinstance(model, ASRModel)
    prefixes = {key.split(".")[0] for key in model.state_dict()}
    assert prefixes == {"preprocessor", "encoder", "decoder", "joint"}  # decoding and WER hold no weights
    assert model.state_dict()["joint.joint_net.1.weight"].shape == (len(LABELS) + 1, JOINT_HIDDEN)


def test_model_defaults_are_optional():
    cfg = rnnt_config()
    del cfg["model_defaults"]
    model = EncDecRNNTModel(cfg=cfg)
    assert model.cfg.joint.jointnet.encoder_hidden == 32  # the encoder's output width
    assert model.cfg.joint.jointnet.pred_hidden == PRED_HIDDEN  # the prediction network's
    cfg.pop("labels")
    with pytest.raises(ValueError, match="labels"):
        EncDecRNNTModel(cfg=cfg)


def test_forward_gives_encoder_outputs_and_the_loss_is_the_rnnt_loss(model, text_corpus):
    signal, signal_len, transcript, transcript_len = _batch(model, text_corpus)
    model.eval()
    encoded, encoded_len = model(input_signal=signal, input_signal_length=signal_len)
    assert encoded.shape[:2] == (3, 32) and encoded_len.max() <= encoded.shape[2]
    with torch.no_grad():
        loss = model._transducer_loss(encoded, encoded_len, transcript, transcript_len)
        g, _ = model.decoder.predict(transcript, add_sos=True)
        logits = model.joint.joint(encoded.transpose(1, 2), g)
    expected = rnnt_loss(logits, transcript, encoded_len, transcript_len, blank=len(LABELS)).mean()
    torch.testing.assert_close(loss, expected)


def test_training_step_logs_batch_wer_every_n_steps(tmp_path, model, text_corpus):
    batch = _batch(model, text_corpus)
    model.set_trainer(_trainer(tmp_path, log_every_n_steps=2))
    assert "training_batch_wer" not in model.training_step(batch, 0)["log"]
    out = model.training_step(batch, 1)
    assert {"train_loss", "training_batch_wer"} <= set(out["log"]) and out["loss"].requires_grad
    assert 0.0 <= float(out["log"]["training_batch_wer"]) and int(model.wer.words) == 0  # reset after each step
    assert model.training and model.decoder.training  # decoding for the WER gave the train mode back


def test_validation_outputs_and_epoch_end(model, text_corpus):
    batch = _batch(model, text_corpus)
    model.eval()
    out = model.validation_step(batch, 0)
    assert {"val_loss", "val_wer_num", "val_wer_denom", "val_wer"} <= set(out)
    hypotheses, _ = model.decoding.rnnt_decoder_predictions_tensor(
        *model(input_signal=batch[0], input_signal_length=batch[1])
    )
    references = ["".join(LABELS[t] for t in row[:n]) for row, n in zip(batch[2].tolist(), batch[3].tolist())]
    assert float(out["val_wer"]) == pytest.approx(reference_error_rate(hypotheses, references))
    summary = model.multi_validation_epoch_end([out, out])
    assert float(summary["log"]["val_wer"]) == pytest.approx(float(out["val_wer"]))
    model.compute_eval_loss = False
    test_out = model.test_step(batch, 0)
    assert "test_loss" not in test_out
    assert set(model.multi_test_epoch_end([test_out])["log"]) == {"test_wer"}


def test_fit_lowers_loss_and_logs_validation_wer(tmp_path, text_corpus):
    torch.manual_seed(0)
    cfg = rnnt_config(train_manifest=text_corpus, val_manifest=text_corpus, spec_augment=True)
    trainer = _trainer(tmp_path, max_steps=-1, max_epochs=4, check_val_every_n_epoch=4)
    model = EncDecRNNTModel(cfg=cfg, trainer=trainer)
    losses = []
    trainer.callbacks.append(_LossRecorder(losses))
    trainer.fit(model)
    assert len(losses) == 12 and np.mean(losses[-3:]) < 0.8 * np.mean(losses[:3])
    assert {"val_loss", "val_wer"} <= set(trainer.callback_metrics)


class _LossRecorder(pl.Callback):
    def __init__(self, losses):
        self.losses = losses

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        self.losses.append(float(outputs["loss"]))


@pytest.mark.parametrize("strategy,beam_size", [("greedy", None), ("greedy_batch", None), ("beam", 1), ("beam", 3)])
def test_transcribe_returns_one_text_per_file_with_every_strategy(text_corpus, strategy, beam_size):
    torch.manual_seed(0)
    model = EncDecRNNTModel(cfg=with_decoding(rnnt_config(), strategy, beam_size))
    files = manifest_paths(text_corpus)
    texts = model.transcribe(files, batch_size=4)
    assert len(texts) == len(files) and all(isinstance(t, str) for t in texts)
    assert set("".join(texts)) <= set(LABELS)
    hyps = model.transcribe(files, batch_size=2, return_hypotheses=True)
    assert all(isinstance(h, Hypothesis) for h in hyps) and [h.text for h in hyps] == texts
    assert all(len(h.timestep) == len(h.y_sequence) for h in hyps)
    assert model.transcribe([]) == {}
    with pytest.raises(FileNotFoundError, match="nope.wav"):
        model.transcribe(["nope.wav"])


def test_greedy_strategies_agree_and_transcribe_restores_state(model, text_corpus):
    files = manifest_paths(text_corpus)
    batched = model.transcribe(files, batch_size=3)
    model.change_decoding_strategy(with_decoding(rnnt_config(), "greedy")["decoding"], verbose=False)
    assert model.cfg.decoding.strategy == "greedy"
    model.train()
    model.joint.enc.eval()
    dither = model.preprocessor.featurizer.dither
    assert model.transcribe(files, batch_size=1) == batched
    assert model.training and model.decoder.training and not model.joint.enc.training
    assert model.preprocessor.featurizer.dither == dither
    assert all(p.requires_grad for p in model.parameters())


def test_change_decoding_strategy_to_beam_search(model, text_corpus):
    model.change_decoding_strategy({"strategy": "beam", "beam": {"beam_size": 4, "return_best_hypothesis": False}})
    assert isinstance(model.decoding.decoding, BeamRNNTInfer) and model.wer.decoding is model.decoding
    assert model.cfg.decoding.beam.beam_size == 4
    texts = model.transcribe(manifest_paths(text_corpus)[:2])  # still the best text per file
    assert len(texts) == 2 and all(isinstance(t, str) for t in texts)


def test_save_restore_gives_identical_transcriptions(tmp_path, model, text_corpus):
    restored = saved_and_restored(model, manifest_paths(text_corpus), tmp_path / "rnnt.nemo")
    for key, value in model.state_dict().items():
        assert torch.equal(restored.state_dict()[key], value), key


@pytest.mark.slow(reason="a fresh interpreter imports torch, Lightning and the ASR collection")
def test_restore_in_a_fresh_process_gives_identical_outputs(tmp_path, model, text_corpus):
    files = manifest_paths(text_corpus)
    path = tmp_path / "rnnt.nemo"
    model.save_to(str(path))
    model.eval()
    signal = torch.randn(2, 8000, generator=torch.Generator().manual_seed(4))
    lengths = torch.tensor([8000, 6000])
    with torch.no_grad():
        encoded, encoded_len = model(input_signal=signal, input_signal_length=lengths)
        g, _ = model.decoder.predict(torch.tensor([[1, 2, 3], [4, 5, 6]]), add_sos=True)
        scores = model.joint.joint(encoded.transpose(1, 2), g)
    torch.save({"signal": signal, "lengths": lengths}, tmp_path / "inputs.pt")
    script = textwrap.dedent(
        f"""
        import json, torch
        from nemo.collections.asr.models import ASRModel
        model = ASRModel.restore_from({str(path)!r}, map_location="cpu")
        model.eval()
        inputs = torch.load({str(tmp_path / "inputs.pt")!r}, weights_only=True)
        with torch.no_grad():
            encoded, encoded_len = model(input_signal=inputs["signal"], input_signal_length=inputs["lengths"])
            g, _ = model.decoder.predict(torch.tensor([[1, 2, 3], [4, 5, 6]]), add_sos=True)
            scores = model.joint.joint(encoded.transpose(1, 2), g)
        torch.save({{"encoded": encoded.clone(), "scores": scores.clone()}}, {str(tmp_path / "outputs.pt")!r})
        texts = model.transcribe({files!r}, verbose=False)
        open({str(tmp_path / "texts.json")!r}, "w").write(json.dumps([type(model).__name__, texts]))
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, timeout=300)
    outputs = torch.load(tmp_path / "outputs.pt", weights_only=True)
    assert torch.equal(outputs["encoded"], encoded) and torch.equal(outputs["scores"], scores)
    import json

    name, texts = json.loads((tmp_path / "texts.json").read_text())
    assert name == "EncDecRNNTModel" and texts == model.transcribe(files, verbose=False)


def test_change_vocabulary_replaces_the_transducer_and_survives_save_restore(tmp_path, model, text_corpus):
    model.setup_training_data(data_config(text_corpus))
    new = [" ", "a", "b", "c"]
    change_vocabulary_keeping_the_encoder(model, new, "joint")
    assert model.joint.vocabulary == new and model.joint.num_classes_with_blank == 5
    assert model.decoder.vocab_size == 4 and model.decoder.prediction["embed"].weight.shape[0] == 5
    assert model.loss._blank == 4 and model.decoding.blank_id == 4 and model.wer.decoding is model.decoding
    assert list(model.cfg.labels) == new and list(model.cfg.train_ds.labels) == new
    assert model.cfg.joint.num_classes == 4 and model.cfg.decoder.vocab_size == 4
    paths = manifest_paths(write_corpus(tmp_path / "abc", [{"text": "ab c"}, {"text": "cab"}]))
    texts = model.transcribe(paths)
    assert set("".join(texts)) <= set(new)
    model.save_to(str(tmp_path / "abc.nemo"))
    restored = EncDecRNNTModel.restore_from(str(tmp_path / "abc.nemo"), map_location="cpu")
    assert restored.joint.vocabulary == new and restored.transcribe(paths) == texts


def test_export_writes_the_encoder_and_decoder_joint(tmp_path, model):
    outputs, _ = model.export(str(tmp_path / "rnnt.ts"))
    assert [p.rsplit("/", 1)[-1] for p in outputs] == ["encoder-rnnt.ts", "decoder_joint-rnnt.ts"]
    model.eval()
    features = torch.randn(2, 16, 64)
    encoder = torch.jit.load(outputs[0])
    decoder_joint = torch.jit.load(outputs[1])
    with torch.no_grad():
        encoded, _ = model.encoder(audio_signal=features, length=torch.tensor([64, 64]))
        torch.testing.assert_close(encoder(features), encoded)  # the encoder exports without lengths
        h, c = model.decoder.initialize_state(torch.zeros(2, 1))
        labels = torch.tensor([[3], [7]])
        scores, _, _, _ = decoder_joint(encoded, labels, torch.tensor([1, 1]), h, c)
        g, _ = model.decoder.predict(labels, state=(h, c), add_sos=False)
        expected = model.joint.joint(encoded.transpose(1, 2), g)  # log-softmaxed on CPU; the export gives logits
    torch.testing.assert_close(scores.log_softmax(-1), expected)


def test_nothing_is_listed_for_character_transducers():
    assert EncDecRNNTModel.list_available_models() == []


@pytest.mark.gpu
@run_if(min_cuda_gpus=1)
def test_loss_and_transcripts_on_gpu_match_cpu(model, text_corpus, monkeypatch):
    # cuDNN's TF32 (on by default for convolutions and LSTMs) rounds to 10 mantissa bits: greedy decoding of this
    # untrained model then breaks near-ties another way than the CPU does.
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    files = manifest_paths(text_corpus)
    batch = _batch(model, text_corpus)
    model.eval()
    with torch.no_grad():
        expected_loss = model._transducer_loss(*model(input_signal=batch[0], input_signal_length=batch[1]), *batch[2:4])
    expected = model.transcribe(files, batch_size=6)
    model.cuda()
    batch = [t.cuda() for t in batch]
    with torch.no_grad():  # the joint gives raw scores on CUDA (log_softmax: null); the loss normalizes them
        loss = model._transducer_loss(*model(input_signal=batch[0], input_signal_length=batch[1]), *batch[2:4])
    assert loss.is_cuda and float(loss) == pytest.approx(float(expected_loss), rel=1e-4)
    assert model.transcribe(files, batch_size=6) == expected
