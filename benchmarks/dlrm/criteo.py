"""Criteo Terabyte's test day for DLRM: the two file forms, the mapping of
categorical values to table rows, and the aggregated samples (groups).

Facts: shared/spec/benchmarks.md §3.1, §3.2, §3.4.

* Raw ``day_23``: one line per user-item pair, tab-separated: the label (0/1),
  13 integers, 26 categorical values as hex strings; an empty field is 0.
  It is streamed in blocks and parsed with vectorised NumPy (hex included),
  never read whole.
* Preprocessed ``day_23_reordered.npz`` (the reference's output): ``X_int``
  ``[n, 13]``, ``X_cat`` ``[n, 26]`` (already table rows), ``y`` ``[n]``. Its
  members are streamed too: only the test half's rows are decompressed.
* The test half is the first ceil(n / 2) rows.
* Categorical (raw form): ``int(hex, 16) % max_ind_range``, then per table a
  dictionary gives contiguous ids in order of first appearance, scanning
  ``day_0`` ... ``day_23`` (whichever are in the folder). The reference's own
  dictionaries, ``day_fea_dict_<j>.npz`` (``unique``), are used instead when
  the folder has them, which is the only way to match the official model's rows
  from ``day_23`` alone. Both forms then take ids modulo ``max_ind_range``, as
  the reference does when it loads them.
* Dense: negative values become 0, then x -> ln(x + 1) as float32.
* One QSL sample is one group of consecutive pairs. Group sizes are drawn
  from the 20-entry quantile table with NumPy's legacy generator (seed 123):
  a uniform integer in [0, 20) picks the entry. Groups tile the test half from
  row 0; the last one is cut at the end. The trace file lists
  ``start, end, count`` per group (end exclusive).

The parsed test half is cached under ``--cache-dir`` as ``.npy`` files
(dense float32 ``[n, 13]``, categorical int32 ``[26, n]``, labels float32
``[n]``), so that only the first run parses; later runs memory-map them.
"""

from __future__ import annotations

import hashlib
import json
import math
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from loadgen.harness import Dataset
from loadgen.harness.cache import build_once

NUM_DENSE = 13
NUM_CAT = 26
NUM_FIELDS = 1 + NUM_DENSE + NUM_CAT
RAW_DAY = "day_23"
NPZ_DAY = "day_23_reordered.npz"
# dist_quantile.txt of the reference: group size by quantile, 5 % steps.
QUANTILE_TABLE = (
    100,
    100,
    200,
    200,
    200,
    200,
    200,
    200,
    200,
    200,
    200,
    200,
    200,
    200,
    300,
    300,
    400,
    500,
    600,
    700,
)
DEFAULT_SEED = 123  # the reference's --numpy-rand-seed
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


BLOCK_BYTES = 8 << 20

# ---------------------------------------------------------------------------
# Groups (aggregated samples) and the trace file.


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


# ---------------------------------------------------------------------------
# Raw day files: streamed, vectorised parsing.

_HEX = np.full(256, -1, np.int64)
for _i, _c in enumerate(b"0123456789abcdef"):
    _HEX[_c] = _i
for _i, _c in enumerate(b"ABCDEF"):
    _HEX[_c] = 10 + _i
_DEC = np.full(256, -1, np.int64)
for _i, _c in enumerate(b"0123456789"):
    _DEC[_c] = _i


def count_lines(path: str | Path) -> int:
    """Lines in a text file (a last line without newline counts), streamed."""
    n = 0
    last = b"\n"
    with open(path, "rb") as f:
        while True:
            block = f.read(BLOCK_BYTES)
            if not block:
                break
            n += block.count(b"\n")
            last = block[-1:]
    return n + (last != b"\n")


def _fields(buf: np.ndarray, line_start: np.ndarray, line_end: np.ndarray, first_line: int, path: str):
    """Start and end (exclusive) of every field, ``[lines, 40]``."""
    tabs = np.flatnonzero(buf == 9)
    line_of_tab = np.searchsorted(line_end, tabs)
    per_line = np.bincount(line_of_tab, minlength=len(line_end))
    bad = np.flatnonzero(per_line != NUM_FIELDS - 1)
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"{path}: line {first_line + i + 1} has {per_line[i] + 1} tab-separated fields, expected "
            f"{NUM_FIELDS} (label, {NUM_DENSE} integers, {NUM_CAT} hex categories)"
        )
    tabs = tabs.reshape(-1, NUM_FIELDS - 1)
    starts = np.concatenate([line_start[:, None], tabs + 1], axis=1)
    ends = np.concatenate([tabs, line_end[:, None]], axis=1)
    return starts, ends


