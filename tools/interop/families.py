"""The model families checked against NVIDIA NeMo, in both directions: their configs, fixed inputs and random weights.

Imported by ``write_nemo_archives.py`` and ``check_ours_in_nemo.py`` (run with NVIDIA's NeMo) and by
``write_our_archives.py`` and ``check_nemo_in_ours.py`` (run with ours): it imports neither ``nemo``, so both sides
build the very same configs. Every config is written the way NeMo's own example configs are (NeMo class paths, NeMo
keys), only with tiny sizes so each archive stays a few hundred KB.

Random weights alone would hide the normalization statistics: every BatchNorm gets random running mean/variance
and affine parameters (``randomize``), so a restored model that dropped or re-initialized them gives other outputs.
"""

import copy
import json
import math
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import numpy as np
import torch

# ASR families: the NeMo 1 character set of QuartzNet/Jasper.
LABELS = [" "] + [chr(c) for c in range(ord("a"), ord("z") + 1)] + ["'"]
COMMANDS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go", "unknown", "silence"]
VAD_LABELS = ["background", "speech"]

# The SentencePiece tokenizer of the CTC-BPE family is trained on these lines (deterministic: one thread, no sampling).
TOKENIZER_TEXT = [
    "the quick brown fox jumps over the lazy dog",
    "one two three four five six seven eight nine ten",
    "she sells sea shells by the sea shore",
    "peter piper picked a peck of pickled peppers",
    "how much wood would a woodchuck chuck",
    "the rain in spain stays mainly in the plain",
    "a man a plan a canal panama",
    "yes no up down left right on off stop go",
]
TOKENIZER_VOCAB_SIZE = 40

SEED_TRIES = 20  # seeds tried per family until greedy outputs have a clear margin (see ``MIN_MARGIN``)
DECODER_GAIN = 4.0  # scales the random output layer, so greedy results change from frame to frame
MIN_MARGIN = 1e-3  # smallest gap between the best and second-best class at any valid frame, against ties
CONFORMER_WIDTH = 32  # d_model of the Conformer families
RNNT_MAX_SYMBOLS = 5  # greedy transducer decoding: most labels per frame
FRAMES_PER_TOKEN = 3.5  # FastPitch: the duration predictor's bias is set to this many frames a token
BLANK_SHARE = 0.7  # a transducer's blank bias is set so that it wins at this share of frames (before any label)


# NeMo's FastPitch/HiFi-GAN front end (examples/tts/conf), at 22,050 Hz; tools/write_feature_goldens.py uses it too.
TTS_FRONT_END = {
    "sample_rate": 22050,
    "n_fft": 1024,
    "n_window_size": 1024,
    "n_window_stride": 256,
    "lowfreq": 0,
    "highfreq": 8000,
    "window": "hann",
    "normalize": None,
    "preemph": None,
    "dither": 0.0,
    "frame_splicing": 1,
    "log": True,
    "mag_power": 1.0,
}


def _mel(**overrides: Any) -> Dict[str, Any]:
    base = {
        "_target_": "nemo.collections.asr.modules.AudioToMelSpectrogramPreprocessor",
        "sample_rate": 16000,
        "normalize": "per_feature",
        "window_size": 0.02,
        "window_stride": 0.01,
        "window": "hann",
        "features": 64,
        "n_fft": 512,
        "frame_splicing": 1,
        "dither": 1.0e-05,
        "pad_to": 16,
    }
    return {**base, **overrides}


def _mfcc() -> Dict[str, Any]:
    return {
        "_target_": "nemo.collections.asr.modules.AudioToMFCCPreprocessor",
        "sample_rate": 16000,
        "window_size": 0.025,
        "window_stride": 0.01,
        "window": "hann",
        "n_mels": 64,
        "n_mfcc": 64,
        "n_fft": 512,
    }


def _block(filters: int, repeat: int, kernel: int, **keys: Any) -> Dict[str, Any]:
    block = {"filters": filters, "repeat": repeat, "kernel": [kernel], "stride": [keys.pop("stride", 1)],
             "dilation": [keys.pop("dilation", 1)], "dropout": 0.0, "residual": keys.pop("residual", True)}  # fmt: skip
    block.update(keys)
    return block


def _conv_encoder(feat_in: int, blocks: List[Dict[str, Any]], activation: str = "relu") -> Dict[str, Any]:
    """NeMo's ``ConvASREncoder`` node (masked convolutions) over ``blocks``."""
    return {"_target_": "nemo.collections.asr.modules.ConvASREncoder", "feat_in": feat_in, "activation": activation,
            "conv_mask": True, "jasper": list(blocks)}  # fmt: skip


def _asr_data(labels: Optional[List[str]], shuffle: bool) -> Dict[str, Any]:
    """A NeMo ASR data config with no manifest, as in a trained model's archive whose data lived elsewhere."""
    config = {"manifest_filepath": None, "sample_rate": 16000, "batch_size": 32, "shuffle": shuffle}
    if labels is not None:
        config["labels"] = list(labels)
    return config


_NOVOGRAD = {
    "name": "novograd",
    "lr": 0.01,
    "betas": [0.8, 0.5],
    "weight_decay": 0.001,
    "sched": {"name": "CosineAnnealing", "warmup_steps": None, "warmup_ratio": None, "min_lr": 0.0},
}


def quartznet_config(workdir: Path) -> Dict[str, Any]:
    """QuartzNet (NeMo's quartznet_15x5.yaml at 48-96 channels, blocks repeated twice): separable blocks with
    residuals, a dilated epilogue."""
    return {
        "sample_rate": 16000,
        "labels": list(LABELS),
        "repeat": 3,
        "dropout": 0.0,
        "separable": True,
        "preprocessor": _mel(stft_conv=False),
        "spec_augment": {
            "_target_": "nemo.collections.asr.modules.SpectrogramAugmentation",
            "rect_freq": 50,
            "rect_masks": 5,
            "rect_time": 120,
            "use_vectorized_spec_augment": True,
        },  # fmt: skip
        "encoder": _conv_encoder(
            64,
            [
                _block(48, 1, 33, stride=2, residual=False, separable=True),
                _block(48, 2, 33, separable=True),
                _block(48, 2, 39, separable=True),
                _block(64, 2, 51, separable=True),
                _block(64, 1, 87, dilation=2, residual=False, separable=True),
                _block(96, 1, 1, residual=False),
            ],
        ),
        "decoder": {
            "_target_": "nemo.collections.asr.modules.ConvASRDecoder",
            "feat_in": 96,
            "num_classes": len(LABELS),
            "vocabulary": list(LABELS),
        },  # fmt: skip
        "train_ds": {**_asr_data(LABELS, True), "trim_silence": True, "max_duration": 16.7},
        "validation_ds": _asr_data(LABELS, False),
        "optim": copy.deepcopy(_NOVOGRAD),
    }


