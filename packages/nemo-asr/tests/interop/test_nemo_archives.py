"""The legacy-archive suite: ``.nemo`` archives that NVIDIA NeMo 3.0 wrote restore here and give NeMo's outputs.

``archives/`` holds, per model family, the archive NeMo's ``save_to`` wrote (random weights, random BatchNorm
statistics), NeMo's outputs on fixed audio (``<family>.npz``) and its greedy transcripts or labels
(``<family>.json``), all written by ``tools/interop/write_nemo_archives.py`` with ``nemo_toolkit[asr]==3.0.0``
(``nox -s interop`` regenerates them). Each archive is restored with ``strict=True``; features and outputs must agree to
1e-4, lengths, greedy predictions and transcripts or labels exactly. Families: QuartzNet, Jasper with dense residual
and Conformer-CTC (``EncDecCTCModel``), a Citrinet-like CTC and Conformer-CTC over a SentencePiece tokenizer packed in
the archive (``EncDecCTCModelBPE``), MatchboxNet and MarbleNet (``EncDecClassificationModel``), Conformer-Transducer
(``EncDecRNNTModel``) and a ContextNet-like transducer over SentencePiece pieces (``EncDecRNNTBPEModel``): encoder
outputs, greedy label sequences and the joint's outputs at every cell greedy decoding visited; TitaNet and SpeakerNet
(``EncDecSpeakerLabelModel``): speaker logits and embeddings. ``transcribe()`` of the
clips as arrays gives NeMo's ``transcribe()`` results (clips under 1 s padded to 1 s, as NeMo 3 does).
"""

import functools
import json
import tarfile
from pathlib import Path
from typing import Any, Dict, Tuple

import numpy as np
import pytest
import torch

from nemo.collections.asr.models import (
    EncDecClassificationModel,
    EncDecCTCModel,
    EncDecCTCModelBPE,
    EncDecRNNTBPEModel,
    EncDecRNNTModel,
    EncDecSpeakerLabelModel,
)

ARCHIVES = Path(__file__).parent / "archives"
CTC = ("citrinet_bpe", "conformer_ctc", "conformer_ctc_bpe", "jasper_dr", "quartznet")
TRANSDUCERS = ("conformer_transducer", "contextnet_rnnt_bpe")
SPEAKERS = ("speakernet", "titanet")
FAMILIES = (*CTC, *TRANSDUCERS, "marblenet", "matchboxnet", *SPEAKERS)
ATOL = 1e-4
# Values far from 0 (dB features, log-probs near -30) carry float32 rounding that differs between CPUs' vector
# units (seen on an Intel host against goldens written on AMD): 1e-5 relative on top of the 1e-4 absolute.
RTOL = 1e-5
CLASSES = {
    cls.__name__: cls
    for cls in (
        EncDecCTCModel,
        EncDecCTCModelBPE,
        EncDecClassificationModel,
        EncDecRNNTModel,
        EncDecRNNTBPEModel,
        EncDecSpeakerLabelModel,
    )  # fmt: skip
}


