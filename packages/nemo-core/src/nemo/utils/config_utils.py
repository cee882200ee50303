"""NeMo v1's ``nemo.utils.config_utils``: config dataclass helpers at the module path v1 code imports them from.

``update_model_config`` lives in ``nemo.core.config`` and is re-exported here; ``assert_dataclass_signature_match``
lets a collection's tests prove that a config dataclass (``ConvASREncoderConfig``-style) names exactly the arguments
of the class it configures, so a renamed constructor argument cannot silently turn a config key into an error.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, Mapping, Optional, Sequence

from nemo.core.config.update import update_model_config
from nemo.utils import logging

__all__ = ["assert_dataclass_signature_match", "update_model_config"]


def _argument_names(names: Sequence[str], remap_args: Mapping[str, str], ignore: set) -> set:
    return {remap_args.get(name, name) for name in names} - ignore


def assert_dataclass_signature_match(
    cls: type,
    datacls: Any,
    ignore_args: Optional[Sequence[str]] = None,
    remap_args: Optional[Mapping[str, str]] = None,
) -> tuple[bool, Optional[set], Optional[set]]:
    """Compare ``cls.__init__``'s argument names with ``datacls``'s fields (names only, not values).

    Args:
        cls: the configured class (a type, not an instance).
        datacls: its config dataclass; a ``_target_`` field is not an argument.
        ignore_args: names left out on both sides (a dataclass may be a superset of the class' arguments).
        remap_args: ``{name: other}``, renaming on either side before comparing (an argument that a helper renames).

    Returns:
        As NeMo v1: ``(True, None, None)`` when the names match, else ``(False, only_in_class, only_in_dataclass)``;
        each mismatch is also logged as an error.
    """
    if not isinstance(cls, type):
        raise TypeError(
            f"assert_dataclass_signature_match: cls must be a class, got an instance of {type(cls).__name__}"
        )
    if not dataclasses.is_dataclass(datacls):
        raise TypeError(f"assert_dataclass_signature_match: datacls must be a dataclass, got {datacls!r}")
    ignore, remap = set(ignore_args or ()), dict(remap_args or {})
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]  # without self
    class_names = _argument_names([p.name for p in parameters if p.kind not in variadic], remap, ignore)
    fields = [field.name for field in dataclasses.fields(datacls) if field.name != "_target_"]
    dataclass_names = _argument_names(fields, remap, ignore)
    only_in_class, only_in_dataclass = class_names - dataclass_names, dataclass_names - class_names
    if not only_in_class and not only_in_dataclass:
        return True, None, None
    logging.error(
        f"{cls.__name__} arguments do not match dataclass {datacls.__name__}: only in the class "
        f"{sorted(only_in_class)}, only in the dataclass {sorted(only_in_dataclass)}"
    )
    return False, only_in_class, only_in_dataclass
