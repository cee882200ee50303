"""The FastPitch and HiFi-GAN figures of ``figures.py``: ``train:fastpitch``, ``infer:fastpitch``, ``train:hifigan``,
``infer:hifigan``, measured in whichever ``nemo`` this interpreter imports (ours or NVIDIA NeMo 3).

Both sides build their model from one config in NeMo's own terms (``tools/interop/families.py``'s FastPitch and
HiFi-GAN families: NeMo class paths and keys, which our nemo-tts builds too), scaled to a modest size. A training
step is the model's own ``training_step`` driven by a Lightning ``Trainer`` over the same seeded batch, with the
optimizer its ``optim`` node builds (AdamW on both sides, no learning-rate schedule); the time is the CPU time
between Lightning's ``on_train_batch_start`` and ``on_train_batch_end`` hooks (forward, losses, backward, optimizer
steps: for HiFi-GAN the discriminators' and the generator's updates of manual optimization), the best after a
warm-up step. Inference is ``generate_spectrogram`` of token ids or ``convert_spectrogram_to_audio`` of a mel, in
eval mode without gradients. numba's thread count is held at torch's (see ``_pin_numba_threads``).
"""

from __future__ import annotations

import copy
import math
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import numpy as np
import torch
from compat import NVIDIA  # this folder is sys.path[0]

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "interop"))
import families  # noqa: E402  (imports neither nemo: the same configs on both sides)

__all__ = ["TTS_MODELS", "fastpitch_config", "hifigan_config", "tts_step"]

TTS_MODELS = ("fastpitch", "hifigan")
SAMPLE_RATE, HOP = 22050, 256
BATCH, SECONDS, TOKENS = 4, 2.0, 40  # FastPitch: 4 utterances of 2 s (173 frames), 40 tokens each
SEGMENT = 8192  # HiFi-GAN's training crops (NeMo's n_segments), BATCH of them
D_MODEL = 256


def _fft(node: Dict[str, Any], n_layer: int) -> Dict[str, Any]:
    """NeMo's FFT block (one head of 64, feed-forward 4x wide) at ``D_MODEL``, ``n_layer`` layers."""
    return {**node, "n_layer": n_layer, "n_head": 1, "d_model": D_MODEL, "d_head": 64, "d_inner": 4 * D_MODEL}


def fastpitch_config(work: Path) -> Dict[str, Any]:
    """The interop family's FastPitch (fastpitch_align_v1.05.yaml's layout) at d_model 256, 4 + 4 layers; its
    ``train_ds`` names NeMo's ``TextToSpeechDataset``, whose batches are dicts that both sides' ``training_step``
    read (never built: the set-up is deferred)."""
    cfg = copy.deepcopy(families.fastpitch_config(work))
    cfg["symbols_embedding_dim"] = D_MODEL
    cfg["input_fft"] = {**_fft(cfg["input_fft"], 4), "d_embed": D_MODEL}
    cfg["output_fft"] = _fft(cfg["output_fft"], 4)
    for key in ("duration_predictor", "pitch_predictor"):
        cfg[key] = {**cfg[key], "input_size": D_MODEL, "filter_size": D_MODEL}
    cfg["alignment_module"] = {**cfg["alignment_module"], "n_text_channels": D_MODEL, "n_att_channels": 80}
    cfg["train_ds"]["dataset"]["_target_"] = "nemo.collections.tts.data.text_to_speech_dataset.TextToSpeechDataset"
    cfg["optim"].pop("sched")
    return cfg


def hifigan_config(work: Path) -> Dict[str, Any]:
    """The interop family's HiFi-GAN with a V1-layout generator of 128 initial channels (V2's width) and the
    discriminators' debug sizes (``hifigan_small.yaml``'s; the full ones take ~14 s a step here)."""
    cfg = copy.deepcopy(families.hifigan_config(work))
    cfg["generator"] = {**cfg["generator"], "upsample_initial_channel": 128}
    cfg["optim"].pop("sched")
    return cfg


def _model(name: str, work: Path) -> Any:
    from omegaconf import OmegaConf

    if name == "fastpitch":
        from nemo.collections.tts.models import FastPitchModel as model_class

        cfg = fastpitch_config(work)
    else:
        from nemo.collections.tts.models import HifiGanModel as model_class

        cfg = hifigan_config(work)
    torch.manual_seed(0)
    model = model_class(cfg=OmegaConf.create(cfg))
    if name == "fastpitch":
        _shared_fastpitch_weights(model, work / "fastpitch_weights.pt")
    return model


def _shared_fastpitch_weights(model: Any, path: Path) -> None:
    """The same weights on both sides, so inference predicts the same durations (the same decoder work): the first
    side to run writes its weights to the shared work folder, the other loads them (the parameter names are NeMo's on
    both sides). Before writing, the duration predictor is set to ~4 frames a token, as ``families.randomize`` does
    (random weights round most durations to 0)."""
    if path.exists():
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True), strict=True)
        return
    with torch.no_grad():
        model.fastpitch.duration_predictor.fc.weight.mul_(0.3)
        model.fastpitch.duration_predictor.fc.bias.fill_(math.log(1 + SECONDS * SAMPLE_RATE / HOP / TOKENS))
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), path)


