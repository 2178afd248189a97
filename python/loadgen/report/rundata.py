"""What a report shows about one run, read from the run's folder.

The numbers come from LoadGen's own files, never from a second copy:

* ``mlperf_log_summary.json``: the verdict, every reason, the metric, the
  exact percentiles, early stopping, the effective settings (the one result
  schema, ``loadgen.summary/N``);
* ``mlperf_log_trace.json``: per-sample timings (scheduled start, issue lag,
  latency, and first-token time and token count where the trace has them),
  which LoadGen bounds to 100,000 sample events per phase, evenly spread; the
  report says when it works from such a sample;
* ``accuracy.txt`` (when an accuracy script wrote one) and the harness's
  ``results.json`` (benchmark name, backend, notes such as "synthetic data"),
  for context only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

SUMMARY_JSON = "mlperf_log_summary.json"
TRACE_JSON = "mlperf_log_trace.json"
OFFICIAL_MIN_DURATION_MS = 600_000


class RunDataError(ValueError):
    """A run folder that cannot be reported on; the message names the file."""


@dataclass
class Samples:
    """Per-sample timings of one performance phase, from the trace.

    Times are seconds from the phase start (``start_s``: the scheduled start
    in Server, the issue otherwise); durations in nanoseconds. ``latency_ns``
    is -1 for a sample that never completed. ``every``: the trace kept one
    sample in ``every`` (1 = all of them); ``total``: samples in the phase.
    """

    start_s: np.ndarray
    issue_lag_ns: np.ndarray
    latency_ns: np.ndarray
    first_token_ns: np.ndarray | None
    token_count: np.ndarray | None
    every: int
    total: int

    @property
    def sampled(self) -> bool:
        return self.every > 1

    @property
    def completed(self) -> np.ndarray:
        return self.latency_ns >= 0


@dataclass
class RunData:
    path: Path
    summary: dict[str, Any]
    samples: Samples | None
    accuracy_lines: list[str] = field(default_factory=list)
    harness: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        name = self.harness.get("benchmark") if self.harness else None
        return f"{name} · {self.path.name}" if name else self.path.name

    @property
    def scenario(self) -> str:
        return str(self.summary.get("scenario", "?"))

    @property
    def perf(self) -> dict[str, Any] | None:
        """The last performance run (FindPeakPerformance has several)."""
        runs = self.summary.get("performance") or []
        return runs[-1] if runs else None

    @property
    def settings(self) -> dict[str, Any]:
        return dict(self.summary.get("settings") or {})

    @property
    def valid(self) -> bool | None:
        p = self.perf
        return None if p is None else p.get("result") == "VALID"

    @property
    def short_run(self) -> bool:
        """Shorter than the rules' 600 s minimum: not an official result."""
        if self.harness is not None and "official" in self.harness:
            return not self.harness["official"]
        return int(self.settings.get("min_duration_ms", 0)) < OFFICIAL_MIN_DURATION_MS

    @property
    def synthetic(self) -> bool:
        """The harness said the data (or labels) were the embedded synthetic set."""
        return any("synthetic" in n for n in self.notes)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise RunDataError(f"{path}: cannot read it ({e.strerror})") from e
    except json.JSONDecodeError as e:
        raise RunDataError(f"{path}:{e.lineno}: not valid JSON ({e.msg})") from e


def read_samples(trace_path: Path) -> Samples | None:
    """The performance phase's sample events of a trace; None if the trace is
    empty (tracing was off) or has no performance phase."""
    if not trace_path.is_file() or trace_path.stat().st_size == 0:
        return None
    trace = _read_json(trace_path)
    events = trace.get("traceEvents") if isinstance(trace, dict) else None
    if not isinstance(events, list):
        raise RunDataError(f"{trace_path}: no traceEvents list (not a LoadGen trace)")
    phase = None
    rows: list[dict[str, Any]] = []
    for ev in events:
        name = ev.get("name")
        if name == "PerformancePhase":
            phase, rows = ev, []  # the last performance phase wins (find-peak runs several)
        elif name == "AccuracyPhase":
            if phase is not None and rows:
                break
            phase = None
        elif name == "Sample" and phase is not None:
            rows.append(ev)
    if phase is None or not rows:
        return None
    t0_us = float(phase["ts"])
    args = [r.get("args", {}) for r in rows]
    start_s = (np.array([r["ts"] for r in rows], dtype=np.float64) - t0_us) / 1e6
    lag = np.array([a.get("issue_start_ns", 0) for a in args], dtype=np.int64)
    lat = np.array([a.get("complete_ns", -1) for a in args], dtype=np.int64)
    has_tokens = any("first_token_ns" in a for a in args)
    ft = np.array([a.get("first_token_ns", -1) for a in args], dtype=np.int64) if has_tokens else None
    tc = np.array([a.get("token_count", 0) for a in args], dtype=np.int64) if has_tokens else None
    pargs = phase.get("args", {})
    return Samples(
        start_s=start_s,
        issue_lag_ns=lag,
        latency_ns=lat,
        first_token_ns=ft,
        token_count=tc,
        every=int(pargs.get("sampled_every", 1)) or 1,
        total=int(pargs.get("samples", len(rows))),
    )


def load_run(path: str | Path) -> RunData:
    """Read one run folder (LoadGen's logs, optionally the harness's files)."""
    folder = Path(path)
    if not folder.is_dir():
        raise RunDataError(f"{folder}: not a folder (give the folder that holds {SUMMARY_JSON})")
    summary_path = folder / SUMMARY_JSON
    if not summary_path.is_file():
        raise RunDataError(f"{folder}: no {SUMMARY_JSON} (is this a LoadGen output folder?)")
    summary = _read_json(summary_path)
    if not isinstance(summary, dict) or not str(summary.get("schema", "")).startswith("loadgen.summary/"):
        raise RunDataError(f"{summary_path}: not a loadgen.summary document (no 'schema' field)")
    samples = read_samples(folder / TRACE_JSON)
    accuracy_lines: list[str] = []
    acc = folder / "accuracy.txt"
    if acc.is_file():
        accuracy_lines = [ln for ln in acc.read_text(encoding="utf-8", errors="replace").splitlines() if ln]
    harness = None
    notes: list[str] = []
    results = folder / "results.json"
    if results.is_file():
        try:
            harness = _read_json(results)
        except RunDataError:
            harness = None
        if isinstance(harness, dict):
            notes = [str(n) for n in harness.get("notes", [])]
        else:
            harness = None
    return RunData(folder, summary, samples, accuracy_lines, harness, notes)
