import pytest
import torch
import torch.nn.functional as F

from nemo.collections.asr.parts import depthwise_conv, jasper
from nemo.collections.asr.parts.depthwise_conv import depthwise_conv1d, use_depthwise_kernel
from nemo.collections.asr.parts.jasper import MaskedConv1d


@pytest.mark.parametrize(
    "kernel,padding,dilation,bias",
    [
        (1, 0, 1, False),
        (3, 1, 1, True),
        (13, 6, 1, False),
        (15, 7, 1, True),
        (11, 2, 1, False),
        (29, 28, 2, True),
        (5, 0, 3, False),
        (7, 2, 2, False),
        (3, 4, 1, True),  # padding wider than the kernel's span
        (3, 5, 2, False),
    ],
)
@pytest.mark.parametrize("tap_loop", [True, False])
def test_matches_conv1d_values_and_gradients(
    monkeypatch, tap_loop, kernel: int, padding: int, dilation: int, bias
) -> None:
    # The weight gradient's two routes: the per-tap loop (threshold 0) and oneDNN's kernel (threshold unreachable).
    monkeypatch.setattr(depthwise_conv, "MIN_TAP_LOOP_ELEMENTS_PER_THREAD", 0 if tap_loop else 1 << 62)
    torch.manual_seed(0)
    x = torch.randn(3, 6, 40, dtype=torch.float64, requires_grad=True)
    w = torch.randn(6, 1, kernel, dtype=torch.float64, requires_grad=True)
    b = torch.randn(6, dtype=torch.float64, requires_grad=True) if bias else None
    ours = depthwise_conv1d(x, w, b, padding=padding, dilation=dilation)
    ref = F.conv1d(x, w, b, padding=padding, dilation=dilation, groups=6)
    assert ours.shape == ref.shape
    torch.testing.assert_close(ours, ref)
    grad = torch.randn_like(ref)
    inputs = (x, w) if b is None else (x, w, b)
    for got, want in zip(torch.autograd.grad(ours, inputs, grad), torch.autograd.grad(ref, inputs, grad)):
        torch.testing.assert_close(got, want)
    with torch.no_grad():  # the forward-only route skips the autograd function
        torch.testing.assert_close(depthwise_conv1d(x, w, b, padding=padding, dilation=dilation), ref)


@pytest.mark.parametrize(
    "kernel,padding,dilation", [(13, 6, 1), (17, 8, 1), (29, 28, 2), (5, 0, 3), (3, 4, 1), (11, 2, 1), (7, 9, 2)]
)
@pytest.mark.parametrize("batch,channels,steps", [(3, 6, 40), (4, 32, 97)])
def test_float32_weight_gradient_by_correlation(monkeypatch, kernel, padding, dilation, batch, channels, steps) -> None:
    """On one thread float32 weight gradients come from one correlation ``conv1d``; equal to the float64 reference
    up to float32 rounding, whatever the padding (zero, same, wider than the span) and dilation."""
    monkeypatch.setattr(depthwise_conv, "MIN_TAP_LOOP_ELEMENTS_PER_THREAD", 0)
    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)
    torch.manual_seed(4)
    x = torch.randn(batch, channels, steps)
    grad = torch.randn_like(
        F.conv1d(x, torch.ones(channels, 1, kernel), padding=padding, dilation=dilation, groups=channels)
    )
    got = depthwise_conv._weight_grad_by_correlation(x, grad, kernel, padding, dilation)
    assert got.dtype == torch.float32 and got.shape == (channels, 1, kernel)
    torch.testing.assert_close(depthwise_conv._weight_grad(x, grad, kernel, padding, dilation), got, rtol=0, atol=0)
    want = torch.nn.grad.conv1d_weight(
        x.double(), (channels, 1, kernel), grad.double(), padding=padding, dilation=dilation, groups=channels
    )
    torch.testing.assert_close(got.double(), want, rtol=1e-5, atol=1e-5 * want.abs().max().item())