def _digits(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, width: int):
    """Right-aligned bytes of each field in a ``[..., width]`` array (0 = none)."""
    lengths = ends - starts
    pos = starts[..., None] + np.arange(width)
    inside = np.arange(width) < lengths[..., None]
    return np.where(inside, buf[np.minimum(pos, len(buf) - 1)], 0), lengths


def _parse_numbers(buf, starts, ends, table, base, width, what, first_line, path, signed=False):
    b, lengths = _digits(buf, starts, ends, width)
    if (lengths > width).any():
        r, c = np.argwhere(lengths > width)[0]
        raise ValueError(
            f"{path}: line {first_line + r + 1}: {what} field {c} is longer than {width} characters"
        )
    neg = np.zeros(lengths.shape, bool)
    if signed:
        neg = (b[..., 0] == ord("-")) & (lengths > 0)
        b[..., 0] = np.where(neg, ord("0"), b[..., 0])
    vals = table[b]
    inside = np.arange(width) < lengths[..., None]
    if (inside & (vals < 0)).any():
        r, c = np.argwhere((inside & (vals < 0)).any(axis=-1))[0]
        raise ValueError(f"{path}: line {first_line + r + 1}: {what} field {c} is not a base-{base} number")
    power = np.where(inside, lengths[..., None] - 1 - np.arange(width), 0)
    out = (np.where(inside, vals, 0) * (base**power)).sum(axis=-1)
    return np.where(neg, -out, out)


