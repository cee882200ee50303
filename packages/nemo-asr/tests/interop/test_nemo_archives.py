"""The legacy-archive suite: ``.nemo`` archives that NVIDIA NeMo 3.0 wrote restore here and give NeMo's outputs.

``archives/`` holds, per model family, the archive NeMo's ``save_to`` wrote (random weights, random BatchNorm
statistics), NeMo's outputs on fixed audio (``<family>.npz``) and its greedy transcripts or labels
(``<family>.json``), all written by ``tools/interop/write_nemo_archives.py`` with ``nemo_toolkit[asr]==3.0.0``
(``nox -s interop`` regenerates them). Each archive is restored with ``strict=True``; features and outputs must agree to
1e-4, lengths, greedy predictions and transcripts or labels exactly. Families: QuartzNet and Jasper with dense residual
(``EncDecCTCModel``), a Citrinet-like CTC over a SentencePiece tokenizer packed in the archive (``EncDecCTCModelBPE``),
MatchboxNet and MarbleNet (``EncDecClassificationModel``).
"""

import functools
import json
import tarfile
from pathlib import Path
from typing import Any, Dict, Tuple

import numpy as np
import pytest
import torch

from nemo.collections.asr.models import EncDecClassificationModel, EncDecCTCModel, EncDecCTCModelBPE

ARCHIVES = Path(__file__).parent / "archives"
FAMILIES = ("citrinet_bpe", "jasper_dr", "marblenet", "matchboxnet", "quartznet")
ATOL = 1e-4
CLASSES = {cls.__name__: cls for cls in (EncDecCTCModel, EncDecCTCModelBPE, EncDecClassificationModel)}


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


def _close(actual: torch.Tensor, expected: np.ndarray) -> None:
    assert tuple(actual.shape) == expected.shape
    np.testing.assert_allclose(actual.detach().numpy(), expected, rtol=0, atol=ATOL)


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


@pytest.mark.parametrize("family", [f for f in FAMILIES if _goldens(f)[1].get("transcripts") is not None])
def test_ctc_log_probs_lengths_and_greedy_transcripts_match_nemo(family):
    arrays, meta = _goldens(family)
    model = _restored(family)
    audio, lengths = _inputs(arrays)
    with torch.no_grad():
        log_probs, encoded_lengths, greedy = model(input_signal=audio, input_signal_length=lengths)
    _close(log_probs, arrays["log_probs"])
    assert encoded_lengths.tolist() == arrays["encoded_lengths"].tolist()
    assert greedy.tolist() == arrays["greedy_predictions"].tolist()
    assert list(model.decoder.vocabulary) == meta["vocabulary"]
    transcripts = model._wer.ctc_decoder_predictions_tensor(greedy, predictions_len=encoded_lengths)
    assert list(transcripts) == meta["transcripts"]


@pytest.mark.parametrize("family", [f for f in FAMILIES if _goldens(f)[1].get("labels") is not None])
def test_classifier_logits_and_labels_match_nemo(family):
    arrays, meta = _goldens(family)
    model = _restored(family)
    audio, lengths = _inputs(arrays)
    with torch.no_grad():
        logits = model(input_signal=audio, input_signal_length=lengths)
    _close(logits, arrays["logits"])
    assert [model.cfg.labels[i] for i in logits.argmax(dim=-1).tolist()] == meta["labels"]


def test_the_bpe_tokenizer_comes_from_the_archive_not_the_directory_nemo_trained_it_in():
    model = _restored("citrinet_bpe")
    assert not Path(model.cfg.tokenizer.dir).exists()  # a temporary folder of the writer's machine
    assert model.tokenizer.vocab_size == len(_goldens("citrinet_bpe")[1]["vocabulary"])
