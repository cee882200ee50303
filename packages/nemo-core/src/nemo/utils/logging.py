"""NeMo's rank-aware logger: ``from nemo.utils import logging; logging.info("...")``.

Only global rank 0 prints to the console, so multi-process jobs do not repeat every line; file handlers log on every
rank. The messages go through the stdlib logger ``"nemo_logger"`` (which propagates), so Lightning and pytest's
``caplog`` see them. Verbosity comes from ``NEMO_LOGGING_LEVEL`` (a level name or number) or ``set_verbosity``.
The rank is read from the environment on first use; ``exp_manager`` overrides it with ``logging.rank = r``.
"""

import enum
import logging as _stdlib_logging
import os
import sys
import threading
import types
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List, Optional, Set, Union

from nemo.utils.scoped import scoped

__all__ = [
    "DEBUG",
    "INFO",
    "WARNING",
    "ERROR",
    "CRITICAL",
    "LogMode",
    "Logger",
    "logger",
    "debug",
    "info",
    "warning",
    "error",
    "critical",
    "set_verbosity",
    "get_verbosity",
    "temp_verbosity",
    "add_file_handler",
    "add_err_file_handler",
    "remove_file_handler",
    "get_logger",
    "get_rank",
    "set_rank",
]

DEBUG = _stdlib_logging.DEBUG
INFO = _stdlib_logging.INFO
WARNING = _stdlib_logging.WARNING
ERROR = _stdlib_logging.ERROR
CRITICAL = _stdlib_logging.CRITICAL

LOGGER_NAME = "nemo_logger"
_FORMAT = "[NeMo %(levelletter)s %(asctime)s %(module)s:%(lineno)d] %(message)s"
_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
# Frames between the stdlib ``Logger._log`` call and the user's call: module function -> Logger method.
_STACKLEVEL = 3


class LogMode(enum.IntEnum):
    """``EACH`` logs every call; ``ONCE`` logs a given message only the first time in this process."""

    EACH = 0
    ONCE = 1


class _NeMoFormatter(_stdlib_logging.Formatter):
    """Adds ``levelletter`` (D/I/W/E/C) so lines stay short."""

    def format(self, record: _stdlib_logging.LogRecord) -> str:
        record.levelletter = record.levelname[:1]
        return super().format(record)


def _parse_level(level: Union[int, str], source: str) -> int:
    if isinstance(level, int):
        return level
    text = str(level).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    resolved = _stdlib_logging.getLevelName(text.upper())
    if not isinstance(resolved, int):
        raise ValueError(f"{source}: unknown logging level {level!r}; expected DEBUG, INFO, WARNING, ERROR or CRITICAL")
    return resolved


class _StdStreamHandler(_stdlib_logging.StreamHandler):
    """Writes to the *current* ``sys.stdout``/``sys.stderr``, so stream redirection after import still applies."""

    def __init__(self, stream_name: str) -> None:
        self._stream_name = stream_name
        super().__init__()

    @property
    def stream(self):
        return getattr(sys, self._stream_name)

    @stream.setter
    def stream(self, value) -> None:
        """Ignored: the stream is always looked up on ``sys``."""


class _RankZeroFilter(_stdlib_logging.Filter):
    """Lets records through only while the owning ``Logger`` runs on rank 0."""

    def __init__(self, owner: "Logger") -> None:
        super().__init__()
        self._owner = owner

    def filter(self, record: _stdlib_logging.LogRecord) -> bool:
        return self._owner.rank == 0


