"""``Loss``: base of typed NeMo losses built on ``torch.nn.modules.loss._Loss``."""

from torch.nn.modules.loss import _Loss

from nemo.core.classes.serialization import Serialization
from nemo.core.classes.typecheck import Typing

__all__ = ["Loss"]


class Loss(_Loss, Typing, Serialization):
    """Typed, config-constructible loss; keyword arguments (``reduction``, ...) go to ``_Loss``."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
