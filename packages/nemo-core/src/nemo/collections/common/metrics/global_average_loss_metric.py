"""Loss averaged over all batches and processes, weighted by how many items each batch held."""

from typing import Any, Optional

import torch

from nemo.collections.common.metrics.meta_safe import MetaSafeMetric

__all__ = ["GlobalAverageLossMetric"]


class GlobalAverageLossMetric(MetaSafeMetric):
    """``sum(loss_i * n_i) / sum(n_i)`` over ``update(loss, num_measurements)`` calls, summed across processes.

    With ``take_avg_loss=False`` the given loss is already a sum over its ``num_measurements`` items.
    ``compute()`` is NaN before any measurement.
    """

    higher_is_better = False

    def __init__(
        self, dist_sync_on_step: bool = False, process_group: Optional[Any] = None, take_avg_loss: bool = True
    ) -> None:
        super().__init__(dist_sync_on_step=dist_sync_on_step, process_group=process_group)
        self.reset_buffers()
        self.take_avg_loss = take_avg_loss

    def declare_states(self) -> None:
        self.add_state("loss_sum", torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("num_measurements", torch.tensor(0, dtype=torch.int64), dist_reduce_fx="sum")

    def update(self, loss: torch.Tensor, num_measurements: torch.Tensor) -> None:
        loss = loss.detach().to(self.loss_sum)
        count = torch.as_tensor(num_measurements, device=self.loss_sum.device)
        self.loss_sum += loss * count if self.take_avg_loss else loss
        self.num_measurements += count.to(self.num_measurements)

    def compute(self) -> torch.Tensor:
        if self.num_measurements == 0:
            return torch.tensor(float("nan"))
        return self.loss_sum / self.num_measurements
