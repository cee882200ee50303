"""Refusing unknown config keys with a did-you-mean, the same way for every config a user writes."""

import difflib
from typing import Iterable, Mapping

__all__ = ["refuse_unknown_keys"]


def refuse_unknown_keys(config: Mapping, known: Iterable[str], where: str) -> None:
    """Raise ``ValueError`` for the first key of ``config`` not in ``known``, naming ``where.<key>`` and close matches.

    A typo such as ``batchsize`` would otherwise be ignored silently and the default used instead.
    """
    known = sorted(set(known))
    for key in config:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key), known, n=3)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(
            f"{where}: unknown key '{key}' (value {config[key]!r}){hint} Known keys: {', '.join(known)}"
        )
