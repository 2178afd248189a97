"""Beam search for GNMT, batched over sentences, the same code for both backends.

The decisions are those of TensorFlow's ``BeamSearchDecoder`` as the
reference configures it (width 10, length penalty weight 1.0, no coverage
penalty):

* every beam keeps its summed log-probability ``lp_sum`` and its length (the
  number of tokens that are not ``</s>``); a candidate's score is
  ``lp_sum / ((5 + length) / 6) ** alpha`` (GNMT's length penalty);
* at the first step only the first beam is expanded (the others start at
  ``-inf``);
* a finished beam (one that produced ``</s>``) offers one candidate, itself,
  with its score unchanged; an open beam offers every token, ``</s>`` adding
  its log-probability but no length;
* the ``width`` best candidates of a sentence become its beams; equal scores
  are ordered by ``beam * vocab + token``, as ``top_k`` over the flattened
  ``[beam, vocab]`` scores orders them;
* a sentence stops when all its beams are finished or after ``max_steps``;
  its translation is the best beam of the last step, cut at ``</s>``.

Exactness of the reduced step output: within one open beam the non-``</s>``
tokens share a length, so their scores rank as their log-probabilities do,
and at most ``width`` of them can be among the ``width`` best of the
sentence. The step therefore only returns each row's ``width`` best
non-``</s>`` tokens plus the ``</s>`` log-probability, and the choice made
from those is the choice over the whole vocabulary.

Length limit: the reference decodes a batch for at most
``round(2 * longest source length in the batch)`` steps. Here each sentence's
own limit is ``round(2 * its length)`` (the reference's rule for a batch of
one), so that a translation never depends on which sentences happen to share
a batch (Server merges queries; TEST01 compares runs). ``length_rule="batch"``
gives the reference's batch-wide limit.

``Stepper`` is what a backend provides: ``encode`` and ``step`` on NumPy
arrays (see graphs.py for the tensors).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

SOS_ID, EOS_ID = 1, 2
BEAM_WIDTH = 10
LENGTH_PENALTY_ALPHA = 1.0
DECODE_LENGTH_FACTOR = 2.0


class Stepper(Protocol):
    def encode(self, source_ids: np.ndarray, source_lengths: np.ndarray) -> tuple[np.ndarray, ...]:
        """-> memory [B, S, H], keys [B, S, A], h [4, B, H], c [4, B, H]."""
        ...

    def step(
        self,
        tokens: np.ndarray,
        context: np.ndarray,
        h: np.ndarray,
        c: np.ndarray,
        memory: np.ndarray,
        keys: np.ndarray,
        source_lengths: np.ndarray,
        k: int,
    ) -> tuple[np.ndarray, ...]:
        """-> top-k non-EOS log-probs [N, k], their ids [N, k], EOS log-prob [N], context, h, c."""
        ...


def length_penalty(lengths: np.ndarray, alpha: float) -> np.ndarray:
    """GNMT's ((5 + |Y|) / 6) ** alpha."""
    return ((5.0 + lengths) / 6.0) ** alpha


