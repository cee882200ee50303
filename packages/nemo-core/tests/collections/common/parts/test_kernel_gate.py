"""own_kernel_rows: the output rows of a plain float32 CPU Conv1d in eager mode, 0 wherever a kernel of our own may
not run it."""

import torch
from torch import nn

from nemo.collections.common.parts.kernel_gate import own_kernel_rows


def test_rows_of_a_plain_layer_and_zero_past_each_gate(rule_under_trace):
    conv, x = nn.Conv1d(8, 8, 5, padding=1), torch.randn(3, 8, 20)
    assert own_kernel_rows(conv, x) == 3 * 18
    assert own_kernel_rows(nn.Conv1d(8, 8, 5), torch.randn(1, 8, 3)) == 0  # shorter than the kernel
    for changes in (dict(stride=2), dict(groups=2), dict(padding_mode="reflect"), dict(padding="same")):
        assert own_kernel_rows(nn.Conv1d(8, 8, 5, **{"padding": 1, **changes}), x) == 0, changes
    assert own_kernel_rows(conv.double(), x.double()) == 0
    assert own_kernel_rows(conv.float(), x[0]) == 0  # not [B, C, T]
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert own_kernel_rows(conv, x) == 0
    assert rule_under_trace(lambda c, inp: own_kernel_rows(c, inp) > 0, conv.requires_grad_(False), x) == [
        (True, False)
    ]
