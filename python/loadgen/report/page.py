"""The HTML page: one self-contained file, its chart renderer inlined once.

The page reads without its charts: a text summary comes first (verdict and
every reason, the metric, the key percentiles, what kind of run it was), then
the tables, then the charts. Each chart is a ``<div class="chart">`` drawn
from a JSON spec by the one inlined copy of ``lgchart.js``; nothing is
fetched from the network.

One unit per kind of figure throughout: latencies, lags, TTFT and TPOT in ms
(with the digits they need; the summary's raw ns in a tooltip), times and
run lengths in s, rates in samples/s. A figure that does not apply to the
run's scenario reads n/a, never the 0 that LoadGen writes in its place, and
LoadGen's multi-line texts (early stopping, errors, accuracy.txt) are blocks
of text with their line breaks.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import re
from collections.abc import Sequence
from typing import Any

from .charts import Figure, has_issue_lag, latency_distribution, ms_text, single_run_figures
from .rundata import RunData

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;max-width:1100px;
padding:16px 24px;color:#1a1a1a;background:#fff;line-height:1.45}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #bbb;padding:3px 8px;text-align:left;
vertical-align:top}th{background:#f0f0f0}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.na{color:#666;font-style:italic}[title]{text-decoration-style:dotted}
.verdict{font-weight:bold;padding:2px 8px;border-radius:4px}
.VALID{background:#d8f0e3;color:#00522e}.INVALID{background:#fbe0d6;color:#7a2500}
.badge{display:inline-block;background:#fff3c4;border:1px solid #b38f00;color:#5c4900;padding:1px 8px;
border-radius:4px;margin-right:6px;font-size:.9em}
.warn{background:#fff3c4;border-left:4px solid #b38f00;padding:6px 10px}
.summary{font-size:1.05em}figure{margin:1em 0}figcaption{font-size:.9em;color:#444}
code{background:#f4f4f4;padding:0 3px}
pre.textblock{background:#f6f6f6;border:1px solid #ddd;padding:8px 12px;white-space:pre-wrap;margin:.5em 0}
.lgchart{position:relative;min-height:380px}.lgchart-bar{text-align:right;height:22px}
.lgchart button{font:inherit;font-size:.8em;background:#fff;border:1px solid #bbb;border-radius:3px;
margin-left:4px;cursor:pointer;padding:1px 6px}.lgchart button:hover{background:#eef4fb}
.lgchart-overlay{cursor:crosshair}.lgchart-svg{user-select:none;-webkit-user-select:none}
.lgchart-tip{position:absolute;pointer-events:none;background:rgba(255,255,255,.95);border:1px solid #888;
border-radius:3px;padding:3px 7px;font-size:.85em;white-space:nowrap;box-shadow:0 1px 4px rgba(0,0,0,.2)}
.lgchart-legend{text-align:center;font-size:.9em}.lgchart-legend button.lgchart-key{border-color:transparent}
.lgchart-legend button.off{opacity:.4;text-decoration:line-through}
.lgchart-swatch{display:inline-block;width:14px;height:4px;margin:0 6px 3px 0;border:2px solid;
vertical-align:middle}.lgchart-swatch.diamond{width:7px;height:7px;transform:rotate(45deg);background:#fff}
"""

DRAW = """
(function(){
  LGChart.drawAll(JSON.parse(document.getElementById('figures').textContent));
})();
"""

NA = "n/a"
SCENARIOS = ("SingleStream", "MultiStream", "Server", "Offline")


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _ms(ns: Any) -> str:
    """Nanoseconds as the milliseconds a report shows (charts.ms_text)."""
    try:
        return ms_text(float(ns))
    except (TypeError, ValueError):
        return "–"


def _json_for_script(obj: Any) -> str:
    """JSON safe inside <script>: no '</' sequences, no HTML comment openers."""
    return json.dumps(obj, separators=(",", ":")).replace("</", "<\\/").replace("<!--", "<\\!--")