def jasper_dr_config(workdir: Path) -> Dict[str, Any]:
    """Jasper with dense residual (NeMo's jasper10x5dr.yaml at 24 channels): every block sees all earlier blocks'
    outputs."""
    return {
        "sample_rate": 16000,
        "labels": list(LABELS),
        "preprocessor": _mel(window_size=0.025, features=40, normalize="per_feature"),
        "encoder": _conv_encoder(
            40,
            [
                _block(24, 1, 11, stride=2, residual=False),
                _block(24, 2, 11, residual_dense=True),
                _block(24, 2, 13, residual_dense=True),
                _block(24, 2, 17, residual_dense=True),
                _block(24, 1, 29, dilation=2, residual=False),
                _block(32, 1, 1, residual=False),
            ],
        ),
        "decoder": {
            "_target_": "nemo.collections.asr.modules.ConvASRDecoder",
            "feat_in": 32,
            "num_classes": len(LABELS),
            "vocabulary": list(LABELS),
            "add_blank": True,
        },  # fmt: skip
        "train_ds": _asr_data(LABELS, True),
        "validation_ds": _asr_data(LABELS, False),
        "optim": {"name": "novograd", "lr": 0.01, "betas": [0.8, 0.5], "weight_decay": 0.001},
    }


def train_tokenizer(directory: Path) -> Path:
    """A SentencePiece BPE model with NeMo's ASR tokenizer files (``tokenizer.model``, ``tokenizer.vocab``,
    ``vocab.txt``); identity normalization keeps ``tokenizer.model`` a few KB."""
    import sentencepiece

    directory.mkdir(parents=True, exist_ok=True)
    corpus = directory / "text.txt"
    corpus.write_text("\n".join(TOKENIZER_TEXT * 4) + "\n", encoding="utf-8")
    sentencepiece.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(directory / "tokenizer"),
        vocab_size=TOKENIZER_VOCAB_SIZE,
        model_type="bpe",
        character_coverage=1.0,
        normalization_rule_name="identity",
        num_threads=1,
        shuffle_input_sentence=False,
        minloglevel=2,
    )
    pieces = [line.split("\t")[0] for line in (directory / "tokenizer.vocab").read_text(encoding="utf-8").splitlines()]
    (directory / "vocab.txt").write_text("\n".join(pieces) + "\n", encoding="utf-8")
    corpus.unlink()
    return directory


# Citrinet/ContextNet blocks: separable convolutions with global squeeze-excite.
_SE = {"separable": True, "se": True, "se_context_size": -1, "se_reduction_ratio": 8, "kernel_size_factor": 1.0}


def _se_encoder(feat_in: int, *blocks: Dict[str, Any]) -> Dict[str, Any]:
    return _conv_encoder(feat_in, list(blocks), "swish")


def citrinet_bpe_config(workdir: Path) -> Dict[str, Any]:
    """Citrinet-like CTC over SentencePiece pieces: squeeze-excite (global and windowed), strided ``stride_add``
    residuals with ``stride_last``, swish; the tokenizer files become archive artifacts."""
    tokenizer_dir = train_tokenizer(workdir / "tokenizer")
    se = _SE
    return {
        "sample_rate": 16000,
        "log_prediction": True,
        "tokenizer": {"dir": str(tokenizer_dir), "type": "bpe"},
        "preprocessor": _mel(window_size=0.025, features=80),
        "encoder": _se_encoder(
            80,
            _block(64, 1, 5, residual=False, **se),
            _block(64, 2, 11, stride=2, stride_last=True, residual_mode="stride_add", **se),
            _block(64, 2, 13, **{**se, "se_context_size": 8}),
            _block(64, 2, 15, stride=2, stride_last=True, residual_mode="stride_add", **se),
            _block(96, 1, 41, residual=False, **se),
        ),
        "decoder": {
            "_target_": "nemo.collections.asr.modules.ConvASRDecoder",
            "feat_in": 96,
            "num_classes": -1,
            "vocabulary": [],
        },  # fmt: skip
        "train_ds": {**_asr_data(None, True), "max_duration": 20.0},
        "validation_ds": _asr_data(None, False),
        "optim": {"name": "adamw", "lr": 0.05, "betas": [0.8, 0.25], "weight_decay": 0.001},
    }


def _classifier(labels: List[str], blocks: List[Dict[str, Any]], feat_out: int) -> Dict[str, Any]:
    return {
        "sample_rate": 16000,
        "labels": list(labels),
        "preprocessor": _mfcc(),
        "spec_augment": {
            "_target_": "nemo.collections.asr.modules.SpectrogramAugmentation",
            "freq_masks": 2,
            "time_masks": 2,
            "freq_width": 15,
            "time_width": 25,
            "rect_masks": 5,
            "rect_time": 25,
            "rect_freq": 15,
        },  # fmt: skip
        "encoder": _conv_encoder(64, blocks),
        "decoder": {
            "_target_": "nemo.collections.asr.modules.ConvASRDecoderClassification",
            "feat_in": feat_out,
            "num_classes": len(labels),
            "return_logits": True,
            "pooling_type": "avg",
        },  # fmt: skip
        "train_ds": _asr_data(labels, True),
        "validation_ds": _asr_data(labels, False),
        "optim": {"name": "novograd", "lr": 0.05, "betas": [0.95, 0.5], "weight_decay": 0.001},
    }


def _matchbox_blocks(wide: int, repeat: int) -> List[Dict[str, Any]]:
    """MatchboxNet/MarbleNet's six separable blocks: ``wide`` channels first and last, 64 in between."""
    return [
        _block(wide, 1, 11, residual=False, separable=True),
        *(_block(64, repeat, kernel, separable=True) for kernel in (13, 15, 17)),
        _block(wide, 1, 29, dilation=2, residual=False, separable=True),
        _block(wide, 1, 1, residual=False),
    ]


def matchboxnet_config(workdir: Path) -> Dict[str, Any]:
    """MatchboxNet 3x1x64 (speech commands, NeMo's matchboxnet_3x1x64_v1.yaml) on MFCCs, narrower first/last blocks.

    NeMo's own config adds ``crop_or_pad_augment: {audio_length: 128}``, which NeMo 3's ``EncDecClassificationModel``
    no longer applies in ``forward``; it is left out here so both sides run the same network (see the README).
    """
    return _classifier(COMMANDS, _matchbox_blocks(64, 1), 64)


