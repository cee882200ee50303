"""Buffered (chunked) transcription of long audio files with flat memory, as NeMo's buffered CTC and RNN-T
inference do.

A file is streamed from disk with soundfile in blocks (never read whole), cut into overlapping windows of
``chunk`` seconds of new audio plus ``context`` seconds on each side, and each window goes through the model's
preprocessor, encoder and decoder. Only the log-probabilities of a window's central part are kept: window borders sit
on multiples of the encoder's stride (``hop * subsampling`` samples), so the kept frames of consecutive windows tile
the whole-file frame sequence exactly (the first window has no left context, the last keeps everything to its end).
The kept frames' greedy labels are merged across window borders (run-length collapse carried from one window to the
next) and decoded at the end, so a 2-hour file costs about what one window costs. A transducer keeps the encoder
frames of a window's central part instead and decodes them greedily right away, carrying the prediction network's
output and state from one window to the next, so the labels are whole-file greedy decoding's wherever the encoder
frames are (exactly so when the context covers the encoder's receptive field).

With ``normalize: per_feature`` / ``all_features`` a first streamed pass computes the whole file's feature mean and
std and the windows are normalized with those fixed statistics, so when the context covers the encoder's receptive
field the log-probabilities equal whole-file decoding's to float precision (closer than NeMo's per-buffer statistics).
Leading/trailing silence is trimmed as the whole-file path trims it (``librosa.effects.trim``'s rule at 60 dB,
computed in a first streaming pass over the file).
"""

import math
import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

import numpy as np
import torch

from nemo.collections.common.data.audio import (
    DEFAULT_TRIM_TOP_DB,
    RESAMPLE_QUALITY,
    TRIM_FRAME_LENGTH,
    TRIM_HOP_LENGTH,
    AudioReadError,
    audio_info,
)

__all__ = [
    "DEFAULT_CHUNK_LEN_IN_SECS",
    "DEFAULT_CONTEXT_IN_SECS",
    "DEFAULT_LONG_AUDIO_THRESHOLD_IN_SECS",
    "Window",
    "plan_windows",
    "stream_trim_bounds",
    "iter_audio_blocks",
    "iter_window_audio",
    "BufferedCTCTranscriber",
    "BufferedRNNTTranscriber",
    "item_lengths",
    "long_audio_indices",
    "longest_first",
    "transcribe_files",
    "progress",
]

#: Seconds of new audio per window (model attribute ``transcribe_chunk_len_in_secs`` overrides it).
DEFAULT_CHUNK_LEN_IN_SECS = 30.0
#: Seconds of context on each side of a window (model attribute ``transcribe_chunk_context_in_secs``).
DEFAULT_CONTEXT_IN_SECS = 5.0
#: Files longer than this are transcribed in chunks (model attribute ``transcribe_long_audio_threshold_in_secs``);
#: shorter ones take the whole-file path. Whole-file decoding costs about 2.5 GB of memory per hour of audio.
DEFAULT_LONG_AUDIO_THRESHOLD_IN_SECS = 120.0

_BLOCK_FRAMES = 1 << 16  # samples read from disk at a time
# the trim rule of nemo-core's one audio loader (librosa.effects.trim's defaults), computed here over streamed blocks
_TRIM_FRAME, _TRIM_HOP, _TRIM_TOP_DB = TRIM_FRAME_LENGTH, TRIM_HOP_LENGTH, DEFAULT_TRIM_TOP_DB
_PROGRESS_DELAY_S = 1.0  # bars appear only on work that lasts longer than this


def progress(iterable=None, *, verbose: bool, **kwargs: Any):
    """A tqdm bar that stays hidden with ``verbose=False`` and on work shorter than a second."""
    from tqdm.auto import tqdm

    return tqdm(iterable, disable=not verbose, delay=_PROGRESS_DELAY_S, **kwargs)


# ------------------------------------------------------------------------------------------------ window arithmetic
@dataclass(frozen=True)
class Window:
    """One window: samples ``[start, end)`` of the (trimmed) signal are read; of the model's output frames for them,
    ``[keep_start, keep_start + keep_len)`` are kept (``keep_len`` None: to the end, for the last window); the first
    kept frame is frame ``first_frame`` of the whole-file output."""

    index: int
    start: int
    end: int
    keep_start: int
    keep_len: Optional[int]
    first_frame: int

    @property
    def is_last(self) -> bool:
        return self.keep_len is None


