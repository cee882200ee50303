"""Tiny transducer configs shared by the RNN-T tests (imported by name: tests/ is on sys.path)."""

import copy
import json
from pathlib import Path
from typing import Any, Dict, Optional

import numpy as np
import torch
from asr_models_testing import LABELS, SAMPLE_RATE, data_config, preprocessor, tiny_encoder

PRED_HIDDEN = 24
JOINT_HIDDEN = 32
NEMO_GOLDENS = Path(__file__).parent / "modules" / "goldens" / "nemo_rnnt_goldens.npz"


def load_nemo_goldens() -> Dict[str, Any]:
    """NeMo 3.0's transducer goldens (tools/write_rnnt_goldens.py): tensors by name, ``state_dict`` (NeMo's keys in
    its order), ``meta`` (the configs and the greedy decodes)."""
    with np.load(NEMO_GOLDENS) as archive:
        arrays = {name: archive[name] for name in archive.files}
    meta = json.loads(arrays.pop("meta_json").tobytes().decode("utf-8"))
    state = {key: torch.from_numpy(arrays.pop(f"state__{key}")) for key in meta["state_keys"]}
    goldens: Dict[str, Any] = {name: torch.from_numpy(value) for name, value in arrays.items()}
    goldens.update(state_dict=state, meta=meta)
    return goldens


def nemo_golden_modules() -> tuple:
    """Our ``RNNTDecoder`` and ``RNNTJoint`` built with the goldens' configs and NeMo's weights (strictly loaded)."""
    from nemo.collections.asr.modules import RNNTDecoder, RNNTJoint

    goldens = load_nemo_goldens()
    meta = goldens["meta"]
    decoder = RNNTDecoder(prednet=meta["prednet"], vocab_size=meta["vocab_size"])
    joint = RNNTJoint(jointnet=meta["jointnet"], num_classes=meta["vocab_size"])
    state = goldens["state_dict"]
    decoder.load_state_dict({k[len("decoder.") :]: v for k, v in state.items() if k.startswith("decoder.")})
    joint.load_state_dict({k[len("joint.") :]: v for k, v in state.items() if k.startswith("joint.")})
    return goldens, decoder, joint


def random_transducer(vocab_size: int, jointnet: Dict[str, Any], sharpen: float = 4.0, **joint_kwargs: Any) -> tuple:
    """A random ``RNNTDecoder`` (one LSTM layer) and ``RNNTJoint``, built in that order from the current seed.

    ``jointnet`` gives ``encoder_hidden`` and may change the small defaults (``pred_hidden``/``joint_hidden`` 8,
    ``relu``); the joint's output weights are multiplied by ``sharpen`` so that its choices are clear-cut.
    """
    from nemo.collections.asr.modules import RNNTDecoder, RNNTJoint

    jointnet = {"pred_hidden": 8, "joint_hidden": 8, "activation": "relu", **jointnet}
    decoder = RNNTDecoder(prednet={"pred_hidden": jointnet["pred_hidden"], "pred_rnn_layers": 1}, vocab_size=vocab_size)
    joint = RNNTJoint(jointnet=jointnet, num_classes=vocab_size, **joint_kwargs)
    with torch.no_grad():
        joint.joint_net[-1].weight.mul_(sharpen)
    return decoder, joint


def rnnt_config(
    train_manifest=None, val_manifest=None, labels=LABELS, strategy: str = "greedy_batch", spec_augment: bool = False
) -> Dict:
    """A ~13k-parameter character transducer: the tiny separable-conv encoder (32 channels, stride 2), a one-layer
    LSTM prediction network and a small joint, over ``labels``."""
    cfg: Dict = {
        "labels": list(labels),
        "sample_rate": SAMPLE_RATE,
        "model_defaults": {"enc_hidden": 32, "pred_hidden": PRED_HIDDEN, "joint_hidden": JOINT_HIDDEN},
        "preprocessor": preprocessor(),
        "encoder": tiny_encoder(),
        "decoder": {
            "_target_": "nemo.collections.asr.modules.RNNTDecoder",
            "normalization_mode": None,
            "random_state_sampling": False,
            "blank_as_pad": True,
            "prednet": {"pred_hidden": PRED_HIDDEN, "pred_rnn_layers": 1, "t_max": None, "dropout": 0.0},
        },
        "joint": {
            "_target_": "nemo.collections.asr.modules.RNNTJoint",
            "log_softmax": None,
            "preserve_memory": False,
            "fuse_loss_wer": False,
            "jointnet": {"joint_hidden": JOINT_HIDDEN, "activation": "relu", "dropout": 0.0},
        },
        "decoding": {"strategy": strategy, "greedy": {"max_symbols": 10}, "beam": {"beam_size": 3}},
        "loss": {"loss_name": "default"},
        "optim": {"name": "adam", "lr": 0.01},
    }
    if spec_augment:
        cfg["spec_augment"] = {
            "_target_": "nemo.collections.asr.modules.SpectrogramAugmentation",
            "freq_masks": 1,
            "time_masks": 1,
            "freq_width": 2,
            "time_width": 4,
        }
    if train_manifest is not None:
        cfg["train_ds"] = data_config(train_manifest, labels=labels, shuffle=True)
    if val_manifest is not None:
        cfg["validation_ds"] = data_config(val_manifest, labels=labels)
    return copy.deepcopy(cfg)


def with_decoding(cfg: Dict, strategy: str, beam_size: Optional[int] = None) -> Dict:
    cfg = copy.deepcopy(cfg)
    cfg["decoding"]["strategy"] = strategy
    if beam_size is not None:
        cfg["decoding"]["beam"]["beam_size"] = beam_size
    return cfg