@pytest.mark.parametrize("tap_loop", [True, False])
@pytest.mark.parametrize("padding,dilation", [(2, 2), (1, 1), (3, 1)])
def test_gradcheck(monkeypatch, tap_loop: bool, padding: int, dilation: int) -> None:
    monkeypatch.setattr(depthwise_conv, "MIN_TAP_LOOP_ELEMENTS_PER_THREAD", 0 if tap_loop else 1 << 62)
    torch.manual_seed(1)
    x = torch.randn(2, 3, 9, dtype=torch.float64, requires_grad=True)
    w = torch.randn(3, 1, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: depthwise_conv1d(a, b, padding=padding, dilation=dilation), (x, w))


def test_only_the_needed_gradient_is_computed() -> None:
    x = torch.randn(2, 4, 12)
    w = torch.randn(4, 1, 5, requires_grad=True)
    depthwise_conv1d(x, w, padding=2).sum().backward()
    assert w.grad is not None and x.grad is None


def test_rejects_a_non_depthwise_weight() -> None:
    with pytest.raises(ValueError, match=r"weight \(4, 2, 3\)"):
        depthwise_conv1d(torch.randn(1, 4, 10), torch.randn(4, 2, 3))


def test_too_short_input_raises_like_conv1d() -> None:
    with pytest.raises(RuntimeError):
        depthwise_conv1d(torch.randn(1, 2, 3), torch.randn(2, 1, 9))


def test_rule_keeps_conv1d_on_its_fast_kernel() -> None:
    big = 1 << 24
    # Undilated with padding <= 6 ("same" padding, kernels up to 13 taps): oneDNN's fast depthwise forward.
    for padding in range(7):
        assert not use_depthwise_kernel(big, padding, 1, needs_grad=True)
        assert not use_depthwise_kernel(big, padding, 1, needs_grad=False)
        assert not use_depthwise_kernel(1 << 18, padding, 1, needs_grad=False, threads=1)
    # Wider padding (QuartzNet's 15-87 taps) or any dilation: this module.
    for padding, dilation in [(7, 1), (16, 1), (43, 1), (0, 2), (28, 2), (86, 2)]:
        assert use_depthwise_kernel(big, padding, dilation, needs_grad=True)
        assert use_depthwise_kernel(big, padding, dilation, needs_grad=False)


def test_rule_takes_stride_2_past_conv1d_fast_padding() -> None:
    """Stride 2: forward only from padding 7, with a gradient from MIN_STRIDED_GRAD_PADDING (7 too) on one thread;
    never dilated, never at padding <= 6 (conv1d's fast kernel) or other strides."""
    big = 1 << 20
    grad_from = depthwise_conv.MIN_STRIDED_GRAD_PADDING
    for padding in range(7):
        assert not use_depthwise_kernel(big, padding, 1, needs_grad=False, stride=2)
        assert not use_depthwise_kernel(big, padding, 1, needs_grad=True, threads=1, stride=2)
    for padding in (7, 8, 16):
        assert use_depthwise_kernel(big, padding, 1, needs_grad=False, threads=2, stride=2)
        assert use_depthwise_kernel(big, padding, 1, needs_grad=True, threads=1, stride=2) is (padding >= grad_from)
        assert not use_depthwise_kernel(big, padding, 1, needs_grad=True, threads=2, stride=2)
    assert not use_depthwise_kernel(big, 16, 2, needs_grad=False, stride=2)
    assert not use_depthwise_kernel(big, 16, 1, needs_grad=False, stride=3)


