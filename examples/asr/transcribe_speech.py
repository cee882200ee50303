"""Transcribe audio files with a trained or pretrained ASR model; print the WER and CER when references are known.

    python examples/asr/transcribe_speech.py model_path=QuartzNet_small.nemo audio_dir=/tmp/speech/wavs
    python examples/asr/transcribe_speech.py model_path=QuartzNet_small.nemo \
        dataset_manifest=/tmp/speech/test_manifest.json output_filename=/tmp/predictions.json
    python examples/asr/transcribe_speech.py pretrained_name=stt_en_quartznet15x5 audio_dir=<folder of wav files>
    python examples/asr/train_ngram_lm.py --manifest=/tmp/speech/train_manifest.json --order=2 --out=/tmp/lm.arpa
    python examples/asr/transcribe_speech.py model_path=QuartzNet_small.nemo \
        dataset_manifest=/tmp/speech/test_manifest.json lm_path=/tmp/lm.arpa beam_width=32 alpha=1.0 beta=0.0

Give exactly one of ``model_path`` (a ``.nemo`` file) and ``pretrained_name`` (see
``ASRModel.list_available_models()``; downloaded once, then read from the cache), and exactly one of ``audio_dir``
(every ``*.<audio_type>`` file in it) and ``dataset_manifest`` (NeMo JSON lines, read by nemo-core's manifest
reader: relative paths are taken relative to the manifest, several manifests may be joined with commas, a bad line is
an error naming ``<manifest>:<line>``). Predictions are written as JSON lines (``audio_filepath``, ``pred_text`` and, from a manifest, the
other fields) to ``output_filename`` (default ``<model name>_transcriptions.json``). From a manifest with ``text``,
the WER and CER are printed (``show_examples=N`` also prints N reference/hypothesis pairs); the script returns the WER,
or the CER with ``use_cer=true``.

``lm_path`` (an ARPA word n-gram model, e.g. from ``train_ngram_lm.py``) decodes character CTC models
(``EncDecCTCModel``; sub-word models are refused) with ``BeamSearchDecoderWithLM`` (``beam_width``, ``alpha``: the LM
weight on natural-log probabilities, ``beta``: a bonus per word) from the same log-probabilities the greedy
transcripts come from. ``pred_text`` is then the beam search's text and ``pred_text_greedy`` the greedy one; both WERs
are printed (the greedy line as without an LM, then a line for the LM), the time the beam search took is logged, and
the script returns the WER (or CER) of ``pred_text``, the LM's. Only words of the LM can be produced. The defaults
``alpha=1.0, beta=0.0`` (plain product of the acoustic and LM probabilities) were best, with ``alpha=0.5`` and
``beta`` up to 2 within 1% WER, on a 4x4 grid over the demo corpus's validation split with a bigram LM of its training
transcripts; tune them for other models and LMs.
"""

import glob
import json
import os
import time
from dataclasses import dataclass
from typing import List, Optional, Tuple

import torch

from nemo.collections.asr.metrics.wer import word_error_rate
from nemo.collections.asr.models import ASRModel, EncDecCTCModel, EncDecCTCModelBPE
from nemo.collections.asr.modules import BeamSearchDecoderWithLM
from nemo.collections.common.data.manifest import read_manifest
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
    lm_path: Optional[str] = None  # ARPA word n-gram LM: CTC beam search with it (character CTC models only)
    beam_width: int = 32  # hypotheses kept per frame by the LM beam search
    alpha: float = 1.0  # LM weight (on natural-log probabilities); tuned on the demo corpus (see above)
    beta: float = 0.0  # bonus per word, against the LM's preference for fewer words


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
    entries = read_manifest(cfg.dataset_manifest, duration="optional", what="dataset_manifest", key="dataset_manifest")
    return [entry.audio_file for entry in entries], [entry.as_record() for entry in entries]


