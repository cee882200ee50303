import pytest

from nemo.utils.get_rank import get_rank, is_global_rank_zero

_VARS = (
    "RANK",
    "LOCAL_RANK",
    "SLURM_PROCID",
    "SLURM_NODEID",
    "NODE_RANK",
    "GROUP_RANK",
    "LOCAL_WORLD_SIZE",
    "SLURM_NTASKS_PER_NODE",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in _VARS:
        monkeypatch.delenv(name, raising=False)


def test_single_process_is_rank_zero():
    assert is_global_rank_zero() is True
    assert get_rank() == 0


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"RANK": "0", "LOCAL_RANK": "3"}, True),  # RANK wins over everything else
        ({"RANK": "2"}, False),
        ({"LOCAL_RANK": "1"}, False),
        ({"NODE_RANK": "1", "LOCAL_RANK": "0"}, False),
        ({"SLURM_NODEID": "0", "LOCAL_RANK": "0"}, True),
        ({"GROUP_RANK": "2"}, False),
    ],
)
def test_is_global_rank_zero_from_env(monkeypatch, env, expected):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert is_global_rank_zero() is expected


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"RANK": "5"}, 5),
        ({"SLURM_PROCID": "7"}, 7),
        ({"LOCAL_RANK": "2"}, 2),
        ({"NODE_RANK": "1", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "4"}, 5),
        ({"SLURM_NODEID": "2", "SLURM_NTASKS_PER_NODE": "2"}, 4),
    ],
)
def test_get_rank_from_env(monkeypatch, env, expected):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert get_rank() == expected


def test_node_rank_without_per_node_count_is_never_zero(monkeypatch):
    monkeypatch.setenv("NODE_RANK", "1")
    assert get_rank() >= 1


def test_non_integer_rank_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("RANK", "zero")
    with pytest.raises(ValueError, match="RANK must be an integer"):
        is_global_rank_zero()
