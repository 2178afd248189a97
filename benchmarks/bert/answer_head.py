"""The embedded default's answer head (``qa_outputs``), fitted in closed form to its data.

A fixed-seed BERT's own head is a random direction of the final hidden
states: its best span leads the runner-up by hundredths of a logit, so any
reduced precision flips answers and says nothing about the quantizer. A
trained BERT's head instead reads a feature of the hidden state that marks
the answer. Here that feature is put in the data and the head is fitted to
it, as ResNet50's classifier is fitted to its classes:

* each paragraph's answer phrase starts with a start word and ends with an
  end word (``synthetic.START_WORDS`` / ``END_WORDS``), one vocab token each,
  found nowhere else;
* with ``z`` a context token's final hidden state standardised by the mean
  and deviation of all context tokens, ``p_s`` the mean ``z`` of the start
  tokens and ``p_o`` that of the other context tokens, the start logit is the
  nearest-prototype rule between the two, ``(z.(p_s - p_o) - (|p_s|^2 -
  |p_o|^2) / 2) / sqrt(d)`` (likewise the end logit with the end tokens), as
  one linear layer of the real ``[2, hidden]`` shape.

The encoder stays the fixed-seed one; a token's identity survives its
layers (the residual path), which is what the head reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .squad import Feature


def token_classes(features: Sequence[Feature], starts: set[str], ends: set[str]) -> dict[int, np.ndarray]:
    """Per feature: its context positions (``[n, 2]``: position, class), class 1 for a
    start token, 2 for an end token, 0 for any other context token."""
    out: dict[int, np.ndarray] = {}
    for fi, feat in enumerate(features):
        rows = [
            (pos, 1 if feat.tokens[pos] in starts else 2 if feat.tokens[pos] in ends else 0)
            for pos in sorted(feat.token_to_orig_map)
        ]
        out[fi] = np.asarray(rows, dtype=np.int64).reshape(-1, 2)
    return out


def fit(hidden: Mapping[int, np.ndarray], classes: Mapping[int, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """``qa_outputs`` (weight ``[2, d]``, bias ``[2]``, float32) from the final hidden
    states of each feature (``[seq, d]``) and its context tokens' classes."""
    z_rows, c_rows = [], []
    for fi, rows in classes.items():
        if len(rows):
            z_rows.append(np.asarray(hidden[fi], np.float64)[rows[:, 0]])
            c_rows.append(rows[:, 1])
    h = np.concatenate(z_rows)
    cls = np.concatenate(c_rows)
    for c, what in ((1, "start"), (2, "end")):
        if not (cls == c).any():
            raise ValueError(f"no {what} token among the context tokens: the head cannot be fitted")
    mean, std = h.mean(axis=0), h.std(axis=0) + 1e-6
    z = (h - mean) / std
    d = z.shape[1]
    p_o = z[cls == 0].mean(axis=0)
    weight = np.empty((2, d))
    bias = np.empty(2)
    for k, c in enumerate((1, 2)):
        p = z[cls == c].mean(axis=0)
        w = (p - p_o) / np.sqrt(d)  # on z
        weight[k] = w / std  # on the hidden state itself
        bias[k] = -(mean / std) @ w - (p @ p - p_o @ p_o) / 2 / np.sqrt(d)
    return weight.astype(np.float32), bias.astype(np.float32)
