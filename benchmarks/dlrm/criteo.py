"""Criteo Terabyte's test day for DLRM: the parsed test half, cached, and the ``Dataset``.

Facts: shared/spec/benchmarks.md §3.1, §3.2, §3.4. Reading the two file forms
(raw ``day_23`` text, the reference's ``day_23_reordered.npz``) and the
category dictionaries: ``criteo_files.py``; the groups (one QSL sample each)
and the trace file: ``criteo_groups.py``.

* The test half is the first ceil(n / 2) rows.
* Categorical (raw form): ``int(hex, 16) % max_ind_range``, then the table's
  dictionary gives the row; both forms then take ids modulo
  ``max_ind_range``, as the reference does when it loads them.

The parsed test half is cached under ``--cache-dir`` as ``.npy`` files
(dense float32 ``[n, 13]``, categorical int32 ``[26, n]``, labels float32
``[n]``), so that only the first run parses; later runs memory-map them.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from loadgen.harness import Dataset
from loadgen.harness.cache import build_once

# The day files' layout and readers, and the groups: their own modules, re-exported
# here because callers (run.py, accuracy.py, calibration.py, the tests) read them as criteo.X.
from .criteo_files import (  # noqa: F401 - re-exported
    NPZ_DAY,
    NUM_CAT,
    NUM_DENSE,
    NUM_FIELDS,
    RAW_DAY,
    FirstSeenIds,
    count_lines,
    dense_transform,
    earlier_days,
    iter_raw_rows,
    load_dictionaries,
    npz_member_rows,
    npz_row_count,
)
from .criteo_groups import (  # noqa: F401 - re-exported
    DEFAULT_SEED,
    QUANTILE_TABLE,
    draw_group_offsets,
    fixed_group_offsets,
    read_quantile_file,
    read_trace,
    write_trace,
)

CACHE_VERSION = 1

# Rows per table of the official model (--max-ind-range 40000000), §3.2.
OFFICIAL_TABLE_SIZES = (
    39884406, 39043, 17289, 7420, 20263, 3, 7120, 1543, 63, 38532951, 2953546, 403346, 10,
    2208, 11938, 155, 4, 976, 14, 39979771, 25641295, 39664984, 585935, 12972, 108, 36,
)  # fmt: skip
OFFICIAL_MAX_IND_RANGE = 40_000_000


def table_sizes_for(max_ind_range: int) -> tuple[int, ...]:
    """The official table sizes, each capped at ``max_ind_range`` rows (ids are
    reduced modulo it, so no table needs more)."""
    if max_ind_range < 1:
        raise ValueError(f"max_ind_range = {max_ind_range}: must be >= 1")
    return tuple(min(n, max_ind_range) for n in OFFICIAL_TABLE_SIZES)


def official_table_bytes(dim: int = 128) -> int:
    return sum(OFFICIAL_TABLE_SIZES) * dim * 4


# ---------------------------------------------------------------------------
# The parsed test half, cached.


def find_source(folder: Path, data_format: str = "auto") -> tuple[str, Path]:
    """("npz" | "raw", file) for a data set folder."""
    npz, raw = folder / NPZ_DAY, folder / RAW_DAY
    if data_format not in ("auto", "raw", "npz"):
        raise ValueError(f"data format {data_format!r}: choose auto, raw or npz")
    if data_format in ("auto", "npz") and npz.is_file():
        return "npz", npz
    if data_format in ("auto", "raw") and raw.is_file():
        return "raw", raw
    want = {"auto": f"{NPZ_DAY} or {RAW_DAY}", "npz": NPZ_DAY, "raw": RAW_DAY}[data_format]
    raise FileNotFoundError(f"{folder}: no {want} (Criteo Terabyte's test day) in this folder")


def _source_key(source: Path, max_ind_range: int) -> str:
    st = source.stat()
    text = f"{source.resolve()}|{st.st_size}|{st.st_mtime_ns}|{max_ind_range}|v{CACHE_VERSION}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def build_test_half(source_kind: str, source: Path, max_ind_range: int, out: Path, log=print) -> None:
    """Parse the test half of ``source`` into ``out`` (dense.npy, cat.npy,
    labels.npy, meta.json written last)."""
    if source_kind == "npz":
        n_total = npz_row_count(source)
    else:
        log(f"counting the lines of {source} (streamed)")
        n_total = count_lines(source)
    n = math.ceil(n_total / 2)
    if n < 1:
        raise ValueError(f"{source}: no rows")
    dense = np.lib.format.open_memmap(out / "dense.npy", "w+", np.float32, (n, NUM_DENSE))
    cat = np.lib.format.open_memmap(out / "cat.npy", "w+", np.int32, (NUM_CAT, n))
    labels = np.lib.format.open_memmap(out / "labels.npy", "w+", np.float32, (n,))
    how = ""
    if source_kind == "npz":
        log(f"reading the first {n} of {n_total} rows of {source}")
        done = 0
        for x in npz_member_rows(source, "X_int", n):
            dense[done : done + len(x)] = dense_transform(x)
            done += len(x)
        done = 0
        for x in npz_member_rows(source, "X_cat", n):
            if x.shape[1:] != (NUM_CAT,):
                raise ValueError(f"{source}: X_cat has shape [n, {x.shape[1:]}], expected [n, {NUM_CAT}]")
            if (x < 0).any():
                raise ValueError(f"{source}: X_cat holds negative ids")
            cat[:, done : done + len(x)] = (x.astype(np.int64) % max_ind_range).T
            done += len(x)
        done = 0
        for x in npz_member_rows(source, "y", n):
            labels[done : done + len(x)] = x.reshape(-1)
            done += len(x)
        how = "X_cat ids modulo max_ind_range"
    else:
        folder = source.parent
        dicts = load_dictionaries(folder)
        if dicts is not None:
            how = "day_fea_dict_<j>.npz (the reference's dictionaries)"
        else:
            dicts = [FirstSeenIds() for _ in range(NUM_CAT)]
            earlier = earlier_days(folder)
            for day in earlier:
                log(f"building the category dictionaries: scanning {day} (streamed)")
                for _, _, cats in iter_raw_rows(day):
                    for j in range(NUM_CAT):
                        dicts[j].map(cats[:, j] % max_ind_range)
            how = "first appearance over " + ", ".join(p.name for p in [*earlier, source])
        log(f"parsing the first {n} of {n_total} lines of {source} (streamed)")
        done = 0
        for y, x, cats in iter_raw_rows(source, stop=n):
            m = len(y)
            dense[done : done + m] = dense_transform(x)
            labels[done : done + m] = y
            for j in range(NUM_CAT):
                ids = dicts[j].map(cats[:, j] % max_ind_range, f"{source} table {j}")
                cat[j, done : done + m] = ids % max_ind_range
            done += m
        if done != n:
            raise ValueError(f"{source}: read {done} rows, expected {n}")
    rows_needed = [int(cat[j].max()) + 1 for j in range(NUM_CAT)]
    for a in (dense, cat, labels):
        a.flush()
    del dense, cat, labels
    meta = {
        "source": str(source),
        "form": source_kind,
        "rows_in_file": n_total,
        "test_rows": n,
        "max_ind_range": max_ind_range,
        "categorical_ids": how,
        "rows_needed_per_table": rows_needed,
        "version": CACHE_VERSION,
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


class CriteoTerabyte(Dataset):
    """The test half of Criteo Terabyte's day 23 as groups of user-item pairs.

    QSL sample ``i`` is group ``i``: rows ``offsets[i]:offsets[i + 1]``. A batch
    of groups is the reference's input: ``dense_x`` ``[B, 13]``, ``indices``
    ``[26, B]``, ``offsets`` ``[26, B]`` = 0..B-1 for every table, B the total
    pairs. ``get_batch`` is read-only (called by several workers at once).
    """

    name = "criteo-terabyte-day23"

    def __init__(
        self,
        data_path: str | Path,
        cache_dir: str | Path,
        max_ind_range: int,
        count: int | None = None,
        data_format: str = "auto",
        quantiles: Sequence[int] = QUANTILE_TABLE,
        seed: int = DEFAULT_SEED,
        fixed_size: int | None = None,
        trace_in: str | Path | None = None,
        trace_out: str | Path | None = None,
        log=print,
    ) -> None:
        if max_ind_range < 1:
            raise ValueError(f"max_ind_range = {max_ind_range}: must be >= 1")
        self.data_path = Path(data_path)
        if not self.data_path.is_dir():
            raise FileNotFoundError(f"--dataset-path {self.data_path} is not a folder")
        kind, source = find_source(self.data_path, data_format)
        folder = Path(cache_dir) / "parsed" / f"{kind}-{_source_key(source, max_ind_range)}"
        build_once(folder, lambda tmp: build_test_half(kind, source, max_ind_range, tmp, log), "meta.json")
        self.meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        self.dense = np.load(folder / "dense.npy", mmap_mode="r")
        self.cat = np.load(folder / "cat.npy", mmap_mode="r")
        self.labels_all = np.load(folder / "labels.npy", mmap_mode="r")
        n = len(self.labels_all)
        if trace_in is not None:
            offsets = read_trace(trace_in)
            if offsets[-1] > n:
                raise ValueError(f"{trace_in}: groups reach row {offsets[-1]}, the test half has {n} rows")
        elif fixed_size is not None:
            offsets = fixed_group_offsets(n, fixed_size)
        else:
            offsets = draw_group_offsets(n, quantiles, seed)
        if count is not None:
            offsets = offsets[: count + 1]
        self.offsets = offsets
        self.sizes = np.diff(offsets)
        if trace_out is not None:
            write_trace(trace_out, offsets)
        self._loaded: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._arange: dict[int, np.ndarray] = {}

    @property
    def total_count(self) -> int:
        return len(self.sizes)

    @property
    def pairs(self) -> int:
        return int(self.offsets[-1])

    def group_rows(self, index: int) -> tuple[int, int]:
        return int(self.offsets[index]), int(self.offsets[index + 1])

    def load(self, indices: Sequence[int]) -> None:
        for i in indices:
            if i not in self._loaded:
                s, e = self.group_rows(i)
                self._loaded[i] = (
                    np.array(self.dense[s:e]),
                    self.cat[:, s:e].astype(np.int64),
                    np.array(self.labels_all[s:e]),
                )

    def unload(self, indices: Sequence[int]) -> None:
        for i in indices:
            self._loaded.pop(i, None)

    def _offsets(self, n: int) -> np.ndarray:
        off = self._arange.get(n)
        if off is None:
            off = np.ascontiguousarray(np.broadcast_to(np.arange(n, dtype=np.int64), (NUM_CAT, n)))
            self._arange[n] = off
        return off

    def get_batch(self, indices: Sequence[int]) -> dict[str, np.ndarray]:
        items = [self._loaded[i] for i in indices]
        if len(items) == 1:
            dense, cat, _ = items[0]
        else:
            dense = np.concatenate([it[0] for it in items])
            cat = np.concatenate([it[1] for it in items], axis=1)
        return {"dense_x": dense, "offsets": self._offsets(len(dense)), "indices": cat}

    def batch_labels(self, indices: Sequence[int]) -> np.ndarray:
        """The labels of these loaded groups' pairs, concatenated."""
        items = [self._loaded[i] for i in indices]
        return items[0][2] if len(items) == 1 else np.concatenate([it[2] for it in items])

    def label(self, index: int) -> np.ndarray:
        s, e = self.group_rows(index)
        return np.array(self.labels_all[s:e])