@pytest.mark.parametrize("kernel,padding,steps", [(15, 7, 40), (19, 9, 41), (33, 16, 97), (19, 3, 40)])
def test_stride_2_matches_conv1d_values_and_gradients(kernel, padding, steps) -> None:
    torch.manual_seed(1)
    x = torch.randn(3, 6, steps, dtype=torch.float64, requires_grad=True)
    w = torch.randn(6, 1, kernel, dtype=torch.float64, requires_grad=True)
    b = torch.randn(6, dtype=torch.float64, requires_grad=True)
    ours = depthwise_conv1d(x, w, b, padding, 1, 2)
    ref = F.conv1d(x, w, b, 2, padding, 1, 6)
    assert ours.shape == ref.shape
    torch.testing.assert_close(ours, ref)
    grad = torch.randn_like(ref)
    for got, want in zip(torch.autograd.grad(ours, (x, w, b), grad), torch.autograd.grad(ref, (x, w, b), grad)):
        torch.testing.assert_close(got, want)


def test_masked_conv_takes_the_stride_1_layer_for_stride_2(monkeypatch: pytest.MonkeyPatch) -> None:
    """A separable block's strided depthwise layer (QuartzNet's first, Citrinet's): conv1d's outputs, gradients and
    lengths through this module where the rule says so (13 taps, padding 6: conv1d)."""
    calls = _spy(monkeypatch)
    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)
    torch.manual_seed(2)
    x, lens = torch.randn(2, 64, 301, requires_grad=True), torch.tensor([301, 250])
    layer = MaskedConv1d(64, 64, 33, stride=2, padding=16, groups=64)
    out, out_lens = layer(x, lens)
    ref = layer.conv(jasper.zero_beyond(x, lens))
    assert len(calls) == 1
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(out_lens, layer.get_seq_len(lens))
    grad = torch.randn_like(ref)
    params = (x, layer.conv.weight)
    for got, want in zip(torch.autograd.grad(out, params, grad), torch.autograd.grad(ref, params, grad)):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-4)  # float32 sums of 600 products, another order
    MaskedConv1d(64, 64, 13, stride=2, padding=6, groups=64)(x, lens)
    assert len(calls) == 1


def test_rule_swaps_the_backward_at_small_padding_on_one_thread() -> None:
    """Padding 2-6 with a gradient: mid-sized float inputs on one thread take this module (conv1d's forward, the
    per-tap weight gradient); 3-tap kernels, other sizes, more threads and bfloat16 keep conv1d."""
    low, high = depthwise_conv.MIN_SMALL_PADDING_ELEMENTS, depthwise_conv.MAX_SMALL_PADDING_ELEMENTS
    for padding in range(depthwise_conv.MIN_TAP_LOOP_PADDING, 7):
        for elements in (low, 212_992, high):
            assert use_depthwise_kernel(elements, padding, 1, needs_grad=True, threads=1)
            assert use_depthwise_kernel(elements, padding, 1, needs_grad=True, threads=1, dtype=torch.float64)
            assert not use_depthwise_kernel(elements, padding, 1, needs_grad=True, threads=2)
            assert not use_depthwise_kernel(elements, padding, 1, needs_grad=True, threads=1, dtype=torch.bfloat16)
        assert not use_depthwise_kernel(low - 1, padding, 1, needs_grad=True, threads=1)
        assert not use_depthwise_kernel(high + 1, padding, 1, needs_grad=True, threads=1)
    assert not use_depthwise_kernel(212_992, 1, 1, needs_grad=True, threads=1)


def test_small_padding_layer_keeps_conv1d_forward_and_matches_gradients(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)
    calls = _spy(monkeypatch)
    torch.manual_seed(3)
    layer = MaskedConv1d(64, 64, 13, padding=6, groups=64)
    x = torch.randn(8, 64, 140, requires_grad=True)  # 71,680 elements: in the window
    lens = torch.tensor([140, 90, 140, 140, 33, 140, 140, 140])
    out, _ = layer(x, lens)
    assert len(calls) == 1
    ref = _masked_reference(layer, x, lens, -1)
    torch.testing.assert_close(out, ref)
    grad = torch.randn_like(out)
    params = (x, layer.conv.weight)
    for got, want in zip(torch.autograd.grad(out, params, grad), torch.autograd.grad(ref, params, grad)):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6 * want.abs().max().item())  # sums of 1120 terms
    with torch.no_grad():
        layer(x, lens)  # forward only: conv1d's fast kernel
    assert len(calls) == 1