def marblenet_config(workdir: Path) -> Dict[str, Any]:
    """MarbleNet 3x2x64 (voice activity, NeMo's marblenet_3x2x64.yaml) on MFCCs: speech vs background."""
    return _classifier(VAD_LABELS, _matchbox_blocks(128, 2), 128)


def _conformer(feat_in: int, subsampling: str) -> Dict[str, Any]:
    """NeMo's ConformerEncoder as its conformer_ctc_*.yaml/conformer_transducer_*.yaml write it (rel_pos attention
    with untied biases, xscaling, batch norm in the convolution module), 2 layers of width 32."""
    return {
        "_target_": "nemo.collections.asr.modules.ConformerEncoder",
        "feat_in": feat_in,
        "feat_out": -1,
        "n_layers": 2,
        "d_model": CONFORMER_WIDTH,
        "subsampling": subsampling,
        "subsampling_factor": 4,
        "subsampling_conv_channels": 16,
        "ff_expansion_factor": 2,
        "self_attention_model": "rel_pos",
        "n_heads": 2,
        "att_context_size": [-1, -1],
        "xscaling": True,
        "untie_biases": True,
        "pos_emb_max_len": 5000,
        "conv_kernel_size": 15,
        "conv_norm_type": "batch_norm",
        "dropout": 0.1,
        "dropout_pre_encoder": 0.1,
        "dropout_emb": 0.0,
        "dropout_att": 0.1,
    }


def _ctc_decoder(feat_in: int, labels: Optional[List[str]]) -> Dict[str, Any]:
    """NeMo's ConvASRDecoder; without labels (BPE) the model fills in the tokenizer's vocabulary."""
    vocabulary = list(labels) if labels is not None else []
    return {"_target_": "nemo.collections.asr.modules.ConvASRDecoder", "feat_in": feat_in,
            "num_classes": len(vocabulary) if labels is not None else -1, "vocabulary": vocabulary}  # fmt: skip


def conformer_ctc_config(workdir: Path) -> Dict[str, Any]:
    """Conformer-CTC over characters (NeMo's conformer_ctc_char.yaml at width 32): striding subsampling."""
    return {
        "sample_rate": 16000,
        "labels": list(LABELS),
        "log_prediction": True,
        "ctc_reduction": "mean_batch",
        "preprocessor": _mel(features=40),
        "spec_augment": {
            "_target_": "nemo.collections.asr.modules.SpectrogramAugmentation",
            "freq_masks": 2,
            "time_masks": 2,
            "freq_width": 15,
            "time_width": 0.05,
        },  # fmt: skip
        "encoder": _conformer(40, "striding"),
        "decoder": _ctc_decoder(CONFORMER_WIDTH, LABELS),
        "train_ds": {**_asr_data(LABELS, True), "max_duration": 16.7},
        "validation_ds": _asr_data(LABELS, False),
        "optim": {
            "name": "adamw",
            "lr": 2.0,
            "betas": [0.9, 0.98],
            "weight_decay": 0.001,
            "sched": {"name": "NoamAnnealing", "d_model": CONFORMER_WIDTH, "warmup_steps": 10000, "min_lr": 1e-06},
        },  # fmt: skip
    }


def conformer_ctc_bpe_config(workdir: Path) -> Dict[str, Any]:
    """Conformer-CTC over SentencePiece pieces (NeMo's conformer_ctc_bpe.yaml at width 32): depthwise-striding
    subsampling; the tokenizer files become archive artifacts."""
    config = conformer_ctc_config(workdir)
    del config["labels"]
    config.update(
        tokenizer={"dir": str(train_tokenizer(workdir / "tokenizer")), "type": "bpe"},
        encoder=_conformer(40, "dw_striding"),
        decoder=_ctc_decoder(CONFORMER_WIDTH, None),
        train_ds={**_asr_data(None, True), "max_duration": 16.7},
        validation_ds=_asr_data(None, False),
    )
    return config


def _transducer(labels: Optional[List[str]], encoder: Dict[str, Any], enc_hidden: int) -> Dict[str, Any]:
    """NeMo's transducer nodes (conformer_transducer_*.yaml, contextnet_rnnt*.yaml): a one-layer LSTM prediction
    network, a ReLU joint, greedy_batch decoding; the model fills in vocabulary sizes."""
    config = {
        "sample_rate": 16000,
        "compute_eval_loss": True,
        "log_prediction": True,
        "rnnt_reduction": "mean_batch",
        "model_defaults": {"enc_hidden": enc_hidden, "pred_hidden": 32, "joint_hidden": 32},
        "preprocessor": _mel(features=40),
        "encoder": encoder,
        "decoder": {"_target_": "nemo.collections.asr.modules.RNNTDecoder", "normalization_mode": None,
                    "random_state_sampling": False, "blank_as_pad": True,
                    "prednet": {"pred_hidden": 32, "pred_rnn_layers": 1, "t_max": None, "dropout": 0.1}},
        "joint": {"_target_": "nemo.collections.asr.modules.RNNTJoint", "log_softmax": None,
                  "preserve_memory": False, "fuse_loss_wer": False,
                  "jointnet": {"joint_hidden": 32, "activation": "relu", "dropout": 0.1}},
        "decoding": {"strategy": "greedy_batch", "greedy": {"max_symbols": RNNT_MAX_SYMBOLS}},
        "loss": {"loss_name": "default"},
        "train_ds": {**_asr_data(labels, True), "max_duration": 16.7},
        "validation_ds": _asr_data(labels, False),
        "optim": {"name": "adamw", "lr": 0.002, "betas": [0.9, 0.98], "weight_decay": 0.001},
    }  # fmt: skip
    if labels is not None:
        config["labels"] = list(labels)
    return config


def conformer_transducer_config(workdir: Path) -> Dict[str, Any]:
    """Conformer-Transducer over characters (NeMo's conformer_transducer_char.yaml at width 32)."""
    return _transducer(LABELS, _conformer(40, "striding"), CONFORMER_WIDTH)


def contextnet_rnnt_bpe_config(workdir: Path) -> Dict[str, Any]:
    """A ContextNet-like transducer over SentencePiece pieces (NeMo's contextnet_rnnt.yaml layout at 48 channels):
    squeeze-excite separable blocks with swish and a strided ``stride_add`` residual; the tokenizer in the archive."""
    se = _SE
    encoder = _se_encoder(
        40,
        _block(48, 1, 5, residual=False, **se),
        _block(48, 2, 5, stride=2, stride_last=True, residual_mode="stride_add", **se),
        _block(48, 2, 5, **se),
        _block(64, 1, 5, residual=False, **se),
    )
    config = _transducer(None, encoder, 64)
    config["tokenizer"] = {"dir": str(train_tokenizer(workdir / "tokenizer")), "type": "bpe"}
    return config