class Cell:
    """A table cell: its text, a tooltip (the raw figure), and whether it
    is a number (right-aligned) or n/a (a figure that does not apply)."""

    def __init__(self, text: Any, title: str = "", numeric: bool = False, na: bool = False) -> None:
        self.text, self.title, self.numeric, self.na = str(text), title, numeric, na

    def html(self) -> str:
        cls = " ".join(c for c, on in (("num", self.numeric), ("na", self.na)) if on)
        attrs = (f" class='{cls}'" if cls else "") + (f" title='{_e(self.title)}'" if self.title else "")
        return f"<td{attrs}>{_e(self.text)}</td>"


def _na(why: str) -> Cell:
    return Cell(NA, why, na=True)


def _table(
    rows: Sequence[Sequence[Any]],
    header: Sequence[str] | None = None,
    numeric_from: int = 99,
    row_keys: Sequence[str] | None = None,
    table_id: str = "",
) -> str:
    out = [f"<table id='{_e(table_id)}'>" if table_id else "<table>"]
    if header:
        out.append("<tr>" + "".join(f"<th scope='col'>{_e(h)}</th>" for h in header) + "</tr>")
    for r, row in enumerate(rows):
        cells = []
        for i, c in enumerate(row):
            cell = c if isinstance(c, Cell) else Cell(c, numeric=i >= numeric_from)
            cells.append(cell.html())
        key = f" data-key='{_e(row_keys[r])}'" if row_keys else ""
        out.append(f"<tr{key}>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "".join(out)


def _labels(run: RunData) -> list[str]:
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


def _pct_name(p: float) -> str:
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
        return Cell(_ms(value), f"{value:.0f} ns in mlperf_log_summary.json", numeric=True)
    return Cell(_rate(value), f"{value!r} in mlperf_log_summary.json", numeric=True)


def metric_text(p: dict[str, Any], scenario: str = "") -> str:
    """The metric as people read it: '90th percentile latency (ms): 1.234'."""
    return f"{metric_name(p, scenario)}: {metric_cell(p).text}"


def _rate(v: float) -> str:
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
                + ", ".join(f"p{float(k):g} {_ms(pct[k])}" for k in keys)
                + f" over {lat['count']:,} samples"
            )
        lag = p.get("issue_lag") or {}
        if has_issue_lag(run) and lag.get("count"):
            lp = lag.get("percentiles") or {}
            if "99.00" in lp:
                parts.append(f"issue lag p99 {_ms(lp['99.00'])} ms")
    if s.get("aborted"):
        parts.append(f"the test was aborted: {s.get('abort_reason', '')}")
    if s.get("num_errors"):
        parts.append(f"{s['num_errors']} error(s) were logged")
    if run.accuracy_lines:
        parts.append("accuracy: " + run.accuracy_lines[0])
    return "; ".join(parts) + "."


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
        return Cell(_rate(float(value)), raw, numeric=True)
    if kind == "ns":
        return Cell(_ms(value), raw, numeric=True)
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
            p=_pct_name(target_p if scenario == "SingleStream" else 0.9)[:-2],
            q=_pct_name(target_p if scenario == "MultiStream" else 0.99)[:-2],
        )
        if scenario not in scenarios:
            value = _na(
                f"does not apply to {scenario} ({_applies_text(scenarios)}); the summary has {p[key]!r}"
            )
        elif key == "overlatency_query_count" and tokens:
            value = _na("not counted in a token run (its bounds are on TTFT and TPOT)")
        elif kind == "ns" and not p[key]:
            value = _na("not estimated: too few queries for this percentile (see early stopping)")
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


def _latency_rows(p: dict[str, Any], scenario: str) -> tuple[list[list[Any]], list[str]]:
    rows: list[list[Any]] = []
    keys: list[str] = []
    for key, name, scenarios in LATENCY_STATS:
        if key not in p:
            continue  # TTFT and TPOT: only token runs have them
        st = p.get(key) or {}
        if scenarios is not None and scenario not in scenarios:
            why = f"does not apply to {scenario} ({_applies_text(scenarios)})"
            rows.append([name] + [_na(why)] * (len(LATENCY_HEADER) - 1))
            keys.append(key)
            continue
        if not st.get("count"):
            continue
        pct = st.get("percentiles") or {}

        def cell(ns: Any) -> Cell:
            return Cell(_ms(ns), f"{ns} ns" if ns is not None else "", numeric=True)

        rows.append(
            [name, Cell(f"{st['count']:,}", numeric=True), cell(st.get("min_ns")), cell(st.get("mean_ns"))]
            + [cell(pct.get(k)) for k in LATENCY_PERCENTILES]
            + [cell(st.get("max_ns"))]
        )
        keys.append(key)
    return rows, keys