def _beta_binomial_prior(text_lens: torch.Tensor, mel_lens: torch.Tensor) -> torch.Tensor:
    """NeMo's alignment prior ``[B, T_mel, T_text]`` (``beta_binomial_prior_distribution``, scaling 1), which its data
    loader supplies as ``align_prior_matrix``; ours computes it in ``forward`` and ignores this one."""
    from scipy.stats import betabinom

    prior = torch.zeros(len(text_lens), int(mel_lens.max()), int(text_lens.max()))
    for row, (tokens, frames) in enumerate(zip(text_lens.tolist(), mel_lens.tolist())):
        k = np.arange(tokens)
        rows = [betabinom(tokens - 1, frame, frames - frame + 1).pmf(k) for frame in range(1, frames + 1)]
        prior[row, :frames, :tokens] = torch.from_numpy(np.array(rows, dtype=np.float32))
    return prior


def fastpitch_batch(model: Any) -> Dict[str, torch.Tensor]:
    """``BATCH`` seeded noise clips of ``SECONDS`` with random token ids (pad excluded) and pitch contours, the same
    batch on both sides in each one's terms."""
    generator = torch.Generator().manual_seed(1)
    samples = int(SECONDS * SAMPLE_RATE)
    frames = samples // HOP + 1
    pad = model.vocab.pad if NVIDIA else model.tokenizer.pad
    text = torch.randint(0, pad, (BATCH, TOKENS), generator=generator)  # ids below the pad id: symbols
    pitch = 150.0 + 100.0 * torch.rand(BATCH, frames, generator=generator)
    if NVIDIA:  # NeMo's datasets hand pitch normalized by the config's pitch_mean/pitch_std; ours normalizes Hz itself
        pitch = (pitch - model.cfg.pitch_mean) / model.cfg.pitch_std
    text_lens, audio_lens = torch.full((BATCH,), TOKENS), torch.full((BATCH,), samples)
    return {"audio": 0.1 * torch.randn(BATCH, samples, generator=generator), "audio_lens": audio_lens,
            "text": text, "text_lens": text_lens, "pitch": pitch,
            "align_prior_matrix": _beta_binomial_prior(text_lens, torch.full((BATCH,), frames))}  # fmt: skip


def hifigan_batch() -> Tuple[torch.Tensor, torch.Tensor]:
    """``BATCH`` seeded noise crops of ``SEGMENT`` samples and their lengths (the batch of NeMo's
    ``nemo.collections.tts.data.dataset.VocoderDataset``, which the config names)."""
    audio = 0.1 * torch.randn(BATCH, SEGMENT, generator=torch.Generator().manual_seed(2))
    return audio, torch.full((BATCH,), SEGMENT)


def _pin_numba_threads() -> None:
    """NeMo's FastPitch runs its alignment search in numba's OpenMP layer, which on first use resets torch's OpenMP
    thread count to numba's (every core); keep numba at this figure's count so torch stays there too."""
    numba, threads = sys.modules.get("numba"), torch.get_num_threads()
    if numba is not None:
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))  # starts its layer: torch's count moves
        torch.set_num_threads(threads)


def _train_seconds(model: Any, batch: Any, iters: int) -> float:
    """Best CPU time of ``iters`` Lightning training steps on ``batch`` after one warm-up step."""
    if NVIDIA:  # NeMo 3 runs on the ``lightning`` distribution, ours on ``pytorch_lightning``
        from lightning.pytorch import Callback, Trainer
    else:
        from pytorch_lightning import Callback, Trainer
    times: List[float] = []

    class StepTimer(Callback):
        def on_train_batch_start(self, *args: Any) -> None:
            self.start = time.process_time()

        def on_train_batch_end(self, *args: Any) -> None:
            times.append(time.process_time() - self.start)

    trainer = Trainer(accelerator="cpu", devices=1, max_epochs=1, logger=False, enable_checkpointing=False,
                      enable_progress_bar=False, enable_model_summary=False, callbacks=[StepTimer()])  # fmt: skip
    # The model's own loader (as its deferred ``train_ds`` set-up would leave it), so no dataset is built.
    model._train_dl = torch.utils.data.DataLoader([batch] * (iters + 1), batch_size=None)
    trainer.fit(model)
    return min(times[1:])


def tts_step(name: str, train: bool, work: Path, iters: int, best_cpu: Callable[[Callable, int], float],
             precision: str = "fp32") -> dict:  # fmt: skip
    """One figure: CPU seconds per training step or per inference batch (``best_cpu``: figures.py's timer)."""
    if precision != "fp32":
        sys.exit(f"--precision {precision}: the FastPitch and HiFi-GAN figures are measured in float32 only")
    model = _model(name, work)
    _pin_numba_threads()
    if name == "fastpitch":
        batch = fastpitch_batch(model)
        detail = f"batch {BATCH} x {SECONDS:g} s, {TOKENS} tokens"

        def infer() -> None:
            model.generate_spectrogram(tokens=batch["text"])

    else:
        batch = hifigan_batch()
        mel = model.audio_to_melspec_precessor(batch[0].repeat(1, 5), 5 * batch[1])[0]
        detail = f"train batch {BATCH} x {SEGMENT} samples; infer {BATCH} x {mel.shape[2]} frames"

        def infer() -> None:
            with torch.no_grad():
                model.convert_spectrogram_to_audio(spec=mel)

    params = sum(p.numel() for p in model.parameters())
    if train:
        model.train()
        seconds = _train_seconds(model, batch, iters)
    else:
        model.eval()
        seconds = best_cpu(infer, iters)
    return {"value": seconds, "unit": "CPU s per batch", "detail": f"{params / 1e6:.2f}M params, {detail}"}
