"""DLRM's calibration set for ``--precision int8``: Criteo rows, not a list file.

The rules ship no calibration list for DLRM; the reference's
``CriteoTerabyte/README.md`` names the set: rows 89137319-89265318 (0-based)
of ``day_23``, i.e. the first 128000 rows of its second half (the benchmark
scores the first half, ``ceil(rows / 2)`` rows). The same definition applies
to any ``day_23`` (the embedded default's included): the first
``CALIBRATION_ROWS`` rows after its first half, as many as there are.

The rows are read as the test half is (``criteo.py``): the raw text or the
preprocessed npz, dense values ``ln(x + 1)``, categorical values modulo
``max_ind_range``; raw categorical values get their ids by first appearance
over the earlier days and the first half (or from the reference's
``day_fea_dict_<j>.npz``), continued over these rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
from loadgen.harness.calibration import CalibrationSet, list_identity
from loadgen.harness.settings import RunOptions

from . import criteo

CALIBRATION_ROWS = 128_000  # rows 89137319-89265318 of the real day_23
FEED_ROWS = 4096  # pairs per calibration feed


def calibration_range(n_total: int) -> tuple[int, int]:
    """(first, stop) rows of the calibration set in a day_23 of ``n_total`` rows."""
    first = math.ceil(n_total / 2)
    return first, min(n_total, first + CALIBRATION_ROWS)


def _feed(dense: np.ndarray, ids: np.ndarray) -> dict[str, np.ndarray]:
    n = len(dense)
    return {
        "dense_x": np.ascontiguousarray(dense, np.float32),
        "offsets": np.ascontiguousarray(np.broadcast_to(np.arange(n, dtype=np.int64), (criteo.NUM_CAT, n))),
        "indices": np.ascontiguousarray(ids, np.int64),
    }


def _raw_feeds(source: Path, first: int, stop: int, max_ind_range: int) -> Iterator[Mapping[str, np.ndarray]]:
    dicts = criteo.load_dictionaries(source.parent)
    if dicts is None:
        dicts = [criteo.FirstSeenIds() for _ in range(criteo.NUM_CAT)]
        for day in [*criteo.earlier_days(source.parent), source]:
            for _, _, cats in criteo.iter_raw_rows(day, stop=first if day == source else None):
                for j in range(criteo.NUM_CAT):
                    dicts[j].map(cats[:, j] % max_ind_range)
    done = 0
    for _, x, cats in criteo.iter_raw_rows(source, stop=stop):
        lo = max(0, first - done)
        done += len(x)
        if lo >= len(x):
            continue
        x, cats = x[lo:], cats[lo:]
        ids = np.stack(
            [
                dicts[j].map(cats[:, j] % max_ind_range, f"{source} table {j}") % max_ind_range
                for j in range(criteo.NUM_CAT)
            ]
        )
        for s in range(0, len(x), FEED_ROWS):
            yield _feed(criteo.dense_transform(x[s : s + FEED_ROWS]), ids[:, s : s + FEED_ROWS])


def _npz_feeds(source: Path, first: int, stop: int, max_ind_range: int) -> Iterator[Mapping[str, np.ndarray]]:
    dense = np.concatenate(list(criteo.npz_member_rows(source, "X_int", stop)))[first:]
    cat = np.concatenate(list(criteo.npz_member_rows(source, "X_cat", stop)))[first:]
    ids = (cat.astype(np.int64) % max_ind_range).T
    for s in range(0, len(dense), FEED_ROWS):
        yield _feed(criteo.dense_transform(dense[s : s + FEED_ROWS]), ids[:, s : s + FEED_ROWS])


def calibration_set(opts: RunOptions, max_ind_range: int) -> CalibrationSet:
    """The calibration rows of the data folder's day_23, as DLRM feeds."""
    assert opts.dataset_path is not None
    if opts.extra.get("calibration_list"):
        raise ValueError(
            "DLRM's calibration set is rows of day_23 (the rules ship no list for it): --calibration-list "
            "does not apply"
        )
    kind, source = criteo.find_source(Path(opts.dataset_path), opts.extra.get("data_format") or "auto")
    n_total = criteo.npz_row_count(source) if kind == "npz" else criteo.count_lines(source)
    first, stop = calibration_range(n_total)
    if stop <= first:
        raise ValueError(f"{source}: {n_total} rows leave no second half to calibrate on")
    read = _npz_feeds if kind == "npz" else _raw_feeds
    return CalibrationSet(
        source=f"{source.name} rows {first}-{stop - 1} ({stop - first} rows)",
        identity=f"{list_identity(source, first, stop, source.stat().st_size, source.stat().st_mtime_ns)}",
        count=stop - first,
        feeds=lambda: read(source, first, stop, max_ind_range),
        op_types=("MatMul", "Gemm"),
    )
