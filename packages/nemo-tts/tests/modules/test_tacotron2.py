"""Tacotron 2 modules: shapes, masking, stop-gate and max-steps decoding, NeMo 1 parameter names."""

import pytest
import torch

from nemo.collections.tts.modules.tacotron2 import Decoder, Encoder, Postnet, Prenet, get_mask_from_lengths


def _decoder(**overrides) -> Decoder:
    args = dict(
        n_mel_channels=8,
        n_frames_per_step=1,
        encoder_embedding_dim=16,
        attention_dim=8,
        attention_location_n_filters=4,
        attention_location_kernel_size=3,
        attention_rnn_dim=16,
        decoder_rnn_dim=16,
        prenet_dim=8,
        max_decoder_steps=12,
        gate_threshold=0.5,
        p_attention_dropout=0.1,
        p_decoder_dropout=0.1,
        early_stopping=True,
    )
    args.update(overrides)
    return Decoder(**args)


def test_encoder_pads_past_each_length():
    torch.manual_seed(0)
    encoder = Encoder(encoder_n_convolutions=2, encoder_embedding_dim=16, encoder_kernel_size=3).eval()
    embedding = torch.randn(2, 16, 7)
    out = encoder(token_embedding=embedding, token_len=torch.tensor([7, 4]))
    assert out.shape == (2, 7, 16)
    assert torch.all(out[1, 4:] == 0)
    alone = encoder(token_embedding=embedding[1:, :, :4], token_len=torch.tensor([4]))
    torch.testing.assert_close(out[1:, :4], alone, atol=1e-5, rtol=1e-5)  # BiLSTM ignores the padding


def test_teacher_forced_decoder_shapes_and_attention_mask():
    torch.manual_seed(0)
    decoder = _decoder().train()
    memory = torch.randn(2, 5, 16)
    mel, gate, alignments = decoder(
        memory=memory, decoder_inputs=torch.randn(2, 8, 9), memory_lengths=torch.tensor([5, 3])
    )
    assert mel.shape == (2, 8, 9) and gate.shape == (2, 9) and alignments.shape == (2, 9, 5)
    assert torch.all(alignments[1, :, 3:] == 0)  # padded encoder positions get no attention
    torch.testing.assert_close(alignments.sum(-1), torch.ones(2, 9))
    with pytest.raises(ValueError, match="decoder_inputs"):
        decoder(memory=memory, memory_lengths=torch.tensor([5, 3]))


def test_inference_stops_on_the_gate_or_at_max_steps():
    torch.manual_seed(0)
    decoder = _decoder().eval()
    memory, lengths = torch.randn(2, 5, 16), torch.tensor([5, 5])
    with torch.no_grad():
        decoder.gate_layer.linear_layer.bias.fill_(-50.0)  # never stops
        mel, gate, alignments, mel_len = decoder(memory=memory, memory_lengths=lengths)
        assert mel.shape[2] == 12 and mel_len.tolist() == [12, 12]
        decoder.gate_layer.linear_layer.bias.fill_(50.0)  # stops at once
        mel, _, _, mel_len = decoder(memory=memory, memory_lengths=lengths)
        assert mel.shape[2] == 1 and mel_len.tolist() == [0, 0]


def test_prenet_dropout_stays_on_in_eval_and_is_shared_across_the_batch_at_inference():
    prenet = Prenet(4, [32, 32], p_dropout=0.5).eval()
    x = torch.ones(3, 4)
    torch.manual_seed(0)
    first = prenet(x, inference=True)
    assert torch.equal(first[0], first[1]) and torch.equal(first[1], first[2])
    torch.manual_seed(1)
    assert not torch.equal(first, prenet(x, inference=True))
    torch.manual_seed(0)
    assert torch.equal(first, prenet(x, inference=True))


def test_postnet_is_a_residual_refinement():
    postnet = Postnet(n_mel_channels=8, postnet_embedding_dim=16, postnet_kernel_size=5, postnet_n_convolutions=3)
    with torch.no_grad():
        for layer in postnet.convolutions:
            layer[0].conv.weight.zero_()
            layer[0].conv.bias.zero_()
    postnet.eval()
    mel = torch.randn(2, 8, 11)
    torch.testing.assert_close(postnet(mel_spec=mel), mel)


def test_nemo1_parameter_names_and_config_errors():
    names = set(_decoder().state_dict()) | {f"enc.{k}" for k in Encoder(1, 16, 3).state_dict()}
    for key in (
        "attention_layer.location_layer.location_conv.conv.weight",
        "attention_layer.query_layer.linear_layer.weight",
        "prenet.layers.0.linear_layer.weight",
        "linear_projection.linear_layer.bias",
        "gate_layer.linear_layer.weight",
        "enc.convolutions.0.0.conv.weight",
        "enc.convolutions.0.1.running_mean",
        "enc.lstm.weight_hh_l0_reverse",
    ):
        assert key in names
    with pytest.raises(ValueError, match="n_frames_per_step"):
        _decoder(n_frames_per_step=2)
    with pytest.raises(ValueError, match="even"):
        Encoder(1, 15, 3)
    assert get_mask_from_lengths(torch.tensor([1, 3])).tolist() == [[True, False, False], [True, True, True]]
