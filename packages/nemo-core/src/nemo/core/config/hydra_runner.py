"""``hydra_runner``: NeMo's replacement for ``@hydra.main`` in training scripts.

NeMo scripts must not let Hydra change the working directory (``exp_manager`` owns the experiment folder) nor write
``.hydra/`` snapshots, ``outputs/`` folders or a job log file next to the user's data. ``hydra_runner`` therefore parses
the command line with Hydra's own parser and appends overrides that switch those features off, optionally registers a
structured-config ``schema`` that gives every key a typed default, and lets tests call the script function directly
with ``cfg_passthrough``.
"""

from __future__ import annotations

import functools
import os
import sys
import warnings
from typing import Any, Callable, Optional

from hydra import version as hydra_version
from hydra._internal.utils import _run_hydra, get_args_parser
from hydra.core.config_store import ConfigStore
from hydra.types import TaskFunction
from omegaconf import DictConfig

import nemo.core.config.pytorch_lightning  # noqa: F401 - registers the "trainer" group in the ConfigStore

__all__ = ["hydra_runner", "HYDRA_VERSION_BASE", "NEMO_HYDRA_OVERRIDES"]

# Hydra semantics we target: 1.2+ defaults (no implicit chdir, config_path=None adds no search dir).
HYDRA_VERSION_BASE = "1.3"

# Appended after the user's overrides so they always win over the YAML's own ``hydra:`` section.
NEMO_HYDRA_OVERRIDES = (
    "hydra.output_subdir=null",  # no <run dir>/.hydra/ snapshot
    "hydra/job_logging=stdout",  # log to stdout only, no <job>.log file
    "hydra.run.dir=.",  # the run dir is the cwd: no outputs/<date>/ folder, no chdir
)

# Hydra warns that matching a YAML with a same-named ConfigStore schema is deprecated; NeMo relies on exactly that
# matching to layer "YAML over dataclass defaults", so the warning is noise for users of ``schema=``.
_SCHEMA_MATCH_WARNING = r"(?s).*is validated against ConfigStore schema with the same name"


def _register_schema(schema: Any, config_name: Optional[str]) -> None:
    """Store ``schema`` under ``config_name`` so Hydra merges the YAML of that name onto it (or uses it alone)."""
    if config_name is None:
        raise ValueError(
            "hydra_runner(schema=...) needs a config name to register the schema under: pass config_name= to "
            "hydra_runner or --config-name on the command line"
        )
    path, name = os.path.split(config_name)
    if path:
        sys.stderr.write(
            f"Error: with a schema, --config-name must be a bare name, got '{config_name}' (directory part "
            f"'{path}'). Pass the directory with --config-path instead.\n"
        )
        sys.exit(1)
    ConfigStore.instance().store(name=os.path.splitext(name)[0], node=schema)


def hydra_runner(
    config_path: Optional[str] = None, config_name: Optional[str] = None, schema: Optional[Any] = None
) -> Callable[[TaskFunction], Callable[..., Any]]:
    """Decorate a script's ``main(cfg)`` so it is configured by Hydra from ``config_path/config_name`` and the CLI.

    Args:
        config_path: directory of the YAML configs, relative to the decorated script's file (or absolute); overridden
            by ``--config-path`` on the command line.
        config_name: name of the primary config (without ``.yaml``); overridden by ``--config-name``.
        schema: optional structured config (a dataclass type or instance) registered in Hydra's ConfigStore under the
            config name; it supplies typed defaults, so the precedence is CLI > YAML > dataclass.

    The decorated function takes an optional ``cfg_passthrough``: when given, ``main(cfg_passthrough)`` is called
    directly and its result returned (for tests and programmatic use); otherwise the command line is parsed and the
    function returns None, as Hydra may call ``main`` several times (``--multirun``).
    """

    def decorator(task_function: TaskFunction) -> Callable[..., Any]:
        @functools.wraps(task_function)
        def wrapper(cfg_passthrough: Optional[DictConfig] = None) -> Any:
            if cfg_passthrough is not None:
                return task_function(cfg_passthrough)

            parser = get_args_parser()
            args = parser.parse_args()
            args.overrides.extend(NEMO_HYDRA_OVERRIDES)
            if schema is not None:
                _register_schema(schema, args.config_name or config_name)

            # Sets Hydra's process-wide version base, exactly as @hydra.main(version_base=...) does.
            hydra_version.setbase(HYDRA_VERSION_BASE)
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=_SCHEMA_MATCH_WARNING)
                _run_hydra(
                    args=args,
                    args_parser=parser,
                    task_function=task_function,
                    config_path=config_path,
                    config_name=config_name,
                )
            return None

        return wrapper

    return decorator