_NS_FIGURE = re.compile(r"(estimate: )(\d+)(\s*)$")


def text_block(lines: Sequence[str], ns_figures: bool = False) -> str:
    """A multi-line text of LoadGen's as one block, line breaks kept. With
    ``ns_figures``, an 'estimate: N' figure (ns) is shown in ms, the raw ns in
    its tooltip."""
    out = []
    for ln in lines:
        m = _NS_FIGURE.search(ln) if ns_figures else None
        if m:
            out.append(
                _e(ln[: m.start(2)]) + f"<span title='{_e(m.group(2))} ns'>{_e(_ms(m.group(2)))} ms</span>"
            )
        else:
            out.append(_e(ln))
    return "<pre class='textblock'>" + "\n".join(out) + "</pre>"


def _settings_rows(settings: dict[str, Any], scenario: str) -> list[list[Any]]:
    """The effective settings, durations in the report's units (latencies ms,
    run lengths s; the raw value in the tooltip), n/a where one does not apply."""
    rows: list[list[Any]] = []
    for k, v in settings.items():
        raw = f"{k} = {v!r} in mlperf_log_summary.json"
        if k == "target_latency_ns" and scenario != "Server" and not v:
            cell = _na(f"does not apply to {scenario} (Server only); the summary has 0")
        elif k in ("max_duration_ms", "max_query_count") and v == 0:
            cell = Cell("no limit", raw)
        elif k.endswith("_ns") and isinstance(v, (int, float)):
            cell = Cell(f"{_ms(v)} ms", raw, numeric=True)
        elif k.endswith("_ms") and isinstance(v, (int, float)):
            cell = Cell(f"{v / 1000:g} s", raw, numeric=True)
        elif k.endswith("_percentile") and isinstance(v, (int, float)):
            cell = Cell(f"{v * 100:g}%", raw, numeric=True)
        else:
            cell = Cell(v, numeric=isinstance(v, (int, float)))
        rows.append([k, cell])
    return rows


def _page(title: str, body: str, figures: list[dict[str, Any]], chart_js: str) -> str:
    generated = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>"
        f"{body}"
        f"<p><small>Made by <code>python -m loadgen report</code> on {generated}. "
        "Self-contained: works offline, fetches nothing. Hover a chart for values, drag to zoom, "
        "double-click to zoom out, click a legend entry to hide or show it; a dotted figure has its "
        "raw value in a tooltip.</small></p>"
        f"<script type='application/json' id='figures'>{_json_for_script(figures)}</script>"
        f"<script>{chart_js}</script><script>{DRAW}</script>"
        "</body></html>\n"
    )


