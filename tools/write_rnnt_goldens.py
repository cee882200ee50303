"""Write NVIDIA NeMo's transducer modules' weights, inputs and outputs, as goldens for nemo-asr's RNN-T tests
(state-dict key names, strict loading, identical outputs and greedy decodes).

Run it with a Python that has NVIDIA's ``nemo_toolkit`` installed, never ours (the two share the ``nemo`` package name,
so this script must stay out of our packages and their environments)::

    python3.11 -m venv /work/nemo-ref
    /work/nemo-ref/bin/pip install "torch==2.13.0+cpu" "nemo_toolkit[asr]==3.0.0"
    /work/nemo-ref/bin/python tools/write_rnnt_goldens.py packages/nemo-asr/tests/modules/goldens/nemo_rnnt_goldens.npz

NeMo's ``RNNTDecoder`` (2 LSTM layers, dropout, blank as pad) and ``RNNTJoint`` (joint dropout, so its output layer is
``joint_net.2``) are built with ``torch.manual_seed(0)``; the joint's output weights are scaled up and the blank's bias
raised, and its prediction projection scaled up, so that greedy decisions are crisp and depend on the label history.
In eval mode they run on padded label sequences and random encoder outputs, and NeMo's ``GreedyRNNTInfer`` and
``GreedyBatchedRNNTInfer`` (``max_symbols_per_step`` 3) decode other random encoder outputs of three lengths. The file
holds ``state__<key>`` per state-dict tensor, ``targets``, ``target_length``, ``decoder_outputs``, ``decoder_h``,
``decoder_c``, ``encoder_output``, ``joint_outputs`` (log-softmaxed: NeMo's joint does that on CPU), ``greedy_input``,
``greedy_lengths``, and ``meta_json`` (UTF-8 bytes: the module configs, NeMo's and torch's versions, the state dict's
keys in NeMo's order, and per decoder the decoded labels and their frames).
"""

import argparse
import json

import numpy as np
import torch

VOCAB = 5
PREDNET = {"pred_hidden": 24, "pred_rnn_layers": 2, "dropout": 0.1, "forget_gate_bias": 1.0}
JOINTNET = {"encoder_hidden": 16, "pred_hidden": 24, "joint_hidden": 32, "activation": "relu", "dropout": 0.2}
OUTPUT_SCALE, BLANK_BIAS, PRED_SCALE = 4.0, 3.0, 20.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", help="the .npz file to write")
    args = parser.parse_args()

    import nemo
    from nemo.collections.asr.modules.rnnt import RNNTDecoder, RNNTJoint
    from nemo.collections.asr.parts.submodules.rnnt_greedy_decoding import GreedyBatchedRNNTInfer, GreedyRNNTInfer

    torch.manual_seed(0)
    decoder = RNNTDecoder(prednet=PREDNET, vocab_size=VOCAB)
    joint = RNNTJoint(jointnet=JOINTNET, num_classes=VOCAB)
    with torch.no_grad():
        joint.joint_net[-1].weight.mul_(OUTPUT_SCALE)
        joint.joint_net[-1].bias[VOCAB] += BLANK_BIAS
        joint.pred.weight.mul_(PRED_SCALE)
    decoder.eval()
    joint.eval()
    generator = torch.Generator().manual_seed(1)
    targets = torch.tensor([[1, 2, 3, 4], [4, 0, 2, 0]])
    target_length = torch.tensor([4, 2])
    encoder_output = torch.randn(2, JOINTNET["encoder_hidden"], 7, generator=generator)
    greedy_input = torch.randn(3, JOINTNET["encoder_hidden"], 12, generator=generator)
    greedy_lengths = torch.tensor([12, 9, 5])
    decoded = {}
    with torch.no_grad():
        g, _, (h, c) = decoder(targets=targets, target_length=target_length)
        scores = joint(encoder_outputs=encoder_output, decoder_outputs=g)
        for name, infer in (("greedy", GreedyRNNTInfer), ("greedy_batch", GreedyBatchedRNNTInfer)):
            decoding = infer(decoder, joint, blank_index=VOCAB, max_symbols_per_step=3)
            (hyps,) = decoding(encoder_output=greedy_input, encoded_lengths=greedy_lengths)
            decoded[name] = {
                "labels": [[int(t) for t in hyp.y_sequence] for hyp in hyps],
                # NeMo 1.x calls the frames ``timestep``, NeMo >= 2 ``timestamp``
                "frames": [
                    [int(t) for t in (hyp.timestamp if hasattr(hyp, "timestamp") else hyp.timestep)] for hyp in hyps
                ],
            }
    state = {f"decoder.{k}": v for k, v in decoder.state_dict().items()}
    state.update({f"joint.{k}": v for k, v in joint.state_dict().items()})
    meta = {
        "nemo_version": nemo.__version__,
        "torch_version": torch.__version__,
        "vocab_size": VOCAB,
        "prednet": PREDNET,
        "jointnet": JOINTNET,
        "state_keys": list(state),
        "decoded": decoded,
    }
    arrays = {f"state__{k}": v.numpy() for k, v in state.items()}
    arrays.update(
        targets=targets.numpy(),
        target_length=target_length.numpy(),
        decoder_outputs=g.numpy(),
        decoder_h=h.numpy(),
        decoder_c=c.numpy(),
        encoder_output=encoder_output.numpy(),
        joint_outputs=scores.numpy(),
        greedy_input=greedy_input.numpy(),
        greedy_lengths=greedy_lengths.numpy(),
        meta_json=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
    )
    np.savez_compressed(args.output, **arrays)
    print(f"wrote {args.output}: {json.dumps(decoded)}")


if __name__ == "__main__":
    main()
