"""Write NVIDIA NeMo's ``ConformerEncoder`` weights, inputs and outputs for a few small configs, as goldens for
nemo-asr's Conformer tests (state-dict key names, strict loading, identical outputs).

Run it with a Python that has NVIDIA's ``nemo_toolkit`` installed, never ours (the two share the ``nemo`` package name,
so this script must stay out of our packages and their environments)::

    python3.11 -m venv /work/nemo-ref
    /work/nemo-ref/bin/pip install "torch==2.13.0+cpu" "nemo_toolkit[asr]==3.0.0"
    /work/nemo-ref/bin/python tools/write_conformer_goldens.py \
        packages/nemo-asr/tests/modules/goldens/nemo_conformer_goldens.npz

For every config in ``CONFIGS`` NeMo's encoder is built with ``torch.manual_seed(0)``, every floating tensor of its
state dict is then replaced by random values (positional biases, batch-norm statistics and all: the defaults are zeros
and ones, which would hide mistakes), and it is run in eval mode on a padded batch (``LENGTHS``: full, shorter and
short utterances). The output holds, per config ``<name>``: ``<name>__state`` (every floating state-dict tensor flattened and
concatenated, float32, in NeMo's key order), ``<name>__input``, ``<name>__length``, ``<name>__outputs`` and
``<name>__encoded_lengths``, plus ``meta_json`` (UTF-8 bytes: the configs, NeMo's and torch's versions, and per config
the state dict's layout: ``[key, shape, dtype, integer value or null]`` in NeMo's order). The models are tiny
(d_model 16), so the file stays small.
"""

import argparse
import json
import sys
from typing import Any, Dict, List

import numpy as np
import torch

FEAT_IN = 16
LENGTHS = [61, 44, 23]  # frames: the longest, a shorter one, a short one (padded batch)

_BASE = {
    "feat_in": FEAT_IN,
    "n_layers": 2,
    "d_model": 16,
    "n_heads": 2,
    "ff_expansion_factor": 2,
    "conv_kernel_size": 7,
    "subsampling_conv_channels": 8,
    "dropout": 0.1,
    "dropout_pre_encoder": 0.1,
    "dropout_emb": 0.1,
    "dropout_att": 0.1,
}

CONFIGS: Dict[str, Dict[str, Any]] = {
    # The shipped configs' layout: rel_pos, striding x4, batch norm, xscaling, untied biases.
    "rel_pos_striding": {**_BASE, "subsampling": "striding", "self_attention_model": "rel_pos"},
    # abs_pos, dw_striding, layer norm in the conv module, no xscaling, an output projection.
    "abs_pos_dw_striding": {
        **_BASE,
        "subsampling": "dw_striding",
        "self_attention_model": "abs_pos",
        "conv_norm_type": "layer_norm",
        "xscaling": False,
        "feat_out": 24,
    },
    # Shared (tied) positional biases, limited attention context, causal depthwise convolutions, x8 subsampling.
    "rel_pos_tied_limited_context": {
        **_BASE,
        "subsampling": "dw_striding",
        "subsampling_factor": 8,
        "self_attention_model": "rel_pos",
        "untie_biases": False,
        "att_context_size": [5, 2],
        "conv_context_size": "causal",
    },
    # Frame stacking with a LayerNorm, group norm in the conv module, no bias in the layers.
    "stacking_norm_group_norm": {
        **_BASE,
        "subsampling": "stacking_norm",
        "self_attention_model": "rel_pos",
        "conv_norm_type": "group_norm4",
        "use_bias": False,
    },
}


def randomize(state: Dict[str, torch.Tensor], generator: torch.Generator) -> Dict[str, torch.Tensor]:
    """Random values for every floating tensor (variances positive), integers kept."""
    out = {}
    for key, value in state.items():
        if not value.is_floating_point():
            out[key] = value.clone()
        elif key.endswith("running_var"):
            out[key] = 0.5 + torch.rand(value.shape, generator=generator)
        else:
            scale = 1.0 / max(1.0, float(value.shape[-1]) ** 0.5) if value.dim() > 1 else 0.3
            out[key] = torch.randn(value.shape, generator=generator) * scale
    return out


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="the .npz to write")
    args = parser.parse_args(argv)

    import nemo
    from nemo.collections.asr.modules import ConformerEncoder

    arrays: Dict[str, np.ndarray] = {}
    keys: Dict[str, List[Any]] = {}
    for index, (name, config) in enumerate(CONFIGS.items()):
        torch.manual_seed(0)
        encoder = ConformerEncoder(**config)
        generator = torch.Generator().manual_seed(1000 + index)
        state = randomize(encoder.state_dict(), generator)
        encoder.load_state_dict(state, strict=True)
        encoder.eval()
        signal = torch.randn(len(LENGTHS), FEAT_IN, max(LENGTHS), generator=generator)
        length = torch.tensor(LENGTHS, dtype=torch.int64)
        with torch.no_grad():
            outputs, encoded_lengths = encoder(audio_signal=signal, length=length)
        floats = [value.reshape(-1) for value in state.values() if value.is_floating_point()]
        arrays[f"{name}__state"] = torch.cat(floats).numpy().astype(np.float32)
        arrays[f"{name}__input"] = signal.numpy()
        arrays[f"{name}__length"] = length.numpy()
        arrays[f"{name}__outputs"] = outputs.numpy()
        arrays[f"{name}__encoded_lengths"] = encoded_lengths.numpy().astype(np.int64)
        keys[name] = [
            [key, list(value.shape), str(value.dtype).replace("torch.", ""),
             None if value.is_floating_point() else int(value)]
            for key, value in state.items()
        ]  # fmt: skip
        params = sum(p.numel() for p in encoder.parameters())
        print(f"{name:30s} params={params} out={tuple(outputs.shape)} lengths={encoded_lengths.tolist()}")
    meta = {"nemo_toolkit": nemo.__version__, "torch": torch.__version__, "lengths": LENGTHS, "configs": CONFIGS,
            "state_layout": keys}  # fmt: skip
    arrays["meta_json"] = np.frombuffer(json.dumps(meta, sort_keys=True).encode("utf-8"), dtype=np.uint8)
    np.savez_compressed(args.out, **arrays)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
