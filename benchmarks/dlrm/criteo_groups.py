"""DLRM's aggregated samples: groups of consecutive user-item pairs, and the trace file.

Facts: shared/spec/benchmarks.md §3.4. One QSL sample is one group of
consecutive pairs. Group sizes are drawn from the 20-entry quantile table
with NumPy's legacy generator (seed 123): a uniform integer in [0, 20) picks
the entry. Groups tile the test half from row 0; the last one is cut at the
end. The trace file lists ``start, end, count`` per group (end exclusive).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

# dist_quantile.txt of the reference: group size by quantile, 5 % steps.
QUANTILE_TABLE = (
    100, 100, 200, 200, 200, 200, 200, 200, 200, 200,
    200, 200, 200, 200, 300, 300, 400, 500, 600, 700,
)  # fmt: skip
DEFAULT_SEED = 123  # the reference's --numpy-rand-seed


def read_quantile_file(path: str | Path) -> np.ndarray:
    """The group-size table from a file in the reference's form (the first
    line: sizes separated by commas)."""
    with open(path, encoding="utf-8") as f:
        line = f.readline()
    try:
        sizes = np.array([int(v) for v in line.replace(",", " ").split()], np.int64)
    except ValueError:
        raise ValueError(
            f"{path}: line 1 must be integers separated by commas, got {line.strip()!r}"
        ) from None
    if sizes.size == 0 or sizes.min() < 1:
        raise ValueError(f"{path}: line 1 must hold at least one group size >= 1")
    return sizes


def draw_group_offsets(
    n_pairs: int, quantiles: Sequence[int] = QUANTILE_TABLE, seed: int = DEFAULT_SEED
) -> np.ndarray:
    """Group boundaries over ``n_pairs`` rows, drawn as the reference draws
    them: for each group, ``randint(0, len(quantiles))`` from NumPy's legacy
    generator seeded ``seed`` picks the size; the last group is cut at the
    end. Returns the offsets (``groups + 1`` entries, first 0, last ``n_pairs``)."""
    if n_pairs < 1:
        raise ValueError(f"n_pairs = {n_pairs}: the test half is empty")
    q = np.asarray(quantiles, np.int64)
    rs = np.random.RandomState(seed)
    offsets = [0]
    pos = 0
    high = len(q)
    while pos < n_pairs:
        pos = min(pos + int(q[rs.randint(0, high)]), n_pairs)
        offsets.append(pos)
    return np.array(offsets, np.int64)


def fixed_group_offsets(n_pairs: int, size: int) -> np.ndarray:
    """Groups of ``size`` pairs (the reference's ``--samples-to-aggregate-fix``)."""
    if size < 1:
        raise ValueError(f"samples_to_aggregate_fix = {size}: must be >= 1")
    return np.append(np.arange(0, n_pairs, size, dtype=np.int64), np.int64(n_pairs))


def write_trace(path: str | Path, offsets: np.ndarray) -> None:
    """The reference's trace file: one ``start, end, count`` line per group."""
    s, e = offsets[:-1], offsets[1:]
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(f"{a}, {b}, {b - a}\n" for a, b in zip(s.tolist(), e.tolist()))


def read_trace(path: str | Path) -> np.ndarray:
    """Group offsets from a trace file; the groups must tile rows 0.. in order."""
    offsets = [0]
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split(",")]
            try:
                s, e, c = (int(p) for p in parts)
            except ValueError:
                raise ValueError(
                    f"{path}:{lineno}: expected 'start, end, count', got {line.strip()!r}"
                ) from None
            if s != offsets[-1] or e - s != c or c < 1:
                raise ValueError(
                    f"{path}:{lineno}: group {s}, {e}, {c} does not follow the previous group "
                    f"(which ended at {offsets[-1]}) with count = end - start >= 1"
                )
            offsets.append(e)
    if len(offsets) == 1:
        raise ValueError(f"{path}: no groups")
    return np.array(offsets, np.int64)