def _chart_block(fig_id: str, caption: str, figure: Figure, figures: list[dict[str, Any]]) -> str:
    figures.append({"id": fig_id, "figure": figure})
    return (
        f"<figure><div class='chart' id='{_e(fig_id)}' aria-label='{_e(figure['title'])}'></div>"
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def single_run_page(run: RunData, chart_js: str) -> str:
    s = run.summary
    p = run.perf
    verdict = p.get("result", "no performance result") if p else "no performance result"
    parts = [f"<h1>LoadGen run: {_e(run.label)}</h1>"]
    parts.append("".join(f"<span class='badge'>{_e(b)}</span>" for b in _labels(run)))
    parts.append(
        f"<p class='summary'><span class='verdict {_e(verdict)}'>{_e(verdict)}</span> {_e(text_summary(run))}</p>"
    )
    if p is not None and p.get("invalid_reasons"):
        parts.append("<h2>Why it is INVALID</h2><ul>")
        parts.extend(f"<li>{_e(r)}</li>" for r in p["invalid_reasons"])
        parts.append("</ul>")
    if s.get("errors"):
        parts.append("<h2>Errors</h2>" + text_block([str(e) for e in s["errors"]]))
    if p is not None:
        rows = result_rows(p, run.scenario, run.settings)
        parts.append(
            "<h2>Result</h2>"
            + _table(
                [r for _, r in rows],
                ("figure", "value", "summary key"),
                row_keys=[k for k, _ in rows],
                table_id="result",
            )
        )
        lat_rows, lat_keys = _latency_rows(p, run.scenario)
        parts.append(
            "<h2>Latencies (ms)</h2>"
            + _table(lat_rows, LATENCY_HEADER, numeric_from=1, row_keys=lat_keys, table_id="latencies")
        )
        es = p.get("early_stopping") or []
        if es:
            parts.append(
                "<h2>Early stopping</h2><p>As LoadGen states it:</p>" + text_block(es, ns_figures=True)
            )
    if run.accuracy_lines:
        parts.append(
            "<h2>Accuracy</h2><p>From <code>accuracy.txt</code>:</p>" + text_block(run.accuracy_lines)
        )
    if run.notes:
        parts.append("<h2>Notes from the harness</h2><ul>" + "".join(f"<li>{_e(n)}</li>" for n in run.notes))
        parts.append("</ul>")
    figures: list[dict[str, Any]] = []
    parts.append("<h2>Charts</h2>")
    for fig_id, caption, fig in single_run_figures(run):
        parts.append(_chart_block(fig_id, caption, fig, figures))
    if run.samples is not None and not has_issue_lag(run):
        parts.append(f"<p>Issue lag: n/a ({run.scenario} has no schedule to fall behind; Server only).</p>")
    parts.append(
        "<h2>Effective settings</h2>"
        + _table(_settings_rows(run.settings, run.scenario), ("setting", "value"), table_id="settings")
    )
    parts.append(f"<p><small>Run folder: <code>{_e(run.path)}</code></small></p>")
    return _page(f"LoadGen report: {run.label}", "".join(parts), figures, chart_js)


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


def _metric_rows(runs: Sequence[RunData]) -> list[list[Any]]:
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
        return _rate(x)

    base = values(runs[0])
    rows: list[list[Any]] = []
    for r in runs:
        p = r.perf or {}
        for key, (label, x, raw) in values(r).items():
            b = base.get(key, ("", None, ""))[1]
            if raw == NA:
                why = f"does not apply to {r.scenario} (Server only)"
                rows.append([r.label, label, _na(why), _na(why), _na(why)])
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


def comparison_page(runs: Sequence[RunData], chart_js: str) -> str:
    parts = [f"<h1>LoadGen comparison of {len(runs)} runs</h1>"]
    warn = mismatches(runs)
    if warn:
        parts.append(
            "<div class='warn' role='alert'><strong>These runs differ in settings that change the "
            "numbers; compare with care:</strong><ul>"
            + "".join(f"<li>{_e(w)}</li>" for w in warn)
            + "</ul></div>"
        )
    parts.append("<h2>Runs</h2><ol>")
    for r in runs:
        verdict = (r.perf or {}).get("result", "no performance result")
        labels = "".join(f"<span class='badge'>{_e(b)}</span>" for b in _labels(r))
        parts.append(
            f"<li><strong>{_e(r.label)}</strong> <span class='verdict {_e(verdict)}'>{_e(verdict)}</span> "
            f"{labels}<br>{_e(text_summary(r))}</li>"
        )
    parts.append("</ol>")
    parts.append(
        "<h2>Key metrics</h2><p>Deltas and ratios are against the first run.</p>"
        + _table(_metric_rows(runs), ("run", "metric", "value", "delta", "ratio"), numeric_from=2)
    )
    figures: list[dict[str, Any]] = []
    parts.append("<h2>Charts</h2>")
    parts.append(
        _chart_block(
            "compare-percentiles",
            "Latency by percentile, each run's trace as a line and its summary's exact percentiles as diamonds.",
            latency_distribution(runs, "Latency by percentile, all runs"),
            figures,
        )
    )
    return _page("LoadGen comparison", "".join(parts), figures, chart_js)
