"""capturing_graph: False in eager mode, True while tracing."""

import torch

from nemo.collections.common.parts.graph_capture import capturing_graph


def test_eager_and_tracing():
    seen = []

    def record(x):
        seen.append(capturing_graph())
        return x + 1

    record(torch.zeros(1))
    torch.jit.trace(record, torch.zeros(1))
    assert seen[0] is False and seen[1] is True
