"""Advice after a short run that ended INVALID on a small machine: why, and
the flags that give a VALID demonstration. Shared by every benchmark's
``hint``; a benchmark adds only what is its own (the Server bound's value,
how long one of its samples takes).

The number of queries early stopping needs is read from LoadGen's own
early-stopping lines ("Need to process at least N queries ..."), so the
advice follows the percentile the run used.
"""

from __future__ import annotations

import re

from .report import RunReport
from .settings import RunOptions

_NEED = re.compile(r"at least (\d+) queries")


def queries_needed(early_stopping: list[str]) -> int | None:
    """The query count LoadGen's early stopping asked for, if it said one."""
    for line in early_stopping:
        m = _NEED.search(line)
        if m:
            return int(m.group(1))
    return None


def short_run_hints(
    report: RunReport,
    opts: RunOptions,
    config_model: str,
    server_bound: str,
    server_demo: str = "--max-latency 1 --qps 1 --time 120",
) -> list[str]:
    """The usual advice for an INVALID short run (none for VALID or --official runs).

    ``server_bound``: the Server latency bound as the reader should know it
    ("15 ms at the 99th percentile"); ``server_demo``: flags that relax it for
    a demonstration on a small machine.
    """
    p = report.performance
    if p is None or p.valid:
        return []
    if opts.official:
        return official_run_hints(report, opts, config_model)
    hints: list[str] = []
    need = queries_needed(p.early_stopping)
    if p.scenario in ("SingleStream", "MultiStream") and need:
        per_query_s = p.latency_ms.get("mean", 0.0) / 1000.0
        seconds = max(20, int(need * per_query_s * 1.1) + 1)
        hints.append(
            f"{p.scenario} needs at least {need} queries for its early-stopping estimate (LoadGen's count); "
            f"at {per_query_s:.2f} s per query that is about {need * per_query_s:.0f} s. Run with "
            f"--time {seconds} (or --official) for a VALID result."
        )
    elif p.scenario == "Server" and report.sizing and report.sizing.get("impossible"):
        pass  # the sizing's one line already says why, with the demonstration's flag
    elif p.scenario == "Server":
        more = f" (LoadGen asks for at least {need})" if need else ""
        hints.append(
            f"Server is VALID only if enough queries ran for early stopping{more} and they meet the latency "
            f"bound ({server_bound}). On a few CPU cores the bound may be out of reach; for a demonstration "
            f"(not an official result) relax it and lengthen the run, e.g. {server_demo}."
        )
    elif p.scenario == "Offline" and any("expected QPS" in r for r in p.invalid_reasons):
        hints.append(
            f"The Offline query ran out before min_duration: this machine is faster than "
            f"{config_model}.Offline.target_qps in user.conf; set it (or --qps) near {p.metric:.0f}."
        )
    return hints


def official_run_hints(report: RunReport, opts: RunOptions, config_model: str) -> list[str]:
    """An INVALID --official run whose user.conf value was off for this machine:
    the measured way to set it (never applied to an official run unasked)."""
    p = report.performance
    assert p is not None
    measure = (
        "--qps auto measures the SUT first and uses what it sustains, or take the values a short run "
        "measured: --user-conf OUTPUT/user.conf from `run.py --scenario " + p.scenario + "` (no --official)"
    )
    if p.scenario == "Offline" and any("expected QPS" in r for r in p.invalid_reasons):
        text = (
            f"The Offline query ran out before min_duration: {config_model}.Offline.target_qps is below "
            f"what this machine does ({p.metric:.4g} samples/s); {measure}."
        )
        return [text]
    if p.scenario == "Server" and any(
        "latency" in r.lower() or "TTFT" in r or "TPOT" in r for r in p.invalid_reasons
    ):
        return [f"Server missed its latency bound at target_qps {p.target_qps:g}: {measure}."]
    return []


def server_demo_flags(report: RunReport, default: str) -> str:
    """Server flags for a VALID demonstration sized from the run's mean latency:
    half the machine's rate (queries rarely wait), a bound of twice a sample's
    time, and long enough for early stopping's ~460 queries; ``default`` when
    the run measured nothing."""
    p = report.performance
    if p is None or not p.latency_ms.get("mean"):
        return default
    per_sample_s = p.latency_ms["mean"] / 1000.0
    qps = 0.5 / per_sample_s
    return f"--max-latency {max(2 * per_sample_s, 0.1):.1f} --qps {qps:.2f} --time {int(460 / qps * 1.1) + 1}"
