"""Spectrogram and alignment images for TensorBoard (``add_image(..., dataformats="HWC")``).

matplotlib is imported on first use, with the non-interactive Agg backend, so importing the collection stays light
and training works without a display.
"""

from typing import Any, Optional, Tuple

import numpy as np

__all__ = ["plot_spectrogram_to_numpy", "plot_alignment_to_numpy"]


def _as_numpy(array: Any) -> np.ndarray:
    if hasattr(array, "detach"):
        array = array.detach().float().cpu().numpy()
    array = np.asarray(array, dtype=np.float32)
    if array.ndim != 2:
        raise ValueError(f"expected a 2-D array (rows x frames), got shape {array.shape}")
    return array


def _figure_to_numpy(figure: Any) -> np.ndarray:
    figure.canvas.draw()
    image = np.asarray(figure.canvas.buffer_rgba())[..., :3].copy()
    import matplotlib.pyplot as plt

    plt.close(figure)
    return image


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _heatmap_to_numpy(
    data: Any, figsize: Tuple[int, int], xlabel: str, ylabel: str, title: Optional[str]
) -> np.ndarray:
    """An RGB image (``[H, W, 3]`` uint8) of a 2-D array drawn with row 0 at the bottom and a colour bar."""
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=figsize)
    im = axis.imshow(_as_numpy(data), aspect="auto", origin="lower", interpolation="none")
    figure.colorbar(im, ax=axis)
    axis.set_xlabel(xlabel)
    axis.set_ylabel(ylabel)
    if title:
        axis.set_title(title)
    figure.tight_layout()
    return _figure_to_numpy(figure)


def plot_spectrogram_to_numpy(spec: Any, title: Optional[str] = None) -> np.ndarray:
    """An RGB image (``[H, W, 3]`` uint8) of a spectrogram ``[n_mels, frames]``, low frequencies at the bottom."""
    return _heatmap_to_numpy(spec, (12, 3), "frames", "channels", title)


def plot_alignment_to_numpy(alignment: Any, title: Optional[str] = None) -> np.ndarray:
    """An RGB image (``[H, W, 3]`` uint8) of an alignment ``[text tokens, frames]`` (tokens bottom to top)."""
    return _heatmap_to_numpy(alignment, (6, 4), "decoder frames", "encoder tokens", title)
