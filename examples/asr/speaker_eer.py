"""Equal error rate of a speaker embedding model on held-out speakers: every pair of test clips is a trial.

    python examples/asr/speaker_eer.py --model /tmp/titanet-cpu.nemo --manifest /tmp/speakers/test_manifest.json

The manifest (``make_speech_corpus.py --speakers`` writes one whose test split holds only voices never heard in
training) gives each clip's speaker as ``label``. Each clip's embedding is taken over the whole file
(``get_embeddings``); a trial scores two clips by NeMo's ``verify_speakers`` score, ``(cos + 1) / 2``; same-speaker
trials are targets. The EER is where the false-acceptance and false-rejection rates meet on the ROC curve
(scikit-learn's ``roc_curve``, a librosa dependency, as NeMo computes it). Prints one line and returns the EER in %.
"""

import argparse
import itertools
from typing import Dict, Optional, Sequence

import numpy as np
import torch

from nemo.collections.asr.models import EncDecSpeakerLabelModel
from nemo.collections.common.data.manifest import read_manifest


def equal_error_rate(scores: np.ndarray, targets: np.ndarray) -> Dict[str, float]:
    """EER (%) and the score threshold where it is reached, for trial ``scores`` and boolean ``targets``."""
    from sklearn.metrics import roc_curve

    if targets.all() or not targets.any():
        raise ValueError("the trials need both same-speaker and different-speaker pairs: give clips of >= 2 speakers")
    fpr, tpr, thresholds = roc_curve(targets.astype(int), scores, pos_label=1)
    idx = int(np.nanargmin(np.abs((1 - tpr) - fpr)))
    return {"eer": 100.0 * float(fpr[idx]), "threshold": float(thresholds[idx])}


def main(argv: Optional[Sequence[str]] = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="a .nemo file of an EncDecSpeakerLabelModel")
    parser.add_argument("--manifest", required=True, help="JSON lines with audio_filepath, duration and label")
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args(argv)

    entries = read_manifest(args.manifest, what="speaker manifest")
    unlabelled = next((entry for entry in entries if entry.label is None), None)
    if unlabelled is not None:
        raise unlabelled.error("missing key 'label': every clip needs its speaker")
    model = EncDecSpeakerLabelModel.restore_from(args.model, map_location=torch.device("cpu"))
    embs = model.get_embeddings([entry.audio_file for entry in entries], batch_size=args.batch_size)
    embs = torch.nn.functional.normalize(embs, dim=1)
    pairs = np.array(list(itertools.combinations(range(len(entries)), 2)))
    scores = ((embs[pairs[:, 0]] * embs[pairs[:, 1]]).sum(dim=1).numpy() + 1) / 2
    speakers = np.array([entry.label for entry in entries])
    targets = speakers[pairs[:, 0]] == speakers[pairs[:, 1]]
    result = equal_error_rate(scores, targets)
    print(
        f"EER {result['eer']:.2f}% at score {result['threshold']:.3f} over {len(pairs)} trials "
        f"({int(targets.sum())} same-speaker) of {len(entries)} clips from {len(set(speakers))} speakers"
    )
    return result["eer"]


if __name__ == "__main__":
    main()
