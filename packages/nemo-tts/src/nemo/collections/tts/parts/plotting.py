"""Spectrogram and alignment images for TensorBoard (``add_image(..., dataformats="HWC")``).

matplotlib is imported on first use, with the non-interactive Agg backend, so importing the collection stays light
and training works without a display.
"""

from typing import Any, Optional

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


def plot_spectrogram_to_numpy(spec: Any, title: Optional[str] = None) -> np.ndarray:
    """An RGB image (``[H, W, 3]`` uint8) of a spectrogram ``[n_mels, frames]``, low frequencies at the bottom."""
    spec = _as_numpy(spec)
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(12, 3))
    im = axis.imshow(spec, aspect="auto", origin="lower", interpolation="none")
    figure.colorbar(im, ax=axis)
    axis.set_xlabel("frames")
    axis.set_ylabel("channels")
    if title:
        axis.set_title(title)
    figure.tight_layout()
    return _figure_to_numpy(figure)


def plot_alignment_to_numpy(alignment: Any, title: Optional[str] = None) -> np.ndarray:
    """An RGB image (``[H, W, 3]`` uint8) of an alignment ``[text tokens, frames]`` (tokens bottom to top)."""
    alignment = _as_numpy(alignment)
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(6, 4))
    im = axis.imshow(alignment, aspect="auto", origin="lower", interpolation="none")
    figure.colorbar(im, ax=axis)
    axis.set_xlabel("decoder frames")
    axis.set_ylabel("encoder tokens")
    if title:
        axis.set_title(title)
    figure.tight_layout()
    return _figure_to_numpy(figure)
