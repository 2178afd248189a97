"""Criteo Terabyte's day files, read streamed: the raw text and the preprocessed npz.

Facts: shared/spec/benchmarks.md §3.1, §3.2.

* Raw ``day_23``: one line per user-item pair, tab-separated: the label (0/1),
  13 integers, 26 categorical values as hex strings; an empty field is 0.
  It is streamed in blocks and parsed with vectorised NumPy (hex included),
  never read whole.
* Preprocessed ``day_23_reordered.npz`` (the reference's output): ``X_int``
  ``[n, 13]``, ``X_cat`` ``[n, 26]`` (already table rows), ``y`` ``[n]``. Its
  members are streamed too: only the rows asked for are decompressed.
* Categorical (raw form): per table a dictionary (``FirstSeenIds``) gives
  contiguous ids in order of first appearance, scanning ``day_0`` ...
  ``day_23`` (whichever are in the folder). The reference's own dictionaries,
  ``day_fea_dict_<j>.npz`` (``unique``), are used instead when the folder has
  them, which is the only way to match the official model's rows from
  ``day_23`` alone.
* Dense: negative values become 0, then x -> ln(x + 1) as float32.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

NUM_DENSE = 13
NUM_CAT = 26
NUM_FIELDS = 1 + NUM_DENSE + NUM_CAT
RAW_DAY = "day_23"
NPZ_DAY = "day_23_reordered.npz"
BLOCK_BYTES = 8 << 20

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


def earlier_days(folder: Path) -> list[Path]:
    return [folder / f"day_{d}" for d in range(23) if (folder / f"day_{d}").is_file()]


# ---------------------------------------------------------------------------
# The preprocessed npz: members streamed row by row.


def _read_npy_header(f) -> tuple[tuple[int, ...], bool, np.dtype]:
    """(shape, fortran_order, dtype) of the .npy stream ``f``, left at its data."""
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(f)
    return np.lib.format.read_array_header_2_0(f)


def npz_member_rows(npz: Path, key: str, stop: int, chunk_rows: int = 1 << 20) -> Iterator[np.ndarray]:
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
