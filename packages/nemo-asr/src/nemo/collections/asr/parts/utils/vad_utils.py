"""Voice activity detection over long audio with an utterance classifier (MarbleNet), as NeMo v1's ``vad_utils``.

A window of ``window_length_in_sec`` slides over the file every ``shift_length_in_sec``; the classifier's speech
probability for window ``k`` belongs to frame ``k`` (samples ``[k * shift, (k + 1) * shift)``), which sits in the
middle of the window (the signal is zero padded by half a window at each end). The file is streamed from disk and
the windows are classified ``chunk_len_in_sec`` of frames at a time, so memory stays flat however long the file is;
every window sees the same samples whatever the chunking, so the frames equal whole-file ones.

``generate_overlap_vad_seq_per_tensor`` smooths those frame predictions (``median`` or ``mean`` of every window
covering a frame, windows taken ``(1 - overlap) * window`` apart), ``binarization`` turns them into speech segments
with hysteresis (``onset``, ``offset``, ``pad_onset``, ``pad_offset``) and ``filtering`` drops short speech
(``min_duration_on``) and fills short gaps (``min_duration_off``), with NeMo's parameter names and rules.
Segments are written as NeMo's RTTM lines or as a JSON-lines manifest (``audio_filepath``, ``offset``,
``duration``) whose segments ``load_segment_audio`` reads for ``transcribe``.
"""

import json
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from nemo.collections.asr.parts.buffered_transcription import iter_audio_blocks
from nemo.collections.common.data.audio import load_audio
from nemo.collections.common.data.manifest import iter_manifest
from nemo.utils.config_keys import refuse_unknown_keys

__all__ = [
    "VAD_PARAMETER_KEYS",
    "POSTPROCESSING_KEYS",
    "generate_vad_frame_pred",
    "generate_overlap_vad_seq_per_tensor",
    "binarization",
    "filtering",
    "merge_overlap_segment",
    "generate_vad_segment_table_per_tensor",
    "frame_labels_from_segments",
    "vad_parameters",
    "run_vad",
    "write_rttm",
    "write_segment_manifest",
    "load_segment_audio",
]

#: keys of ``vad.parameters`` (NeMo's ``vad_inference_postprocessing.yaml``)
VAD_PARAMETER_KEYS = ("window_length_in_sec", "shift_length_in_sec", "smoothing", "overlap", "postprocessing")
#: keys of ``vad.parameters.postprocessing`` (NeMo's names)
POSTPROCESSING_KEYS = (
    "onset",
    "offset",
    "pad_onset",
    "pad_offset",
    "min_duration_on",
    "min_duration_off",
    "filter_speech_first",
)
Segments = List[Tuple[float, float]]


def _frame_geometry(window_length_in_sec: float, shift_length_in_sec: float, sample_rate: int) -> Tuple[int, int, int]:
    """``(shift samples, window frames S, left frames L)``: windows are whole numbers of shifts, frame ``k``'s window
    starting ``L`` shifts before it."""
    if shift_length_in_sec <= 0 or window_length_in_sec < shift_length_in_sec:
        raise ValueError(
            f"VAD: need 0 < shift_length_in_sec <= window_length_in_sec, got shift_length_in_sec="
            f"{shift_length_in_sec}, window_length_in_sec={window_length_in_sec}"
        )
    shift = int(round(shift_length_in_sec * sample_rate))
    if shift < 1:
        raise ValueError(f"VAD: shift_length_in_sec={shift_length_in_sec} is under one sample at {sample_rate} Hz")
    frames = max(1, int(round(window_length_in_sec / shift_length_in_sec)))
    return shift, frames, (frames - 1) // 2


def _blocks_of(audio: Union[str, np.ndarray, torch.Tensor], sample_rate: int) -> Iterator[np.ndarray]:
    if isinstance(audio, str):
        return iter_audio_blocks(audio, sample_rate)
    samples = np.asarray(audio.cpu() if isinstance(audio, torch.Tensor) else audio, dtype=np.float32)
    if samples.ndim != 1:
        raise ValueError(f"VAD: audio must be a path or a 1-D array of samples, got shape {samples.shape}")
    return iter([samples])