def test_rule_keeps_conv1d_for_small_inputs() -> None:
    with_grad, no_grad = depthwise_conv.MIN_ELEMENTS_WITH_GRAD, depthwise_conv.MIN_ELEMENTS_NO_GRAD
    per_thread = depthwise_conv.MIN_ELEMENTS_WITH_GRAD_PER_THREAD
    assert no_grad < with_grad and 2 * per_thread <= with_grad
    for threads in (1, 2):
        assert use_depthwise_kernel(with_grad, 16, 1, needs_grad=True, threads=threads)
        assert not use_depthwise_kernel(with_grad - 1, 16, 1, needs_grad=True, threads=threads)
    # Many threads: the threshold grows with the thread count when a gradient is needed, not without one.
    assert use_depthwise_kernel(16 * per_thread, 16, 1, needs_grad=True, threads=16)
    assert not use_depthwise_kernel(16 * per_thread - 1, 16, 1, needs_grad=True, threads=16)
    for threads in (1, 16):
        assert use_depthwise_kernel(no_grad, 16, 1, needs_grad=False, threads=threads)
        assert not use_depthwise_kernel(no_grad - 1, 16, 1, needs_grad=False, threads=threads)
    # The default is this process's intra-op thread count.
    elements = max(with_grad, per_thread * torch.get_num_threads())
    assert use_depthwise_kernel(elements, 16, 1, needs_grad=True)
    assert not use_depthwise_kernel(elements - 1, 16, 1, needs_grad=True)


def test_weight_gradient_route_scales_with_threads() -> None:
    per_thread = depthwise_conv.MIN_TAP_LOOP_ELEMENTS_PER_THREAD
    assert depthwise_conv._use_tap_loop(per_thread, 1)
    assert not depthwise_conv._use_tap_loop(per_thread - 1, 1)
    assert depthwise_conv._use_tap_loop(16 * per_thread, 16)
    assert not depthwise_conv._use_tap_loop(16 * per_thread - 1, 16)
    assert depthwise_conv._use_tap_loop(per_thread, 0)  # treated as one thread


def test_rule_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(depthwise_conv, "ENABLED", False)
    assert not use_depthwise_kernel(1 << 24, 43, 1, needs_grad=True)
    assert not use_depthwise_kernel(1 << 24, 28, 2, needs_grad=False)


def _spy(monkeypatch: pytest.MonkeyPatch) -> list:
    """Record the inputs ``MaskedConv1d`` sends to ``depthwise_conv1d``; thresholds independent of the thread count."""
    monkeypatch.setattr(depthwise_conv, "MIN_ELEMENTS_WITH_GRAD_PER_THREAD", 0)
    calls = []

    def spy(*args, **kwargs):
        calls.append(args[0].shape)
        return depthwise_conv1d(*args, **kwargs)

    monkeypatch.setattr(jasper, "depthwise_conv1d", spy)
    return calls


def _masked_reference(layer: MaskedConv1d, x: torch.Tensor, lens: torch.Tensor, heads: int) -> torch.Tensor:
    steps = x.shape[-1]
    masked = x.masked_fill(torch.arange(steps) >= lens.unsqueeze(1).unsqueeze(1), 0.0)
    out = layer.conv(masked if heads == -1 else masked.reshape(-1, heads, steps))
    return out.reshape(x.shape[0], layer.real_out_channels, -1)


