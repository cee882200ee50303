"""Process-rank queries that work before ``torch.distributed`` is initialised (read from launcher env variables)."""

import os
import sys
from typing import Optional

__all__ = ["is_global_rank_zero", "get_rank"]

_NODE_RANK_VARS = ("SLURM_NODEID", "NODE_RANK", "GROUP_RANK")


def _env_int(name: str) -> Optional[int]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    try:
        return int(value)
    except ValueError as err:
        raise ValueError(f"Environment variable {name} must be an integer rank, got {value!r}") from err


def _node_rank() -> int:
    for name in _NODE_RANK_VARS:
        value = _env_int(name)
        if value is not None:
            return value
    return 0


def is_global_rank_zero() -> bool:
    """True on the process that should write shared files: ``RANK`` if set, else node rank 0 and ``LOCAL_RANK`` 0.

    The node rank is read from ``SLURM_NODEID``, ``NODE_RANK`` or ``GROUP_RANK`` (first one set); unset means 0.
    """
    rank = _env_int("RANK")
    if rank is not None:
        return rank == 0
    return _node_rank() == 0 and (_env_int("LOCAL_RANK") or 0) == 0


def get_rank() -> int:
    """Global rank of this process.

    Uses the initialised process group if there is one, else ``RANK`` / ``SLURM_PROCID``, else
    ``node_rank * processes_per_node + LOCAL_RANK``. When the per-node process count is not in the environment
    (``LOCAL_WORLD_SIZE`` / ``SLURM_NTASKS_PER_NODE``) it is taken as the number of visible CUDA devices (at least 1),
    which is how Lightning launches one process per device; rank zero is always identified exactly.
    """
    dist = sys.modules.get("torch.distributed")  # a process group can only exist once torch was imported
    if dist is not None and dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    for name in ("RANK", "SLURM_PROCID"):
        value = _env_int(name)
        if value is not None:
            return value
    local_rank = _env_int("LOCAL_RANK") or 0
    node_rank = _node_rank()
    if node_rank == 0:
        return local_rank
    per_node = _env_int("LOCAL_WORLD_SIZE") or _env_int("SLURM_NTASKS_PER_NODE")
    if per_node is None:
        import torch

        per_node = max(torch.cuda.device_count(), local_rank + 1, 1)
    return node_rank * per_node + local_rank