def hifigan_config(workdir: Path) -> Dict[str, Any]:
    """HiFi-GAN as NeMo's hifigan.yaml writes it (ASR ``FilterbankFeatures`` front end, ``hifigan_modules``
    generator, discriminators at their debug size) with a V1-layout generator of 32 initial channels."""
    return {
        "preprocessor": {
            "_target_": "nemo.collections.asr.parts.preprocessing.features.FilterbankFeatures",
            **TTS_FRONT_END,
            "nfilt": 80,
            "pad_to": 0,
            "pad_value": -11.52,
            "log_zero_guard_type": "clamp",
            "log_zero_guard_value": 1.0e-05,
            "use_grads": False,
            "exact_pad": True,
        },  # fmt: skip
        "generator": {
            "_target_": "nemo.collections.tts.modules.hifigan_modules.Generator",
            "resblock": 1,
            "upsample_rates": [8, 8, 2, 2],
            "upsample_kernel_sizes": [16, 16, 4, 4],
            "upsample_initial_channel": 32,
            "resblock_kernel_sizes": [3, 7, 11],
            "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5], [1, 3, 5]],
        },
        "train_ds": {
            "dataset": {
                "_target_": "nemo.collections.tts.data.dataset.VocoderDataset",
                "manifest_filepath": "train_manifest.json",
                "sample_rate": 22050,
                "n_segments": 8192,
                "max_duration": None,
                "min_duration": 0.75,
            },
            "dataloader_params": {"drop_last": False, "shuffle": True, "batch_size": 16, "num_workers": 4},
            "defer_setup": True,
        },  # fmt: skip
        "optim": {
            "_target_": "torch.optim.AdamW",
            "lr": 0.0002,
            "betas": [0.8, 0.99],
            "sched": {"name": "CosineAnnealing", "min_lr": 1e-05, "warmup_ratio": 0.02},
        },  # fmt: skip
        "max_steps": 2500000,
        "l1_loss_factor": 45,
        "debug": True,
    }


FASTPITCH_WIDTH = 32  # symbols_embedding_dim of the FastPitch family
FASTPITCH_TEXTS = ["hello world, this is fast pitch.", "a short one!"]
PIPELINE_TEXT = "hello from nemo."  # the FastPitch + HiFi-GAN pipeline's golden waveform


def _fft(target: str, n_layer: int) -> Dict[str, Any]:
    return {"_target_": f"nemo.collections.tts.modules.transformer.{target}", "n_layer": n_layer, "n_head": 2,
            "d_model": FASTPITCH_WIDTH, "d_head": 16, "d_inner": 32, "kernel_size": 3, "dropout": 0.1,
            "dropatt": 0.1, "dropemb": 0.0}  # fmt: skip


def _predictor() -> Dict[str, Any]:
    return {"_target_": "nemo.collections.tts.modules.fastpitch.TemporalPredictor", "input_size": FASTPITCH_WIDTH,
            "kernel_size": 3, "filter_size": 16, "dropout": 0.1, "n_layers": 2}  # fmt: skip


def fastpitch_config(workdir: Path) -> Dict[str, Any]:
    """FastPitch with a learned aligner, as NeMo's fastpitch_align_v1.05.yaml writes it (English characters, the
    ASR ``AudioToMelSpectrogramPreprocessor`` front end of HiFi-GAN's mels), at width 32."""
    mel = {key: TTS_FRONT_END[key] for key in ("sample_rate", "n_fft", "n_window_size", "n_window_stride",
                                                "lowfreq", "highfreq", "window")}  # fmt: skip
    dataset = {"_target_": "nemo.collections.tts.data.dataset.TTSDataset", "manifest_filepath": "train_manifest.json",
               "sample_rate": 22050, "sup_data_path": "sup_data", "sup_data_types": ["align_prior_matrix", "pitch"],
               "n_fft": 1024, "win_length": 1024, "hop_length": 256, "window": "hann", "n_mels": 80,
               "lowfreq": 0, "highfreq": 8000, "max_duration": None, "min_duration": 0.1, "ignore_file": None,
               "trim": False, "pitch_fmin": 65.0, "pitch_fmax": 1000.0, "pitch_norm": True, "pitch_mean": 212.0,
               "pitch_std": 68.5, "use_beta_binomial_interpolator": True}  # fmt: skip
    return {
        **mel,
        "n_mel_channels": 80,
        "learn_alignment": True,
        "bin_loss_warmup_epochs": 100,
        "n_speakers": 1,
        "max_token_duration": 75,
        "symbols_embedding_dim": FASTPITCH_WIDTH,
        "pitch_embedding_kernel_size": 3,
        "pitch_fmin": 65.0,
        "pitch_fmax": 1000.0,
        "pitch_mean": 212.0,
        "pitch_std": 68.5,
        "text_tokenizer": {
            "_target_": "nemo.collections.common.tokenizers.text_to_speech.tts_tokenizers.EnglishCharsTokenizer",
            "punct": True, "apostrophe": True, "pad_with_space": True,
        },  # fmt: skip
        "train_ds": {"dataset": dataset, "dataloader_params": {"drop_last": False, "shuffle": True, "batch_size": 32,
                                                                "num_workers": 12}, "defer_setup": True},  # fmt: skip
        "preprocessor": {
            "_target_": "nemo.collections.asr.modules.AudioToMelSpectrogramPreprocessor",
            "features": 80, "lowfreq": 0, "highfreq": 8000, "n_fft": 1024, "n_window_size": 1024,
            "window_size": False, "n_window_stride": 256, "window_stride": False, "pad_to": 1, "pad_value": 0,
            "sample_rate": 22050, "window": "hann", "normalize": None, "preemph": None, "dither": 0.0,
            "frame_splicing": 1, "log": True, "log_zero_guard_type": "add", "log_zero_guard_value": 1e-05,
            "mag_power": 1.0,
        },  # fmt: skip
        "input_fft": {**_fft("FFTransformerEncoder", 2), "d_embed": FASTPITCH_WIDTH},
        "output_fft": _fft("FFTransformerDecoder", 1),
        "alignment_module": {"_target_": "nemo.collections.tts.modules.aligner.AlignmentEncoder",
                             "n_text_channels": FASTPITCH_WIDTH, "n_att_channels": 16},  # fmt: skip
        "duration_predictor": _predictor(),
        "pitch_predictor": _predictor(),
        "optim": {"name": "adamw", "lr": 1e-3, "betas": [0.9, 0.999], "weight_decay": 1e-6,
                  "sched": {"name": "NoamAnnealing", "warmup_steps": 1000, "last_epoch": -1, "d_model": 1}},
    }  # fmt: skip


