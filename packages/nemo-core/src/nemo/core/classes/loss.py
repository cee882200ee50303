"""``Loss``: base of typed NeMo losses built on ``torch.nn.modules.loss._Loss``."""

from torch.nn.modules.loss import _Loss

from nemo.core.classes.serialization import Serialization
from nemo.core.classes.typecheck import Typing

__all__ = ["Loss"]


class Loss(_Loss, Typing, Serialization):
    """Typed, config-constructible loss; arguments (``reduction``, ...) go on to the next class in the MRO.

    Positional arguments are forwarded too, so ``class X(torch.nn.CrossEntropyLoss, Loss)`` works as in NeMo.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
