"""Accuracy post-processing: reading ``mlperf_log_accuracy.json``, and the
result type every benchmark's accuracy script returns.

A benchmark's accuracy script works standalone (like the reference's) and
exposes a function the harness calls after an accuracy run, returning an
``AccuracyResult``; the harness prints ``result.line``, writes it to
``accuracy.txt`` and reports the quality target.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


def read_accuracy_log(path: str | Path) -> list[dict[str, Any]]:
    """The records of an accuracy log: dicts with ``seq_id``, ``qsl_idx``, ``data`` (hex)."""
    with open(path, encoding="utf-8") as f:
        records = json.load(f)
    if not isinstance(records, list):
        raise ValueError(f"{path}: expected a JSON array of records")  # noqa: TRY004 - bad file, not a bad argument
    return records


def first_response_per_sample(records: Iterable[dict[str, Any]]) -> dict[int, bytes]:
    """qsl_idx -> response bytes, keeping the first record of each index (as the
    reference scripts do when a sample was issued more than once)."""
    out: dict[int, bytes] = {}
    for rec in records:
        idx = int(rec["qsl_idx"])
        if idx not in out:
            out[idx] = bytes.fromhex(rec["data"])
    return out


def decode(data: bytes, dtype: str | np.dtype) -> np.ndarray:
    """Response bytes as an array of ``dtype`` (trailing bytes that do not fill an
    element are an error)."""
    dt = np.dtype(dtype)
    if len(data) % dt.itemsize:
        raise ValueError(f"a response of {len(data)} bytes is not a whole number of {dt.name}")
    return np.frombuffer(data, dtype=dt)


@dataclass
class AccuracyResult:
    """One accuracy evaluation.

    ``line`` is the reference script's output line (what submission tools
    parse). ``value`` is the metric in the unit of ``line`` (percent for
    top-1). ``reference`` is the FP32 reference model's score on the same
    data and ``target`` the quality target (e.g. 99 % of ``reference``);
    ``passed`` compares ``value`` with ``target`` when both are known.
    """

    metric: str
    value: float
    line: str
    reference: float | None = None
    target: float | None = None
    target_fraction: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool | None:
        if self.target is None:
            return None
        return self.value >= self.target

    def target_line(self) -> str:
        if self.target is None:
            return f"quality target: unknown for this data ({self.metric} = {self.value:.3f})"
        frac = f"{self.target_fraction * 100:g}% of " if self.target_fraction is not None else ""
        verdict = "PASSED" if self.passed else "FAILED"
        return (
            f"quality target: {self.metric} >= {self.target:.3f} ({frac}the FP32 reference "
            f"{self.reference:.3f}): {verdict}"
        )
