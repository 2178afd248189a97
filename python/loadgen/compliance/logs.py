"""Reading LoadGen's logs as the MLPerf tools do: the detail log's
``:::MLLOG`` records and the accuracy log's entries.

These readers work on any LoadGen's logs (ours or the reference's), so the
verifications and the submission checker can judge SUTs run outside our
harness.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

MLLOG = ":::MLLOG "
DETAIL = "mlperf_log_detail.txt"
SUMMARY = "mlperf_log_summary.txt"
ACCURACY = "mlperf_log_accuracy.json"


class LogError(ValueError):
    """A log that is missing or cannot be read; the message names the file."""


@dataclass
class DetailLog:
    """One mlperf_log_detail.txt: the last value of each key, and every error record."""

    path: Path
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[tuple[str, Any]] = field(default_factory=list)

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def __contains__(self, key: str) -> bool:
        return key in self.values

    @property
    def scenario(self) -> str:
        return str(self.values.get("effective_scenario", ""))

    @property
    def valid(self) -> bool:
        return self.values.get("result_validity") == "VALID"


def read_detail(path: str | Path) -> DetailLog:
    p = Path(path)
    if p.is_dir():
        p = p / DETAIL
    if not p.is_file():
        raise LogError(f"{p}: missing (a LoadGen detail log is needed here)")
    log = DetailLog(p)
    with open(p, encoding="utf-8", errors="replace") as f:
        for line_no, line in enumerate(f, start=1):
            if not line.startswith(MLLOG):
                continue
            try:
                rec = json.loads(line[len(MLLOG) :])
            except json.JSONDecodeError as e:
                raise LogError(f"{p}:{line_no}: not a JSON record ({e.msg})") from e
            key = rec.get("key")
            log.values[key] = rec.get("value")
            if (rec.get("metadata") or {}).get("is_error"):
                log.errors.append((key, rec.get("value")))
    if not log.values:
        raise LogError(f"{p}: no :::MLLOG records (not a LoadGen detail log)")
    return log


def performance_score(log: DetailLog, server_metric: str | None = None) -> tuple[float, str, bool]:
    """(value, what, higher_is_better): the scenario's metric as the compliance
    verifications compare it. SingleStream/MultiStream: the early-stopping
    latency estimate in ns (the reported metric), lower is better; Server:
    completed samples/s (``server_metric``: the round's key; up to v4.0 the
    scheduled samples/s), falling back to the other; Offline: samples/s."""
    scenario = log.scenario
    server: tuple[str, ...] = ("result_completed_samples_per_sec", "result_scheduled_samples_per_sec")
    if server_metric in server:
        server = (server_metric, *(k for k in server if k != server_metric))
    keys = {
        "SingleStream": ("early_stopping_latency_ss", "result_90.00_percentile_latency_ns"),
        "MultiStream": ("early_stopping_latency_ms", "result_99.00_percentile_per_query_latency_ns"),
        "Server": server,
        "Offline": ("result_samples_per_second",),
    }.get(scenario)
    if keys is None:
        raise LogError(f"{log.path}: unknown effective_scenario {scenario!r}")
    for key in keys:
        v = log.get(key)
        if isinstance(v, (int, float)) and v > 0:
            return float(v), key, scenario in ("Server", "Offline")
    raise LogError(f"{log.path}: no performance result ({' or '.join(keys)}) for {scenario}")


@dataclass
class AccuracyEntry:
    seq_id: int
    qsl_idx: int
    data: bytes


def read_accuracy_array(path: str | Path, needed: str) -> tuple[Path, list[Any]]:
    """The file and the raw entries of mlperf_log_accuracy.json (``path`` or
    the one in folder ``path``); LogError when it is missing (``needed`` says
    what needs it), not JSON, or not an array."""
    p = Path(path)
    if p.is_dir():
        p = p / ACCURACY
    if not p.is_file():
        raise LogError(f"{p}: missing ({needed})")
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise LogError(f"{p}:{e.lineno}: not valid JSON ({e.msg}); is it a truncated copy?") from e
    if not isinstance(raw, list):
        raise LogError(f"{p}: not a JSON array of accuracy entries")
    return p, raw


def read_accuracy_log(path: str | Path) -> list[AccuracyEntry]:
    p, raw = read_accuracy_array(path, "an accuracy log is needed here")
    out = []
    for i, rec in enumerate(raw):
        try:
            out.append(AccuracyEntry(int(rec["seq_id"]), int(rec["qsl_idx"]), bytes.fromhex(rec["data"])))
        except (KeyError, TypeError, ValueError) as err:
            raise LogError(f"{p}: entry {i} is not {{seq_id, qsl_idx, data}} ({err})") from err
    return out


DTYPES = {"byte": np.uint8, "uint8": np.uint8, "float32": np.float32, "int32": np.int32, "int64": np.int64}


def first_element(data: bytes, dtype: str) -> Any:
    """The first element of a payload decoded as ``dtype`` (None if empty),
    which is all TEST01's comparison looks at."""
    t = np.dtype(DTYPES[dtype])
    if len(data) < t.itemsize:
        return None
    return np.frombuffer(data[: t.itemsize], dtype=t)[0].item()
