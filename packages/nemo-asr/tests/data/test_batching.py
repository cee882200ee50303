import pytest

from nemo.collections.asr.data.batching import DurationBatchSampler


def test_batches_are_sorted_by_duration():
    sampler = DurationBatchSampler([0.5, 0.1, 0.9, 0.3, 0.7], batch_size=2)
    assert list(sampler) == [[1, 3], [0, 4], [2]] and len(sampler) == 3


def test_drop_last_and_shuffle_are_seeded_per_epoch():
    durations = [float(i) for i in range(20)]
    sampler = DurationBatchSampler(durations, batch_size=3, shuffle=True, drop_last=True, seed=5)
    assert len(sampler) == 6
    sampler.set_epoch(3)
    first = list(sampler)
    sampler.set_epoch(3)
    assert list(sampler) == first
    assert sorted(first) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11], [12, 13, 14], [15, 16, 17]]
    later = [list(sampler) for _ in range(4)]  # each iteration advances the epoch
    assert sampler.epoch == 8 and any(order != first for order in later)


def test_rejects_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        DurationBatchSampler([1.0], batch_size=0)
