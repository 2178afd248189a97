"""What the user sees: a progress line while the test runs, a table at the end.

Results are data (``RunReport``); ``format_report`` renders them as text and
``report_to_json`` as JSON. Nothing here changes a result.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Callable, TextIO

if TYPE_CHECKING:  # typing.Self is 3.11+; typing_extensions is not a dependency at run time
    from typing_extensions import Self

from .accuracy import AccuracyResult


class Progress:
    """Prints queries and samples issued, samples completed and the current
    rate every ``interval_s``.

    ``counts`` returns (queries issued, samples issued, samples completed)
    since the SUT was made; the line shows them since the progress started,
    so that work done earlier through the same SUT (the warm-up, the sizing
    probes) is not counted as this test's. On a terminal the line is
    rewritten in place; otherwise a line is printed every ``interval_s * 10``
    (so CI logs stay short).
    """

    def __init__(
        self,
        counts: Callable[[], tuple[int, int, int]],
        stream: TextIO = sys.stderr,
        interval_s: float = 0.5,
        label: str = "",
    ) -> None:
        self.counts = counts
        self.stream = stream
        self.interval_s = interval_s
        self.label = label
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="harness-progress", daemon=True)
        self._width = 0
        self._base = (0, 0, 0)

    def _counts(self) -> tuple[int, int, int]:
        q, i, c = self.counts()
        return q - self._base[0], i - self._base[1], c - self._base[2]

    def __enter__(self) -> Self:
        self._base = self.counts()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _line(self, t0: float, window: list[tuple[float, int]]) -> str:
        queries, issued, completed = self._counts()
        now = time.monotonic()
        window.append((now, completed))
        while len(window) > 2 and now - window[0][0] > 3.0:
            window.pop(0)
        (ta, ca) = window[0]
        rate = (completed - ca) / (now - ta) if now > ta else 0.0
        return (
            f"{self.label}[{now - t0:6.1f} s] queries issued {queries}; samples issued {issued}, "
            f"completed {completed}; {rate:.1f} samples/s"
        )

    def _run(self) -> None:
        t0 = time.monotonic()
        window: list[tuple[float, int]] = [(t0, self._counts()[2])]
        ticks = 0
        while not self._stop.wait(self.interval_s):
            ticks += 1
            line = self._line(t0, window)
            if self.tty:
                self.stream.write("\r" + line.ljust(self._width))
                self._width = len(line)
                self.stream.flush()
            elif ticks % 10 == 0:
                self.stream.write(line + "\n")
                self.stream.flush()
        line = self._line(t0, window)
        self.stream.write(("\r" + line.ljust(self._width) if self.tty else line) + "\n")
        self.stream.flush()


@dataclass
class PerformanceSummary:
    scenario: str
    valid: bool
    invalid_reasons: list[str]
    metric_name: str
    metric: float
    metric_text: str
    latency_ms: dict[str, float]  # "min", "mean", "p50", ..., "max"
    queries_issued: int
    samples_issued: int
    samples_completed: int
    early_stopping: list[str]
    target_qps: float
    record_mode: str = "exact"  # how LoadGen recorded latencies (exact, streaming)

    @classmethod
    def from_result(cls, p: Any) -> PerformanceSummary:
        lat = p.sample_latency if p.scenario != "MultiStream" else p.query_latency
        latency = {"min": lat.min_ns / 1e6, "mean": lat.mean_ns / 1e6}
        for q, v in zip(lat.percentiles, lat.percentile_ns):
            latency[f"p{q * 100:g}"] = v / 1e6
        latency["max"] = lat.max_ns / 1e6
        if "(ns)" in p.metric_name:
            text = f"{p.metric_name.replace('(ns)', '(ms)')}: {p.metric / 1e6:.3f}"
        else:
            text = f"{p.metric_name}: {p.metric:.3f}"
        return cls(
            p.scenario,
            bool(p.valid),
            list(p.invalid_reasons),
            p.metric_name,
            float(p.metric),
            text,
            latency,
            int(p.queries_issued),
            int(p.samples_issued),
            int(p.samples_completed),
            [s.strip() for s in p.early_stopping_lines],
            float(p.target_qps),
            record_mode=str(getattr(p, "record_mode", "exact")),
        )


@dataclass
class RunReport:
    """One harness run, as data."""

    benchmark: str
    scenario: str
    mode: str
    backend: str
    backend_version: str
    workers: str
    official: bool
    output_dir: str
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    performance: PerformanceSummary | None = None
    peak_qps: float | None = None
    # FindPeakPerformance: one dict per probe (the names of _core.PeakProbe), in run order.
    peak_probes: list[dict[str, Any]] = field(default_factory=list)
    accuracy: AccuracyResult | None = None
    accuracy_samples: int = 0
    logs: dict[str, str] = field(default_factory=dict)
    aborted: str | None = None
    error: str | None = None
    loadgen_errors: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    config_model: str = ""  # the model's name in mlperf.conf (the submission tools read it)
    model: str | None = None  # the model file that ran
    # Measured sizing (harness/sizing.py, Sizing.to_json): the probes and the
    # values chosen from them; None when the run was not sized.
    sizing: dict[str, Any] | None = None
    # What precision ran and what the file holds (harness/precision.py, PrecisionInfo.to_json);
    # after a reduced-precision accuracy run also the FP32 score and the targets that hold.
    precision: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        """VALID (performance) or target met (accuracy), and nothing failed."""
        # LoadGen's own error messages are shown but do not decide: faults of
        # the SUT already make the result INVALID, and some messages (a
        # max_query_count reached, as --count sets it) are routine.
        if self.error or self.aborted:
            return False
        if self.performance is not None and not self.performance.valid:
            return False
        # A reduced-precision model below the lowest target (99 %) of its own FP32 score fails.
        targets = (self.precision or {}).get("targets") or {}
        if targets and not targets[min(targets, key=lambda k: float(k.rstrip("%")))]:
            return False
        return not (self.accuracy is not None and self.accuracy.passed is False)


# results.json's schema. LoadGen's own figures are not repeated in it under
# other names: they are in mlperf_log_summary.json (schema loadgen.summary/N),
# which results.json names (logs.summary_json) and embeds (loadgen_summary).
RESULTS_SCHEMA = "loadgen.harness.results/1"
_LOADGEN_FIGURES = ("performance", "peak_qps", "peak_probes", "loadgen_errors", "aborted", "accuracy_samples")


def report_to_json(report: RunReport) -> dict[str, Any]:
    """results.json: what the harness knows (benchmark, backend, notes, the
    accuracy metric, ``ok``) plus LoadGen's summary JSON as LoadGen wrote it."""
    d: dict[str, Any] = {"schema": RESULTS_SCHEMA}
    d.update(asdict(report))
    for name in _LOADGEN_FIGURES:
        d.pop(name, None)
    if report.accuracy is not None:
        d["accuracy"]["passed"] = report.accuracy.passed
    d["ok"] = report.ok
    summary_path = report.logs.get("summary_json")
    d["loadgen_summary"] = None
    if summary_path and os.path.isfile(summary_path):
        with open(summary_path, encoding="utf-8") as f:
            d["loadgen_summary"] = json.load(f)
    return d


