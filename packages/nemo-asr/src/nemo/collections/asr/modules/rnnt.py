"""Transducer (RNN-T) networks: the LSTM prediction network ``RNNTDecoder`` and the feed-forward ``RNNTJoint``.

Config keys, constructor arguments and state-dict keys are NVIDIA NeMo's: ``prediction.embed.weight``,
``prediction.dec_rnn.lstm.{weight,bias}_{ih,hh}_l<N>``; ``pred.*``, ``enc.*`` and ``joint_net.<N>.*`` (``joint_net`` is
``Sequential(activation, [Dropout,] Linear)``, so its output layer is ``joint_net.1`` without and ``joint_net.2`` with
joint dropout), so NeMo transducer checkpoints load strictly.
"""

from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
from torch import nn

from nemo.collections.asr.modules.rnnt_abstract import AbstractRNNTDecoder, AbstractRNNTJoint
from nemo.collections.asr.parts.rnnt_utils import Hypothesis
from nemo.core.classes.exportable import Exportable
from nemo.core.classes.module import NeuralModule
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import (
    AcousticEncodedRepresentation,
    ElementType,
    EmbeddedTextType,
    LabelsType,
    LengthsType,
    LogprobsType,
    NeuralType,
)
from nemo.utils import logging

__all__ = ["LSTMDropout", "RNNTDecoder", "RNNTDecoderJoint", "RNNTJoint", "label_collate"]