def _speaker(blocks: List[Dict[str, Any]], decoder: Dict[str, Any], loss: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """NeMo's speaker recognition layout (examples/speaker_tasks/recognition/conf): train_ds labels null (NeMo fills
    them from the manifest), a ``SpeakerDecoder`` over a convolutional encoder, and the loss when not cross-entropy."""
    config = {
        "train_ds": {**_asr_data(None, True), "labels": None},
        "validation_ds": {**_asr_data(None, False), "labels": None},
        "preprocessor": _mel(features=40, normalize="per_feature"),
        "encoder": _conv_encoder(40, blocks),
        "decoder": {"_target_": "nemo.collections.asr.modules.SpeakerDecoder", "num_classes": 6, **decoder},
        "optim": {"name": "sgd", "lr": 0.006, "weight_decay": 0.001, "momentum": 0.9},
    }  # fmt: skip
    if loss is not None:
        config["loss"] = loss
    return config


def titanet_config(workdir: Path) -> Dict[str, Any]:
    """TitaNet (NeMo's titanet-small.yaml at 32 channels): squeeze-excite blocks, attentive statistics pooling and
    the additive angular margin loss (which makes NeMo set ``decoder.angular``)."""
    se = {key: value for key, value in _SE.items() if key != "se_reduction_ratio"}
    blocks = [_block(32, 1, 3, residual=False, **se), *(_block(32, 2, k, **se) for k in (7, 11)),
              _block(96, 1, 1, residual=False, **se)]  # fmt: skip
    decoder = {"feat_in": 96, "pool_mode": "attention", "emb_sizes": 16, "attention_channels": 16}
    loss = {"_target_": "nemo.collections.asr.losses.angularloss.AngularSoftmaxLoss", "scale": 30, "margin": 0.2}
    return _speaker(blocks, decoder, loss)


def speakernet_config(workdir: Path) -> Dict[str, Any]:
    """SpeakerNet (NeMo 1's SpeakerNet_verification_3x2x512.yaml at 32 channels): separable blocks, x-vector
    statistics pooling, two embedding layers and cross-entropy."""
    blocks = [_block(32, 1, 3, residual=False, separable=True), _block(32, 2, 7, separable=True),
              _block(64, 1, 1, residual=False)]  # fmt: skip
    return _speaker(blocks, {"feat_in": 64, "pool_mode": "xvector", "emb_sizes": [24, 16]}, None)


# family -> spec. ``kind`` picks what is run and compared; ``lengths`` are the input clips' samples.
FAMILIES: Dict[str, Dict[str, Any]] = {
    "quartznet": {"collection": "asr", "kind": "ctc", "model": "nemo.collections.asr.models.EncDecCTCModel",
                  "config": quartznet_config, "sample_rate": 16000, "lengths": [16000, 12345, 7040]},
    "jasper_dr": {"collection": "asr", "kind": "ctc", "model": "nemo.collections.asr.models.EncDecCTCModel",
                  "config": jasper_dr_config, "sample_rate": 16000, "lengths": [14400, 11111, 8000]},
    "citrinet_bpe": {"collection": "asr", "kind": "ctc", "model": "nemo.collections.asr.models.EncDecCTCModelBPE",
                     "config": citrinet_bpe_config, "sample_rate": 16000, "lengths": [16000, 13001, 9600]},
    "matchboxnet": {"collection": "asr", "kind": "classification",
                    "model": "nemo.collections.asr.models.EncDecClassificationModel", "config": matchboxnet_config,
                    "sample_rate": 16000, "lengths": [16000, 12800, 9999]},
    "marblenet": {"collection": "asr", "kind": "classification",
                  "model": "nemo.collections.asr.models.EncDecClassificationModel", "config": marblenet_config,
                  "sample_rate": 16000, "lengths": [10080, 8000, 6401]},
    "conformer_ctc": {"collection": "asr", "kind": "ctc", "model": "nemo.collections.asr.models.EncDecCTCModel",
                      "config": conformer_ctc_config, "sample_rate": 16000, "lengths": [16000, 12345, 7040]},
    "conformer_ctc_bpe": {"collection": "asr", "kind": "ctc",
                          "model": "nemo.collections.asr.models.EncDecCTCModelBPE", "config": conformer_ctc_bpe_config,
                          "sample_rate": 16000, "lengths": [16000, 11111, 8800]},
    "conformer_transducer": {"collection": "asr", "kind": "rnnt", "model": "nemo.collections.asr.models.EncDecRNNTModel",
                             "config": conformer_transducer_config, "sample_rate": 16000,
                             "lengths": [9600, 7040, 5120]},
    "contextnet_rnnt_bpe": {"collection": "asr", "kind": "rnnt",
                            "model": "nemo.collections.asr.models.EncDecRNNTBPEModel",
                            "config": contextnet_rnnt_bpe_config, "sample_rate": 16000, "lengths": [9600, 8000, 4800]},
    **{name: {"collection": "asr", "kind": "speaker", "model": "nemo.collections.asr.models.EncDecSpeakerLabelModel",
              "config": config, "sample_rate": 16000, "lengths": lengths}
       for name, config, lengths in (("titanet", titanet_config, [16000, 12345, 7040]),
                                     ("speakernet", speakernet_config, [14400, 9999, 8000]))},
    "hifigan": {"collection": "tts", "kind": "vocoder", "model": "nemo.collections.tts.models.HifiGanModel",
                "config": hifigan_config, "sample_rate": 22050, "lengths": [11025, 8000, 5632]},
    "fastpitch": {"collection": "tts", "kind": "spectrogram", "model": "nemo.collections.tts.models.FastPitchModel",
                  "config": fastpitch_config, "sample_rate": 22050, "lengths": [11025, 8000, 5632],
                  "texts": FASTPITCH_TEXTS},
}  # fmt: skip


def make_audio(lengths: List[int], sample_rate: int, seed: int = 20241204) -> np.ndarray:
    """``(B, max(lengths))`` int16: voiced-like harmonics with vibrato and noise, zero past each length; the last
    clip starts with 25 ms of digital silence (trimming and log zero guards see it)."""
    rng = np.random.default_rng(seed)
    t = np.arange(max(lengths)) / sample_rate
    rows = []
    for row, length in enumerate(lengths):
        f0 = 100.0 + 70.0 * row
        phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.03 * np.sin(2 * np.pi * (3 + row) * t))) / sample_rate
        envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 2.5 * t + row) ** 2
        tone = sum(np.sin(k * phase) / k for k in range(1, 16)) * envelope
        y = 0.25 * tone / 3 + 0.02 * rng.standard_normal(t.size)
        y[length:] = 0.0
        if row == len(lengths) - 1:
            y[: sample_rate // 40] = 0.0
        rows.append(np.round(np.clip(y, -1, 1) * 32767).astype(np.int16))
    return np.stack(rows)


def audio_tensors(spec: Dict[str, Any]) -> Dict[str, Any]:
    audio = make_audio(spec["lengths"], spec["sample_rate"])
    return {
        "audio_int16": audio,
        "audio": torch.from_numpy(audio.astype(np.float32) / 32768.0),
        "lengths": torch.tensor(spec["lengths"], dtype=torch.long),
    }


@torch.no_grad()
def randomize(model: torch.nn.Module, spec: Dict[str, Any], seed: int) -> None:
    """Non-trivial normalization statistics, sharper outputs, and constant HiFi-GAN discriminators.

    BatchNorm statistics are first measured on the family's own inputs (the encoder in training mode, cumulative
    averages), as training would leave them, then perturbed at random (means shifted by up to a fifth of a standard
    deviation, variances scaled by 0.6-1.6) and the affine parameters drawn at random: a restored model that drops or
    re-initializes any of them gives other outputs. Measuring first keeps the signal alive through every block (with
    made-up statistics a deep stack shrinks it to the BatchNorm biases, and every frame predicts the same class).
    The output layer is scaled by ``DECODER_GAIN``. The discriminators (and FastPitch's aligner) do not shape the
    outputs compared; constants keep their archive small once compressed. FastPitch's duration predictor is biased to
    ``FRAMES_PER_TOKEN`` frames a token and its pitch statistics buffers are set.
    """
    gen = torch.Generator().manual_seed(seed)

    def rand(shape, low: float, high: float) -> torch.Tensor:
        return low + (high - low) * torch.rand(shape, generator=gen)

    for module in model.modules():  # Conformer: layer norms and positional biases (NeMo inits ones and zeros)
        if isinstance(module, torch.nn.LayerNorm) and module.elementwise_affine:
            module.weight.copy_(rand(module.weight.shape, 0.6, 1.4))
            module.bias.copy_(0.2 * torch.randn(module.bias.shape, generator=gen))
        for name in ("pos_bias_u", "pos_bias_v"):
            if isinstance(getattr(module, name, None), torch.nn.Parameter):
                getattr(module, name).copy_(0.5 * torch.randn(getattr(module, name).shape, generator=gen))
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if norms:
        data = audio_tensors(spec)
        model.eval()
        features, feature_lengths = model.preprocessor(input_signal=data["audio"], length=data["lengths"])
        for norm in norms:
            norm.reset_running_stats()
            norm.momentum = None  # cumulative average over the calls below
        model.encoder.train()
        model.encoder(audio_signal=features, length=feature_lengths)
        model.encoder.eval()
        for norm in norms:
            norm.momentum = 0.1
            std = norm.running_var.sqrt()
            norm.running_mean.add_(0.2 * std * torch.randn(std.shape, generator=gen))
            norm.running_var.mul_(rand(std.shape, 0.6, 1.6))
            if norm.affine:  # SpeakerNet's x-vector embedding layers have none
                norm.weight.copy_(rand(norm.weight.shape, 0.6, 1.4))
                norm.bias.copy_(0.2 * torch.randn(norm.bias.shape, generator=gen))
            norm.num_batches_tracked.fill_(1000 + seed)
    for name, module in model.named_modules():
        if name.split(".")[0] in ("mpd", "msd"):
            for tensor in list(module.parameters(recurse=False)) + list(module.buffers(recurse=False)):
                tensor.fill_(0.01)
    fastpitch = getattr(model, "fastpitch", None)
    if fastpitch is not None:  # 2-6 frames a token (random weights round most durations to 0), pitch statistics
        fastpitch.duration_predictor.fc.weight.mul_(0.3)
        fastpitch.duration_predictor.fc.bias.fill_(math.log(1 + FRAMES_PER_TOKEN))
        fastpitch.pitch_mean.fill_(212.0)
        fastpitch.pitch_std.fill_(68.5)
        for tensor in fastpitch.aligner.parameters():  # training only: constants, which compress away in the archive
            tensor.fill_(0.01)
    layers = list(getattr(getattr(model, "decoder", None), "decoder_layers", []))
    joint = getattr(model, "joint", None)
    if joint is not None:  # a transducer: its joint's output layer and prediction projection
        layers = [joint.joint_net[-1]]
        joint.pred.weight.mul_(DECODER_GAIN)
    for layer in layers:  # sharper outputs: greedy results that vary over time
        if getattr(layer, "weight", None) is not None:
            layer.weight.mul_(DECODER_GAIN)
            layer.bias.copy_(0.1 * torch.randn(layer.bias.shape, generator=gen))
    if joint is not None:
        calibrate_blank(model, spec)


def greedy_cells(joint: torch.Tensor, encoded_lengths: torch.Tensor) -> torch.Tensor:
    """``[B, T, U + 1]`` mask of the lattice cells where greedy decoding decided (blank or a label, at most
    ``RNNT_MAX_SYMBOLS`` labels a frame), walked on the lattice itself."""
    mask = torch.zeros(joint.shape[:3], dtype=torch.bool)
    best = joint.argmax(dim=-1)
    blank = joint.shape[-1] - 1
    for row in range(joint.shape[0]):
        u = 0
        for t in range(int(encoded_lengths[row])):
            for _ in range(RNNT_MAX_SYMBOLS):
                mask[row, t, u] = True
                if int(best[row, t, u]) == blank or u + 1 >= joint.shape[2]:
                    break
                u += 1
    return mask


@torch.no_grad()
def calibrate_blank(model: Any, spec: Dict[str, Any]) -> None:
    """Raise or lower the joint's blank bias so that, before any label, the blank wins at ``BLANK_SHARE`` of the
    valid frames of the family's inputs: random weights otherwise give all blanks or ``max_symbols`` labels a frame."""
    model.eval()
    data = audio_tensors(spec)
    encoded, encoded_lengths = model(input_signal=data["audio"], input_signal_length=data["lengths"])
    batch = encoded.shape[0]
    start = torch.full((batch, 1), model.decoder.blank_idx, dtype=torch.long)
    decoder_outputs, *_ = model.decoder(targets=start, target_length=torch.zeros(batch, dtype=torch.long))
    scores = model.joint(encoder_outputs=encoded, decoder_outputs=decoder_outputs)[:, :, 0, :]
    gap = scores[..., :-1].max(dim=-1).values - scores[..., -1]
    gap = gap[frame_mask(encoded_lengths, gap.shape[1])]
    model.joint.joint_net[-1].bias[-1] += float(torch.quantile(gap, BLANK_SHARE))


def acceptable(meta: Dict[str, Any]) -> bool:
    """Whether a seed's outputs make a good golden: a clear top-1 margin everywhere, no empty transcript, and more
    than one label among the clips of a classifier."""
    if meta["margin"] is not None and meta["margin"] < MIN_MARGIN:
        return False
    if "transcripts" in meta and not all(text.strip() for text in meta["transcripts"]):
        return False
    return "labels" not in meta or len(set(meta["labels"])) > 1


def min_margin(scores: torch.Tensor, valid: Optional[torch.Tensor] = None) -> float:
    """Smallest gap between the best and second-best score over the last axis (at valid frames only)."""
    top = torch.topk(scores, 2, dim=-1).values
    gap = top[..., 0] - top[..., 1]
    if valid is not None:
        gap = gap[valid]
    return float(gap.min())


def frame_mask(lengths: torch.Tensor, steps: int) -> torch.Tensor:
    return torch.arange(steps)[None, :] < lengths[:, None]


@torch.no_grad()
def run(model: Any, spec: Dict[str, Any], decode: Callable[[Any, Dict[str, torch.Tensor]], Dict[str, Any]]):
    """Inputs, features and outputs of ``model`` (eval mode) on the family's fixed audio: ``(arrays, meta)``.

    ``decode(model, arrays)`` gives the side's greedy transcripts (``{"transcripts": [...]}``) for CTC models.
    """
    model.eval()
    data = audio_tensors(spec)
    audio, lengths = data["audio"], data["lengths"]
    arrays: Dict[str, Any] = {"audio_int16": data["audio_int16"], "audio_lengths": lengths.numpy()}
    meta: Dict[str, Any] = {}
    kind = spec["kind"]
    if kind == "spectrogram":
        arrays.update(spectrogram_outputs(model, spec))
        meta["margin"] = float(arrays.pop("margin"))
    elif kind == "vocoder":
        features, feature_lengths = model.audio_to_melspec_precessor(audio, lengths)
        waveform = model.convert_spectrogram_to_audio(spec=features)
        arrays.update(features=features, feature_lengths=feature_lengths, waveform=waveform)
        meta["margin"] = None
    else:
        features, feature_lengths = model.preprocessor(input_signal=audio, length=lengths)
        arrays.update(features=features, feature_lengths=feature_lengths)
        if kind == "rnnt":
            arrays.update(transducer_outputs(model, audio, lengths, decode))
            meta["transcripts"] = arrays.pop("transcripts")
            meta["margin"] = arrays.pop("margin")
        elif kind == "ctc":
            log_probs, encoded_lengths, greedy = model(input_signal=audio, input_signal_length=lengths)
            arrays.update(log_probs=log_probs, encoded_lengths=encoded_lengths, greedy_predictions=greedy)
            meta["margin"] = min_margin(log_probs, frame_mask(encoded_lengths, log_probs.shape[1]))
            meta.update(decode(model, {"log_probs": log_probs, "encoded_lengths": encoded_lengths,
                                       "greedy_predictions": greedy}))  # fmt: skip
        elif kind == "speaker":  # labels: the top class of each clip (the archive names no speakers)
            logits, embs = model(input_signal=audio, input_signal_length=lengths)
            arrays.update(logits=logits, embs=embs)
            meta["labels"] = [str(i) for i in logits.argmax(dim=-1).tolist()]
            meta["margin"] = min_margin(logits)
        else:
            logits = model(input_signal=audio, input_signal_length=lengths)
            arrays.update(logits=logits)
            labels = list(model.cfg.labels)
            meta["labels"] = [labels[i] for i in logits.argmax(dim=-1).tolist()]
            meta["margin"] = min_margin(logits)
    arrays = {key: value.detach().cpu().numpy() if torch.is_tensor(value) else value for key, value in arrays.items()}
    return arrays, meta


def text_tokens(model: Any, texts: List[str]) -> Dict[str, torch.Tensor]:
    """The token ids of ``texts`` by the model's own ``parse`` (``[B, T]``, padded with its tokenizer's pad id; NeMo
    calls the tokenizer ``vocab``) and their lengths."""
    tokenizer = getattr(model, "vocab", None) or model.tokenizer
    rows = [model.parse(text)[0].cpu() for text in texts]
    tokens = torch.full((len(rows), max(len(row) for row in rows)), tokenizer.pad, dtype=torch.long)
    for index, row in enumerate(rows):
        tokens[index, : len(row)] = row
    return {"tokens": tokens, "token_lengths": torch.tensor([len(row) for row in rows])}


def duration_margin(durations: torch.Tensor, token_lengths: torch.Tensor, pace: float) -> torch.Tensor:
    """Smallest distance of a valid token's ``duration / pace`` from a rounding boundary (``x.5``)."""
    scaled = durations / pace
    gap = (scaled - torch.floor(scaled) - 0.5).abs()
    return gap[frame_mask(token_lengths, durations.shape[1])].min()


def spectrogram_outputs(model: Any, spec: Dict[str, Any]) -> Dict[str, Any]:
    """A FastPitch's front-end features of the family's audio, and its inference outputs for the family's texts:
    mels, lengths, durations (and their logs) and normalized pitch per token at pace 1, and the mel lengths at pace
    1.25."""
    data = audio_tensors(spec)
    features, feature_lengths = model.preprocessor(input_signal=data["audio"], length=data["lengths"])
    out = {"features": features, "feature_lengths": feature_lengths, **text_tokens(model, spec["texts"])}
    spect, dec_lens, durs, log_durs, pitch = model(text=out["tokens"], durs=None, pitch=None)[:5]
    fast_lens = model(text=out["tokens"], durs=None, pitch=None, pace=1.25)[1]
    margin = min(duration_margin(durs, out["token_lengths"], pace) for pace in (1.0, 1.25))
    out.update(spect=spect, dec_lens=dec_lens, durs_predicted=durs, log_durs_predicted=log_durs,
               pitch_predicted=pitch, dec_lens_pace=fast_lens, margin=margin)  # fmt: skip
    return out


def pipeline_outputs(generator: Any, vocoder: Any, text: str = PIPELINE_TEXT) -> Dict[str, Any]:
    """The text-to-waveform golden of a spectrogram generator and a vocoder (each side's own calls:
    ``parse``, ``generate_spectrogram``, ``convert_spectrogram_to_audio``)."""
    with torch.no_grad():
        tokens = generator.parse(text)
        spect = generator.generate_spectrogram(tokens=tokens)
        waveform = vocoder.convert_spectrogram_to_audio(spec=spect)
    return {key: value.detach().cpu().numpy() for key, value in
            {"tokens": tokens, "spect": spect, "waveform": waveform}.items()}  # fmt: skip


def write_pipeline(folder: Path, restore: Callable[[str], Any]) -> Dict[str, Any]:
    """``pipeline.npz`` in ``folder``: ``pipeline_outputs`` of its FastPitch and HiFi-GAN archives, each restored by
    ``restore(family)`` (one side's ``restore_from``)."""
    arrays = pipeline_outputs(restore("fastpitch"), restore("hifigan"))
    np.savez_compressed(folder / "pipeline.npz", text=np.array(PIPELINE_TEXT), **arrays)
    print(f"pipeline: {arrays['waveform'].shape[-1]} samples of {PIPELINE_TEXT!r}")
    return arrays


def check_pipeline(folder: Path, restore: Callable[[str], Any], direction: str) -> Dict[str, Any]:
    """The other side's ``pipeline_outputs`` of the archives in ``folder`` against its ``pipeline.npz``."""
    with np.load(folder / "pipeline.npz", allow_pickle=False) as data:
        expected = {key: data[key] for key in data.files}
    actual = pipeline_outputs(restore("fastpitch"), restore("hifigan"), str(expected.pop("text")))
    result = compare(expected, actual, {}, {})
    result.update(family="fastpitch+hifigan", direction=direction, model_class="pipeline")
    return result


def transducer_outputs(
    model: Any, audio: torch.Tensor, lengths: torch.Tensor, decode: Callable[..., Any]
) -> Dict[str, Any]:
    """A transducer's encoder outputs, greedy decoding and joint outputs (log-probabilities on CPU).

    The joint is evaluated on the greedy label sequences (``targets``, padded with the blank), so its
    ``[B, T, U + 1, V + 1]`` lattice holds every decision greedy decoding took: those cells (``joint_cells``, their
    ``(b, t, u)``) and their ``[N, V + 1]`` outputs (``joint``) are kept, and the margin is taken over them.
    """
    encoded, encoded_lengths = model(input_signal=audio, input_signal_length=lengths)
    decoded = decode(model, {"encoded": encoded, "encoded_lengths": encoded_lengths})
    tokens = decoded["tokens"]
    targets = torch.full((len(tokens), max(1, max(map(len, tokens)))), model.decoder.blank_idx, dtype=torch.long)
    for row, ids in enumerate(tokens):
        targets[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
    target_lengths = torch.tensor([len(ids) for ids in tokens], dtype=torch.long)
    decoder_outputs, *_ = model.decoder(targets=targets, target_length=target_lengths)
    joint = model.joint(encoder_outputs=encoded, decoder_outputs=decoder_outputs)
    valid = greedy_cells(joint, encoded_lengths)
    return {"encoded": encoded, "encoded_lengths": encoded_lengths, "targets": targets, "target_lengths": target_lengths,
            "joint_cells": valid.nonzero(), "joint": joint[valid], "transcripts": decoded["transcripts"],
            "margin": min_margin(joint, valid)}  # fmt: skip


def write_family(name: str, spec: Dict[str, Any], out_dir: Path, build: Callable[[Dict[str, Any], Path, int], Any],
                 decode: Callable[..., Dict[str, Any]], extra: Callable[[Any], Dict[str, Any]],
                 after_save: Optional[Callable[[Path], None]] = None) -> Dict[str, Any]:  # fmt: skip
    """Build the family (``build(spec, workdir, seed)``) with the first acceptable seed, save its archive and goldens.

    ``extra(model)`` gives side-specific metadata (versions, ``transcribe()`` results) for ``<family>.json``;
    ``after_save(archive)`` may rewrite the archive ``save_to`` wrote.
    """
    import tempfile
    import time

    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(SEED_TRIES):
            model = build(spec, Path(tmp), seed)
            arrays, meta = run(model, spec, decode)
            if acceptable(meta):
                break
            print(f"  {name}: seed {seed}: margin {meta['margin']}, {meta.get('labels') or meta.get('transcripts')}")
        else:
            raise RuntimeError(f"{name}: no seed in range({SEED_TRIES}) gives acceptable goldens")
        if spec["kind"] in ("ctc", "rnnt"):
            vocabulary = model.joint.vocabulary if spec["kind"] == "rnnt" else model.decoder.vocabulary
            meta["vocabulary"] = list(vocabulary)
        meta.update(extra(model))
        archive = out_dir / f"{name}.nemo"
        model.save_to(str(archive))
        if after_save is not None:
            after_save(archive)
    meta.update(family=name, model_class=f"{type(model).__module__}.{type(model).__qualname__}",
                torch=torch.__version__, seed=seed, parameters=sum(p.numel() for p in model.parameters()))  # fmt: skip
    save_goldens(out_dir, name, arrays, meta)
    print(f"{name:21s} seed {seed}  {archive.stat().st_size / 1024:7.1f} KB  margin {meta['margin'] or 0:.2e}  "
          f"{meta.get('transcripts') or meta.get('labels') or ''}  ({time.perf_counter() - start:.1f} s)")  # fmt: skip
    return meta


def save_goldens(out_dir: Path, family: str, arrays: Dict[str, np.ndarray], meta: Dict[str, Any]) -> None:
    """``<family>.npz`` (arrays; floats as float32) and ``<family>.json`` (everything else, readable)."""
    stored = {key: value.astype(np.float32) if value.dtype.kind == "f" else value for key, value in arrays.items()}
    np.savez_compressed(out_dir / f"{family}.npz", **stored)
    (out_dir / f"{family}.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def max_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    if a.shape != b.shape:
        return float("inf")
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))) if a.size else 0.0


def compare(expected: Dict[str, np.ndarray], actual: Dict[str, np.ndarray], expected_meta: Dict[str, Any],
            actual_meta: Dict[str, Any]) -> Dict[str, Any]:  # fmt: skip
    """Max differences of float outputs, equality of integer outputs and of transcripts/labels."""
    result: Dict[str, Any] = {"max_diff": {}, "equal": {}}
    for key, value in expected.items():
        if key in ("audio_int16", "audio_lengths"):
            continue
        if value.dtype.kind == "f":
            result["max_diff"][key] = max_abs_diff(value, actual[key])
        else:
            result["equal"][key] = value.shape == actual[key].shape and bool(np.array_equal(value, actual[key]))
    for key in ("transcripts", "labels"):
        if key in expected_meta:
            result["equal"][key] = expected_meta[key] == actual_meta.get(key)
    return result
