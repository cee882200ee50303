"""Train an ASR config for a fixed wall time, then print its greedy test WER as one JSON line.

For comparisons at equal cost: every model gets the same minutes (Lightning's ``max_time``), and its learning-rate
schedule is stretched over those minutes rather than over ``trainer.max_epochs`` (a schedule sized for epochs would
stop a fast model mid-anneal and let a slow one never leave its peak). Run the contenders at the same time, one thread
each, so they see the same load:

    python examples/asr/make_speech_corpus.py --out-dir /tmp/speech --num-train 8000 --num-val 60 --num-test 200
    python examples/asr/process_asr_text_tokenizer.py --manifest=/tmp/speech/train_manifest.json \
        --data_root=/tmp/speech/tokenizers --vocab_size=256 --tokenizer=spe --spe_type=bpe
    OMP_NUM_THREADS=1 python examples/asr/train_for_wall_time.py --config examples/asr/conf/config.yaml \
        --corpus /tmp/speech --minutes 20
    OMP_NUM_THREADS=1 python examples/asr/train_for_wall_time.py \
        --config examples/asr/conf/conformer/conformer_ctc_small.yaml --corpus /tmp/speech --minutes 20
    OMP_NUM_THREADS=1 python examples/asr/train_for_wall_time.py --config examples/asr/conf/citrinet/citrinet_small.yaml \
        --corpus /tmp/speech --minutes 20 model.tokenizer.dir=/tmp/speech/tokenizers/tokenizer_spe_bpe_v256

``--corpus`` is a folder with ``make_speech_corpus.py``'s three manifests; further ``key=value`` arguments override
the config (OmegaConf dot-list). The model class follows the config: a ``joint`` makes a transducer, a ``tokenizer``
a sub-word model. The JSON line holds the config, parameters, optimizer steps, epochs, training seconds, the test
WER and CER (greedy, from ``transcribe`` on the test manifest), the last learning rate and validation WER.
"""

import argparse
import json
import math
import time
from pathlib import Path
from typing import Any, Dict, Optional, Sequence

import pytorch_lightning as pl
import torch
from omegaconf import DictConfig, OmegaConf

from nemo.collections.asr.metrics.wer import word_error_rate
from nemo.collections.asr.models import (
    ASRModel,
    EncDecCTCModel,
    EncDecCTCModelBPE,
    EncDecRNNTBPEModel,
    EncDecRNNTModel,
)
from nemo.collections.common.data.manifest import read_manifest
from nemo.core.config import make_trainer
from nemo.core.optim.lr_scheduler import WarmupPolicy

__all__ = ["WallTimeSchedule", "model_class_for", "train_for_wall_time", "main"]

# Steps before the schedule is first stretched: the first steps' times include warm-up costs.
_CALIBRATION_STEPS = 10


