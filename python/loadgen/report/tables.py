"""The tables of a report: a run's result (every figure of the summary, n/a
where it does not apply to the scenario), its latency statistics and
effective settings; for a comparison, the settings that differ between runs
and the key metrics with delta and ratio against the first run."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .cells import NA, Cell, ms, na_cell
from .charts import has_issue_lag, ms_text
from .rundata import RunData
from .summary import metric_cell, metric_is_latency, metric_name, pct_name, rate_text

SCENARIOS = ("SingleStream", "MultiStream", "Server", "Offline")


# Each figure of a performance result: (summary key, what it is, kind, the
# scenarios it applies to; None: every scenario). Kinds: count, rate
# (samples/s), ns (shown in ms), s (seconds), bool. Where a figure does not
# apply the table says n/a, never the 0 that LoadGen writes there.
ALL = frozenset(SCENARIOS)
RESULT_FIELDS: tuple[tuple[str, str, str, frozenset[str]], ...] = (
    ("queries_issued", "queries issued", "count", ALL),
    ("samples_issued", "samples issued", "count", ALL),
    ("samples_completed", "samples completed", "count", ALL),
    ("samples_never_completed", "samples never completed", "count", ALL),
    ("target_qps", "target QPS of the schedule", "rate", ALL),
    ("completed_samples_per_sec", "completed samples per second", "rate", frozenset({"Server"})),
    ("scheduled_samples_per_sec", "scheduled samples per second", "rate", frozenset({"Server"})),
    ("samples_per_sec", "samples per second", "rate", frozenset({"Offline"})),
    ("qps_with_loadgen_overhead", "QPS with LoadGen overhead", "rate", frozenset({"SingleStream"})),
    ("qps_without_loadgen_overhead", "QPS without LoadGen overhead", "rate", frozenset({"SingleStream"})),
    (
        "early_stopping_latency_ss_ns",
        "early-stopping {p}th percentile latency estimate (ms)",
        "ns",
        frozenset({"SingleStream"}),
    ),
    (
        "early_stopping_latency_ms_ns",
        "early-stopping {q}th percentile latency estimate (ms)",
        "ns",
        frozenset({"SingleStream", "MultiStream"}),
    ),
    ("overlatency_query_count", "queries over the latency bound", "count", frozenset({"Server"})),
    ("min_duration_met", "minimum duration met", "bool", ALL),
    ("min_queries_met", "minimum query count met", "bool", ALL),
    ("perf_constraints_met", "latency constraint met", "bool", frozenset({"Server"})),
    (
        "early_stopping_met",
        "early stopping met",
        "bool",
        frozenset({"SingleStream", "MultiStream", "Server"}),
    ),
    ("final_query_scheduled_s", "last query scheduled at (s)", "s", frozenset({"Server"})),
    ("final_query_issued_s", "last query issued at (s)", "s", ALL),
    ("final_query_done_s", "last query done at (s)", "s", ALL),
)


def _applies_text(scenarios: frozenset[str]) -> str:
    return " and ".join(s for s in SCENARIOS if s in scenarios) + " only"


def _field_cell(key: str, kind: str, value: Any) -> Cell:
    raw = f"{key} = {value!r} in mlperf_log_summary.json"
    if kind == "count":
        return Cell(f"{int(value):,}", raw, numeric=True)
    if kind == "rate":
        return Cell(rate_text(float(value)), raw, numeric=True)
    if kind == "ns":
        return Cell(ms(value), raw, numeric=True)
    if kind == "s":
        return Cell(f"{float(value):.3f}", raw, numeric=True)
    if kind == "bool":
        return Cell("yes" if value else "NO", raw)
    return Cell(value, raw)


def result_rows(p: dict[str, Any], scenario: str, settings: dict[str, Any]) -> list[tuple[str, list[Cell]]]:
    """(summary key, [figure, value, key]) for the result table: the metric
    first, then every figure, n/a where it does not apply to the scenario."""
    tokens = "first_token_latency" in p
    target_p = float(
        settings.get("target_latency_percentile") or (0.99 if scenario == "MultiStream" else 0.9)
    )
    rows: list[tuple[str, list[Cell]]] = [
        ("metric", [Cell(f"metric: {metric_name(p, scenario)}"), metric_cell(p), Cell("metric")])
    ]
    for key, label, kind, scenarios in RESULT_FIELDS:
        if key not in p:
            continue
        # SingleStream estimates its target percentile (and the 99th, to infer
        # MultiStream); MultiStream its own. Elsewhere the labels name the defaults.
        label = label.format(
            p=pct_name(target_p if scenario == "SingleStream" else 0.9)[:-2],
            q=pct_name(target_p if scenario == "MultiStream" else 0.99)[:-2],
        )
        if scenario not in scenarios:
            value = na_cell(
                f"does not apply to {scenario} ({_applies_text(scenarios)}); the summary has {p[key]!r}"
            )
        elif key == "overlatency_query_count" and tokens:
            value = na_cell("not counted in a token run (its bounds are on TTFT and TPOT)")
        elif kind == "ns" and not p[key]:
            value = na_cell("not estimated: too few queries for this percentile (see early stopping)")
        else:
            value = _field_cell(key, kind, p[key])
        rows.append((key, [Cell(label), value, Cell(key)]))
    if p.get("early_end_reason"):
        rows.append(
            (
                "early_end_reason",
                [Cell("ended early because"), Cell(p["early_end_reason"]), Cell("early_end_reason")],
            )
        )
    return rows


# Latency statistics of the summary: (key, name, the scenarios where it
# applies; None: wherever the summary has samples of it).
LATENCY_STATS: tuple[tuple[str, str, frozenset[str] | None], ...] = (
    ("sample_latency", "sample latency", None),
    ("query_latency", "query latency", frozenset({"MultiStream"})),
    ("issue_lag", "issue lag", frozenset({"Server"})),
    ("first_token_latency", "TTFT", None),
    ("time_per_output_token", "TPOT", None),
)
LATENCY_PERCENTILES = ("50.00", "90.00", "95.00", "97.00", "99.00", "99.90")
LATENCY_HEADER = ("", "count", "min", "mean", "p50", "p90", "p95", "p97", "p99", "p99.9", "max")


def latency_rows(p: dict[str, Any], scenario: str) -> tuple[list[list[Any]], list[str]]:
    rows: list[list[Any]] = []
    keys: list[str] = []
    for key, name, scenarios in LATENCY_STATS:
        if key not in p:
            continue  # TTFT and TPOT: only token runs have them
        st = p.get(key) or {}
        if scenarios is not None and scenario not in scenarios:
            why = f"does not apply to {scenario} ({_applies_text(scenarios)})"
            rows.append([name] + [na_cell(why)] * (len(LATENCY_HEADER) - 1))
            keys.append(key)
            continue
        if not st.get("count"):
            continue
        pct = st.get("percentiles") or {}

        def cell(ns: Any) -> Cell:
            return Cell(ms(ns), f"{ns} ns" if ns is not None else "", numeric=True)

        rows.append(
            [name, Cell(f"{st['count']:,}", numeric=True), cell(st.get("min_ns")), cell(st.get("mean_ns"))]
            + [cell(pct.get(k)) for k in LATENCY_PERCENTILES]
            + [cell(st.get("max_ns"))]
        )
        keys.append(key)
    return rows, keys


def settings_rows(settings: dict[str, Any], scenario: str) -> list[list[Any]]:
    """The effective settings, durations in the report's units (latencies ms,
    run lengths s; the raw value in the tooltip), n/a where one does not apply."""
    rows: list[list[Any]] = []
    for k, v in settings.items():
        raw = f"{k} = {v!r} in mlperf_log_summary.json"
        if k == "target_latency_ns" and scenario != "Server" and not v:
            cell = na_cell(f"does not apply to {scenario} (Server only); the summary has 0")
        elif k in ("max_duration_ms", "max_query_count") and v == 0:
            cell = Cell("no limit", raw)
        elif k.endswith("_ns") and isinstance(v, (int, float)):
            cell = Cell(f"{ms(v)} ms", raw, numeric=True)
        elif k.endswith("_ms") and isinstance(v, (int, float)):
            cell = Cell(f"{v / 1000:g} s", raw, numeric=True)
        elif k.endswith("_percentile") and isinstance(v, (int, float)):
            cell = Cell(f"{v * 100:g}%", raw, numeric=True)
        else:
            cell = Cell(v, numeric=isinstance(v, (int, float)))
        rows.append([k, cell])
    return rows


MISMATCH_KEYS = (
    "samples_per_query",
    "target_qps",
    "target_latency_ns",
    "target_latency_percentile",
    "qsl_rng_seed",
    "sample_index_rng_seed",
    "schedule_rng_seed",
)


def mismatches(runs: Sequence[RunData]) -> list[str]:
    """Settings that differ between runs and make a comparison misleading."""
    out = []
    scen = [r.scenario for r in runs]
    if len(set(scen)) > 1:
        out.append("scenario differs: " + ", ".join(f"{r.label}={r.scenario}" for r in runs))
    modes = [r.summary.get("mode") for r in runs]
    if len(set(modes)) > 1:
        out.append("mode differs: " + ", ".join(f"{r.label}={m}" for r, m in zip(runs, modes)))
    for key in MISMATCH_KEYS:
        vals = [r.settings.get(key) for r in runs]
        if len({json.dumps(v) for v in vals}) > 1:
            out.append(f"{key} differs: " + ", ".join(f"{r.label}={v}" for r, v in zip(runs, vals)))
    return out


def metric_rows(runs: Sequence[RunData]) -> list[list[Any]]:
    """Each run's key figures in the report's units (the metric as in its
    single-run report, latencies in ms), with delta and ratio against the
    first run; n/a where a figure does not apply to a run's scenario."""

    def values(r: RunData) -> dict[str, tuple[str, float | None, str]]:
        p = r.perf or {}
        pct = (p.get("sample_latency") or {}).get("percentiles") or {}
        metric = p.get("metric")
        shown = None if metric is None else float(metric) / (1e6 if metric_is_latency(p) else 1.0)
        out: dict[str, tuple[str, float | None, str]] = {
            "metric": (metric_name(p, r.scenario) if p else "metric", shown, f"{metric!r} in the summary")
        }
        for k in ("50.00", "90.00", "99.00", "99.90"):
            name = f"p{float(k):g} latency (ms)"
            out[name] = (name, pct[k] / 1e6 if k in pct else None, f"{pct.get(k)} ns")
        lag = ((p.get("issue_lag") or {}).get("percentiles") or {}).get("99.00")
        name = "p99 issue lag (ms)"
        if not has_issue_lag(r):
            out[name] = (name, None, NA)
        else:
            out[name] = (name, lag / 1e6 if lag is not None else None, f"{lag} ns")
        return out

    def shown(x: float, name: str, p: dict[str, Any]) -> str:
        if "(ms)" in name:
            return ms_text(x * 1e6)
        return rate_text(x)

    base = values(runs[0])
    rows: list[list[Any]] = []
    for r in runs:
        p = r.perf or {}
        for key, (label, x, raw) in values(r).items():
            b = base.get(key, ("", None, ""))[1]
            if raw == NA:
                why = f"does not apply to {r.scenario} (Server only)"
                rows.append([r.label, label, na_cell(why), na_cell(why), na_cell(why)])
                continue
            if x is None:
                rows.append([r.label, label, "–", "–", "–"])
                continue
            first = r is runs[0]
            same_kind = base["metric"][0] == label if key == "metric" else True
            delta = "" if first or b is None or not same_kind else f"{x - b:+.4g}"
            ratio = "" if first or not b or not same_kind else f"{x / b:.3f}×"
            rows.append(
                [
                    r.label,
                    label,
                    Cell(shown(x, label, p), raw, numeric=True),
                    Cell(delta, numeric=True),
                    Cell(ratio, numeric=True),
                ]
            )
        rows.append([r.label, "result", p.get("result", "–"), "", ""])
    return rows
