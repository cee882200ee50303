"""Autoregressive decoding for Transformer decoders: greedy search and beam search with a length penalty.

Both generators call ``_one_step_forward`` once per output position, feeding only the newest token and reusing the
decoder's cached per-layer states, so a step costs O(current length) instead of re-running the whole prefix.
"""

from typing import List, Optional, Tuple, Union

import torch
from torch import nn

__all__ = ["GreedySequenceGenerator", "BeamSearchSequenceGenerator", "length_penalty"]

# Encoder hidden states ``(B, S, D)`` and their mask ``(B, S)``; both None for unconditioned generation.
EncoderStates = Tuple[Optional[torch.Tensor], Optional[torch.Tensor]]


def length_penalty(lengths: torch.Tensor, len_pen: float) -> torch.Tensor:
    """GNMT length penalty ``((5 + length) / 6) ** len_pen``; scores are divided by it (0 disables it)."""
    return ((5.0 + lengths.to(torch.float32)) / 6.0) ** len_pen


class GreedySequenceGenerator:
    """Pick the most probable token at every step until all sequences emit ``eos`` or reach the length limit.

    Args:
        embedding: ``TransformerEmbedding`` of the decoder (called with ``start_pos`` for incremental steps).
        decoder: ``TransformerDecoder`` supporting ``decoder_mems_list``/``return_mems``.
        log_softmax: head mapping hidden states ``(B, T, D)`` to log-probabilities ``(B, T, V)``.
        pad, bos, eos: special token ids of the target vocabulary.
        max_sequence_length: hard limit on the output length (``bos`` included).
        max_delta_length: with encoder states, the output is at most source length + this many tokens.
        batch_size: number of sequences to sample when no encoder states or prefix are given.
    """

    def __init__(
        self,
        embedding: Optional[nn.Module],
        decoder: Optional[nn.Module],
        log_softmax: Optional[nn.Module],
        pad: int = 0,
        bos: int = 1,
        eos: int = 2,
        max_sequence_length: int = 512,
        max_delta_length: int = 20,
        batch_size: int = 1,
    ):
        self.embedding = embedding
        self.decoder = decoder
        self.log_softmax = log_softmax
        self.pad, self.bos, self.eos = pad, bos, eos
        self.max_seq_length = max_sequence_length
        self.max_delta_len = max_delta_length
        self.batch_size = batch_size

    def _one_step_forward(
        self,
        decoder_input_ids: torch.Tensor,
        encoder_hidden_states: Optional[torch.Tensor],
        encoder_input_mask: Optional[torch.Tensor],
        decoder_mems_list: Optional[List[torch.Tensor]],
        pos: int,
    ) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        """Log-probabilities ``(B, V)`` of the token after ``decoder_input_ids`` and the updated decoder cache."""
        batch, length = decoder_input_ids.shape
        hidden = self.embedding(decoder_input_ids, start_pos=pos)
        decoder_mask = torch.ones(batch, pos + length, dtype=torch.long, device=decoder_input_ids.device)
        mems = self.decoder(
            decoder_states=hidden,
            decoder_mask=decoder_mask,
            encoder_states=encoder_hidden_states,
            encoder_mask=encoder_input_mask,
            decoder_mems_list=decoder_mems_list,
            return_mems=True,
        )
        log_probs = self.log_softmax(hidden_states=mems[-1][:, -1:])
        return log_probs[:, -1].float(), mems

    def _prepare_for_search(
        self, decoder_input_ids: Optional[torch.Tensor], encoder_hidden_states: Optional[torch.Tensor]
    ) -> Tuple[torch.Tensor, int, int]:
        """Starting prefix ``(B, T0)``, batch size and the maximum total output length."""
        batch_size, max_length, device = self.batch_size, self.max_seq_length, None
        if encoder_hidden_states is not None:
            batch_size, src_length = encoder_hidden_states.shape[:2]
            max_length = min(max_length, src_length + self.max_delta_len)
            device = encoder_hidden_states.device
        if decoder_input_ids is not None:
            return decoder_input_ids, decoder_input_ids.shape[0], max_length
        return torch.full((batch_size, 1), self.bos, dtype=torch.long, device=device), batch_size, max_length

    @torch.no_grad()
    def __call__(
        self,
        decoder_input_ids: Optional[torch.Tensor] = None,
        encoder_hidden_states: Optional[torch.Tensor] = None,
        encoder_input_mask: Optional[torch.Tensor] = None,
        return_beam_scores: bool = False,
    ) -> Union[torch.Tensor, Tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Token ids ``(B, L)`` starting with the prefix (given, or ``bos``); finished rows are padded with ``pad``.

        ``return_beam_scores`` is for beam search (greedy search keeps no beams, as in NeMo v1).
        """
        tgt, _, max_length = self._prepare_for_search(decoder_input_ids, encoder_hidden_states)
        return self._forward(tgt, max_length, (encoder_hidden_states, encoder_input_mask), return_beam_scores)

    def _forward(
        self, tgt: torch.Tensor, max_length: int, encoder: EncoderStates, return_beam_scores: bool
    ) -> Union[torch.Tensor, Tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """The search from the starting prefix ``tgt`` ``(B, T0)`` up to ``max_length`` tokens."""
        if return_beam_scores:
            raise ValueError("GreedySequenceGenerator keeps one hypothesis: return_beam_scores needs beam search")
        encoder_hidden_states, encoder_input_mask = encoder
        batch_size = tgt.shape[0]
        finished = torch.zeros(batch_size, dtype=torch.bool, device=tgt.device)
        step_input, mems, pos = tgt, None, 0
        while tgt.shape[1] < max_length:
            log_probs, mems = self._one_step_forward(step_input, encoder_hidden_states, encoder_input_mask, mems, pos)
            pos += step_input.shape[1]
            next_tokens = torch.where(
                finished, torch.full_like(finished, self.pad, dtype=torch.long), log_probs.argmax(-1)
            )
            finished = finished | (next_tokens == self.eos)
            step_input = next_tokens.unsqueeze(1)
            tgt = torch.cat([tgt, step_input], dim=1)
            if finished.all():
                break
        return tgt


class BeamSearchSequenceGenerator(GreedySequenceGenerator):
    """Keep the ``beam_size`` best partial hypotheses per input, ranked by log-probability / length penalty.

    Finished hypotheses (ending in ``eos``) are extended with ``pad`` at no cost and keep competing with the open
    ones; the search stops when every beam is finished or the length limit is reached. Lengths count generated tokens
    (``eos`` included, prefix and padding excluded).
    """

    def __init__(self, embedding, decoder, log_softmax, beam_size: int = 1, len_pen: float = 0.0, **kwargs):
        super().__init__(embedding, decoder, log_softmax, **kwargs)
        if beam_size < 1:
            raise ValueError(f"BeamSearchSequenceGenerator: beam_size must be >= 1, got {beam_size}")
        self.beam_size = beam_size
        self.len_pen = len_pen

    def _forward(
        self, tgt: torch.Tensor, max_length: int, encoder: EncoderStates, return_beam_scores: bool
    ) -> Union[torch.Tensor, Tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Best hypothesis per input ``(B, L)``; with ``return_beam_scores`` also all beams ``(B, K, L)`` and their
        length-normalised scores ``(B, K)``, as ``(beams, scores, best)``."""
        encoder_hidden_states, encoder_input_mask = encoder
        batch_size = tgt.shape[0]
        log_probs, mems = self._one_step_forward(tgt, encoder_hidden_states, encoder_input_mask, None, 0)
        pos = tgt.shape[1]
        vocab_size = log_probs.shape[-1]
        beam = min(self.beam_size, vocab_size)
        scores, tokens = log_probs.topk(beam, dim=-1)
        scores = scores.reshape(-1, 1)
        prefixes = torch.cat([tgt.repeat_interleave(beam, 0), tokens.reshape(-1, 1)], dim=1)
        lengths = torch.ones_like(scores, dtype=torch.long)
        mems = [m.repeat_interleave(beam, 0) for m in mems]
        if encoder_hidden_states is not None:
            encoder_hidden_states = encoder_hidden_states.repeat_interleave(beam, 0)
            encoder_input_mask = encoder_input_mask.repeat_interleave(beam, 0)
        pad_only = torch.full((vocab_size,), float("-inf"), device=scores.device)
        pad_only[self.pad] = 0.0
        row_offsets = torch.arange(batch_size, device=scores.device).unsqueeze(1) * beam

        while prefixes.shape[1] < max_length:
            done = (prefixes[:, -1] == self.eos) | (prefixes[:, -1] == self.pad)
            if done.all():
                break
            log_probs, mems = self._one_step_forward(
                prefixes[:, -1:], encoder_hidden_states, encoder_input_mask, mems, pos
            )
            pos += 1
            log_probs = torch.where(done.unsqueeze(1), pad_only, log_probs)
            candidates = scores + log_probs
            new_lengths = lengths + (~done).long().unsqueeze(1)
            normalised = candidates / length_penalty(new_lengths, self.len_pen)
            _, flat_idx = normalised.view(batch_size, -1).topk(beam, dim=1)
            source = (row_offsets + flat_idx // vocab_size).view(-1)
            scores = candidates.view(batch_size, -1).gather(1, flat_idx).view(-1, 1)
            lengths = new_lengths[source]
            prefixes = torch.cat([prefixes[source], (flat_idx % vocab_size).view(-1, 1)], dim=1)
            mems = [m[source] for m in mems]

        final = (scores / length_penalty(lengths, self.len_pen)).view(batch_size, beam)
        beams = prefixes.view(batch_size, beam, -1)
        best = beams[torch.arange(batch_size, device=beams.device), final.argmax(dim=1)]
        if return_beam_scores:
            return beams, final, best
        return best
