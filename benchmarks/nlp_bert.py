"""BERT encoder inference throughput: ``nemo.collections.nlp`` BertEncoder vs transformers' BertModel.

Prints one JSON line: tokens/second of a forward pass (eval, no grad) over a ``batch x seq_len`` batch with padding
in the last row, median of ``--repeats`` timed runs after a warm-up, for our encoder and, when ``transformers`` is
installed, for ``transformers.BertModel`` holding the same weights in the same process (plus their max difference).

    python benchmarks/nlp_bert.py                 # bert-base shape, random weights
    python benchmarks/nlp_bert.py --size small --device cuda
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Callable, Dict

import torch

SIZES: Dict[str, Dict[str, int]] = {
    "base": {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072},
    "small": {"hidden_size": 384, "num_hidden_layers": 6, "num_attention_heads": 12, "intermediate_size": 1536},
}


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", choices=sorted(SIZES), default="base")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq-len", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()

    from nemo.collections.nlp.modules.common.lm_utils import encoder_from_config

    device = torch.device(args.device)
    config = {"model_type": "bert", "vocab_size": 30522, "max_position_embeddings": 512, **SIZES[args.size]}
    torch.manual_seed(0)
    ours = encoder_from_config(config).to(device).eval()
    input_ids = torch.randint(1000, 30000, (args.batch, args.seq_len), device=device)
    mask = torch.ones_like(input_ids)
    mask[-1, args.seq_len // 2 :] = 0
    types = torch.zeros_like(input_ids)
    tokens = int(mask.sum())

    with torch.inference_mode():
        ours_s = median_seconds(lambda: ours(input_ids=input_ids, attention_mask=mask, token_type_ids=types),
                                args.repeats, device)
        result = {
            "benchmark": "nlp_bert_forward", "size": args.size, "batch": args.batch, "seq_len": args.seq_len,
            "device": str(device), "torch_threads": torch.get_num_threads(), "tokens": tokens,
            "nemo_tokens_per_s": round(tokens / ours_s, 1),
        }
        try:
            import transformers
        except ImportError:
            result["transformers_tokens_per_s"] = None
        else:
            hf_config = transformers.BertConfig(vocab_size=30522, **SIZES[args.size])
            reference = transformers.BertModel(hf_config, add_pooling_layer=False)
            reference.load_state_dict(ours.state_dict(), strict=False)
            reference = reference.to(device).eval()
            hf_s = median_seconds(
                lambda: reference(input_ids=input_ids, attention_mask=mask, token_type_ids=types).last_hidden_state,
                args.repeats, device,
            )
            diff = (ours(input_ids=input_ids, attention_mask=mask, token_type_ids=types)
                    - reference(input_ids=input_ids, attention_mask=mask, token_type_ids=types).last_hidden_state)
            result.update({
                "transformers_version": transformers.__version__,
                "transformers_tokens_per_s": round(tokens / hf_s, 1),
                "speedup_vs_transformers": round(hf_s / ours_s, 3),
                "max_abs_diff": float(diff[mask.bool()].abs().max()),
            })
    print(json.dumps(result))


if __name__ == "__main__":
    main()
