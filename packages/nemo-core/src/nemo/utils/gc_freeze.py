"""Taking the objects that imports created out of the cyclic garbage collector's walks (``gc.freeze``).

Importing torch and Lightning leaves about a million long-lived objects (modules, classes, functions and their dicts)
tracked by CPython's cyclic collector. Every full collection walks all of them: one triggers, on allocation counts
alone, in the first ``transcribe`` of a fresh process (0.2 s of its 0.25 s), and one runs at interpreter exit (about
1 s). ``ModelPT``'s module, the one that imports Lightning, calls :func:`freeze_import_state` once at the end of its
import: every object alive then moves to the permanent generation, which collections skip. Measured (fresh process,
one thread: import, restore a 0.8M QuartzNet ``.nemo``, transcribe one file): 5.1-5.3 s wall before, 3.8-4.2 s after.
The cost: garbage cycles among those objects are never reclaimed (import-time objects, which live as long as the
process anyway); objects created later are collected as before. It is also what the ``gc`` documentation recommends
before forking (DataLoader workers share more pages). ``NEMO_GC_FREEZE=0`` in the environment turns it off.
"""

import gc

from nemo.utils.env_flag import env_flag

__all__ = ["freeze_import_state"]


def freeze_import_state() -> bool:
    """``gc.freeze()`` unless ``NEMO_GC_FREEZE`` is ``0``/``false``/``no``/``off``; whether it froze."""
    if not env_flag("NEMO_GC_FREEZE"):
        return False
    gc.freeze()
    return True
