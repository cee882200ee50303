"""``NeuralModule``: a ``torch.nn.Module`` with neural types, config (de)serialization and freezing helpers."""

from contextlib import contextmanager
from typing import Any, Dict, Iterator, Optional, Tuple

import torch

from nemo.core.classes.serialization import FileIO, Serialization
from nemo.core.classes.typecheck import Typing
from nemo.utils import logging

__all__ = ["NeuralModule"]

# (requires_grad per parameter name, training flag per submodule name)
_FreezeState = Tuple[Dict[str, bool], Dict[str, bool]]


class NeuralModule(torch.nn.Module, Typing, Serialization, FileIO):
    """Base class of NeMo's typed building blocks (encoders, decoders, preprocessors, ...)."""

    # TorchScript compiles properties of scripted modules; these are Python-side helpers it must skip.
    __jit_unused_properties__ = ["num_weights", "input_types", "output_types"]

    @property
    def num_weights(self) -> int:
        """Number of trainable parameters (those with ``requires_grad=True``)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def input_example(self) -> Optional[Tuple[Any, ...]]:
        """Example inputs for export (tracing/ONNX); ``None`` unless a subclass overrides it."""
        return None

    def _capture_freeze_state(self) -> _FreezeState:
        grads = {name: p.requires_grad for name, p in self.named_parameters()}
        modes = {name: m.training for name, m in self.named_modules()}
        return grads, modes

    def _apply_freeze_state(self, state: _FreezeState) -> None:
        grads, modes = state
        for name, param in self.named_parameters():
            if name in grads:
                param.requires_grad_(grads[name])
        for name, module in self.named_modules():
            if name in modes:
                module.training = modes[name]

    def freeze(self) -> None:
        """Stop gradients to every parameter and switch to eval mode.

        The state before the first ``freeze`` is remembered, so ``unfreeze(partial=True)`` can bring back parameters
        that were already frozen and submodules that were already in eval mode.
        """
        if getattr(self, "_frozen_state", None) is None:
            self._frozen_state = self._capture_freeze_state()
        for param in self.parameters():
            param.requires_grad_(False)
        self.eval()

    def unfreeze(self, partial: bool = False) -> None:
        """Make parameters trainable again and switch to train mode.

        ``partial=False`` sets ``requires_grad=True`` everywhere and calls ``train()``. ``partial=True`` restores the
        ``requires_grad`` flags and train/eval modes remembered by the last ``freeze()``.
        """
        state = getattr(self, "_frozen_state", None)
        self._frozen_state = None
        if partial:
            if state is None:
                logging.warning(f"{type(self).__name__}.unfreeze(partial=True) called without a previous freeze()")
                return
            self._apply_freeze_state(state)
            return
        for param in self.parameters():
            param.requires_grad_(True)
        self.train()

    @contextmanager
    def as_frozen(self) -> Iterator["NeuralModule"]:
        """Freeze inside the block; afterwards every parameter and submodule is back exactly as it was (nestable)."""
        state = self._capture_freeze_state()
        pending = getattr(self, "_frozen_state", None)
        self.freeze()
        try:
            yield self
        finally:
            self._apply_freeze_state(state)
            self._frozen_state = pending