def transcribe_with_lm(model: ASRModel, paths: List[str], cfg: TranscriptionConfig) -> Tuple[List[str], List[str]]:
    """Beam search with the LM and greedy transcripts, both from one pass of the acoustic model."""
    if isinstance(model, EncDecCTCModelBPE) or not isinstance(model, EncDecCTCModel):
        raise ValueError(
            f"lm_path={cfg.lm_path!r}: LM decoding needs a character CTC model (EncDecCTCModel), got "
            f"{type(model).__name__} (sub-word and classification models are not supported)"
        )
    vocab = list(model.decoder.vocabulary)
    decoder = BeamSearchDecoderWithLM(vocab, cfg.beam_width, cfg.alpha, cfg.beta, cfg.lm_path)  # a bad LM fails early
    # Greedy hypotheses carry their log-probabilities (y_sequence): one pass of the model serves both decodings.
    hypotheses = model.transcribe(paths, batch_size=cfg.batch_size, return_hypotheses=True)
    greedy = [hypothesis.text for hypothesis in hypotheses]
    log_probs = [hypothesis.y_sequence for hypothesis in hypotheses]
    start = time.perf_counter()
    results = decoder.decode(log_probs)
    seconds = time.perf_counter() - start
    frames = sum(len(utterance) for utterance in log_probs)
    logging.info(
        f"Beam search (width {cfg.beam_width}, alpha {cfg.alpha}, beta {cfg.beta}, LM {cfg.lm_path}) decoded "
        f"{len(paths)} files ({frames} frames) in {seconds:.2f} s"
    )
    return [nbest[0][1] if nbest else "" for nbest in results], greedy


def write_predictions(path: str, records: List[dict], hypotheses: List[str], greedy: Optional[List[str]]) -> None:
    """JSON lines, written to a temporary file that replaces ``path`` only once complete."""
    partial = f"{path}.{os.getpid()}.partial"
    try:
        with open(partial, "w", encoding="utf-8") as handle:
            for i, (record, text) in enumerate(zip(records, hypotheses)):
                extra = {} if greedy is None else {"pred_text_greedy": greedy[i]}
                handle.write(json.dumps({**record, "pred_text": text, **extra}) + "\n")
        os.replace(partial, path)
    except BaseException:
        if os.path.exists(partial):
            os.unlink(partial)
        raise


@hydra_runner(config_name="TranscriptionConfig", schema=TranscriptionConfig)
def main(cfg: TranscriptionConfig) -> Optional[float]:
    """Transcribe; return the WER (CER with ``use_cer``) of ``pred_text`` (the LM's with ``lm_path``), or None."""
    paths, records = read_inputs(cfg)
    model, name = load_model(cfg)
    logging.info(f"Transcribing {len(paths)} files with {type(model).__name__} {name}")
    if cfg.lm_path is None:
        hypotheses, greedy = model.transcribe(paths, batch_size=cfg.batch_size), None
    else:
        hypotheses, greedy = transcribe_with_lm(model, paths, cfg)
    output = cfg.output_filename or f"{name}_transcriptions.json"
    write_predictions(output, records, hypotheses, greedy)
    logging.info(f"Wrote {len(hypotheses)} transcriptions to {output}")
    references = [record.get("text") for record in records]
    if not all(isinstance(text, str) for text in references):
        return None
    baseline = hypotheses if greedy is None else greedy  # the greedy transcripts, printed as without an LM
    for i, (reference, hypothesis) in enumerate(list(zip(references, baseline))[: max(cfg.show_examples, 0)]):
        print(f"  reference:  {reference}\n  hypothesis: {hypothesis}")
        if greedy is not None:
            print(f"  with LM:    {hypotheses[i]}")
    wer = word_error_rate(baseline, references, use_cer=False)
    cer = word_error_rate(baseline, references, use_cer=True)
    print(f"WER on {len(references)} utterances: {wer:.4f}  CER: {cer:.4f}")
    if greedy is not None:
        wer = word_error_rate(hypotheses, references, use_cer=False)
        cer = word_error_rate(hypotheses, references, use_cer=True)
        print(
            f"WER with the LM on {len(references)} utterances: {wer:.4f}  CER: {cer:.4f}  "
            f"(beam {cfg.beam_width}, alpha {cfg.alpha}, beta {cfg.beta})"
        )
    return cer if cfg.use_cer else wer


if __name__ == "__main__":
    main()