def _goldens(family: str) -> Tuple[Dict[str, np.ndarray], Dict[str, Any]]:
    with np.load(ARCHIVES / f"{family}.npz", allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    return arrays, json.loads((ARCHIVES / f"{family}.json").read_text(encoding="utf-8"))


@functools.cache
def _restored(family: str) -> Any:
    """The family's model, restored once per session (read-only use below)."""
    _, meta = _goldens(family)
    cls = CLASSES[meta["model_class"].rsplit(".", 1)[1]]
    return cls.restore_from(str(ARCHIVES / f"{family}.nemo"), strict=True, map_location="cpu").eval()


def _inputs(arrays: Dict[str, np.ndarray]) -> Tuple[torch.Tensor, torch.Tensor]:
    return torch.from_numpy(arrays["audio_int16"].astype(np.float32) / 32768.0), torch.from_numpy(
        arrays["audio_lengths"]
    )


def _case(family: str) -> Tuple[Dict[str, np.ndarray], Dict[str, Any], Any, torch.Tensor, torch.Tensor]:
    """``(arrays, meta, model, audio, lengths)`` of a family: its goldens, restored model and input batch."""
    arrays, meta = _goldens(family)
    return (arrays, meta, _restored(family), *_inputs(arrays))


def _close(actual: torch.Tensor, expected: np.ndarray) -> None:
    assert tuple(actual.shape) == expected.shape
    np.testing.assert_allclose(actual.detach().numpy(), expected, rtol=RTOL, atol=ATOL)


def test_every_family_has_an_archive_written_by_nemo_3():
    assert sorted(path.stem for path in ARCHIVES.glob("*.nemo")) == sorted(FAMILIES)
    for family in FAMILIES:
        _, meta = _goldens(family)
        assert meta["nemo_toolkit"] == "3.0.0" and meta["family"] == family
        with tarfile.open(ARCHIVES / f"{family}.nemo") as archive:
            config = archive.extractfile("./model_config.yaml").read().decode()
        assert "nemo_version: 3.0.0" in config


@pytest.mark.parametrize("family", FAMILIES)
def test_restores_strictly_with_nemos_class_and_normalization_statistics(family):
    arrays, meta = _goldens(family)
    model = _restored(family)
    assert f"{type(model).__module__}.{type(model).__qualname__}" == meta["model_class"]
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    assert norms and all(int(norm.num_batches_tracked) == 1000 + meta["seed"] for norm in norms)
    assert not any(torch.equal(norm.running_var, torch.ones_like(norm.running_var)) for norm in norms)


@pytest.mark.parametrize("family", FAMILIES)
def test_features_and_lengths_match_nemo(family):
    arrays, _ = _goldens(family)
    audio, lengths = _inputs(arrays)
    with torch.no_grad():
        features, feature_lengths = _restored(family).preprocessor(input_signal=audio, length=lengths)
    assert feature_lengths.tolist() == arrays["feature_lengths"].tolist()
    _close(features, arrays["features"])


@pytest.mark.parametrize("family", CTC)
def test_ctc_log_probs_lengths_and_greedy_transcripts_match_nemo(family):
    arrays, meta, model, audio, lengths = _case(family)
    with torch.no_grad():
        log_probs, encoded_lengths, greedy = model(input_signal=audio, input_signal_length=lengths)
    _close(log_probs, arrays["log_probs"])
    assert encoded_lengths.tolist() == arrays["encoded_lengths"].tolist()
    assert greedy.tolist() == arrays["greedy_predictions"].tolist()
    assert list(model.decoder.vocabulary) == meta["vocabulary"]
    transcripts = model._wer.ctc_decoder_predictions_tensor(greedy, predictions_len=encoded_lengths)
    assert list(transcripts) == meta["transcripts"]


@pytest.mark.parametrize("family", TRANSDUCERS)
def test_transducer_encoder_greedy_labels_and_joint_match_nemo(family):
    arrays, meta, model, audio, lengths = _case(family)
    with torch.no_grad():
        encoded, encoded_lengths = model(input_signal=audio, input_signal_length=lengths)
        best, _ = model.decoding.rnnt_decoder_predictions_tensor(encoded, encoded_lengths, return_hypotheses=True)
        targets = torch.from_numpy(arrays["targets"])
        decoder_outputs, *_ = model.decoder(targets=targets, target_length=torch.from_numpy(arrays["target_lengths"]))
        joint = model.joint(encoder_outputs=encoded, decoder_outputs=decoder_outputs)
    _close(encoded, arrays["encoded"])
    assert encoded_lengths.tolist() == arrays["encoded_lengths"].tolist()
    assert [h.y_sequence.tolist() for h in best] == [
        row[:length].tolist() for row, length in zip(arrays["targets"], arrays["target_lengths"])
    ]
    assert [h.text for h in best] == meta["transcripts"] and all(meta["transcripts"])
    assert list(model.joint.vocabulary) == meta["vocabulary"]
    b, t, u = torch.from_numpy(arrays["joint_cells"]).long().unbind(dim=1)
    assert len(b) >= int(encoded_lengths.sum())  # one decision a frame at least
    _close(joint[b, t, u], arrays["joint"])


@pytest.mark.parametrize("family", [*CTC, *TRANSDUCERS])
def test_transcribe_of_arrays_gives_nemos_transcripts_padding_short_clips_to_one_second(family):
    arrays, meta = _goldens(family)
    sample_rate = _restored(family).preprocessor._sample_rate
    clips = [arrays["audio_int16"][i, :n].astype(np.float32) / 32768.0 for i, n in enumerate(arrays["audio_lengths"])]
    assert any(len(clip) < sample_rate for clip in clips)  # NeMo 3 pads these: the check below sees it
    results = _restored(family).transcribe(clips, batch_size=len(clips), verbose=False)
    assert [getattr(result, "text", result) for result in results] == meta["transcribe"]


def test_transcribe_refuses_paths_and_arrays_in_one_call():
    arrays, _ = _goldens("quartznet")
    clip = arrays["audio_int16"][0].astype(np.float32) / 32768.0
    with pytest.raises(ValueError, match="either file paths or arrays, not both"):
        _restored("quartznet").transcribe([clip, "clip.wav"], verbose=False)


@pytest.mark.parametrize("family", [f for f in FAMILIES if _goldens(f)[1].get("labels") and f not in SPEAKERS])
def test_classifier_logits_and_labels_match_nemo(family):
    arrays, meta, model, audio, lengths = _case(family)
    with torch.no_grad():
        logits = model(input_signal=audio, input_signal_length=lengths)
    _close(logits, arrays["logits"])
    assert [model.cfg.labels[i] for i in logits.argmax(dim=-1).tolist()] == meta["labels"]


@pytest.mark.parametrize("family", SPEAKERS)
def test_speaker_logits_and_embeddings_match_nemo(family):
    """TitaNet (attentive pooling, angular margin: NeMo set ``decoder.angular``) and SpeakerNet (x-vector pooling)."""
    arrays, meta, model, audio, lengths = _case(family)
    assert model.decoder.angular == (family == "titanet") and model.labels is None  # NeMo saved train_ds.labels: null
    with torch.no_grad():
        logits, embs = model(input_signal=audio, input_signal_length=lengths)
    _close(logits, arrays["logits"])
    _close(embs, arrays["embs"])
    assert [str(i) for i in logits.argmax(dim=-1).tolist()] == meta["labels"]


def test_the_bpe_tokenizer_comes_from_the_archive_not_the_directory_nemo_trained_it_in():
    model = _restored("citrinet_bpe")
    assert not Path(model.cfg.tokenizer.dir).exists()  # a temporary folder of the writer's machine
    assert model.tokenizer.vocab_size == len(_goldens("citrinet_bpe")[1]["vocabulary"])
