"""Voice activity detection over long audio with a MarbleNet ``.nemo`` (NeMo's ``speech_classification/vad_infer.py``).

    python examples/asr/vad_infer.py dataset=/data/long_manifest.json vad.model_path=/models/marblenet.nemo \
        table_out_dir=/tmp/vad/rttm out_manifest_filepath=/tmp/vad/segments.json

Each file of ``dataset`` (JSON lines with ``audio_filepath``) is streamed and classified ``chunk_len_in_sec`` at a
time (memory stays flat on hours of audio), smoothed and post-processed with ``vad.parameters``
(``conf/vad/vad_inference_postprocessing.yaml``). Speech segments go to ``table_out_dir/<name>.rttm`` (NeMo's RTTM) and
to ``out_manifest_filepath`` (one line per segment: ``audio_filepath``, ``offset``, ``duration``), which an ASR model
transcribes segment by segment, e.g. through an ASR dataset's ``manifest_filepath``.
"""

import os
from typing import Dict, List, Tuple

from omegaconf import DictConfig, OmegaConf

from nemo.collections.asr.models import EncDecClassificationModel
from nemo.collections.asr.parts.utils.vad_utils import run_vad, write_rttm, write_segment_manifest
from nemo.collections.common.data.manifest import iter_manifest
from nemo.core.config import hydra_runner
from nemo.utils.config_keys import refuse_unknown_keys

TOP_KEYS = (
    "name",
    "dataset",
    "device",
    "batch_size",
    "chunk_len_in_sec",
    "vad",
    "frame_out_dir",
    "table_out_dir",
    "out_manifest_filepath",
    "hydra",
)


def _write_frames(probs, path: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.writelines(f"{p:.4f}\n" for p in probs.tolist())


def infer(cfg: DictConfig) -> Dict[str, List[Tuple[float, float]]]:
    """Speech segments of every file of ``cfg.dataset``, written where the config says."""
    refuse_unknown_keys(cfg, TOP_KEYS, "vad_infer config")
    refuse_unknown_keys(cfg.vad, ("model_path", "parameters"), "vad")
    parameters = OmegaConf.to_container(cfg.vad.parameters, resolve=True)
    model = EncDecClassificationModel.restore_from(cfg.vad.model_path, map_location=cfg.get("device", "cpu"))
    for out_dir in (cfg.get("frame_out_dir"), cfg.get("table_out_dir")):
        if out_dir:
            os.makedirs(out_dir, exist_ok=True)
    segments_by_file: Dict[str, List[Tuple[float, float]]] = {}
    for entry in iter_manifest(cfg.dataset, duration="optional", key="dataset"):
        probs, segments = run_vad(model, entry.audio_file, parameters, cfg.chunk_len_in_sec, cfg.batch_size)
        segments_by_file[entry.audio_file] = segments
        name = os.path.splitext(os.path.basename(entry.audio_file))[0]
        if cfg.get("frame_out_dir"):
            _write_frames(probs, os.path.join(cfg.frame_out_dir, f"{name}.frame"))
        if cfg.get("table_out_dir"):
            write_rttm(segments, name, os.path.join(cfg.table_out_dir, f"{name}.rttm"))
        speech = sum(end - start for start, end in segments)
        print(f"{entry.audio_file}: {len(segments)} speech segments, {speech:.2f} s of speech")
    if cfg.get("out_manifest_filepath"):
        os.makedirs(os.path.dirname(os.path.abspath(cfg.out_manifest_filepath)), exist_ok=True)
        lines = write_segment_manifest(segments_by_file, cfg.out_manifest_filepath)
        print(f"wrote {lines} segments to {cfg.out_manifest_filepath}")
    return segments_by_file


@hydra_runner(config_path="conf/vad", config_name="vad_inference_postprocessing")
def main(cfg: DictConfig) -> Dict[str, List[Tuple[float, float]]]:
    return infer(cfg)


if __name__ == "__main__":
    main()
