"""Lightning's ``precision="bf16-mixed"`` on CPU with a CTC model: the convolutions run in bfloat16, the decoder's
log-softmax and the CTC loss in float32."""

import torch
from asr_models_testing import ctc_config

from nemo.collections.asr.models import EncDecCTCModel
from nemo.core.testing import quiet_cpu_trainer


def test_bf16_mixed_training_keeps_the_ctc_loss_in_float32(tmp_path, text_corpus):
    torch.manual_seed(0)
    trainer = quiet_cpu_trainer(max_steps=2, precision="bf16-mixed", default_root_dir=str(tmp_path))
    model = EncDecCTCModel(cfg=ctc_config(train_manifest=text_corpus), trainer=trainer)
    seen = {"projection": [], "decoder": [], "log_probs": [], "loss": []}
    model.decoder.decoder_layers[0].register_forward_hook(
        lambda module, args, out: seen["projection"].append(out.dtype)
    )
    model.decoder.register_forward_hook(lambda module, args, out: seen["decoder"].append(out.dtype))
    original = model.loss._per_utterance

    def recording(log_probs, *args):
        seen["log_probs"].append((log_probs.dtype, torch.is_autocast_enabled("cpu")))
        losses = original(log_probs, *args)
        seen["loss"].append(losses.dtype)
        return losses

    model.loss._per_utterance = recording
    trainer.fit(model)
    assert seen["projection"] == [torch.bfloat16] * 2  # autocast is on: the layers compute in bf16
    assert seen["decoder"] == [torch.float32] * 2  # the log-softmax widened (CPU autocast would keep bf16)
    assert seen["log_probs"] == [(torch.float32, False)] * 2
    assert seen["loss"] == [torch.float32] * 2
    assert all(p.dtype == torch.float32 and torch.isfinite(p).all() for p in model.parameters())
