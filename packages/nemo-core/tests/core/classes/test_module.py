import pytest
import torch

from nemo.core.classes.module import NeuralModule
from nemo.core.classes.serialization import FileIO, Serialization
from nemo.core.classes.typecheck import Typing


class Block(NeuralModule):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(3, 4)  # 12 weights + 4 biases
        self.norm = torch.nn.BatchNorm1d(4)  # 4 weights + 4 biases (+ buffers, not counted)

    def forward(self, x):
        return self.norm(self.linear(x))


def _grads(module):
    return {name: p.requires_grad for name, p in module.named_parameters()}


def _modes(module):
    return {name: m.training for name, m in module.named_modules()}


def test_is_a_typed_serializable_torch_module():
    block = Block()
    assert isinstance(block, (torch.nn.Module, Typing, Serialization, FileIO))
    assert block.input_types is None and block.output_types is None
    assert block.input_example() is None


def test_num_weights_counts_only_trainable_parameters():
    block = Block()
    assert block.num_weights == 24
    block.linear.weight.requires_grad_(False)
    assert block.num_weights == 12


def test_freeze_and_unfreeze():
    block = Block()
    block.freeze()
    assert not any(_grads(block).values()) and not any(_modes(block).values())
    assert block.num_weights == 0
    block.unfreeze()
    assert all(_grads(block).values()) and all(_modes(block).values())


def test_unfreeze_partial_restores_the_state_before_the_first_freeze():
    block = Block()
    block.linear.bias.requires_grad_(False)
    block.norm.eval()
    before_grads, before_modes = _grads(block), _modes(block)
    block.freeze()
    block.freeze()  # freezing twice must not overwrite the remembered state
    block.unfreeze(partial=True)
    assert _grads(block) == before_grads and _modes(block) == before_modes


def test_unfreeze_partial_without_freeze_changes_nothing(caplog):
    block = Block()
    block.norm.eval()
    block.unfreeze(partial=True)
    assert not block.norm.training and block.training
    assert "without a previous freeze" in caplog.text


def test_as_frozen_restores_mixed_state_even_after_an_error():
    block = Block()
    block.linear.weight.requires_grad_(False)
    block.norm.eval()
    before_grads, before_modes = _grads(block), _modes(block)
    with pytest.raises(RuntimeError, match="boom"):
        with block.as_frozen() as frozen:
            assert frozen is block
            assert not any(_grads(block).values()) and not any(_modes(block).values())
            raise RuntimeError("boom")
    assert _grads(block) == before_grads and _modes(block) == before_modes


def test_as_frozen_is_nestable_and_keeps_a_pending_freeze():
    block = Block()
    block.freeze()
    with block.as_frozen():
        with block.as_frozen():
            assert block.num_weights == 0
        assert block.num_weights == 0
    assert block.num_weights == 0 and not block.training
    block.unfreeze(partial=True)  # the freeze() from before the context is still undone correctly
    assert all(_grads(block).values()) and block.training


def test_as_frozen_blocks_gradients():
    block = Block()
    with block.as_frozen():
        out = block(torch.randn(2, 3))
    assert not out.requires_grad
    assert block.training and all(_grads(block).values())


class _Scriptable(NeuralModule):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(2, 2)

    def forward(self, x):
        return self.linear(x)


def test_neural_module_can_be_scripted():
    module = _Scriptable()
    scripted = torch.jit.script(module)
    x = torch.ones(1, 2)
    assert torch.equal(scripted(x), module(x))