def run_kind(r: RunReport) -> str:
    if r.mode == "AccuracyOnly":
        return "accuracy run: every sample once"
    return "official settings" if r.official else "SHORT RUN (not an official result)"


PEAK_PROBE_FIELDS = (
    "target_qps",
    "passed",
    "decided_by",
    "reason",
    "queries_issued",
    "queries_completed",
    "decided_queries",
    "overlatency_queries",
    "full_probe_queries",
    "seconds",
)


def peak_probe_dict(probe: Any) -> dict[str, Any]:
    """A _core.PeakProbe as plain values (results.json, the table)."""
    return {name: getattr(probe, name) for name in PEAK_PROBE_FIELDS}


def format_peak_probes(probes: list[dict[str, Any]]) -> list[str]:
    """The probes of a peak search as a table: rate, verdict, what decided it,
    queries issued of the full probe's, seconds."""
    if not probes:
        return []
    lines = [f"  #  {'target QPS':>12}  verdict  {'decided by':<10}  {'queries':>17}  {'seconds':>8}"]
    for k, p in enumerate(probes):
        queries = f"{p['queries_issued']}/{p['full_probe_queries']}"
        verdict = "PASS" if p["passed"] else "FAIL"
        lines.append(
            f"{k:>3}  {p['target_qps']:>12.3f}  {verdict:<7}  {p['decided_by']:<10}  {queries:>17}  {p['seconds']:>8.3f}"
        )
    total = sum(p["seconds"] for p in probes)
    lines.append(f"     {len(probes)} probes, {total:.3f} s")
    return lines


