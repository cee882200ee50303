"""Generated data: variable-length (D, T) feature sequences whose class sets the mean of every frame."""

from __future__ import annotations

from typing import List, Tuple

import torch

__all__ = ["ToyFramesDataset", "collate_frames"]


class ToyFramesDataset(torch.utils.data.Dataset):
    """``num_samples`` sequences of ``feat_in`` x [max_frames/2, max_frames] frames; deterministic per seed.

    ``task_seed`` draws the class prototypes (shared by every split), ``seed`` the labels, lengths and noise.
    """

    def __init__(
        self, num_samples: int, feat_in: int, num_classes: int, max_frames: int, seed: int, task_seed: int = 0
    ):
        prototypes = torch.randn(num_classes, feat_in, generator=torch.Generator().manual_seed(task_seed))
        generator = torch.Generator().manual_seed(seed)
        self.labels = torch.randint(num_classes, (num_samples,), generator=generator)
        self.lengths = torch.randint(max(1, max_frames // 2), max_frames + 1, (num_samples,), generator=generator)
        self.features = [
            prototypes[label][:, None] + 1.5 * torch.randn(feat_in, int(length), generator=generator)
            for label, length in zip(self.labels, self.lengths)
        ]

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.features[index], self.lengths[index], self.labels[index]


def collate_frames(batch: List[Tuple[torch.Tensor, torch.Tensor, torch.Tensor]]):
    """Zero-pad the sequences of a batch to its longest: ``(features (B, D, T), lengths (B,), labels (B,))``."""
    features, lengths, labels = zip(*batch)
    longest = max(int(length) for length in lengths)
    padded = torch.zeros(len(batch), features[0].shape[0], longest)
    for row, item in enumerate(features):
        padded[row, :, : item.shape[-1]] = item
    return padded, torch.stack(lengths), torch.stack(labels)
