"""The one length-to-mask helper."""

import pytest
import torch

from nemo.collections.common.data.masks import lengths_to_mask


def test_mask_is_true_below_each_length():
    mask = lengths_to_mask(torch.tensor([1, 3, 0]))
    assert mask.dtype == torch.bool
    assert mask.tolist() == [[True, False, False], [True, True, True], [False, False, False]]
    assert lengths_to_mask(torch.tensor([2, 5]), 4).tolist() == [[True, True, False, False], [True] * 4]
    assert (~lengths_to_mask(torch.tensor([2]), 3)).tolist() == [[False, False, True]]  # the padding
    assert lengths_to_mask(torch.zeros(0, dtype=torch.long)).shape == (0, 0)


def test_mask_refuses_lengths_that_are_not_one_dimensional():
    with pytest.raises(ValueError, match=r"1-D tensor of sequence lengths, got shape \(2, 1\)"):
        lengths_to_mask(torch.tensor([[1], [2]]))