class WallTimeSchedule(pl.Callback):
    """Stretches warmup-then-anneal schedules over ``seconds`` of training instead of a step count.

    Before each step, ``max_steps`` becomes the number of steps the run is on course to make in ``seconds`` (steps so
    far x budget / elapsed) and the warmup the config's ``warmup_ratio`` of it, so the learning rate follows the
    config's curve in wall time whatever the step speed.
    """

    def __init__(self, seconds: float, warmup_ratio: float) -> None:
        self.seconds = seconds
        self.warmup_ratio = warmup_ratio
        self._start: Optional[float] = None

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._start = time.monotonic()
        for config in trainer.lr_scheduler_configs:
            scheduler = config.scheduler
            if not isinstance(scheduler, WarmupPolicy) or scheduler.max_steps is None:
                raise ValueError(
                    f"WallTimeSchedule: model.optim.sched must be a warmup/anneal schedule with max_steps "
                    f"(CosineAnnealing, ...), got {type(scheduler).__name__}"
                )
            if scheduler.hold_end != scheduler.warmup_steps:
                raise ValueError(
                    "WallTimeSchedule: schedules with a hold phase (hold_steps/hold_ratio) are not stretched"
                )

    def on_train_batch_start(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        step = trainer.global_step
        if step < _CALIBRATION_STEPS:
            return
        elapsed = time.monotonic() - self._start
        total = max(step + 1, round(step * self.seconds / elapsed))
        for config in trainer.lr_scheduler_configs:
            scheduler = config.scheduler
            scheduler.max_steps = total
            scheduler.warmup_steps = scheduler.hold_end = int(self.warmup_ratio * total)


def model_class_for(cfg: DictConfig) -> type:
    """The ASR model class a config trains: transducer when it has a ``joint``, sub-word when it has a ``tokenizer``."""
    transducer, subword = "joint" in cfg.model, "tokenizer" in cfg.model
    return {
        (False, False): EncDecCTCModel,
        (False, True): EncDecCTCModelBPE,
        (True, False): EncDecRNNTModel,
        (True, True): EncDecRNNTBPEModel,
    }[(transducer, subword)]


def _test_error_rates(model: ASRModel, manifest: Path, batch_size: int) -> Dict[str, float]:
    entries = read_manifest(str(manifest), need_text=True, what="test manifest")
    hypotheses = model.transcribe([e.audio_file for e in entries], batch_size=batch_size, verbose=False)
    hypotheses = [h.text if hasattr(h, "text") else h for h in hypotheses]
    references = [e.text for e in entries]
    return {
        "test_wer": round(word_error_rate(hypotheses, references), 4),
        "test_cer": round(word_error_rate(hypotheses, references, use_cer=True), 4),
        "test_utterances": len(entries),
    }


def train_for_wall_time(cfg: DictConfig, corpus: Path, minutes: float) -> Dict[str, Any]:
    """Train ``cfg``'s model on ``corpus`` for ``minutes`` of wall time; return the figures of the JSON line."""
    seconds = minutes * 60
    for split in ("train", "validation", "test"):
        cfg.model[f"{split}_ds"].manifest_filepath = str(corpus / f"{split}_manifest.json")
    sched = cfg.model.optim.sched
    warmup_ratio = sched.get("warmup_ratio")
    if warmup_ratio is None or sched.get("warmup_steps") is not None:
        raise ValueError(
            f"model.optim.sched: give warmup_ratio (stretched with the run), not warmup_steps; got {sched}"
        )
    # A first guess of one epoch's steps; WallTimeSchedule replaces it after the first steps.
    with open(cfg.model.train_ds.manifest_filepath, encoding="utf-8") as manifest:
        train_lines = sum(1 for _ in manifest)
    sched.max_steps = max(1, math.ceil(train_lines / cfg.model.train_ds.batch_size))
    whole_minutes, secs = divmod(round(seconds), 60)
    cfg.trainer.max_time = f"00:{whole_minutes // 60:02d}:{whole_minutes % 60:02d}:{secs:02d}"  # DD:HH:MM:SS
    cfg.trainer.max_epochs = -1
    cfg.trainer.max_steps = -1
    cfg.trainer.enable_progress_bar = False
    trainer = make_trainer(cfg)
    trainer.callbacks.append(WallTimeSchedule(seconds, warmup_ratio))
    model = model_class_for(cfg)(cfg=cfg.model, trainer=trainer)
    start = time.monotonic()
    trainer.fit(model)
    train_seconds = time.monotonic() - start
    model.eval()
    val_wer = trainer.callback_metrics.get("val_wer")
    return {
        "name": cfg.get("name"),
        "model": type(model).__name__,
        "parameters": sum(p.numel() for p in model.parameters()),
        "minutes": minutes,
        "train_seconds": round(train_seconds, 1),
        "steps": trainer.global_step,
        "epochs": round(trainer.global_step / trainer.num_training_batches, 2),
        "threads": torch.get_num_threads(),
        "last_lr": float(f"{trainer.optimizers[0].param_groups[0]['lr']:.3g}"),
        "val_wer": None if val_wer is None else round(float(val_wer), 4),
        **_test_error_rates(model, corpus / "test_manifest.json", cfg.model.test_ds.get("batch_size", 16)),
    }


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True, help="a training YAML, e.g. examples/asr/conf/config.yaml")
    parser.add_argument("--corpus", required=True, type=Path, help="folder of make_speech_corpus.py's manifests")
    parser.add_argument("--minutes", required=True, type=float, help="wall time of training (validation included)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("overrides", nargs="*", help="config overrides, key=value")
    args = parser.parse_args(argv)
    if args.minutes <= 0:
        parser.error(f"--minutes must be > 0, got {args.minutes}")
    cfg = OmegaConf.merge(OmegaConf.load(args.config), OmegaConf.from_dotlist(list(args.overrides)))
    cfg.pop("hydra", None)
    cfg.pop("exp_manager", None)  # nothing is kept: no logger, no checkpoints
    cfg.trainer.enable_checkpointing = False
    pl.seed_everything(args.seed)
    figures = {"config": args.config, **train_for_wall_time(cfg, args.corpus, args.minutes)}
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
