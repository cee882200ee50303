"""``band_matmul`` equals the dense filterbank product, whatever the band layout, and falls back to it when needed."""

import librosa
import pytest
import torch

from nemo.collections.common.parts.band_matmul import band_matmul, row_spans


def _mel(n_mels: int = 64, n_fft: int = 512) -> torch.Tensor:
    return torch.from_numpy(librosa.filters.mel(sr=16000, n_fft=n_fft, n_mels=n_mels, fmin=0, fmax=8000))


@pytest.mark.parametrize("n_mels, n_fft", [(64, 512), (80, 1024), (13, 512)])
def test_equals_the_dense_product_on_mel_filterbanks(n_mels, n_fft):
    weight = _mel(n_mels, n_fft)
    x = torch.rand(3, 700, n_fft // 2 + 1, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(band_matmul(weight, x), torch.matmul(weight, x.mT), rtol=1e-5, atol=1e-6)


def test_row_spans_and_zero_rows():
    weight = torch.zeros(10, 20)
    weight[0, 2:5] = 1.0
    weight[3, 7] = 2.0
    weight[9, 19] = 3.0  # rows 1, 2 and 4..8 are all zero; rows 8 and 9 share a group with zero rows
    assert row_spans(weight) == ([2, 20, 20, 7, 20, 20, 20, 20, 20, 19], [5, 0, 0, 8, 0, 0, 0, 0, 0, 20])
    only_zeros = torch.zeros(16, 20)
    only_zeros[:8] = weight[:8]
    x = torch.rand(2, 50, 20)
    with torch.no_grad():
        for w in (weight, only_zeros):
            torch.testing.assert_close(band_matmul(w, x), torch.matmul(w, x.mT))


def test_uses_the_weight_as_it_is_now_and_is_differentiable():
    weight = _mel()
    x = torch.rand(2, 300, 257)
    with torch.no_grad():
        before = band_matmul(weight, x)
        weight[5].mul_(2.0)  # an in-place edit (a loaded state dict) is seen on the next call
        after = band_matmul(weight, x)
    torch.testing.assert_close(after[:, 5], 2 * before[:, 5])
    x.requires_grad_(True)
    band_matmul(weight, x).sum().backward()  # under autograd: the dense product
    torch.testing.assert_close(x.grad, weight.sum(0).expand_as(x))
