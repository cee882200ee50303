import logging as stdlib_logging
import os
import subprocess
import sys
import textwrap

import pytest

from nemo.utils import logging


@pytest.fixture(autouse=True)
def restore_logger_state():
    rank, level = logging.rank, logging.get_verbosity()
    logging.rank = 0
    logging.set_verbosity(logging.INFO)
    yield
    logging.rank = rank
    logging.set_verbosity(level)


def _run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if k not in ("RANK", "LOCAL_RANK", "SLURM_PROCID", "NEMO_LOGGING_LEVEL")
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=clean, capture_output=True, text=True, timeout=60
    )


def test_levels_and_log_mode_constants():
    assert (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL) == (10, 20, 30, 40, 50)
    assert logging.Logger.WARNING == stdlib_logging.WARNING
    assert logging.LogMode.EACH == 0 and logging.LogMode.ONCE == 1


def test_messages_reach_caplog_with_args_and_caller_location(caplog):
    with caplog.at_level(logging.INFO, logger="nemo_logger"):
        logging.info("loaded %d files", 3)
    record = caplog.records[-1]
    assert record.name == "nemo_logger"
    assert record.getMessage() == "loaded 3 files"
    assert record.module == "test_logging"  # the caller, not the logging module


def test_once_mode_logs_a_message_only_once(caplog):
    with caplog.at_level(logging.INFO, logger="nemo_logger"):
        for _ in range(3):
            logging.warning("deprecated option used (once test)", mode=logging.LogMode.ONCE)
            logging.info("every time (once test)")
    messages = [r.getMessage() for r in caplog.records]
    assert messages.count("deprecated option used (once test)") == 1
    assert messages.count("every time (once test)") == 3


def test_once_mode_does_not_consume_a_message_dropped_by_verbosity(caplog):
    logging.debug("debug once (verbosity test)", mode=logging.LogMode.ONCE)  # below INFO: dropped, not remembered
    with caplog.at_level(logging.DEBUG, logger="nemo_logger"):
        logging.debug("debug once (verbosity test)", mode=logging.LogMode.ONCE)
    assert [r.getMessage() for r in caplog.records] == ["debug once (verbosity test)"]


def test_set_verbosity_and_temp_verbosity(caplog):
    with caplog.at_level(logging.DEBUG, logger="nemo_logger"):
        logging.set_verbosity(logging.ERROR)
        assert logging.get_verbosity() == logging.ERROR
        logging.warning("hidden warning")
        with logging.temp_verbosity("warning"):
            assert logging.get_verbosity() == logging.WARNING
            logging.warning("shown warning")
        assert logging.get_verbosity() == logging.ERROR
    assert [r.getMessage() for r in caplog.records] == ["shown warning"]


def test_set_verbosity_rejects_unknown_level():
    with pytest.raises(ValueError, match="unknown logging level 'LOUD'"):
        logging.set_verbosity("LOUD")


def test_console_output_only_on_rank_zero(capsys):
    logging.info("console on rank zero")
    logging.error("error on rank zero")
    captured = capsys.readouterr()
    assert "console on rank zero" in captured.out and "] console on rank zero" in captured.out
    assert captured.out.startswith("[NeMo I ")
    assert "error on rank zero" in captured.err and "error on rank zero" not in captured.out

    logging.rank = 1
    logging.info("console on rank one")
    logging.error("error on rank one")
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_file_handlers_log_on_every_rank(tmp_path):
    log_file = tmp_path / "logs" / "nemo_log.txt"
    err_file = tmp_path / "logs" / "nemo_error_log.txt"
    handler = logging.add_file_handler(log_file)
    err_handler = logging.add_err_file_handler(err_file)
    try:
        assert logging.add_file_handler(log_file) is handler  # no duplicate handler for the same file
        logging.rank = 3
        logging.info("info from rank three")
        logging.warning("warning from rank three")
    finally:
        logging.remove_file_handler(log_file)
        logging.remove_file_handler(err_handler)
    text = log_file.read_text()
    assert "info from rank three" in text and "warning from rank three" in text
    err_text = err_file.read_text()
    assert "warning from rank three" in err_text and "info from rank three" not in err_text
    logging.info("after removal")
    assert "after removal" not in log_file.read_text()


def test_rank_is_settable_through_module_and_functions():
    logging.rank = 5
    assert logging.rank == 5 and logging.get_rank() == 5 and logging.logger.rank == 5
    logging.set_rank(0)
    assert logging.rank == 0


def test_rank_and_verbosity_come_from_environment():
    code = """
        from nemo.utils import logging
        print("rank", logging.rank, "level", logging.get_verbosity())
        logging.info("visible only on rank zero")
        logging.debug("debug line")
    """
    rank_two = _run_python(code, RANK="2", NEMO_LOGGING_LEVEL="DEBUG")
    assert rank_two.returncode == 0, rank_two.stderr
    assert rank_two.stdout.splitlines() == ["rank 2 level 10"]

    slurm_zero = _run_python(code, SLURM_PROCID="0", NEMO_LOGGING_LEVEL="debug")
    assert "visible only on rank zero" in slurm_zero.stdout and "debug line" in slurm_zero.stdout

    local_one = _run_python(code, LOCAL_RANK="1", NEMO_LOGGING_LEVEL="30")
    assert local_one.stdout.splitlines() == ["rank 1 level 30"]
