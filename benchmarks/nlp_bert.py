"""BERT figures: ``nemo.collections.nlp`` against transformers' BERT holding the same weights, in the same process.

Two modes, one JSON line each:

- ``--mode forward`` (default): tokens/second of our ``BertEncoder``'s forward pass (eval, no grad) over a
  ``batch x seq_len`` batch with padding in the last row, median of ``--repeats`` timed runs after a warm-up, and,
  when ``transformers`` is installed, of ``transformers.BertModel`` (plus their max difference).
- ``--mode train``: one training step of our ``TextClassificationModel``, built from the text-classification
  example config's ``model`` node at the size's shape (random weights), against
  ``transformers.BertForSequenceClassification`` with our weights copied in: forward, cross-entropy loss, backward
  and an AdamW step (the config's lr and weight decay on both sides) over a seeded batch of token ids with padding
  and labels. Best CPU seconds per step of ``--steps`` after a warm-up step, the two sides alternating; the max logit
  difference of the first (eval-mode) forward says both compute the same thing. NeMo v1's head is
  ``dropout -> Linear -> ReLU -> Linear`` over ``[CLS]``, HF's ``Linear -> tanh (pooler) -> dropout -> Linear``: the
  HF pooler's activation is set to ReLU so the two are the same function (NVIDIA NeMo 3 has no nlp collection, so
  transformers is the peer here).

    python benchmarks/nlp_bert.py                 # bert-base shape, random weights
    python benchmarks/nlp_bert.py --size small --device cuda
    python benchmarks/nlp_bert.py --mode train --size small --steps 5
    python benchmarks/nlp_bert.py --mode train --precision bf16     # both sides under CPU bf16 autocast
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import torch

SIZES: Dict[str, Dict[str, int]] = {
    "base": {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072},
    "small": {"hidden_size": 384, "num_hidden_layers": 6, "num_attention_heads": 12, "intermediate_size": 1536},
}
VOCAB_SIZE = 30522
EXAMPLE_CONFIG = Path(__file__).parents[1] / "examples/nlp/text_classification/conf/text_classification_config.yaml"


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("forward", "train"), default="forward")
    parser.add_argument("--size", choices=sorted(SIZES), default=None, help="default: base (forward), small (train)")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq-len", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=5, help="forward: timed runs (median)")
    parser.add_argument("--steps", type=int, default=5, help="train: timed steps per side after a warm-up (best)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (train default: 1)")
    parser.add_argument("--precision", choices=("fp32", "bf16"), default="fp32", help="train: bf16 = CPU autocast")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)
    if args.size is None:
        args.size = "small" if args.mode == "train" else "base"
    if args.mode == "train" and args.threads is None:
        args.threads = 1
    if args.mode == "train" and args.device != "cpu":
        parser.error(f"--mode train measures CPU seconds; got --device {args.device}")
    if args.mode == "forward" and args.precision != "fp32":
        parser.error("--precision bf16 is for --mode train")
    return args


def encoder_config(size: str) -> Dict[str, Any]:
    return {"model_type": "bert", "vocab_size": VOCAB_SIZE, "max_position_embeddings": 512, **SIZES[size]}


def median_seconds(fn: Callable[[], torch.Tensor], repeats: int, device: torch.device) -> float:
    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    fn()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def forward_figure(args: argparse.Namespace) -> Dict[str, Any]:
    from nemo.collections.nlp.modules.common.lm_utils import encoder_from_config

    device = torch.device(args.device)
    torch.manual_seed(0)
    ours = encoder_from_config(encoder_config(args.size)).to(device).eval()
    input_ids = torch.randint(1000, 30000, (args.batch, args.seq_len), device=device)
    mask = torch.ones_like(input_ids)
    mask[-1, args.seq_len // 2 :] = 0
    types = torch.zeros_like(input_ids)
    tokens = int(mask.sum())

    with torch.inference_mode():
        ours_s = median_seconds(
            lambda: ours(input_ids=input_ids, attention_mask=mask, token_type_ids=types), args.repeats, device
        )
        result = {
            "benchmark": "nlp_bert_forward", "size": args.size, "batch": args.batch, "seq_len": args.seq_len,
            "device": str(device), "torch_threads": torch.get_num_threads(), "tokens": tokens,
            "nemo_tokens_per_s": round(tokens / ours_s, 1),
        }  # fmt: skip
        try:
            import transformers
        except ImportError:
            result["transformers_tokens_per_s"] = None
        else:
            hf_config = transformers.BertConfig(vocab_size=VOCAB_SIZE, **SIZES[args.size])
            reference = transformers.BertModel(hf_config, add_pooling_layer=False)
            reference.load_state_dict(ours.state_dict(), strict=False)
            reference = reference.to(device).eval()
            hf_s = median_seconds(
                lambda: reference(input_ids=input_ids, attention_mask=mask, token_type_ids=types).last_hidden_state,
                args.repeats, device,
            )  # fmt: skip
            diff = (
                ours(input_ids=input_ids, attention_mask=mask, token_type_ids=types)
                - reference(input_ids=input_ids, attention_mask=mask, token_type_ids=types).last_hidden_state
            )
            result.update({
                "transformers_version": transformers.__version__,
                "transformers_tokens_per_s": round(tokens / hf_s, 1),
                "speedup_vs_transformers": round(hf_s / ours_s, 3),
                "max_abs_diff": float(diff[mask.bool()].abs().max()),
            })  # fmt: skip
    return result


# ------------------------------------------------------------------------------------------------ training step
def text_classification_model(size: str, workdir: Path) -> Any:
    """Our ``TextClassificationModel`` from the example config's ``model`` node, random weights of ``size``, no
    data (a WordPiece vocabulary of placeholder tokens stands in for bert-base-uncased's, which is not needed)."""
    from omegaconf import OmegaConf

    from nemo.collections.nlp.models import TextClassificationModel

    vocab = workdir / "vocab.txt"
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab.write_text("\n".join(special + [f"w{i}" for i in range(VOCAB_SIZE - len(special))]) + "\n", "utf-8")
    cfg = OmegaConf.load(EXAMPLE_CONFIG).model
    cfg.tokenizer.vocab_file = str(vocab)
    cfg.language_model.config = encoder_config(size)
    cfg.train_ds.file_path = None
    cfg.optim.pop("sched")  # a schedule needs the trainer's step count; the step figure needs no learning-rate decay
    return TextClassificationModel(cfg)


def classification_batch(batch: int, seq_len: int, num_classes: int) -> Tuple[torch.Tensor, ...]:
    """Seeded ``(input_ids, token_type_ids, attention_mask, labels)``: ``[CLS] ... [SEP]`` rows of random lengths
    between half and all of ``seq_len`` (the first row full), zero-padded."""
    generator = torch.Generator().manual_seed(0)
    lengths = torch.randint(seq_len // 2, seq_len + 1, (batch,), generator=generator)
    lengths[0] = seq_len
    mask = (torch.arange(seq_len)[None] < lengths[:, None]).long()
    input_ids = torch.randint(1000, VOCAB_SIZE, (batch, seq_len), generator=generator)
    input_ids[:, 0] = 2  # [CLS]
    input_ids[torch.arange(batch), lengths - 1] = 3  # [SEP]
    input_ids = input_ids * mask
    labels = torch.randint(0, num_classes, (batch,), generator=generator)
    return input_ids, torch.zeros_like(input_ids), mask, labels


def hf_classifier(model: Any) -> Any:
    """``transformers.BertForSequenceClassification`` holding ``model``'s weights, computing the same function."""
    import transformers

    bert = model.bert_model.config
    hf_config = transformers.BertConfig(
        vocab_size=bert.vocab_size, hidden_size=bert.hidden_size, num_hidden_layers=bert.num_hidden_layers,
        num_attention_heads=bert.num_attention_heads, intermediate_size=bert.intermediate_size,
        max_position_embeddings=bert.max_position_embeddings, hidden_dropout_prob=bert.hidden_dropout_prob,
        attention_probs_dropout_prob=bert.attention_probs_dropout_prob, num_labels=model.num_classes,
        classifier_dropout=model._cfg.classifier_head.fc_dropout,
    )  # fmt: skip
    reference = transformers.BertForSequenceClassification(hf_config)
    mlp = model.classifier.mlp
    if len(mlp.layers) != 3:
        raise ValueError(f"the HF peer has one hidden layer (its pooler); the head has {len(mlp.layers) // 2 + 1}")
    state = {f"bert.{name}": tensor for name, tensor in model.bert_model.state_dict().items()}
    state.update({f"bert.pooler.dense.{k}": v for k, v in mlp.layers[0].state_dict().items()})
    state.update({f"classifier.{k}": v for k, v in mlp.layers[2].state_dict().items()})
    missing, unexpected = reference.load_state_dict(state, strict=False)
    if unexpected or [name for name in missing if not name.endswith(("position_ids", "token_type_ids"))]:
        raise ValueError(f"weights do not map onto BertForSequenceClassification: {missing}, {unexpected}")
    reference.bert.pooler.activation = torch.nn.ReLU()  # v1's head: ReLU between its two linear layers
    return reference


def train_figure(args: argparse.Namespace) -> Dict[str, Any]:
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as workdir:
        model = text_classification_model(args.size, Path(workdir))
    input_ids, types, mask, labels = classification_batch(args.batch, args.seq_len, model.num_classes)
    optim_cfg = model._cfg.optim
    model.setup_optimization()
    optimizer = model._optimizer
    # What Lightning's precision="bf16-mixed" enters around a training step; the loss runs in float32 under it.
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.precision == "bf16")

    def ours_step() -> None:
        with autocast:
            logits = model(input_ids=input_ids, token_type_ids=types, attention_mask=mask)
            loss = model.loss(logits=logits, labels=labels)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    steps: Dict[str, Callable[[], None]] = {"ours": ours_step}
    result: Dict[str, Any] = {
        "benchmark": "nlp_bert_train_step", "unit": "CPU s per step", "size": args.size, "batch": args.batch,
        "seq_len": args.seq_len, "tokens": int(mask.sum()), "threads": torch.get_num_threads(),
        "precision": args.precision,
        "params_m": round(sum(p.numel() for p in model.parameters()) / 1e6, 2), "optimizer": "AdamW",
        "lr": optim_cfg.lr, "weight_decay": optim_cfg.weight_decay,
        "ours_fused": bool(optimizer.param_groups[0].get("fused")),  # nemo-core's default; transformers': the loop
    }  # fmt: skip
    try:
        import transformers
    except ImportError:
        transformers = None
    if transformers is not None:
        reference = hf_classifier(model)
        model.eval()
        reference.eval()
        with torch.no_grad():  # float32: the two compute the same function
            ours_logits = model(input_ids=input_ids, token_type_ids=types, attention_mask=mask)
            hf_logits = reference(input_ids=input_ids, token_type_ids=types, attention_mask=mask).logits
        result["max_logit_diff"] = float((ours_logits - hf_logits).abs().max())
        hf_optimizer = torch.optim.AdamW(reference.parameters(), lr=optim_cfg.lr, weight_decay=optim_cfg.weight_decay)

        def hf_step() -> None:
            with autocast:
                loss = reference(input_ids=input_ids, token_type_ids=types, attention_mask=mask, labels=labels).loss
            loss.backward()
            hf_optimizer.step()
            hf_optimizer.zero_grad(set_to_none=True)

        steps["transformers"] = hf_step
        reference.train()
    model.train()
    best = best_cpu_seconds(steps, args.steps)
    result["ours"] = round(best["ours"], 4)
    if transformers is None:
        result["transformers"] = None
    else:
        result.update({
            "transformers": round(best["transformers"], 4), "ratio": round(best["ours"] / best["transformers"], 3),
            "transformers_version": transformers.__version__,
        })  # fmt: skip
    return result


def best_cpu_seconds(steps: Dict[str, Callable[[], None]], rounds: int) -> Dict[str, float]:
    """Best process CPU seconds of each step over ``rounds`` after a warm-up call of each; every round runs each
    step once, rotating which goes first, so that a change of load hits both sides alike."""
    names = list(steps)
    for name in names:
        steps[name]()
    times: Dict[str, List[float]] = {name: [] for name in names}
    for turn in range(rounds):
        for name in names[turn % len(names) :] + names[: turn % len(names)]:
            start = time.process_time()
            steps[name]()
            times[name].append(time.process_time() - start)
    return {name: min(values) for name, values in times.items()}


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    print(json.dumps(train_figure(args) if args.mode == "train" else forward_figure(args)))


if __name__ == "__main__":
    main()
