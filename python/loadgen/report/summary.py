"""What a run is, in words: the scenario's metric as the rules name it and
as the report shows it, the labels of a run that is not an official result
(short, synthetic data, sampled or no trace), and the one-paragraph text
summary that says what the charts show."""

from __future__ import annotations

import re
from typing import Any

from .cells import Cell, ms
from .charts import has_issue_lag
from .rundata import RunData


def run_labels(run: RunData) -> list[str]:
    labels = []
    if run.short_run:
        labels.append("SHORT RUN: shorter than the rules' 600 s, not an official result")
    if run.synthetic:
        labels.append("SYNTHETIC DATA: a pipeline check, not a result on the real data set")
    if run.samples is not None and run.samples.sampled:
        labels.append(
            f"charts drawn from a sample: the trace kept 1 of every {run.samples.every} samples "
            f"({run.samples.total:,} in the phase); the summary's numbers are exact"
        )
    if run.samples is None:
        labels.append("no trace (tracing was off): only the summary's numbers are shown")
    return labels


def pct_name(p: float) -> str:
    """0.9 -> '90th', 0.999 -> '99.9th' (as the rules write percentiles)."""
    return f"{p * 100:g}th"


def metric_name(p: dict[str, Any], scenario: str) -> str:
    """The scenario's metric as the rules name it, with the report's unit:
    SingleStream and MultiStream a percentile latency in ms (MultiStream's of
    whole queries), Server completed samples per second, Offline samples per
    second."""
    name = str(p.get("metric_name") or "metric")
    name = re.sub(r"(\d+(?:\.\d*[1-9])?)\.?0*th", r"\1th", name).replace("(ns)", "(ms)")
    if scenario == "MultiStream" and "(ms)" in name:
        name = name.replace("latency (ms)", "query latency (ms)")
    return name


def metric_is_latency(p: dict[str, Any]) -> bool:
    return "(ns)" in str(p.get("metric_name", ""))


def metric_cell(p: dict[str, Any]) -> Cell:
    """The metric's value as the report shows it everywhere (headline, result
    table, comparison): latencies in ms (the raw ns in the tooltip), rates in
    samples/s."""
    value = float(p.get("metric", 0) or 0)
    if metric_is_latency(p):
        return Cell(ms(value), f"{value:.0f} ns in mlperf_log_summary.json", numeric=True)
    return Cell(rate_text(value), f"{value!r} in mlperf_log_summary.json", numeric=True)


def metric_text(p: dict[str, Any], scenario: str = "") -> str:
    """The metric as people read it: '90th percentile latency (ms): 1.234'."""
    return f"{metric_name(p, scenario)}: {metric_cell(p).text}"


def rate_text(v: float) -> str:
    return f"{v:,.2f}"


def text_summary(run: RunData) -> str:
    """One paragraph that says what the charts show, for a reader without them."""
    s = run.summary
    p = run.perf
    parts = [f"{run.scenario} run in {s.get('mode', '?')} mode of SUT {s.get('sut_name', '?')}"]
    if run.harness:
        parts[0] += f" ({run.harness.get('benchmark', '')}, backend {run.harness.get('backend', '')})"
    if p is None:
        parts.append("it has no performance result")
    else:
        verdict = p.get("result", "?")
        reasons = "; ".join(r.rstrip(".") for r in p.get("invalid_reasons") or [])
        parts.append(f"result {verdict}" + (f" because {reasons}" if reasons else ""))
        parts.append(metric_text(p, run.scenario))
        lat = p.get("sample_latency") or {}
        pct = lat.get("percentiles") or {}
        if lat.get("count"):
            keys = [k for k in ("50.00", "90.00", "99.00", "99.90") if k in pct]
            parts.append(
                "sample latency (ms) "
                + ", ".join(f"p{float(k):g} {ms(pct[k])}" for k in keys)
                + f" over {lat['count']:,} samples"
            )
        lag = p.get("issue_lag") or {}
        if has_issue_lag(run) and lag.get("count"):
            lp = lag.get("percentiles") or {}
            if "99.00" in lp:
                parts.append(f"issue lag p99 {ms(lp['99.00'])} ms")
    if s.get("aborted"):
        parts.append(f"the test was aborted: {s.get('abort_reason', '')}")
    if s.get("num_errors"):
        parts.append(f"{s['num_errors']} error(s) were logged")
    if run.accuracy_lines:
        parts.append("accuracy: " + run.accuracy_lines[0])
    return "; ".join(parts) + "."