def iter_raw_rows(
    path: str | Path, stop: int | None = None, block_bytes: int = BLOCK_BYTES
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Blocks of ``(labels int64 [m], dense int64 [m, 13], hex values int64 [m, 26])``
    from a raw day file, in file order, up to ``stop`` rows. Empty fields are 0."""
    path = str(path)
    done = 0
    carry = b""
    with open(path, "rb") as f:
        while stop is None or done < stop:
            block = f.read(block_bytes)
            eof = not block
            data = carry + block
            if eof:
                if not data:
                    return
                if not data.endswith(b"\n"):
                    data += b"\n"
                carry = b""
            else:
                cut = data.rfind(b"\n") + 1
                data, carry = data[:cut], data[cut:]
                if not data:
                    continue
            buf = np.frombuffer(data, np.uint8)
            line_end = np.flatnonzero(buf == 10)
            line_start = np.concatenate([[0], line_end[:-1] + 1])
            if stop is not None and done + len(line_end) > stop:
                keep = stop - done
                line_end, line_start = line_end[:keep], line_start[:keep]
                buf = buf[: int(line_end[-1]) + 1]
            cr = buf[np.maximum(line_end - 1, 0)] == 13
            line_end_text = line_end - cr
            starts, ends = _fields(buf, line_start, line_end_text, done, path)
            labels = _parse_numbers(buf, starts[:, 0], ends[:, 0], _DEC, 10, 1, "label", done, path)
            dense = _parse_numbers(
                buf, starts[:, 1:14], ends[:, 1:14], _DEC, 10, 12, "integer", done, path, True
            )
            cats = _parse_numbers(buf, starts[:, 14:], ends[:, 14:], _HEX, 16, 8, "categorical", done, path)
            if (labels > 1).any():
                r = int(np.flatnonzero(labels > 1)[0])
                raise ValueError(f"{path}: line {done + r + 1}: the label must be 0 or 1")
            done += len(line_end)
            yield labels, dense, cats
            if eof:
                return


def dense_transform(dense: np.ndarray) -> np.ndarray:
    """Negative -> 0, then ln(x + 1) in float32 (the reference's load-time transform)."""
    return np.log(np.maximum(dense, 0).astype(np.float32) + np.float32(1.0))


class FirstSeenIds:
    """Contiguous ids 0, 1, ... for values in order of first appearance (one
    table's dictionary), kept as sorted arrays so that millions of keys cost
    no Python objects."""

    def __init__(self) -> None:
        self.keys = np.empty(0, np.int64)  # sorted
        self.ids = np.empty(0, np.int64)  # id of each sorted key
        self.count = 0
        self.frozen = False

    @classmethod
    def from_unique(cls, unique: np.ndarray) -> FirstSeenIds:
        """The reference's ``day_fea_dict_<j>.npz`` ``unique``: id = position."""
        d = cls()
        unique = np.asarray(unique, np.int64)
        order = np.argsort(unique, kind="stable")
        d.keys, d.ids, d.count, d.frozen = unique[order], order.astype(np.int64), len(unique), True
        return d

    def map(self, values: np.ndarray, where: str = "") -> np.ndarray:
        u, first, inverse = np.unique(values, return_index=True, return_inverse=True)
        pos = np.searchsorted(self.keys, u)
        found = pos < len(self.keys)
        found[found] = self.keys[pos[found]] == u[found]
        ids_u = np.empty(len(u), np.int64)
        ids_u[found] = self.ids[pos[found]]
        new = np.flatnonzero(~found)
        if new.size:
            if self.frozen:
                raise ValueError(f"{where}: value {int(u[new[0]])} is not in the dictionary (day_fea_dict)")
            new = new[np.argsort(first[new], kind="stable")]
            new_ids = self.count + np.arange(len(new), dtype=np.int64)
            ids_u[new] = new_ids
            self.count += len(new)
            keys = np.concatenate([self.keys, u[new]])
            ids = np.concatenate([self.ids, new_ids])
            order = np.argsort(keys, kind="stable")
            self.keys, self.ids = keys[order], ids[order]
        return ids_u[inverse.reshape(-1)]

    def unique_in_order(self) -> np.ndarray:
        out = np.empty(self.count, np.int64)
        out[self.ids] = self.keys
        return out


def load_dictionaries(folder: Path) -> list[FirstSeenIds] | None:
    files = [folder / f"day_fea_dict_{j}.npz" for j in range(NUM_CAT)]
    if not all(f.is_file() for f in files):
        return None
    out = []
    for f in files:
        with np.load(f) as z:
            out.append(FirstSeenIds.from_unique(z["unique"]))
    return out


def _earlier_days(folder: Path) -> list[Path]:
    return [folder / f"day_{d}" for d in range(23) if (folder / f"day_{d}").is_file()]


# ---------------------------------------------------------------------------
# The preprocessed npz: members streamed row by row.


def _read_npy_header(f) -> tuple[tuple[int, ...], bool, np.dtype]:
    """(shape, fortran_order, dtype) of the .npy stream ``f``, left at its data."""
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(f)
    return np.lib.format.read_array_header_2_0(f)


def _npz_member_rows(npz: Path, key: str, stop: int, chunk_rows: int = 1 << 20) -> Iterator[np.ndarray]:
    """The first ``stop`` rows of one array in an ``.npz`` (C order), in
    chunks, decompressing no more than those rows."""
    with zipfile.ZipFile(npz) as zf:
        name = key + ".npy"
        if name not in zf.namelist():
            raise ValueError(f"{npz}: no array {key!r} (it has {[n[:-4] for n in zf.namelist()]})")
        with zf.open(name) as f:
            shape, fortran, dtype = _read_npy_header(f)
            if fortran and len(shape) > 1:
                raise ValueError(f"{npz}: {key} is stored in Fortran order; re-save it in C order")
            row_items = int(np.prod(shape[1:])) if len(shape) > 1 else 1
            if stop > shape[0]:
                raise ValueError(f"{npz}: {key} has {shape[0]} rows, fewer than {stop}")
            done = 0
            while done < stop:
                m = min(chunk_rows, stop - done)
                raw = f.read(m * row_items * dtype.itemsize)
                yield np.frombuffer(raw, dtype).reshape((m, *shape[1:]))
                done += m


def npz_row_count(npz: Path) -> int:
    with zipfile.ZipFile(npz) as zf:
        if "y.npy" not in zf.namelist():
            raise ValueError(f"{npz}: no array 'y' (need X_int, X_cat, y)")
        with zf.open("y.npy") as f:
            shape, _, _ = _read_npy_header(f)
    return int(shape[0])


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
        for x in _npz_member_rows(source, "X_int", n):
            dense[done : done + len(x)] = dense_transform(x)
            done += len(x)
        done = 0
        for x in _npz_member_rows(source, "X_cat", n):
            if x.shape[1:] != (NUM_CAT,):
                raise ValueError(f"{source}: X_cat has shape [n, {x.shape[1:]}], expected [n, {NUM_CAT}]")
            if (x < 0).any():
                raise ValueError(f"{source}: X_cat holds negative ids")
            cat[:, done : done + len(x)] = (x.astype(np.int64) % max_ind_range).T
            done += len(x)
        done = 0
        for x in _npz_member_rows(source, "y", n):
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
            earlier = _earlier_days(folder)
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
