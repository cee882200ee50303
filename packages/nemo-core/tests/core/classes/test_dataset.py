import dataclasses

import pytest
import torch
from torch.utils.data import DataLoader

from nemo.core.classes.dataset import Dataset, DatasetConfig, IterableDataset
from nemo.core.neural_types import AudioSignal, LabelsType, LengthsType, NeuralType


class TinyAudioDataset(Dataset):
    def __init__(self, size: int = 5):
        self.size = size

    def __len__(self):
        return self.size

    def __getitem__(self, index):
        return torch.full((4,), float(index)), torch.tensor(index)

    @property
    def output_types(self):
        return {"audio": NeuralType(("B", "T"), AudioSignal()), "label": NeuralType(tuple("B"), LabelsType())}


class PaddingDataset(TinyAudioDataset):
    """Variable-length samples; only ``_collate_fn`` is overridden and types are still attached."""

    def __getitem__(self, index):
        return torch.ones(index + 1), torch.tensor(index + 1)

    def _collate_fn(self, batch):
        audio = torch.nn.utils.rnn.pad_sequence([a for a, _ in batch], batch_first=True)
        return audio, torch.stack([length for _, length in batch])

    @property
    def output_types(self):
        return {"audio": NeuralType(("B", "T"), AudioSignal()), "length": NeuralType(tuple("B"), LengthsType())}


class TinyStream(IterableDataset):
    def __iter__(self):
        for index in range(4):
            yield torch.full((3,), float(index)), torch.tensor(index)

    @property
    def output_types(self):
        return {"audio": NeuralType(("B", "T"), AudioSignal()), "label": NeuralType(tuple("B"), LabelsType())}


class DatasetWithInputTypes(TinyAudioDataset):
    @property
    def input_types(self):
        return {"batch": NeuralType(("B", "T"), AudioSignal())}


class WrongRankDataset(TinyAudioDataset):
    @property
    def output_types(self):
        return {"audio": NeuralType(("B", "T", "D"), AudioSignal()), "label": NeuralType(tuple("B"), LabelsType())}


def test_collate_fn_attaches_output_types():
    dataset = TinyAudioDataset()
    audio, label = dataset.collate_fn([dataset[i] for i in range(3)])
    assert audio.shape == (3, 4) and label.tolist() == [0, 1, 2]
    assert audio.neural_type == dataset.output_types["audio"]
    assert label.neural_type == dataset.output_types["label"]


def test_data_loader_batches_carry_neural_types():
    dataset = PaddingDataset(size=3)
    (audio, length), *_ = list(DataLoader(dataset, batch_size=3, collate_fn=dataset.collate_fn))
    assert audio.shape == (3, 3) and length.tolist() == [1, 2, 3]
    assert isinstance(audio.neural_type.elements_type, AudioSignal)
    assert isinstance(length.neural_type.elements_type, LengthsType)


def test_iterable_dataset_collate_fn_attaches_output_types():
    stream = TinyStream()
    batches = list(DataLoader(stream, batch_size=2, collate_fn=stream.collate_fn))
    assert len(batches) == 2
    audio, label = batches[1]
    assert audio.shape == (2, 3) and label.tolist() == [2, 3]
    assert isinstance(audio.neural_type.elements_type, AudioSignal)


def test_untyped_dataset_uses_default_collate():
    class Untyped(Dataset):
        def __getitem__(self, index):
            return {"x": torch.tensor([index])}

        def __len__(self):
            return 2

    batch = Untyped().collate_fn([{"x": torch.tensor([0])}, {"x": torch.tensor([1])}])
    assert batch["x"].tolist() == [[0], [1]] and not hasattr(batch["x"], "neural_type")


def test_dataset_declaring_input_types_is_rejected():
    dataset = DatasetWithInputTypes()
    batch = [dataset[0], dataset[1]]
    with pytest.raises(TypeError):
        dataset.collate_fn(batch)
    with pytest.raises(TypeError, match="should not implement `input_types`"):
        dataset.collate_fn(batch=None)


def test_output_rank_mismatch_is_reported():
    dataset = WrongRankDataset()
    with pytest.raises(TypeError, match="audio"):
        dataset.collate_fn([dataset[0], dataset[1]])


def test_dataset_config_defaults():
    assert dataclasses.asdict(DatasetConfig()) == {
        "batch_size": 32,
        "drop_last": False,
        "shuffle": False,
        "num_workers": None,
        "pin_memory": True,
    }