def format_report(r: RunReport) -> str:
    rows: list[tuple[str, str]] = [
        ("benchmark", r.benchmark),
        ("scenario", r.scenario + ("" if r.mode == "PerformanceOnly" else f" ({r.mode})")),
        ("backend", f"{r.backend} {r.backend_version}, {r.workers}"),
        ("run", run_kind(r)),
    ]
    if r.precision is not None and r.precision.get("precision") != "fp32":
        rows.append(("precision", f"{r.precision['precision']}: weights {r.precision['weight_data_types']}"))
    p = r.performance
    if p is not None:
        verdict = "VALID" if p.valid else "INVALID"
        rows.append(("result", verdict))
        for reason in p.invalid_reasons:
            rows.append(("  reason", reason))
        rows.append(("metric", p.metric_text))
        lat = p.latency_ms
        what = "query latency" if p.scenario == "MultiStream" else "latency"
        order = ["min", "p50", "p90", "p95", "p97", "p99", "p99.9", "max"]
        rows.append((f"{what} (ms)", "  ".join(f"{k} {lat[k]:.2f}" for k in order if k in lat)))
        queries = f"{p.queries_issued} {'query' if p.queries_issued == 1 else 'queries'}"
        rows.append(("completed", f"{p.samples_completed} samples in {queries}"))
        if p.record_mode != "exact":
            rows.append(
                ("records", f"{p.record_mode}: latencies within 1/2048 of exact; counts and verdict exact")
            )
    if r.peak_qps is not None:
        rows.append(("peak QPS", f"{r.peak_qps:.3f}"))
    for line in format_peak_probes(r.peak_probes):
        rows.append(("probes" if line.startswith("  #") else "", line))
    if r.accuracy is not None:
        rows.append(("accuracy", r.accuracy.line))
        rows.append(("", r.accuracy.target_line()))
        rows.append(("samples", str(r.accuracy_samples)))
        fp32 = r.precision.get("fp32_accuracy") if r.precision else None
        if r.precision is not None and fp32 is not None:
            held = ", ".join(f"{k} {'PASSED' if v else 'FAILED'}" for k, v in r.precision["targets"].items())
            ratio = f"{r.accuracy.value / fp32 * 100:.2f} %" if fp32 else "n/a"
            rows.append(
                ("vs FP32", f"FP32 {fp32:.3f} on the same samples; {r.precision['precision']} = {ratio}")
            )
            rows.append(("", f"targets of FP32: {held}"))
    if r.aborted:
        rows.append(("aborted", r.aborted))
    if r.error:
        rows.append(("error", r.error))
    # LoadGen logs "Ending early: Max test duration / query count reached" as
    # an error; it is the stop that --time / --count asked for.
    routine = [e for e in r.loadgen_errors if "Ending early: Max" in e]
    for e in r.loadgen_errors:
        if e not in routine:
            rows.append(("loadgen error", e))
    if routine:
        runs = "1 run" if len(routine) == 1 else f"{len(routine)} runs"
        rows.append(("loadgen", f"{runs} stopped at the max duration / max query count (--time / --count)"))
    rows.append(("logs", r.output_dir))
    for name, path in r.logs.items():
        rows.append(("", f"{name}: {path}"))
    width = max(len(k) for k, _ in rows)
    lines = ["", "=" * 72]
    lines += [f"  {k.ljust(width)}  {v}" for k, v in rows]
    lines.append("=" * 72)
    if r.sizing is not None and r.sizing.get("impossible"):
        lines.append(f"not possible here: {r.sizing['impossible']}")
    for n in r.notes:
        lines.append(f"note: {n}")
    for h in r.hints:
        lines.append(f"hint: {h}")
    for w in r.warnings:
        lines.append(f"warning: {w}")
    return "\n".join(lines) + "\n"