_STATE = NeuralType(("D", "B", "D"), ElementType())
_JOINT_ACTIVATIONS = {"relu": lambda: nn.ReLU(inplace=True), "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}


def label_collate(labels: Union[torch.Tensor, Sequence[Sequence[int]]], device: Any = None) -> torch.Tensor:
    """Label ids as a ``[B, U]`` int64 tensor: tensors are cast, lists of lists right-padded with 0."""
    if isinstance(labels, torch.Tensor):
        return labels.long()
    if not isinstance(labels, (list, tuple)):
        raise ValueError(f"`labels` should be a list or tensor not {type(labels)}")
    longest = max((len(row) for row in labels), default=0)
    out = torch.zeros(len(labels), longest, dtype=torch.long, device=device)
    for row, ids in enumerate(labels):
        if len(ids):
            out[row, : len(ids)] = torch.as_tensor(list(ids), dtype=torch.long)
    return out


class LSTMDropout(nn.Module):
    """``nn.LSTM`` (submodule ``lstm``, NeMo's key) with NeMo's initialisation and dropout on its output.

    ``forget_gate_bias`` fills the input-hidden forget-gate biases (the hidden-hidden ones are scaled by
    ``hidden_hidden_bias_scale``, 0 by default); ``t_max`` uses chrono initialisation instead; every weight and bias is
    then scaled by ``weights_init_scale``.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int,
        dropout: Optional[float],
        forget_gate_bias: Optional[float],
        t_max: Optional[int] = None,
        weights_init_scale: float = 1.0,
        hidden_hidden_bias_scale: float = 0.0,
        proj_size: int = 0,
    ) -> None:
        super().__init__()
        # nn.LSTM's own dropout acts between layers only (and warns when there is one layer).
        self.lstm = nn.LSTM(
            input_size=input_size,
            hidden_size=hidden_size,
            num_layers=num_layers,
            dropout=(dropout or 0.0) if num_layers > 1 else 0.0,
            proj_size=proj_size,
        )
        with torch.no_grad():
            if t_max is not None:
                for name, bias in self.lstm.named_parameters():
                    if "bias" in name:
                        bias.zero_()
                        forget = torch.log(nn.init.uniform_(bias[hidden_size : 2 * hidden_size], 1, t_max - 1))
                        bias[hidden_size : 2 * hidden_size] = forget
                        bias[:hidden_size] = -forget
            elif forget_gate_bias is not None:
                for name, bias in self.lstm.named_parameters():
                    if "bias_ih" in name:
                        bias[hidden_size : 2 * hidden_size].fill_(forget_gate_bias)
                    if "bias_hh" in name:
                        bias[hidden_size : 2 * hidden_size] *= float(hidden_hidden_bias_scale)
            if weights_init_scale != 1.0:
                for param in self.parameters():
                    param *= float(weights_init_scale)
        self.dropout = nn.Dropout(dropout) if dropout else None

    def forward(
        self, x: torch.Tensor, h: Optional[Tuple[torch.Tensor, torch.Tensor]] = None
    ) -> Tuple[torch.Tensor, Tuple[torch.Tensor, torch.Tensor]]:
        x, h = self.lstm(x, h)
        if self.dropout is not None:
            x = self.dropout(x)
        return x, h


class RNNTDecoder(AbstractRNNTDecoder, Exportable):
    """NeMo's transducer prediction network: label embedding -> LSTM (``prediction.embed``, ``prediction.dec_rnn``).

    Args:
        prednet: ``pred_hidden`` (embedding and LSTM width), ``pred_rnn_layers``, optional ``forget_gate_bias`` (1.0),
            ``t_max`` (chrono init, None), ``weights_init_scale`` (1.0), ``hidden_hidden_bias_scale`` (0.0),
            ``dropout`` (0.0, on the LSTM output), ``rnn_hidden_size`` (-1: ``pred_hidden``; larger: an LSTM of that
            width projected to ``pred_hidden``).
        vocab_size: labels without the blank; the blank is index ``vocab_size``.
        normalization_mode: only None (NeMo's default and its only exportable choice).
        random_state_sampling: start training sequences from a random normal state instead of zeros.
        blank_as_pad: the embedding gets a zero row for the blank, which is the start token and padding.
    """

    def __init__(
        self,
        prednet: Dict[str, Any],
        vocab_size: int,
        normalization_mode: Optional[str] = None,
        random_state_sampling: bool = False,
        blank_as_pad: bool = True,
    ) -> None:
        self.pred_hidden = int(prednet["pred_hidden"])
        self.pred_rnn_layers = int(prednet["pred_rnn_layers"])
        super().__init__(vocab_size=vocab_size, blank_idx=vocab_size, blank_as_pad=blank_as_pad)
        if normalization_mode is not None:
            raise ValueError(
                f"RNNTDecoder: normalization_mode={normalization_mode!r} is not supported; use null (NeMo's default)"
            )
        self.random_state_sampling = random_state_sampling
        rnn_hidden_size = int(prednet.get("rnn_hidden_size", -1) or -1)
        self.rnn_hidden_size = rnn_hidden_size if rnn_hidden_size > 0 else self.pred_hidden
        if blank_as_pad:
            embed = nn.Embedding(vocab_size + 1, self.pred_hidden, padding_idx=self.blank_idx)
        else:
            embed = nn.Embedding(vocab_size, self.pred_hidden)
        self.prediction = nn.ModuleDict(
            {
                "embed": embed,
                "dec_rnn": LSTMDropout(
                    input_size=self.pred_hidden,
                    hidden_size=self.rnn_hidden_size,
                    num_layers=self.pred_rnn_layers,
                    dropout=prednet.get("dropout", 0.0),
                    forget_gate_bias=prednet.get("forget_gate_bias", 1.0),
                    t_max=prednet.get("t_max", None),
                    weights_init_scale=prednet.get("weights_init_scale", 1.0),
                    hidden_hidden_bias_scale=prednet.get("hidden_hidden_bias_scale", 0.0),
                    proj_size=self.pred_hidden if self.pred_hidden < self.rnn_hidden_size else 0,
                ),
            }
        )
        self._rnnt_export = False

    @property
    def input_types(self) -> Dict[str, Any]:
        return OrderedDict(
            {
                "targets": NeuralType(("B", "T"), LabelsType()),
                "target_length": NeuralType(("B",), LengthsType()),
                "states": [NeuralType(("D", "B", "D"), ElementType(), optional=True)],
            }
        )

    @property
    def output_types(self) -> Dict[str, Any]:
        return OrderedDict(
            {
                "outputs": NeuralType(("B", "D", "T"), EmbeddedTextType()),
                "prednet_lengths": NeuralType(("B",), LengthsType()),
                "states": [NeuralType(("D", "B", "D"), ElementType(), optional=True)],
            }
        )

    def input_example(self, max_batch: int = 1, max_dim: int = 1) -> Tuple[Any, ...]:
        device = next(self.parameters()).device
        targets = torch.full((max_batch, max_dim), self.blank_idx if self.blank_as_pad else 0, dtype=torch.long)
        lengths = torch.full((max_batch,), max_dim, dtype=torch.long)
        return targets.to(device), lengths.to(device), tuple(self.initialize_state(targets.float().to(device)))

    def _prepare_for_export(self, **kwargs: Any) -> None:
        self._rnnt_export = True
        super()._prepare_for_export(**kwargs)

    @typecheck()
    def forward(
        self, targets: torch.Tensor, target_length: torch.Tensor, states: Optional[Any] = None
    ) -> Tuple[torch.Tensor, torch.Tensor, Any]:
        """``(outputs [B, H, U + 1], target_length, states)``: the start token then each label of ``targets``."""
        y = label_collate(targets)
        g, states = self.predict(y, state=states, add_sos=not self._rnnt_export)
        return g.transpose(1, 2), target_length, states

    def predict(
        self,
        y: Optional[torch.Tensor] = None,
        state: Optional[Sequence[torch.Tensor]] = None,
        add_sos: bool = True,
        batch_size: Optional[int] = None,
    ) -> Tuple[torch.Tensor, Tuple[torch.Tensor, torch.Tensor]]:
        """Run the prediction network on labels ``y`` ``[B, U]`` from ``state`` (``(h, c)``, each ``[L, B, H]``).

        ``y=None`` feeds one start token (a zero vector, what the blank's embedding row holds) for ``batch_size``
        items (default: the state's batch, else 1). ``add_sos`` prepends the start token (outputs ``[B, U + 1, H]``).
        Without a state the LSTM starts from zeros (random normal ones in training with ``random_state_sampling``).
        """
        weight = self.prediction["embed"].weight
        if y is not None:
            g = self.prediction["embed"](y.to(weight.device).long())
        else:
            batch = batch_size if batch_size is not None else (1 if state is None else state[0].size(1))
            g = torch.zeros((batch, 1, self.pred_hidden), device=weight.device, dtype=weight.dtype)
        if add_sos:
            g = torch.cat([g.new_zeros(g.shape[0], 1, g.shape[2]), g], dim=1)
        if state is None and self.random_state_sampling and self.training:
            state = self.initialize_state(g)
        if state is not None:
            state = tuple(state)
        out, hidden = self.prediction["dec_rnn"](g.transpose(0, 1), state)
        return out.transpose(0, 1), hidden

    def initialize_state(self, y: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(h, c)`` for a batch of ``y.size(0)``: zeros, or normal samples in training with random_state_sampling."""
        batch = y.size(0)
        make = torch.randn if (self.random_state_sampling and self.training) else torch.zeros
        layers = self.pred_rnn_layers
        return (
            make(layers, batch, self.pred_hidden, dtype=y.dtype, device=y.device),
            make(layers, batch, self.rnn_hidden_size, dtype=y.dtype, device=y.device),
        )

    def score_hypothesis(
        self, hypothesis: Hypothesis, cache: Dict[Tuple[int, ...], Any]
    ) -> Tuple[torch.Tensor, Tuple[torch.Tensor, torch.Tensor], Optional[torch.Tensor]]:
        """Output ``[1, 1, H]`` after the hypothesis' labels, the state after them, and its last label.

        ``hypothesis.dec_state`` is the state *before* its last label (NeMo's convention); a hypothesis without
        labels, or whose last label is the blank, is scored from the start token. Results are cached by label tuple.
        """
        sequence = tuple(int(t) for t in hypothesis.y_sequence)
        device = self.prediction["embed"].weight.device
        last = sequence[-1] if sequence else None
        token = None if last is None else torch.full((1,), last, dtype=torch.long, device=device)
        if sequence not in cache:
            if last is None or last == self.blank_idx:
                cache[sequence] = self.predict(None, state=None, add_sos=False, batch_size=1)
            else:
                cache[sequence] = self.predict(token.view(1, 1), state=hypothesis.dec_state, add_sos=False)
        g, state = cache[sequence]
        return g[:, -1:, :], state, token

    def batch_select_state(
        self, batch_states: Optional[Sequence[torch.Tensor]], idx: int
    ) -> Optional[List[torch.Tensor]]:
        """``[h[:, idx], c[:, idx]]`` (each ``[L, H]``) out of a batched ``(h, c)``."""
        if batch_states is None:
            return None
        return [state[:, idx] for state in batch_states]

    def batch_concat_states(self, batch_states: List[Sequence[torch.Tensor]]) -> List[torch.Tensor]:
        """``[h, c]`` (each ``[L, B, H]``) from a list of per-item ``[h, c]`` (each ``[L, H]``)."""
        return [torch.stack([item[i] for item in batch_states], dim=1) for i in range(len(batch_states[0]))]

    def batch_initialize_states(self, decoder_states: List[Sequence[torch.Tensor]]) -> List[torch.Tensor]:
        """NeMo's name for ``batch_concat_states``."""
        return self.batch_concat_states(decoder_states)


class RNNTJoint(AbstractRNNTJoint, Exportable):
    """NeMo's transducer joint: ``joint_net(enc(f)[:, :, None] + pred(g)[:, None])`` -> ``[B, T, U, V + 1]``.

    Args:
        jointnet: ``encoder_hidden``, ``pred_hidden``, ``joint_hidden``, ``activation`` (relu, sigmoid, tanh) and
            optional ``dropout`` (0.0).
        num_classes: labels without the blank (the blank is output ``num_classes``).
        num_extra_outputs: extra outputs after the blank (NeMo's TDT durations); 0 for plain transducers.
        vocabulary: the labels, kept for character models.
        log_softmax: None (log-softmax on CPU only, as NeMo), True or False.
        preserve_memory, fuse_loss_wer, fused_batch_size, experimental_fuse_loss_wer: accepted for NeMo configs; the
            joint is always computed whole (the fused, sub-batched loss/WER step only saves GPU memory; the results are
            the same), so ``fuse_loss_wer`` reads False.
    """

    def __init__(
        self,
        jointnet: Dict[str, Any],
        num_classes: int,
        num_extra_outputs: int = 0,
        vocabulary: Optional[Sequence[str]] = None,
        log_softmax: Optional[bool] = None,
        preserve_memory: bool = False,
        fuse_loss_wer: bool = False,
        fused_batch_size: Optional[int] = None,
        experimental_fuse_loss_wer: Any = None,
    ) -> None:
        super().__init__()
        self.vocabulary = list(vocabulary) if vocabulary is not None else None
        if self.vocabulary is not None and len(self.vocabulary) != num_classes:
            raise ValueError(f"RNNTJoint: num_classes ({num_classes}) must equal len(vocabulary) ({len(vocabulary)})")
        self._vocab_size = num_classes
        self._num_extra_outputs = num_extra_outputs
        self._num_classes = num_classes + 1 + num_extra_outputs
        requested_fusion = fuse_loss_wer if experimental_fuse_loss_wer is None else experimental_fuse_loss_wer
        if requested_fusion:
            logging.debug(
                "RNNTJoint: fuse_loss_wer is accepted and ignored: the joint, loss and WER are computed whole"
            )
        self._fused_batch_size = fused_batch_size
        self.log_softmax = log_softmax
        self.preserve_memory = preserve_memory
        self.encoder_hidden = int(jointnet["encoder_hidden"])
        self.pred_hidden = int(jointnet["pred_hidden"])
        self.joint_hidden = int(jointnet["joint_hidden"])
        self.activation = str(jointnet["activation"])
        if self.activation.lower() not in _JOINT_ACTIVATIONS:
            raise ValueError(
                "Unsupported activation for joint step - please pass one of [relu, sigmoid, tanh], "
                f"got {self.activation!r}"
            )
        dropout = float(jointnet.get("dropout", 0.0) or 0.0)
        self.pred = nn.Linear(self.pred_hidden, self.joint_hidden)
        self.enc = nn.Linear(self.encoder_hidden, self.joint_hidden)
        layers: List[nn.Module] = [_JOINT_ACTIVATIONS[self.activation.lower()]()]
        if dropout:
            layers.append(nn.Dropout(p=dropout))
        layers.append(nn.Linear(self.joint_hidden, self._num_classes))
        self.joint_net = nn.Sequential(*layers)
        self.temperature = 1.0

    @property
    def input_types(self) -> Dict[str, Any]:
        return OrderedDict(
            {
                "encoder_outputs": NeuralType(("B", "D", "T"), AcousticEncodedRepresentation()),
                "decoder_outputs": NeuralType(("B", "D", "T"), EmbeddedTextType()),
                "encoder_lengths": NeuralType(("B",), LengthsType(), optional=True),
                "transcripts": NeuralType(("B", "T"), LabelsType(), optional=True),
                "transcript_lengths": NeuralType(("B",), LengthsType(), optional=True),
                "compute_wer": NeuralType(optional=True),
            }
        )

    @property
    def output_types(self) -> Dict[str, Any]:
        return OrderedDict({"outputs": NeuralType(("B", "T", "T", "D"), LogprobsType())})

    @property
    def disabled_deployment_input_names(self) -> set:
        return {"encoder_lengths", "transcripts", "transcript_lengths", "compute_wer"}

    def input_example(self, max_batch: int = 1, max_dim: int = 64) -> Tuple[torch.Tensor, torch.Tensor]:
        device = next(self.parameters()).device
        return (
            torch.randn(max_batch, self.encoder_hidden, max_dim, device=device),
            torch.randn(max_batch, self.pred_hidden, 3, device=device),
        )

    def _prepare_for_export(self, **kwargs: Any) -> None:
        self.log_softmax = False
        super()._prepare_for_export(**kwargs)

    @typecheck()
    def forward(
        self,
        encoder_outputs: torch.Tensor,
        decoder_outputs: Optional[torch.Tensor],
        encoder_lengths: Optional[torch.Tensor] = None,
        transcripts: Optional[torch.Tensor] = None,
        transcript_lengths: Optional[torch.Tensor] = None,
        compute_wer: bool = False,
    ) -> torch.Tensor:
        """Scores ``[B, T, U, V + 1]`` of encoder ``[B, H1, T]`` and prediction ``[B, H2, U]`` outputs."""
        if decoder_outputs is None:
            raise ValueError(
                "decoder_outputs passed is None; this RNNTJoint computes the joint only (no fused loss/WER step)"
            )
        return self.joint(encoder_outputs.transpose(1, 2), decoder_outputs.transpose(1, 2))

    def project_encoder(self, encoder_output: torch.Tensor) -> torch.Tensor:
        return self.enc(encoder_output)

    def project_prednet(self, prednet_output: torch.Tensor) -> torch.Tensor:
        return self.pred(prednet_output)

    def joint_logits_after_projection(self, f: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        """Unnormalised scores ``[B, T, U, V + 1]`` of projected ``f`` ``[B, T, H]`` and ``g`` ``[B, U, H]``."""
        return self.joint_net(f.unsqueeze(2) + g.unsqueeze(1))

    def joint_after_projection(self, f: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        """Scores of projected inputs, log-softmaxed (after ``temperature``) as ``log_softmax`` says (None: on CPU)."""
        res = self.joint_logits_after_projection(f, g)
        normalize = (not res.is_cuda) if self.log_softmax is None else bool(self.log_softmax)
        if normalize:
            res = (res / self.temperature if self.temperature != 1.0 else res).log_softmax(dim=-1)
        return res

    @property
    def num_classes_with_blank(self) -> int:
        return self._num_classes

    @property
    def num_extra_outputs(self) -> int:
        return self._num_extra_outputs

    @property
    def fuse_loss_wer(self) -> bool:
        return False

    @property
    def fused_batch_size(self) -> Optional[int]:
        return self._fused_batch_size


class RNNTDecoderJoint(NeuralModule, Exportable):
    """The prediction network and joint as one exportable step (NeMo's ``decoder_joint`` export subnet).

    Inputs: encoder outputs ``[B, H1, T]``, labels ``[B, U]``, their lengths and the LSTM state ``(h, c)``; outputs:
    unnormalised joint scores ``[B, T, U, V + 1]``, the lengths and the new state, so a runtime can decode greedily.
    """

    def __init__(self, decoder: RNNTDecoder, joint: RNNTJoint) -> None:
        super().__init__()
        self.decoder = decoder
        self.joint = joint

    @property
    def input_types(self) -> Dict[str, Any]:
        return OrderedDict(
            {
                "encoder_outputs": NeuralType(("B", "D", "T"), AcousticEncodedRepresentation()),
                "targets": NeuralType(("B", "T"), LabelsType()),
                "target_length": NeuralType(("B",), LengthsType()),
                "input_states_1": _STATE,
                "input_states_2": _STATE,
            }
        )

    @property
    def output_types(self) -> Dict[str, Any]:
        return OrderedDict(
            {
                "outputs": NeuralType(("B", "T", "T", "D"), LogprobsType()),
                "prednet_lengths": NeuralType(("B",), LengthsType()),
                "output_states_1": _STATE,
                "output_states_2": _STATE,
            }
        )

    def input_example(self, max_batch: int = 1, max_dim: int = 1) -> Tuple[torch.Tensor, ...]:
        targets, lengths, (h, c) = self.decoder.input_example(max_batch=max_batch, max_dim=max_dim)
        encoder_outputs = self.joint.input_example(max_batch=max_batch)[0]
        return encoder_outputs, targets, lengths, h, c

    def forward(
        self,
        encoder_outputs: torch.Tensor,
        targets: torch.Tensor,
        target_length: torch.Tensor,
        input_states_1: torch.Tensor,
        input_states_2: torch.Tensor,
    ) -> Tuple[torch.Tensor, ...]:
        g, (h, c) = self.decoder.predict(targets, state=(input_states_1, input_states_2), add_sos=False)
        f = self.joint.project_encoder(encoder_outputs.transpose(1, 2))
        scores = self.joint.joint_logits_after_projection(f, self.joint.project_prednet(g))
        return scores, target_length, h, c