def _speech_index(vad_model: Any, speech_label: str) -> int:
    labels = [str(label) for label in vad_model.cfg.labels]
    if speech_label not in labels:
        raise ValueError(f"VAD: model labels {labels} have no speech label {speech_label!r} (argument speech_label)")
    return labels.index(speech_label)


@torch.no_grad()
def generate_vad_frame_pred(
    vad_model: Any,
    audio: Union[str, np.ndarray, torch.Tensor],
    window_length_in_sec: float = 0.63,
    shift_length_in_sec: float = 0.01,
    chunk_len_in_sec: float = 60.0,
    batch_size: int = 256,
    speech_label: str = "speech",
) -> torch.Tensor:
    """Speech probability of every ``shift_length_in_sec`` frame of ``audio`` (a file path, streamed, or samples at
    the model's rate): ``ceil(num_samples / shift)`` values, classified ``chunk_len_in_sec`` at a time."""
    sample_rate = int(vad_model.preprocessor._sample_rate)
    shift, frames, left = _frame_geometry(window_length_in_sec, shift_length_in_sec, sample_rate)
    window = frames * shift
    chunk = max(1, int(round(chunk_len_in_sec / shift_length_in_sec)))
    speech = _speech_index(vad_model, speech_label)
    was_training = vad_model.training
    vad_model.eval()
    device = next(vad_model.parameters()).device

    def classify(padded: np.ndarray, count: int) -> torch.Tensor:
        signal = torch.from_numpy(padded[: (count - 1) * shift + window])
        windows = signal.unfold(0, window, shift)
        probs = []
        for start in range(0, count, batch_size):
            batch = windows[start : start + batch_size].to(device)
            lengths = torch.full((batch.shape[0],), window, dtype=torch.long, device=device)
            logits = vad_model.forward(input_signal=batch, input_signal_length=lengths)
            probs.append(torch.softmax(logits.float(), dim=-1)[:, speech].cpu())
        return torch.cat(probs)

    try:
        out: List[torch.Tensor] = []
        buffer = np.zeros(left * shift, dtype=np.float32)  # padded samples from frame ``done``'s window start
        done, total = 0, 0
        need = (chunk - 1) * shift + window
        for block in _blocks_of(audio, sample_rate):
            total += block.size
            buffer = np.concatenate([buffer, block])
            while buffer.size >= need:
                out.append(classify(buffer, chunk))
                buffer, done = buffer[chunk * shift :], done + chunk
        remaining = -(-total // shift) - done
        while remaining > 0:
            count = min(chunk, remaining)
            short = (count - 1) * shift + window - buffer.size
            if short > 0:
                buffer = np.concatenate([buffer, np.zeros(short, dtype=np.float32)])
            out.append(classify(buffer, count))
            buffer, done, remaining = buffer[count * shift :], done + count, remaining - count
    finally:
        vad_model.train(was_training)
    return torch.cat(out) if out else torch.zeros(0)


def generate_overlap_vad_seq_per_tensor(
    frame: torch.Tensor, per_args: Mapping[str, float], smoothing_method: str
) -> torch.Tensor:
    """Each frame's ``median`` or ``mean`` over the windows covering it, taking every ``jump``-th window
    (``jump = round(S * (1 - overlap))`` frames, ``S`` the window in frames; NeMo's overlap smoothing)."""
    if smoothing_method not in ("median", "mean"):
        raise ValueError(f"VAD: smoothing must be 'median' or 'mean', got {smoothing_method!r}")
    overlap = float(per_args["overlap"])
    window_length, shift_length = float(per_args["window_length_in_sec"]), float(per_args["shift_length_in_sec"])
    frames = max(1, int(round(window_length / shift_length)))
    left = (frames - 1) // 2
    jump = int(round(frames * (1.0 - overlap)))
    if not 0.0 <= overlap < 1.0 or not 1 <= jump <= frames - left:
        raise ValueError(
            f"VAD: overlap={overlap} gives windows {jump} frames apart; need 0 <= overlap < 1 and 1 <= "
            f"round(window frames * (1 - overlap)) <= {frames - left} so that every frame is covered"
        )
    frame = frame.double()
    count = frame.numel()
    if count == 0:
        return frame.float()
    taken = torch.full((count,), float("nan"), dtype=torch.float64)
    taken[::jump] = frame[::jump]
    # window k covers frames [k - left, k - left + frames): frame t gathers windows t - frames + left + 1 .. t + left
    padded = torch.cat(
        [
            torch.full((frames - left - 1,), float("nan"), dtype=torch.float64),
            taken,
            torch.full((left,), float("nan"), dtype=torch.float64),
        ]
    )
    if smoothing_method == "mean":
        present = (~padded.isnan()).double()
        values = torch.nan_to_num(padded)
        sums = torch.cat([torch.zeros(1, dtype=torch.float64), values.cumsum(0)])
        counts = torch.cat([torch.zeros(1, dtype=torch.float64), present.cumsum(0)])
        smoothed = (sums[frames:] - sums[:-frames]) / (counts[frames:] - counts[:-frames])
    else:
        rows = 1 << 14  # frames per nanquantile call: memory stays bounded on long files
        smoothed = torch.cat(
            [
                torch.nanquantile(padded[start : start + rows + frames - 1].unfold(0, frames, 1), 0.5, dim=1)
                for start in range(0, count, rows)
            ]
        )
    return smoothed.float()


def merge_overlap_segment(segments: Segments) -> Segments:
    """Sorted segments with overlapping or touching ones merged: ``[(0, 1.5), (1, 3.5)] -> [(0, 3.5)]``."""
    merged: Segments = []
    for start, end in sorted(segments):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def binarization(sequence: Sequence[float], per_args: Mapping[str, float]) -> Segments:
    """Speech segments in seconds by hysteresis: speech starts at the first frame above ``onset`` and ends at the
    first frame below ``offset`` (Gelly & Gauvain, 2015); ``pad_onset``/``pad_offset`` widen each segment and
    overlapping ones merge. A segment still open at the end closes at the end of the last frame."""
    frame_len = float(per_args.get("frame_length_in_sec", 0.01))
    onset, offset = float(per_args.get("onset", 0.5)), float(per_args.get("offset", 0.5))
    pad_onset, pad_offset = float(per_args.get("pad_onset", 0.0)), float(per_args.get("pad_offset", 0.0))
    values = [float(v) for v in sequence]
    segments: Segments = []
    speech, start = False, 0.0

    def close(end: float) -> None:
        begin, finish = max(0.0, start - pad_onset), end + pad_offset
        if finish > begin:
            segments.append((begin, finish))

    for i, value in enumerate(values):
        if speech and value < offset:
            close(i * frame_len)
            speech = False
        elif not speech and value > onset:
            start, speech = i * frame_len, True
    if speech:
        close(len(values) * frame_len)
    return merge_overlap_segment(segments)


def _drop_short(segments: Segments, threshold: float) -> Segments:
    return [(s, e) for s, e in segments if e - s >= threshold]


def _fill_short_gaps(segments: Segments, threshold: float) -> Segments:
    segments = sorted(segments)
    gaps = [(a[1], b[0]) for a, b in zip(segments, segments[1:]) if b[0] - a[1] < threshold]
    return merge_overlap_segment(segments + gaps)


def filtering(speech_segments: Segments, per_args: Mapping[str, float]) -> Segments:
    """Drop speech shorter than ``min_duration_on`` and turn gaps shorter than ``min_duration_off`` into speech;
    ``filter_speech_first`` (default true) drops short speech before filling gaps, otherwise after (NeMo's order)."""
    min_on, min_off = float(per_args.get("min_duration_on", 0.0)), float(per_args.get("min_duration_off", 0.0))
    segments = list(speech_segments)
    if bool(per_args.get("filter_speech_first", True)):
        if min_on > 0.0:
            segments = _drop_short(segments, min_on)
        if min_off > 0.0:
            segments = _fill_short_gaps(segments, min_off)
    else:
        if min_off > 0.0:
            segments = _fill_short_gaps(segments, min_off)
        if min_on > 0.0:
            segments = _drop_short(segments, min_on)
    return sorted(segments)


def generate_vad_segment_table_per_tensor(sequence: Sequence[float], per_args: Mapping[str, float]) -> Segments:
    """``filtering(binarization(sequence))``: the sorted ``(start, end)`` speech segments in seconds."""
    return filtering(binarization(sequence, per_args), per_args)


def frame_labels_from_segments(
    segments: Iterable[Tuple[float, float]], num_frames: int, frame_len: float
) -> torch.Tensor:
    """0/1 per frame: 1 where the frame's centre lies inside a segment (to score segments against frame labels)."""
    centres = (torch.arange(num_frames, dtype=torch.float64) + 0.5) * frame_len
    labels = torch.zeros(num_frames, dtype=torch.long)
    for start, end in segments:
        labels[(centres >= start) & (centres < end)] = 1
    return labels


def vad_parameters(parameters: Mapping[str, Any], where: str = "vad.parameters") -> Dict[str, Any]:
    """``parameters`` (NeMo's ``vad.parameters`` block) checked for unknown keys, with NeMo's defaults filled in."""
    refuse_unknown_keys(parameters, VAD_PARAMETER_KEYS, where)
    post = dict(parameters.get("postprocessing") or {})
    refuse_unknown_keys(post, POSTPROCESSING_KEYS, f"{where}.postprocessing")
    checked = {"window_length_in_sec": 0.63, "shift_length_in_sec": 0.01, "smoothing": "median", "overlap": 0.875}
    checked.update({key: parameters[key] for key in VAD_PARAMETER_KEYS[:4] if key in parameters})
    checked["postprocessing"] = post
    return checked


def run_vad(
    vad_model: Any,
    audio: Union[str, np.ndarray, torch.Tensor],
    parameters: Mapping[str, Any],
    chunk_len_in_sec: float = 60.0,
    batch_size: int = 256,
) -> Tuple[torch.Tensor, Segments]:
    """``(frame speech probabilities, speech segments)`` of ``audio``: frame prediction, smoothing (``smoothing``
    false keeps the raw frames), then binarization and filtering with ``parameters`` (``vad.parameters``)."""
    params = vad_parameters(parameters)
    window, shift = float(params["window_length_in_sec"]), float(params["shift_length_in_sec"])
    probs = generate_vad_frame_pred(vad_model, audio, window, shift, chunk_len_in_sec, batch_size)
    if params["smoothing"]:
        probs = generate_overlap_vad_seq_per_tensor(probs, params, str(params["smoothing"]))
    segments = generate_vad_segment_table_per_tensor(probs, {**params["postprocessing"], "frame_length_in_sec": shift})
    return probs, segments


def write_rttm(segments: Segments, name: str, path: str) -> None:
    """NeMo's RTTM lines, ``SPEAKER <name> 1 <start> <duration> <NA> <NA> speech <NA> <NA>``."""
    with open(path, "w", encoding="utf-8") as handle:
        for start, end in segments:
            handle.write(f"SPEAKER {name} 1 {start:.4f} {end - start:.4f} <NA> <NA> speech <NA> <NA>\n")


def write_segment_manifest(
    segments_by_file: Mapping[str, Segments], path: str, extra: Optional[Dict[str, Any]] = None
) -> int:
    """A JSON-lines manifest with one line per segment (``audio_filepath``, ``offset``, ``duration`` in seconds,
    rounded to 1e-4) for ``transcribe`` or an ASR dataset; returns the number of lines."""
    lines = 0
    with open(path, "w", encoding="utf-8") as handle:
        for audio_filepath, segments in segments_by_file.items():
            for start, end in segments:
                item = {"audio_filepath": audio_filepath, "offset": round(start, 4), "duration": round(end - start, 4)}
                handle.write(json.dumps({**item, **(extra or {})}) + "\n")
                lines += 1
    return lines


def load_segment_audio(manifest_filepath: str, sample_rate: int) -> List[np.ndarray]:
    """The samples of every segment of a segment manifest, for ``asr_model.transcribe(...)`` (which takes arrays;
    the ASR datasets also honour ``offset``/``duration`` but need a transcript on each line)."""
    return [
        load_audio(entry.audio_file, sample_rate, offset=entry.offset, duration=entry.duration or 0.0)
        for entry in iter_manifest(manifest_filepath, duration="optional")
    ]