@pytest.mark.parametrize("heads", [-1, 4])
@pytest.mark.parametrize("kernel,dilation", [(15, 1), (29, 2)])
def test_masked_conv_fast_path_equals_its_conv(monkeypatch: pytest.MonkeyPatch, heads, kernel, dilation) -> None:
    torch.manual_seed(2)
    calls = _spy(monkeypatch)
    padding = dilation * (kernel - 1) // 2
    layer = MaskedConv1d(64, 64, kernel, padding=padding, dilation=dilation, groups=64, heads=heads).double()
    assert layer._depthwise
    x = torch.randn(8, 64, 70, dtype=torch.float64, requires_grad=True)  # 35,840 elements: over both thresholds
    lens = torch.tensor([70, 41, 70, 9, 70, 70, 55, 70])
    out, out_lens = layer(x, lens)
    assert len(calls) == 1
    ref = _masked_reference(layer, x, lens, heads)
    torch.testing.assert_close(out, ref)
    assert out_lens.tolist() == lens.tolist()
    grad = torch.randn_like(out)
    params = (x, layer.conv.weight)
    for got, want in zip(torch.autograd.grad(out, params, grad), torch.autograd.grad(ref, params, grad)):
        torch.testing.assert_close(got, want)
    with torch.no_grad():
        torch.testing.assert_close(layer(x, lens)[0], ref)
    assert len(calls) == 2


def test_masked_conv_takes_conv1d_where_the_rule_says(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _spy(monkeypatch)
    x, lens = torch.randn(8, 64, 70), torch.tensor([70] * 8)
    on_fast_kernel = MaskedConv1d(64, 64, 13, padding=6, groups=64)
    torch.testing.assert_close(on_fast_kernel(x, lens)[0], on_fast_kernel.conv(x))
    small = MaskedConv1d(64, 64, 33, padding=16, groups=64)
    small(x[:4], lens[:4])  # 17,920 elements, a gradient needed: conv1d
    assert calls == []
    with torch.no_grad():
        small(x[:4], lens[:4])  # over the forward-only threshold: depthwise_conv1d
    assert len(calls) == 1
    monkeypatch.setattr(depthwise_conv, "ENABLED", False)
    small(x, lens)
    assert len(calls) == 1


def test_dense_convs_keep_the_plain_path() -> None:
    assert MaskedConv1d(8, 8, 7, stride=2, padding=3, groups=8)._depthwise
    assert not MaskedConv1d(8, 16, 1)._depthwise
    assert not MaskedConv1d(8, 8, 7, padding=3, groups=4)._depthwise


@pytest.mark.parametrize("kernel, dilation", [(31, 1), (29, 2)])
def test_bf16_autocast_matches_conv1d_and_gives_float32_weight_grads(kernel, dilation):
    """Under CPU bf16 autocast (Lightning's bf16-mixed) the layer computes in bfloat16 like ``conv1d`` does there,
    and the float32 parameters get float32 gradients."""
    torch.manual_seed(0)
    padding = dilation * (kernel - 1) // 2
    x = torch.randn(4, 32, 300, requires_grad=True)  # large enough for the rule to pick this module with autograd
    weight = torch.randn(32, 1, kernel, requires_grad=True)
    bias = torch.randn(32, requires_grad=True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert depthwise_conv.prefer_depthwise_kernel(x, weight, padding, dilation)
        ours = depthwise_conv1d(x, weight, bias, padding=padding, dilation=dilation)
        reference = F.conv1d(x, weight, bias, padding=padding, dilation=dilation, groups=32)
    assert ours.dtype == reference.dtype == torch.bfloat16
    torch.testing.assert_close(ours.float(), reference.float(), rtol=0.02, atol=0.1)
    ours_grads = torch.autograd.grad(ours.float().square().sum(), (x, weight, bias))
    reference_grads = torch.autograd.grad(reference.float().square().sum(), (x, weight, bias))
    for mine, theirs in zip(ours_grads, reference_grads):
        assert mine.dtype == torch.float32
        torch.testing.assert_close(mine, theirs, rtol=0.03, atol=0.03 * theirs.abs().max().item())


def test_half_precision_autocast_keeps_conv1d():
    x, weight = torch.randn(2, 16, 300), torch.randn(16, 1, 31)
    with torch.autocast("cpu", dtype=torch.float16):
        assert not depthwise_conv.prefer_depthwise_kernel(x, weight, 15, 1)
    assert depthwise_conv.prefer_depthwise_kernel(x, weight, 15, 1)
