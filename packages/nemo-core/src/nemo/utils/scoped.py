"""``scoped``: change a process-wide setting for the length of a ``with`` block only.

Thread counts, log verbosity and the typecheck level are global; a test or a library call that changes one must put
the previous value back, even when the block raises. This is that one idiom, written once.
"""

from contextlib import contextmanager
from typing import Any, Callable, Iterator, TypeVar

__all__ = ["scoped"]

_T = TypeVar("_T")


@contextmanager
def scoped(get: Callable[[], _T], set_: Callable[[_T], Any], value: _T) -> Iterator[None]:
    """Run the block after ``set_(value)``; afterwards ``set_`` what ``get()`` returned before, even on error."""
    previous = get()
    set_(value)
    try:
        yield
    finally:
        set_(previous)
