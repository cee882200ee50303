"""Transcribe audio files with a trained or pretrained ASR model; print the WER and CER when references are known.

    python examples/asr/transcribe_speech.py model_path=QuartzNet_small.nemo audio_dir=/tmp/speech/wavs
    python examples/asr/transcribe_speech.py model_path=QuartzNet_small.nemo \
        dataset_manifest=/tmp/speech/test_manifest.json output_filename=/tmp/predictions.json
    python examples/asr/transcribe_speech.py pretrained_name=stt_en_quartznet15x5 audio_dir=<folder of wav files>

Give exactly one of ``model_path`` (a ``.nemo`` file) and ``pretrained_name`` (see
``ASRModel.list_available_models()``; downloaded once, then read from the cache), and exactly one of ``audio_dir``
(every ``*.<audio_type>`` file in it) and ``dataset_manifest`` (NeMo JSON lines; relative paths are taken relative to
the manifest). Predictions are written as JSON lines (``audio_filepath``, ``pred_text`` and, from a manifest, the
other fields) to ``output_filename`` (default ``<model name>_transcriptions.json``). From a manifest with ``text``,
the WER and CER are printed (``show_examples=N`` also prints N reference/hypothesis pairs); the script returns the WER,
or the CER with ``use_cer=true``.
"""

import glob
import json
import os
from dataclasses import dataclass
from typing import List, Optional, Tuple

import torch

from nemo.collections.asr.metrics.wer import word_error_rate
from nemo.collections.asr.models import ASRModel
from nemo.core.config import hydra_runner
from nemo.utils import logging


@dataclass
class TranscriptionConfig:
    model_path: Optional[str] = None  # path to a .nemo file
    pretrained_name: Optional[str] = None  # name of a pretrained model
    audio_dir: Optional[str] = None  # folder of audio files
    dataset_manifest: Optional[str] = None  # NeMo manifest of audio files (with `text` for a WER)
    audio_type: str = "wav"
    output_filename: Optional[str] = None
    batch_size: int = 32
    cuda: Optional[bool] = None  # default: use a GPU when there is one
    use_cer: bool = False  # return the CER instead of the WER (both are printed)
    show_examples: int = 0  # print this many reference/hypothesis pairs (from a manifest with `text`)


def load_model(cfg: TranscriptionConfig) -> Tuple[ASRModel, str]:
    if (cfg.model_path is None) == (cfg.pretrained_name is None):
        raise ValueError("Give exactly one of model_path=<.nemo file> and pretrained_name=<name>")
    device = torch.device("cuda" if (cfg.cuda if cfg.cuda is not None else torch.cuda.is_available()) else "cpu")
    if cfg.model_path is not None:
        model = ASRModel.restore_from(cfg.model_path, map_location=device)
        name = os.path.splitext(os.path.basename(cfg.model_path))[0]
    else:
        model = ASRModel.from_pretrained(cfg.pretrained_name, map_location=device)
        name = cfg.pretrained_name
    return model.to(device), name


def read_inputs(cfg: TranscriptionConfig) -> Tuple[List[str], List[dict]]:
    """Audio paths to transcribe and one record per file (the manifest line, or just its path)."""
    if (cfg.audio_dir is None) == (cfg.dataset_manifest is None):
        raise ValueError("Give exactly one of audio_dir=<folder> and dataset_manifest=<manifest file>")
    if cfg.audio_dir is not None:
        paths = sorted(glob.glob(os.path.join(cfg.audio_dir, f"*.{cfg.audio_type}")))
        if not paths:
            raise FileNotFoundError(f"audio_dir {cfg.audio_dir!r} holds no *.{cfg.audio_type} files")
        return paths, [{"audio_filepath": path} for path in paths]
    base = os.path.dirname(os.path.abspath(cfg.dataset_manifest))
    records = []
    with open(cfg.dataset_manifest, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                path = record.get("audio_filepath", record.get("audio_filename"))
            except (json.JSONDecodeError, AttributeError) as err:
                raise ValueError(f"{cfg.dataset_manifest}:{number}: not a JSON object: {err}") from err
            if path is None:
                raise ValueError(f"{cfg.dataset_manifest}:{number}: no `audio_filepath`")
            record["audio_filepath"] = path if os.path.isabs(path) else os.path.join(base, path)
            records.append(record)
    return [record["audio_filepath"] for record in records], records


@hydra_runner(config_name="TranscriptionConfig", schema=TranscriptionConfig)
def main(cfg: TranscriptionConfig) -> Optional[float]:
    paths, records = read_inputs(cfg)
    model, name = load_model(cfg)
    logging.info(f"Transcribing {len(paths)} files with {type(model).__name__} {name}")
    hypotheses = model.transcribe(paths, batch_size=cfg.batch_size)
    output = cfg.output_filename or f"{name}_transcriptions.json"
    with open(output, "w", encoding="utf-8") as handle:
        for record, text in zip(records, hypotheses):
            handle.write(json.dumps({**record, "pred_text": text}) + "\n")
    logging.info(f"Wrote {len(hypotheses)} transcriptions to {output}")
    references = [record.get("text") for record in records]
    if not all(isinstance(text, str) for text in references):
        return None
    for reference, hypothesis in list(zip(references, hypotheses))[: max(cfg.show_examples, 0)]:
        print(f"  reference:  {reference}\n  hypothesis: {hypothesis}")
    wer = word_error_rate(hypotheses, references, use_cer=False)
    cer = word_error_rate(hypotheses, references, use_cer=True)
    print(f"WER on {len(references)} utterances: {wer:.4f}  CER: {cer:.4f}")
    return cer if cfg.use_cer else wer


if __name__ == "__main__":
    main()
