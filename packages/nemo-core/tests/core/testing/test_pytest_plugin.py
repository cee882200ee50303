"""The kit's pytest plugin on a small suite: slow tests skip unless asked for, one_torch_thread, and a deterministic
trainer's process-wide flag does not leak into the next test."""

import pytest

PLUGIN = ("-p", "nemo.core.testing.pytest_plugin")

SUITE = """
import pytest
import torch


@pytest.mark.slow(reason="a minute of training")
def test_slow():
    pass


@pytest.mark.slow
def test_slow_without_reason():
    pass


def test_fast():
    pass


def test_switches_deterministic_algorithms_on():
    torch.use_deterministic_algorithms(True)


def test_sees_them_off_again(one_torch_thread):
    assert not torch.are_deterministic_algorithms_enabled()
    assert torch.get_num_threads() == 1
"""


@pytest.fixture
def suite(pytester, monkeypatch):
    monkeypatch.delenv("NEMO_RUN_SLOW", raising=False)
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\nmarkers = ["slow: takes seconds"]\n')
    pytester.makepyfile(test_suite=SUITE)
    return pytester


def test_slow_tests_are_skipped_with_a_reason_that_says_how_to_run_them(suite):
    result = suite.runpytest(*PLUGIN, "-rs")
    result.assert_outcomes(passed=3, skipped=2)
    result.stdout.fnmatch_lines(
        [
            "*slow (a minute of training): run with --run-slow or NEMO_RUN_SLOW=1*",
            "*slow: run with --run-slow or NEMO_RUN_SLOW=1*",
        ]
    )


@pytest.mark.parametrize("how", ["option", "environment"])
def test_run_slow_option_or_environment_runs_them(suite, monkeypatch, how):
    if how == "environment":
        monkeypatch.setenv("NEMO_RUN_SLOW", "1")
    result = suite.runpytest(*PLUGIN, *(["--run-slow"] if how == "option" else []))
    result.assert_outcomes(passed=5)


def test_a_mark_expression_naming_slow_decides(suite):
    suite.runpytest(*PLUGIN, "-m", "slow and not gpu").assert_outcomes(passed=2, deselected=3)
    suite.runpytest(*PLUGIN, "-m", "not slow").assert_outcomes(passed=3, deselected=2)
    suite.runpytest(*PLUGIN, "-m", "not gpu").assert_outcomes(passed=3, skipped=2)  # the cpu suite's expression
