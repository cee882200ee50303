"""``MetaSafeMetric``: a ``torchmetrics.Metric`` that a model built on the meta device can hold."""

import torch
from torchmetrics import Metric

__all__ = ["MetaSafeMetric"]


class MetaSafeMetric(Metric):
    """A metric whose states are declared in ``declare_states()``, so ``reset_buffers()`` can make them again.

    ``ModelPT.restore_from`` builds models on the ``meta`` device and then calls ``reset_buffers()`` on every module
    left with tensors there (``nemo.core.classes.restore.build_with_weights``); a metric's states are such tensors.
    ``reset_buffers()`` declares the states again, zeroed, on the default device, where it also records the metric to
    be. Subclasses call ``self.reset_buffers()`` at the end of their constructor.

    Our metrics count: each ``update`` adds to states that are summed across processes, so torchmetrics need not
    recompute the full state in ``forward`` (``full_state_update``), and no gradient flows through them.
    """

    full_state_update = False
    is_differentiable = False

    def declare_states(self) -> None:
        """``self.add_state(...)`` for each state, from the attributes the constructor set."""
        raise NotImplementedError

    def reset_buffers(self) -> None:
        """(Re)declare the states on the default device, with their default values."""
        # torchmetrics records the device a metric was built on and moves its states from there in ``to()``; after a
        # meta-device build the record says ``meta``, from which nothing can be copied (``to_empty`` fails on metrics)
        self._device = torch.get_default_device()
        self.declare_states()

    def reset(self) -> None:
        """As torchmetrics', but the fresh states are normal tensors even when reset inside ``inference_mode``.

        Lightning validates and tests under ``torch.inference_mode``; states reset there would be inference
        tensors, and the next in-place ``update`` outside it (a training step after ``trainer.validate()``) fails.
        """
        with torch.inference_mode(False):
            super().reset()