@dataclass(frozen=True)
class BeamSearch:
    width: int = BEAM_WIDTH
    alpha: float = LENGTH_PENALTY_ALPHA
    length_factor: float = DECODE_LENGTH_FACTOR
    length_rule: str = "sentence"  # or "batch"

    def __post_init__(self) -> None:
        if self.width < 1:
            raise ValueError(f"beam width {self.width}: must be >= 1")
        if self.length_rule not in ("sentence", "batch"):
            raise ValueError(f"length_rule {self.length_rule!r}: 'sentence' or 'batch'")

    def max_steps(self, source_lengths: np.ndarray) -> np.ndarray:
        lengths = source_lengths.astype(np.float64)
        if self.length_rule == "batch":
            lengths = np.full_like(lengths, lengths.max())
        return np.round(lengths * self.length_factor).astype(np.int64)

    def __call__(
        self, stepper: Stepper, source_ids: np.ndarray, source_lengths: np.ndarray, vocab_size: int
    ) -> list[np.ndarray]:
        """Translate a batch; one int64 array of target ids (without ``</s>``) per sentence."""
        source_ids = np.asarray(source_ids, dtype=np.int64)
        source_lengths = np.asarray(source_lengths, dtype=np.int64)
        n_sent = len(source_lengths)
        if n_sent == 0:
            return []
        if source_lengths.min() < 1:
            raise ValueError("beam search: every source sentence needs at least one token")
        kw = self.width
        k_top = min(kw, vocab_size - 1)  # non-EOS tokens a beam may offer
        memory, keys, h, c = stepper.encode(source_ids, source_lengths)
        limits = self.max_steps(source_lengths)
        hidden = memory.shape[-1]

        # Per-sentence beams, all sentences in one array: row b * kw + j.
        rows = n_sent * kw
        h = np.repeat(h, kw, axis=1)
        c = np.repeat(c, kw, axis=1)
        context = np.zeros((rows, hidden), dtype=np.float32)
        tokens = np.full(rows, SOS_ID, dtype=np.int64)
        lp_sum = np.full((n_sent, kw), -np.inf)
        lp_sum[:, 0] = 0.0
        lengths = np.zeros((n_sent, kw), dtype=np.int64)
        finished = np.zeros((n_sent, kw), dtype=bool)
        history: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (sentences, parent, token)

        active = np.arange(n_sent)  # sentences still decoding
        best_beam = np.zeros(n_sent, dtype=np.int64)
        step = 0
        while len(active):
            b = len(active)
            top_v, top_i, eos_v, context, h, c = stepper.step(
                tokens, context, h, c, memory, keys, source_lengths[active], k_top
            )
            top_v = top_v.astype(np.float64).reshape(b, kw, k_top)
            top_i = top_i.astype(np.int64).reshape(b, kw, k_top)
            eos_v = eos_v.astype(np.float64).reshape(b, kw)
            acc, lens, fin = lp_sum[active], lengths[active], finished[active]

            # Candidates per beam: k_top tokens, then </s>.
            cand_lp = np.empty((b, kw, k_top + 1))
            cand_lp[:, :, :k_top] = acc[:, :, None] + top_v
            cand_lp[:, :, k_top] = acc + eos_v
            cand_len = np.empty((b, kw, k_top + 1), dtype=np.int64)
            cand_len[:, :, :k_top] = lens[:, :, None] + 1
            cand_len[:, :, k_top] = lens
            cand_tok = np.empty((b, kw, k_top + 1), dtype=np.int64)
            cand_tok[:, :, :k_top] = top_i
            cand_tok[:, :, k_top] = EOS_ID
            # A finished beam offers only itself (</s> with log-probability 0).
            cand_lp[:, :, :k_top][fin] = -np.inf
            cand_lp[:, :, k_top][fin] = acc[fin]
            scores = cand_lp / length_penalty(cand_len, self.alpha)
            if step == 0:
                scores[:, 1:, :] = -np.inf

            flat_scores = scores.reshape(b, -1)
            flat_order = (np.arange(kw)[:, None] * vocab_size + cand_tok).reshape(b, -1)
            # Best first; equal scores by (beam, token) as top_k over [beam, vocab] orders them.
            pick = np.lexsort((flat_order, -flat_scores), axis=-1)[:, :kw]
            parent = pick // (k_top + 1)
            sel = (np.arange(b)[:, None], parent, pick % (k_top + 1))
            new_tok = cand_tok[sel]
            lp_sum[active] = cand_lp[sel]
            lengths[active] = cand_len[sel]
            finished[active] = fin[np.arange(b)[:, None], parent] | (new_tok == EOS_ID)
            history.append((active, parent, new_tok))
            step += 1

            # Reorder the decoder state to the chosen parents, drop sentences that are done.
            row_parent = (np.arange(b)[:, None] * kw + parent).reshape(-1)
            keep = ~(finished[active].all(axis=1) | (limits[active] <= step))
            if not keep.all():
                keep_rows = np.repeat(keep, kw)
                row_parent = row_parent[keep_rows]
                memory, keys = memory[keep], keys[keep]
                active = active[keep]
                new_tok = new_tok[keep]
            context, h, c = context[row_parent], h[:, row_parent], c[:, row_parent]
            tokens = new_tok.reshape(-1)

        return self._backtrack(history, n_sent, kw, best_beam)

    @staticmethod
    def _backtrack(
        history: list[tuple[np.ndarray, np.ndarray, np.ndarray]], n_sent: int, kw: int, best_beam: np.ndarray
    ) -> list[np.ndarray]:
        """Follow the parents back from each sentence's best final beam; cut at the first </s>."""
        # Sentences only ever leave the active set, so going backwards a
        # sentence first appears at its own last step.
        out: list[list[int]] = [[] for _ in range(n_sent)]
        beam = best_beam.copy()
        for active, parent, tok in reversed(history):
            rows = np.arange(len(active))
            sel = beam[active]
            toks = tok[rows, sel].tolist()
            for s, t in zip(active.tolist(), toks):
                out[s].append(t)
            beam[active] = parent[rows, sel]
        result = []
        for toks in out:
            toks.reverse()
            if EOS_ID in toks:
                toks = toks[: toks.index(EOS_ID)]
            result.append(np.array(toks, dtype=np.int64))
        return result


def greedy(stepper: Stepper, source_ids: np.ndarray, source_lengths: np.ndarray) -> list[np.ndarray]:
    """Greedy decoding (the most likely token at each step, including </s>), for checks."""
    source_ids = np.asarray(source_ids, dtype=np.int64)
    source_lengths = np.asarray(source_lengths, dtype=np.int64)
    memory, keys, h, c = stepper.encode(source_ids, source_lengths)
    n = len(source_lengths)
    limits = np.round(source_lengths * DECODE_LENGTH_FACTOR).astype(np.int64)
    context = np.zeros((n, memory.shape[-1]), dtype=np.float32)
    tokens = np.full(n, SOS_ID, dtype=np.int64)
    out: list[list[int]] = [[] for _ in range(n)]
    done = np.zeros(n, dtype=bool)
    for step in range(int(limits.max())):
        top_v, top_i, eos_v, context, h, c = stepper.step(
            tokens, context, h, c, memory, keys, source_lengths, 1
        )
        # argmax over the whole distribution; on a tie the lower id (</s> = 2) wins, as argmax does
        is_eos = (eos_v > top_v[:, 0]) | ((eos_v == top_v[:, 0]) & (EOS_ID < top_i[:, 0]))
        tokens = np.where(is_eos, EOS_ID, top_i[:, 0]).astype(np.int64)
        done |= step >= limits
        for s in np.flatnonzero(~done):
            if tokens[s] == EOS_ID:
                done[s] = True
            else:
                out[s].append(int(tokens[s]))
        if done.all():
            break
    return [np.array(o, dtype=np.int64) for o in out]
