"""Checks shared by the ASR model tests (imported by name: tests/ is on sys.path)."""

from pathlib import Path
from typing import Any, List

import pytest
import torch


def change_vocabulary_keeping_the_encoder(model: Any, new: List[str], output_layer: str) -> None:
    """``model.change_vocabulary(new)``, checking that the encoder's weights stay, that changing to the same
    vocabulary again leaves ``output_layer`` (the replaced module) as it is, and that an empty one is refused."""
    encoder_weights = {k: v.clone() for k, v in model.encoder.state_dict().items()}
    model.change_vocabulary(new)
    for key, value in model.encoder.state_dict().items():
        assert torch.equal(value, encoder_weights[key])
    replaced = getattr(model, output_layer)
    model.change_vocabulary(new)  # same vocabulary: nothing changes
    assert getattr(model, output_layer) is replaced
    with pytest.raises(ValueError, match="non-empty"):
        model.change_vocabulary([])


def saved_and_restored(model: Any, files: List[str], path: Path) -> Any:
    """``model`` saved to ``path`` and restored, checking that the restored model transcribes ``files`` alike and that
    ``ASRModel.restore_from`` finds the model's class in the archive."""
    from nemo.collections.asr.models import ASRModel

    expected = model.transcribe(files)
    model.save_to(str(path))
    restored = type(model).restore_from(str(path), map_location="cpu")  # cuda by default where there is one
    assert restored.transcribe(files) == expected
    assert type(ASRModel.restore_from(str(path), map_location="cpu")) is type(model)
    return restored