class Logger:
    """Wraps the stdlib logger ``"nemo_logger"`` with rank-0-only console output, ``LogMode.ONCE`` and file handlers."""

    DEBUG = DEBUG
    INFO = INFO
    WARNING = WARNING
    ERROR = ERROR
    CRITICAL = CRITICAL

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rank: Optional[int] = None
        self._logged_once: Set[str] = set()
        self._file_handlers: List[_stdlib_logging.Handler] = []
        self._logger = _stdlib_logging.getLogger(LOGGER_NAME)
        self._logger.propagate = True
        env_level = os.environ.get("NEMO_LOGGING_LEVEL")
        self._logger.setLevel(_parse_level(env_level, "NEMO_LOGGING_LEVEL") if env_level else INFO)
        self._install_console_handlers()

    def _install_console_handlers(self) -> None:
        """INFO and below go to stdout, WARNING and above to stderr; both only on rank 0."""
        for handler in list(self._logger.handlers):
            if isinstance(handler, _StdStreamHandler):  # a previous Logger (module reload) installed these
                self._logger.removeHandler(handler)
        formatter = _NeMoFormatter(_FORMAT, _DATE_FORMAT)
        out = _StdStreamHandler("stdout")
        out.addFilter(lambda record: record.levelno < WARNING)
        err = _StdStreamHandler("stderr")
        err.setLevel(WARNING)
        for handler in (out, err):
            handler.setFormatter(formatter)
            handler.addFilter(_RankZeroFilter(self))
            self._logger.addHandler(handler)
        self._console_handlers = (out, err)

    @property
    def rank(self) -> int:
        """Global rank used to decide console output; read from the environment on first use."""
        if self._rank is None:
            from nemo.utils.get_rank import get_rank

            self._rank = get_rank()
        return self._rank

    @rank.setter
    def rank(self, value: int) -> None:
        self._rank = int(value)

    def get_logger(self) -> _stdlib_logging.Logger:
        return self._logger

    def set_verbosity(self, level: Union[int, str]) -> None:
        self._logger.setLevel(_parse_level(level, "set_verbosity"))

    def get_verbosity(self) -> int:
        return self._logger.level

    @contextmanager
    def temp_verbosity(self, level: Union[int, str]) -> Iterator[None]:
        """Use ``level`` inside the block and restore the previous verbosity afterwards."""
        with scoped(self.get_verbosity, self.set_verbosity, level):
            yield

    def add_file_handler(self, path: Union[str, os.PathLike], level: int = DEBUG) -> _stdlib_logging.Handler:
        """Also log to ``path`` (appending; parent folders created) on every rank; returns the handler."""
        target = Path(path).absolute()
        with self._lock:
            for handler in self._file_handlers:
                if Path(handler.baseFilename) == target and handler.level == level:
                    return handler
            target.parent.mkdir(parents=True, exist_ok=True)
            handler = _stdlib_logging.FileHandler(target, encoding="utf-8")
            handler.setLevel(level)
            handler.setFormatter(_NeMoFormatter(_FORMAT, _DATE_FORMAT))
            self._logger.addHandler(handler)
            self._file_handlers.append(handler)
            return handler

    def add_err_file_handler(self, path: Union[str, os.PathLike]) -> _stdlib_logging.Handler:
        """Log warnings and errors to ``path`` on every rank."""
        return self.add_file_handler(path, level=WARNING)

    def remove_file_handler(self, handler_or_path: Union[_stdlib_logging.Handler, str, os.PathLike]) -> None:
        """Detach and close file handlers added earlier (by handler object or by path)."""
        with self._lock:
            if isinstance(handler_or_path, _stdlib_logging.Handler):
                matches = [h for h in self._file_handlers if h is handler_or_path]
            else:
                target = Path(handler_or_path).absolute()
                matches = [h for h in self._file_handlers if Path(h.baseFilename) == target]
            for handler in matches:
                self._file_handlers.remove(handler)
                self._logger.removeHandler(handler)
                handler.close()

    def _log(self, level: int, msg: object, args: tuple, mode: LogMode) -> None:
        if not self._logger.isEnabledFor(level):
            return
        if mode == LogMode.ONCE:
            key = str(msg)
            with self._lock:
                if key in self._logged_once:
                    return
                self._logged_once.add(key)
        self._logger.log(level, msg, *args, stacklevel=_STACKLEVEL)

    def debug(self, msg: object, *args, mode: LogMode = LogMode.EACH) -> None:
        self._log(DEBUG, msg, args, mode)

    def info(self, msg: object, *args, mode: LogMode = LogMode.EACH) -> None:
        self._log(INFO, msg, args, mode)

    def warning(self, msg: object, *args, mode: LogMode = LogMode.EACH) -> None:
        self._log(WARNING, msg, args, mode)

    def error(self, msg: object, *args, mode: LogMode = LogMode.EACH) -> None:
        self._log(ERROR, msg, args, mode)

    def critical(self, msg: object, *args, mode: LogMode = LogMode.EACH) -> None:
        self._log(CRITICAL, msg, args, mode)


logger = Logger()


def debug(msg: object, *args, mode: LogMode = LogMode.EACH) -> None:
    logger._log(DEBUG, msg, args, mode)


def info(msg: object, *args, mode: LogMode = LogMode.EACH) -> None:
    logger._log(INFO, msg, args, mode)


def warning(msg: object, *args, mode: LogMode = LogMode.EACH) -> None:
    logger._log(WARNING, msg, args, mode)


def error(msg: object, *args, mode: LogMode = LogMode.EACH) -> None:
    logger._log(ERROR, msg, args, mode)


def critical(msg: object, *args, mode: LogMode = LogMode.EACH) -> None:
    logger._log(CRITICAL, msg, args, mode)


set_verbosity = logger.set_verbosity
get_verbosity = logger.get_verbosity
temp_verbosity = logger.temp_verbosity
add_file_handler = logger.add_file_handler
add_err_file_handler = logger.add_err_file_handler
remove_file_handler = logger.remove_file_handler
get_logger = logger.get_logger


def get_rank() -> int:
    """Rank the logger uses to decide console output."""
    return logger.rank


def set_rank(rank: int) -> None:
    """Set the rank used for console output (``exp_manager`` does this once the trainer's rank is known)."""
    logger.rank = rank


class _LoggingModule(types.ModuleType):
    """Makes ``logging.rank`` a live, settable view of the logger's rank (PEP 549-style module property)."""

    @property
    def rank(self) -> int:
        return logger.rank

    @rank.setter
    def rank(self, value: int) -> None:
        logger.rank = value


sys.modules[__name__].__class__ = _LoggingModule