def plan_windows(num_samples: int, samples_per_frame: int, chunk_frames: int, context_frames: int) -> List[Window]:
    """Windows covering ``num_samples`` samples: ``chunk_frames`` output frames of new audio each (the last one
    whatever is left), ``context_frames`` frames of context each side where the signal has them; every border is a
    multiple of ``samples_per_frame`` (the encoder's stride in samples), so kept frames line up with whole-file ones."""
    if samples_per_frame < 1 or chunk_frames < 1 or context_frames < 0:
        raise ValueError(
            f"plan_windows: need samples_per_frame >= 1, chunk_frames >= 1, context_frames >= 0, got "
            f"{samples_per_frame}, {chunk_frames}, {context_frames}"
        )
    if num_samples <= 0:
        return []
    chunk_samples = chunk_frames * samples_per_frame
    count = -(-num_samples // chunk_samples)
    windows = []
    for k in range(count):
        first = k * chunk_frames
        left = min(context_frames, first)
        start = (first - left) * samples_per_frame
        end = min(num_samples, (first + chunk_frames + context_frames) * samples_per_frame)
        windows.append(Window(k, start, end, left, None if k == count - 1 else chunk_frames, first))
    return windows


# ---------------------------------------------------------------------------------------------- streamed reading
def iter_audio_blocks(path: str, target_sr: int, block_frames: int = _BLOCK_FRAMES) -> Iterator[np.ndarray]:
    """Mono float32 blocks of ``path`` at ``target_sr`` (resampled on the fly with soxr's streaming resampler),
    read ``block_frames`` at a time: the samples the whole-file loader would produce, never all in memory."""
    import soundfile

    with soundfile.SoundFile(path, "r") as handle:
        resampler = None
        if int(handle.samplerate) != int(target_sr):
            import soxr

            resampler = soxr.ResampleStream(
                int(handle.samplerate), int(target_sr), 1, dtype="float32", quality=RESAMPLE_QUALITY
            )
        while True:
            block = handle.read(frames=block_frames, dtype="float32", always_2d=True)
            last = block.shape[0] < block_frames
            mono = block[:, 0] if block.shape[1] == 1 else block.mean(axis=1, dtype=np.float32)
            mono = np.ascontiguousarray(mono, dtype=np.float32)
            if resampler is not None:
                mono = resampler.resample_chunk(mono, last=last)
            if mono.size:
                yield mono
            if last:
                return


def stream_trim_bounds(blocks: Iterator[np.ndarray], top_db: float = _TRIM_TOP_DB) -> Tuple[int, int, int]:
    """``(start, end, num_samples)``: what ``librosa.effects.trim(y, top_db)`` keeps of the concatenated blocks,
    computed from per-hop sums of squares (centred 2048-sample frames every 512, zero padded), in one pass."""
    sums: List[np.ndarray] = []
    carry = np.zeros(0, dtype=np.float64)
    total = 0
    for block in blocks:
        total += block.size
        data = np.concatenate([carry, block.astype(np.float64)])
        whole = data.size // _TRIM_HOP * _TRIM_HOP
        if whole:
            sums.append(np.square(data[:whole]).reshape(-1, _TRIM_HOP).sum(axis=1))
        carry = data[whole:]
    if carry.size:
        sums.append(np.array([np.square(carry).sum()]))
    hop_sums = np.concatenate(sums) if sums else np.zeros(0)
    num_frames = 1 + total // _TRIM_HOP
    # frame i covers samples [512 i - 1024, 512 i + 1024): hop blocks i-2 .. i+1
    padded = np.concatenate([np.zeros(2), hop_sums, np.zeros(num_frames + 2 - hop_sums.size)])
    mse = padded[0:num_frames] + padded[1 : num_frames + 1] + padded[2 : num_frames + 2] + padded[3 : num_frames + 3]
    mse = mse / _TRIM_FRAME
    if total == 0:
        return 0, 0, 0
    db = 10.0 * np.log10(np.maximum(1e-10, mse)) - 10.0 * np.log10(max(1e-10, float(mse.max())))
    nonzero = np.flatnonzero(db > -top_db)
    if nonzero.size == 0:
        return 0, 0, total
    return int(nonzero[0]) * _TRIM_HOP, min(total, (int(nonzero[-1]) + 1) * _TRIM_HOP), total


def iter_window_audio(
    blocks: Iterator[np.ndarray], windows: Sequence[Window], offset: int = 0
) -> Iterator[Tuple[Window, np.ndarray]]:
    """The samples of each window, cut from a stream of blocks whose sample ``offset`` is the windows' sample 0; only
    about one window of audio is held at a time."""
    if not windows:
        return
    limit = offset + windows[-1].end
    buffer = np.zeros(0, dtype=np.float32)
    buffer_start = 0  # window coordinates of buffer[0]
    stream_pos = 0  # stream samples consumed
    exhausted = False
    for window in windows:
        if window.start > buffer_start:
            buffer = buffer[window.start - buffer_start :]
            buffer_start = window.start
        pieces = [buffer]
        have = buffer_start + buffer.size
        while have < window.end and not exhausted:
            block = next(blocks, None)
            if block is None:
                exhausted = True
                break
            lo = max(0, offset - stream_pos)
            hi = min(block.size, limit - stream_pos)
            stream_pos += block.size
            if hi > lo:
                pieces.append(block[lo:hi])
                have += hi - lo
        if len(pieces) > 1:
            buffer = np.concatenate(pieces)
        yield window, buffer[: window.end - buffer_start].copy()


# ----------------------------------------------------------------------------------------------- model plumbing
def _setting(model: Any, name: str, default: float, value: Optional[float]) -> float:
    return float(value) if value is not None else float(getattr(model, name, default))


def _duration(path: str) -> float:
    """Seconds of audio from the file header; 0 when it cannot be read (the whole-file path reports the error)."""
    try:
        return audio_info(path).duration
    except AudioReadError:
        return 0.0


def item_lengths(items: Sequence[Any]) -> List[float]:
    """The length of each ``transcribe`` input: a file's seconds from its header (0 when it is missing or cannot be
    read: the whole-file path reports it), an array's or tensor's size."""

    def length(item: Any) -> float:
        if isinstance(item, (str, os.PathLike)):
            return _duration(item) if os.path.isfile(item) else 0.0
        return float(item.numel() if isinstance(item, torch.Tensor) else np.asarray(item).size)

    return [length(item) for item in items]


def long_audio_indices(
    model: Any,
    paths: Sequence[str],
    threshold_in_secs: Optional[float] = None,
    lengths: Optional[Sequence[float]] = None,
) -> Set[int]:
    """Indices of the files longer than the model's long-audio threshold (argument, else the model attribute
    ``transcribe_long_audio_threshold_in_secs``, else 120 s); ``inf`` or a negative value turns chunking off.
    ``lengths``: ``item_lengths(paths)`` when the caller has them (else the headers are read here)."""
    threshold = _setting(
        model, "transcribe_long_audio_threshold_in_secs", DEFAULT_LONG_AUDIO_THRESHOLD_IN_SECS, threshold_in_secs
    )
    if threshold < 0 or math.isinf(threshold):
        return set()
    lengths = item_lengths(paths) if lengths is None else lengths
    files = (i for i, path in enumerate(paths) if isinstance(path, (str, os.PathLike)))  # not arrays
    return {i for i in files if lengths[i] > threshold}


class _BufferedTranscriber:
    """What chunked CTC and RNN-T transcription share: the window plan on the encoder's stride, the streamed window
    batches, the whole-file normalization statistics and the loop over each window's kept output frames."""

    def __init__(
        self,
        model: Any,
        chunk_len_in_secs: Optional[float] = None,
        context_in_secs: Optional[float] = None,
        batch_size: int = 4,
        verbose: bool = True,
    ) -> None:
        self.model = model
        config = model._transcribe_config("", 1)
        self.sample_rate = int(config.get("sample_rate") or model.preprocessor._sample_rate)
        self.trim = bool(config.get("trim_silence", False))
        self.samples_per_frame = self._samples_per_frame()
        chunk = _setting(model, "transcribe_chunk_len_in_secs", DEFAULT_CHUNK_LEN_IN_SECS, chunk_len_in_secs)
        context = _setting(model, "transcribe_chunk_context_in_secs", DEFAULT_CONTEXT_IN_SECS, context_in_secs)
        if chunk <= 0 or context < 0:
            raise ValueError(f"chunk length must be > 0 and context >= 0 seconds, got {chunk} and {context}")
        self.chunk_frames = max(1, int(round(chunk * self.sample_rate / self.samples_per_frame)))
        self.context_frames = int(math.ceil(context * self.sample_rate / self.samples_per_frame))
        self.batch_size = max(1, int(batch_size))
        self.verbose = verbose

    def _hop(self) -> int:
        pre = self.model.preprocessor
        hop = getattr(getattr(pre, "featurizer", None), "hop_length", None) or getattr(pre, "hop_length", None)
        if hop is None:
            hop = int(round(float(self.model.cfg.preprocessor.window_stride) * self.sample_rate))
        return int(hop)

    def _samples_per_frame(self) -> int:
        """Samples per output frame (hop times the encoder's subsampling), measured on two silent inputs."""
        hop = self._hop()
        device = next(self.model.parameters()).device
        lengths = []
        for frames in (256, 512):
            signal = torch.zeros(1, frames * hop, device=device)
            _, encoded_len = self._frames(signal, torch.tensor([frames * hop], device=device))
            lengths.append(int(encoded_len[0]))
        step = lengths[1] - lengths[0]
        if step <= 0 or 256 % step:
            raise RuntimeError(f"cannot tell the encoder's stride: 256 feature frames gave {step} output frames")
        return hop * (256 // step)

    def _frames(self, signal: torch.Tensor, lengths: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """The model's output frames ``[B, T, ...]`` for a batch of windows, and their valid lengths."""
        raise NotImplementedError

    def plan(self, num_samples: int) -> List[Window]:
        return plan_windows(num_samples, self.samples_per_frame, self.chunk_frames, self.context_frames)

    def _batches(self, audio: Iterator[Tuple[Window, np.ndarray]]) -> Iterator[List[Tuple[Window, np.ndarray]]]:
        """Consecutive windows of equal length, ``batch_size`` at most (no padding, so batching changes nothing)."""
        batch: List[Tuple[Window, np.ndarray]] = []
        for item in audio:
            if batch and (len(batch) == self.batch_size or batch[0][1].size != item[1].size):
                yield batch
                batch = []
            batch.append(item)
        if batch:
            yield batch

    def transcribe_file(self, path: str, **options: Any) -> Any:
        """The file's result as the model's ``transcribe`` gives it (``options``: its ``logprobs``/
        ``return_hypotheses``)."""
        model = self.model
        start, end = 0, None
        if self.trim:
            start, end, _ = stream_trim_bounds(iter_audio_blocks(path, self.sample_rate))
        else:
            end = sum(block.size for block in iter_audio_blocks(path, self.sample_rate))
        windows = self.plan(end - start)
        featurizer = getattr(model.preprocessor, "featurizer", None)
        normalize = getattr(featurizer, "normalize", None)
        if isinstance(normalize, str) and normalize in ("per_feature", "all_features") and windows:
            fixed = self._whole_file_statistics(path, windows, start, featurizer, normalize)
            featurizer.normalize = fixed
            try:
                return self._decode(path, windows, start, **options)
            finally:
                featurizer.normalize = normalize
        return self._decode(path, windows, start, **options)

    def _window_batches(self, path: str, windows: Sequence[Window], start: int):
        """Batches of ``(windows, signal, lengths)`` streamed from ``path``."""
        device = next(self.model.parameters()).device
        for batch in self._batches(iter_window_audio(iter_audio_blocks(path, self.sample_rate), windows, offset=start)):
            signal = torch.from_numpy(np.stack([samples for _, samples in batch])).to(device)
            lengths = torch.full((len(batch),), signal.shape[1], dtype=torch.long, device=device)
            yield [window for window, _ in batch], signal, lengths

    def _whole_file_statistics(self, path, windows, start, featurizer, normalize: str) -> Dict[str, List[float]]:
        """The whole file's ``per_feature``/``all_features`` mean and std (as ``normalize_batch`` computes them, the
        std with its constant added), from the kept feature frames of every window, in one streamed pass: decoding
        with them as fixed statistics gives each window the features the whole-file path gives."""
        from nemo.collections.asr.parts.features import CONSTANT

        subsampling = self.samples_per_frame // self._hop()
        total = sum_sq = None
        count = 0
        featurizer.normalize = None
        try:
            for batch_windows, signal, lengths in self._window_batches(path, windows, start):
                features, feature_len = self.model.preprocessor(input_signal=signal, length=lengths)
                for i, window in enumerate(batch_windows):
                    first = window.keep_start * subsampling
                    stop = int(feature_len[i])
                    if not window.is_last:
                        stop = min(stop, first + window.keep_len * subsampling)
                    frames = features[i, :, first:stop].double()
                    total = frames.sum(-1) if total is None else total + frames.sum(-1)
                    sum_sq = (frames**2).sum(-1) if sum_sq is None else sum_sq + (frames**2).sum(-1)
                    count += frames.shape[-1]
        finally:
            featurizer.normalize = normalize
        if normalize == "all_features":
            total, sum_sq, count = total.sum().expand_as(total), sum_sq.sum().expand_as(sum_sq), count * total.numel()
        mean = total / max(count, 1)
        var = (sum_sq - count * mean**2).clamp_min(0.0) / max(count - 1, 1)
        std = var.sqrt() + CONSTANT
        return {"fixed_mean": mean.tolist(), "fixed_std": std.tolist()}

    def _kept_frames(self, path: str, windows: Sequence[Window], start: int) -> Iterator[Tuple[Window, torch.Tensor]]:
        """Each window and its kept output frames ``[T, ...]``, in order (with the progress bar)."""
        bar = progress(
            total=len(windows),
            verbose=self.verbose,
            desc=f"Transcribing {os.path.basename(path)}",
            unit="chunk",
            leave=False,
        )
        try:
            for batch, signal, lengths in self._window_batches(path, windows, start):
                outputs, encoded_len = self._frames(signal, lengths)
                for i, window in enumerate(batch):
                    available = int(encoded_len[i])
                    stop = available if window.is_last else min(available, window.keep_start + window.keep_len)
                    yield window, outputs[i, window.keep_start : stop]
                bar.update(len(batch))
        finally:
            bar.close()

    def _decode(self, path: str, windows: Sequence[Window], start: int, **options: Any) -> Any:
        raise NotImplementedError


class BufferedCTCTranscriber(_BufferedTranscriber):
    """Chunked greedy CTC transcription of one file at a time with a CTC model (call it in ``_inference_state``)."""

    def _frames(self, signal: torch.Tensor, lengths: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        log_probs, encoded_len, _ = self.model.forward(input_signal=signal, input_signal_length=lengths)
        return log_probs, encoded_len

    def _decode(self, path, windows, start, logprobs: bool = False, return_hypotheses: bool = False) -> Any:
        """The file's transcript (``str``), ``(T, V+1)`` log-probabilities, or a ``Hypothesis``, as ``transcribe``."""
        keep_all = logprobs or return_hypotheses
        kept_logprobs: List[torch.Tensor] = []
        kept_labels: List[np.ndarray] = []
        previous = -1
        for _, kept in self._kept_frames(path, windows, start):
            if keep_all:
                kept_logprobs.append(kept.cpu().clone())
                continue
            labels = kept.argmax(dim=-1).cpu().numpy()
            if labels.size:
                new = np.empty(labels.size, dtype=bool)
                new[0] = labels[0] != previous
                new[1:] = labels[1:] != labels[:-1]
                kept_labels.append(labels[new])
                previous = int(labels[-1])
        return self._finish(kept_logprobs, kept_labels, logprobs, return_hypotheses)

    def _finish(self, kept_logprobs, kept_labels, logprobs: bool, return_hypotheses: bool) -> Any:
        model = self.model
        if logprobs or return_hypotheses:
            if kept_logprobs:
                full = torch.cat(kept_logprobs, dim=0)
            else:
                full = torch.zeros(0, int(model.decoder.num_classes_with_blank))
            if logprobs:
                return full.numpy()
            predictions = full.argmax(dim=-1)
        else:
            predictions = torch.from_numpy(np.concatenate(kept_labels) if kept_labels else np.zeros(0, np.int64))
        predictions = predictions.to(torch.long).unsqueeze(0)
        decoded = model._wer.ctc_decoder_predictions_tensor(
            predictions, predictions_len=torch.tensor([predictions.shape[1]]), return_hypotheses=return_hypotheses
        )[0]
        if return_hypotheses:
            decoded.y_sequence = full
        return decoded


class BufferedRNNTTranscriber(_BufferedTranscriber):
    """Chunked greedy transcription of one file at a time with a transducer (call it in ``_inference_state``): the
    kept encoder frames of each window are decoded greedily as they come, the prediction network's output and state
    carried over from the previous window (NeMo's buffered RNN-T inference). Beam-search models decode greedily
    here."""

    def __init__(self, model: Any, **settings: Any) -> None:
        super().__init__(model, **settings)
        from nemo.collections.asr.parts.submodules.rnnt_greedy_decoding import GreedyRNNTInfer

        current = model.decoding.decoding
        if isinstance(current, GreedyRNNTInfer):
            self.greedy = current
        else:  # the batched greedy decoder gives the same labels; beam search is not carried across windows
            self.greedy = GreedyRNNTInfer(
                decoder_model=model.decoder,
                joint_model=model.joint,
                blank_index=model.decoding.blank_id,
                max_symbols_per_step=getattr(current, "max_symbols", 10),
                preserve_alignments=bool(getattr(current, "preserve_alignments", False)),
            )

    def _frames(self, signal: torch.Tensor, lengths: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        encoded, encoded_len = self.model.forward(input_signal=signal, input_signal_length=lengths)
        return encoded.transpose(1, 2), encoded_len

    def _decode(self, path, windows, start, return_hypotheses: bool = False) -> Any:
        """The file's transcript (``str``) or ``Hypothesis`` (labels, their frames, score), as ``transcribe``."""
        from nemo.collections.asr.parts.rnnt_utils import Hypothesis
        from nemo.collections.asr.parts.submodules.rnnt_greedy_decoding import pack_hypotheses

        hypothesis, carry, frames = None, None, 0
        for window, kept in self._kept_frames(path, windows, start):
            hypothesis, carry = self.greedy.decode_continued(kept, hypothesis, carry, offset=window.first_frame)
            frames = window.first_frame + kept.shape[0]
        if hypothesis is None:  # nothing left after trimming
            hypothesis = Hypothesis(score=0.0, y_sequence=[], timestep=[], dec_state=None)
        (hypothesis,) = self.model.decoding.decode_hypothesis(pack_hypotheses([hypothesis], torch.tensor([frames])))
        return hypothesis if return_hypotheses else hypothesis.text


def transcribe_long_files(
    model: Any,
    paths: Sequence[str],
    indices: Iterable[int],
    options: Dict[str, Any],
    transcriber: type = BufferedCTCTranscriber,
) -> Dict[int, Any]:
    """``{index: result}`` for the files at ``indices``, transcribed in chunks by a ``transcriber`` (``options``:
    ``batch_size``, ``verbose``, ``chunk_len_in_secs``, ``context_in_secs`` and what its ``transcribe_file`` takes,
    ``logprobs``/``return_hypotheses``)."""
    indices = sorted(indices)
    if not indices:
        return {}
    settings = ("batch_size", "verbose", "chunk_len_in_secs", "context_in_secs")
    file_options = {key: value for key, value in options.items() if key not in settings}
    transcriber = transcriber(
        model,
        chunk_len_in_secs=options.get("chunk_len_in_secs"),
        context_in_secs=options.get("context_in_secs"),
        batch_size=options.get("batch_size", 4),
        verbose=options.get("verbose", True),
    )
    results = {}
    for index in progress(indices, verbose=options.get("verbose", True), desc="Transcribing long files", unit="file"):
        results[index] = transcriber.transcribe_file(paths[index], **file_options)
    return results


def transcribe_files(
    model: Any,
    paths: Sequence[str],
    decode_batch: Callable[[torch.Tensor, torch.Tensor], List[Any]],
    transcriber: type,
    options: Dict[str, Any],
    long_audio_threshold_in_secs: Optional[float] = None,
) -> List[Any]:
    """One result per file, in order: files up to the long-audio threshold (see ``long_audio_indices``) are batched
    whole through ``decode_batch(signal, signal_len)``, longer ones streamed in chunks by ``transcriber`` (see
    ``transcribe_long_files`` for ``options``). Call it in the model's ``_inference_state``."""
    lengths = item_lengths(paths)  # each header read once here (and once more by the loader, which reports errors)
    long_files = long_audio_indices(model, paths, long_audio_threshold_in_secs, lengths)
    short = longest_first([i for i in range(len(paths)) if i not in long_files], lengths)
    batch_size, verbose = options.get("batch_size", 4), options.get("verbose", True)
    results: List[Any] = []
    batches = model._iterate_audio([paths[i] for i in short], batch_size, model._transcribe_config) if short else ()
    total = -(-len(short) // max(1, batch_size))
    for signal, signal_len, *_ in progress(batches, verbose=verbose, total=total, desc="Transcribing"):
        results += decode_batch(signal, signal_len)
    chunked = transcribe_long_files(model, paths, long_files, options, transcriber)
    whole = dict(zip(short, results))
    return [chunked[i] if i in chunked else whole[i] for i in range(len(paths))]


def longest_first(indices: Sequence[int], lengths: Sequence[float]) -> List[int]:
    """``indices`` ordered by ``lengths[i]`` (see ``item_lengths``), longest first (a stable sort: equal lengths keep
    their order), so that a batch holds files of similar length and pads little: 32 files of 2-8 s in batches of 8
    are otherwise padded to ~1.5x their audio."""
    return sorted(indices, key=lengths.__getitem__, reverse=True)
