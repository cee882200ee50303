"""Frame-level fundamental frequency (F0) on the mel frame grid, for FastPitch's pitch targets.

``librosa.yin`` gives F0 on exactly the centred mel frames (``len // hop + 1``) at a fraction of pYIN's cost (pYIN
takes ~0.7 s per 2.5 s clip, too slow for a corpus on two cores). YIN itself has no voicing decision, so a frame
counts as voiced when it is loud enough (within ``silence_db`` of the clip's loudest frame) and periodic at the
estimated period (normalized autocorrelation at that lag >= ``min_periodicity``); unvoiced frames get 0. The 0.8
default was chosen on eSpeak NG speech: at 0.5, 4% of voiced frames were octave errors (>200 Hz for a ~110 Hz
voice); at 0.8, 0.4%.
"""

import numpy as np

__all__ = ["estimate_pitch"]


def estimate_pitch(
    audio: np.ndarray,
    sample_rate: int,
    hop_length: int = 256,
    frame_length: int = 1024,
    fmin: float = 65.0,
    fmax: float = 1000.0,
    silence_db: float = 40.0,
    min_periodicity: float = 0.8,
) -> np.ndarray:
    """F0 in Hz per frame, ``[len(audio) // hop_length + 1]`` float32, 0 where unvoiced."""
    import librosa

    audio = np.asarray(audio, dtype=np.float32)
    frames_expected = len(audio) // hop_length + 1
    if len(audio) == 0 or not np.any(audio):
        return np.zeros(frames_expected, dtype=np.float32)
    f0 = librosa.yin(
        audio, fmin=fmin, fmax=fmax, sr=sample_rate, frame_length=frame_length, hop_length=hop_length, center=True
    )
    padded = np.pad(audio, frame_length // 2)
    frames = librosa.util.frame(padded, frame_length=frame_length, hop_length=hop_length)[:, :frames_expected]
    energy = np.sqrt(np.mean(frames**2, axis=0) + 1e-12)
    loud = 20 * np.log10(energy / energy.max()) > -silence_db

    half = frame_length // 2
    lags = np.clip(np.round(sample_rate / np.maximum(f0, 1e-3)).astype(int), 1, half - 1)
    head = frames[:half]
    columns = np.arange(frames.shape[1])
    index = np.arange(half)[:, None] + lags[None, :]
    shifted = frames[index, columns[None, :]]
    numerator = np.sum(head * shifted, axis=0)
    denominator = np.sqrt(np.sum(head**2, axis=0) * np.sum(shifted**2, axis=0)) + 1e-12
    periodic = numerator / denominator >= min_periodicity

    in_range = (f0 > fmin * 1.01) & (f0 < fmax * 0.99)
    pitch = np.where(loud & periodic & in_range, f0, 0.0).astype(np.float32)
    if pitch.shape[0] != frames_expected:  # librosa's frame count is len // hop + 1 for centred frames
        pitch = np.pad(pitch, (0, max(frames_expected - pitch.shape[0], 0)))[:frames_expected]
    return pitch
