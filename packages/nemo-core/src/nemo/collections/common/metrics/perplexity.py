"""Mean perplexity of categorical distributions (language models)."""

from typing import Any, Optional

import torch
from torch.distributions.categorical import Categorical

from nemo.collections.common.metrics.meta_safe import MetaSafeMetric

__all__ = ["Perplexity"]


class Perplexity(MetaSafeMetric):
    """Average of ``exp(entropy)`` over every distribution passed to ``update(probs=...)`` or ``update(logits=...)``.

    The last dimension indexes the categories; every other position is one distribution. Sums are reduced across
    processes. ``compute()`` is None before any update.
    """

    higher_is_better = False

    def __init__(
        self, dist_sync_on_step: bool = False, process_group: Optional[Any] = None, validate_args: bool = True
    ) -> None:
        super().__init__(dist_sync_on_step=dist_sync_on_step, process_group=process_group)
        self.validate_args = validate_args
        self.reset_buffers()

    def declare_states(self) -> None:
        self.add_state("perplexities_sum", torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("num_distributions", torch.tensor(0, dtype=torch.int64), dist_reduce_fx="sum")

    def update(self, probs: Optional[torch.Tensor] = None, logits: Optional[torch.Tensor] = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Perplexity.update: pass exactly one of probs and logits")
        distribution = Categorical(probs=probs, logits=logits, validate_args=self.validate_args)
        perplexities = distribution.entropy().exp()
        self.num_distributions += perplexities.numel()
        self.perplexities_sum += perplexities.sum().to(self.perplexities_sum)

    def compute(self) -> Optional[torch.Tensor]:
        if self.num_distributions == 0:
            return None
        return self.perplexities_sum / self.num_distributions
