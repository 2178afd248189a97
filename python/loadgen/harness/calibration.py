"""Calibration sets for ``--precision int8`` (docs/precision.md).

A benchmark's ``BenchmarkSpec.calibration`` hook reads the rules' calibration
list of its data set and returns a ``CalibrationSet``: the samples as model
feeds, and an identity for the cache key. The helpers here find the list
(``--calibration-list`` or the data folder's), read the common list formats
and turn a ``Dataset`` into feeds; ``CalibrationReader`` hands the feeds to
onnxruntime's calibrator with progress.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .settings import RunOptions

if TYPE_CHECKING:
    from .dataset import Dataset

QUANTIZER_VERSION = 1  # bump when the quantization recipe changes (new cache entries)


def log_stderr(s: str) -> None:
    print(s, file=sys.stderr, flush=True)


@dataclass
class CalibrationSet:
    """A benchmark's calibration samples as model inputs.

    ``source``: what they are, for people (the list file and how many);
    ``identity``: a string that changes when the samples change (the list's
    content and where the samples come from), part of the cache key;
    ``count``: how many samples; ``feeds()``: the samples, one model feed
    (input name -> array with a batch axis) at a time.
    ``op_types``: the ops to quantize (None: onnxruntime's default set,
    right for convolutional networks; transformers quantize MatMul/Gemm only,
    which keeps Softmax, LayerNorm and GELU in fp32).
    ``per_channel``: per-output-channel weight scales.
    """

    source: str
    identity: str
    count: int
    feeds: Callable[[], Iterator[Mapping[str, np.ndarray]]]
    op_types: Sequence[str] | None = None
    per_channel: bool = True
    exclude_nodes: Sequence[str] = ()
    method: str = "minmax"  # onnxruntime's CalibrationMethod: minmax, entropy or percentile

    def settings_key(self) -> str:
        ops = ",".join(sorted(self.op_types)) if self.op_types else "default"
        excl = ",".join(sorted(self.exclude_nodes))
        return f"v{QUANTIZER_VERSION}/qdq/u8s8/{self.method}/pc{int(self.per_channel)}/ops={ops}/excl={excl}"


def find_calibration_list(opts: RunOptions, names: Sequence[str], folders: Sequence[str | Path]) -> Path:
    """``--calibration-list`` if given, else the first of ``names`` found in
    ``folders``; FileNotFoundError naming what was looked for."""
    given = opts.extra.get("calibration_list")
    if given:
        p = Path(given)
        if not p.is_file():
            raise FileNotFoundError(f"--calibration-list {p} does not exist")
        return p
    tried = []
    for folder in folders:
        for name in names:
            p = Path(folder) / name
            tried.append(str(p))
            if p.is_file():
                return p
    raise FileNotFoundError(
        f"--precision int8 needs the rules' calibration list: none of {', '.join(tried)} exists; "
        f"give it with --calibration-list"
    )


def list_identity(path: Path, *extra: object) -> str:
    """A cache identity for a calibration list: its content and where its samples come from."""
    h = hashlib.sha256(path.read_bytes())
    for e in extra:
        h.update(str(e).encode())
    return h.hexdigest()


def dataset_feeds(
    dataset: Dataset, input_names: Sequence[str], batch_size: int = 1
) -> Iterator[Mapping[str, np.ndarray]]:
    """A Dataset's samples as model feeds, ``batch_size`` at a time (loaded and
    unloaded as it goes)."""
    n = dataset.total_count
    for start in range(0, n, batch_size):
        idx = list(range(start, min(n, start + batch_size)))
        dataset.load(idx)
        try:
            batch = dataset.get_batch(idx)
        finally:
            dataset.unload(idx)
        if isinstance(batch, np.ndarray):
            yield {input_names[0]: batch}
        else:
            yield dict(batch)


class CalibrationReader:
    """onnxruntime's CalibrationDataReader protocol over a CalibrationSet, with progress."""

    def __init__(self, calib: CalibrationSet, input_names: Sequence[str], log: Callable[[str], None]) -> None:
        self.calib = calib
        self.input_names = list(input_names)
        self.log = log
        self.it: Iterator[Mapping[str, np.ndarray]] = iter(calib.feeds())
        self.done = 0
        self.t0 = time.monotonic()
        self.last = 0.0

    def get_next(self) -> dict[str, np.ndarray] | None:
        try:
            feed = next(self.it)
        except StopIteration:
            self.log(
                f"calibration: {self.done}/{self.calib.count} samples in {time.monotonic() - self.t0:.1f} s"
            )
            return None
        missing = [n for n in self.input_names if n not in feed]
        if missing:
            raise ValueError(f"calibration feed lacks the model input(s) {missing} (it has {sorted(feed)})")
        self.done += next(iter(feed.values())).shape[0] if feed else 0
        now = time.monotonic()
        if now - self.last > 5.0:
            self.last = now
            self.log(f"calibration: {self.done}/{self.calib.count} samples ({now - self.t0:.0f} s)")
        return {n: np.ascontiguousarray(feed[n]) for n in self.input_names}

    def rewind(self) -> None:
        self.it = iter(self.calib.feeds())
        self.done = 0


def read_name_list(path: Path) -> list[str]:
    """The names of a calibration list: the first word of each non-empty line
    (a second column, e.g. ImageNet option 2's label, is ignored)."""
    names = [line.split()[0] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not names:
        raise ValueError(f"the calibration list {path} names no samples")
    return names


def resolve_names(lst: Path, names: Sequence[str], folders: Sequence[Path]) -> Path:
    """The first of ``folders`` (then the list's own folder) that holds every
    name of the list; FileNotFoundError naming what is missing where."""
    candidates = [*folders, lst.parent]
    for folder in candidates:
        if all((folder / n).is_file() for n in names):
            return folder
    first = candidates[0]
    missing = [n for n in names if not (first / n).is_file()]
    raise FileNotFoundError(
        f"{lst}: {len(missing)} of its {len(names)} calibration files are not in {first} "
        f"(nor all in {', '.join(str(f) for f in candidates[1:])}), e.g. {missing[0]}"
    )


def image_list_calibration(
    opts: RunOptions,
    list_names: Sequence[str],
    folders: Sequence[Path],
    preprocess: Callable[[np.ndarray], np.ndarray],
    input_name: str,
    what: str = "images",
    batch_size: int = 4,
) -> CalibrationSet:
    """The images of a list of file names (``--calibration-list``, else the
    first of ``list_names`` in the data folder), each decoded and passed
    through ``preprocess`` (the run's own), as feeds of ``input_name``."""
    from .image import load_image

    assert opts.dataset_path is not None
    lst = find_calibration_list(opts, list_names, [Path(opts.dataset_path)])
    names = read_name_list(lst)
    root = resolve_names(lst, names, folders)

    def feeds() -> Iterator[Mapping[str, np.ndarray]]:
        for start in range(0, len(names), batch_size):
            chunk = names[start : start + batch_size]
            yield {input_name: np.stack([preprocess(load_image(root / n)) for n in chunk])}

    return CalibrationSet(
        source=f"{lst.name} ({len(names)} {what})",
        identity=list_identity(lst, root.resolve(), [(root / n).stat().st_size for n in names]),
        count=len(names),
        feeds=feeds,
    )
