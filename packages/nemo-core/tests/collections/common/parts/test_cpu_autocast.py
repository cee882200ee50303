import torch

from nemo.collections.common.parts.cpu_autocast import cpu_autocast_dtype


def test_dtype_inside_cpu_autocast_and_none_outside():
    assert cpu_autocast_dtype() is None
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert cpu_autocast_dtype() is torch.bfloat16
        with torch.autocast("cpu", enabled=False):
            assert cpu_autocast_dtype() is None
    assert cpu_autocast_dtype() is None
