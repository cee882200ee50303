"""Which of a class's declared types can be read once per class instead of on every ``@typecheck()`` call.

NeMo reads ``input_types``/``output_types`` on every checked call because they may depend on the instance (a sample
rate, a vocabulary size). Most modules' properties do not: they build the same dict from constants each time, which
costs more than all the checks together. A property whose code never reads its instance (no ``self`` in its body,
no closure, no ``super()``, no frame introspection) can only depend on module globals, so its result is taken once
per class, at the first checked call; anything else is still read on every call. Types that must follow something
other than the instance (a module global changed at run time) should be read through the instance.
"""

from __future__ import annotations

import dis
from types import FunctionType
from typing import Any, Dict, Optional

__all__ = ["DYNAMIC", "instance_free_property", "static_types"]

DYNAMIC: Any = type("Dynamic", (), {"__repr__": lambda self: "DYNAMIC", "__slots__": ()})()
"""Marker: the types must be read from the instance on every call."""

# Names through which code can reach its caller's locals without naming them.
_INTROSPECTION = frozenset({"locals", "vars", "eval", "exec", "_getframe", "currentframe", "stack"})
_LOCAL_OPS = frozenset(dis.haslocal) | frozenset(dis.hasfree)
_verdicts: Dict[Any, bool] = {}  # fget -> whether it never reads its instance


def _reads_instance(function: FunctionType) -> bool:
    code = function.__code__
    if code.co_argcount < 1 or code.co_freevars or _INTROSPECTION & set(code.co_names):
        return True  # a closure (super() included) or introspection may see more than globals
    self_name = code.co_varnames[0]
    if self_name in code.co_cellvars:
        return True  # captured by an inner function or (before Python 3.12) a comprehension
    for instruction in dis.get_instructions(code):
        if instruction.opcode in _LOCAL_OPS:
            argval = instruction.argval
            if self_name == argval or (isinstance(argval, tuple) and self_name in argval):
                return True
    return False


def instance_free_property(owner: type, name: str) -> Optional[property]:
    """The ``property`` ``owner.name`` when its getter is a plain function that never reads its instance, else None."""
    attribute = getattr(owner, name, None)
    if type(attribute) is not property or type(attribute.fget) is not FunctionType:
        return None
    fget = attribute.fget
    verdict = _verdicts.get(fget)
    if verdict is None:
        verdict = _verdicts[fget] = not _reads_instance(fget)
    return attribute if verdict else None


def static_types(instance: Any, name: str) -> Any:
    """The types ``type(instance).name`` returns, when they can be read once per class; else ``DYNAMIC``."""
    found = instance_free_property(type(instance), name)
    return DYNAMIC if found is None else found.fget(instance)
