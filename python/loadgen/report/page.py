"""The HTML page: one self-contained file, plotly.js inlined once.

The page reads without its charts: a text summary comes first (verdict and
every reason, the metric, the key percentiles, what kind of run it was), then
the tables, then the charts. Each chart is a ``<div class="chart">`` drawn
from a JSON spec by the one inlined copy of plotly.js; nothing is fetched
from the network.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
from collections.abc import Sequence
from typing import Any

from .charts import Figure, latency_distribution, single_run_figures
from .rundata import RunData

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;max-width:1100px;
padding:16px 24px;color:#1a1a1a;background:#fff;line-height:1.45}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #bbb;padding:3px 8px;text-align:left;
vertical-align:top}th{background:#f0f0f0}td.num{text-align:right;font-variant-numeric:tabular-nums}
.verdict{font-weight:bold;padding:2px 8px;border-radius:4px}
.VALID{background:#d8f0e3;color:#00522e}.INVALID{background:#fbe0d6;color:#7a2500}
.badge{display:inline-block;background:#fff3c4;border:1px solid #b38f00;color:#5c4900;padding:1px 8px;
border-radius:4px;margin-right:6px;font-size:.9em}
.warn{background:#fff3c4;border-left:4px solid #b38f00;padding:6px 10px}
.summary{font-size:1.05em}figure{margin:1em 0}figcaption{font-size:.9em;color:#444}
code{background:#f4f4f4;padding:0 3px}
"""

DRAW = """
(function(){
  var specs = JSON.parse(document.getElementById('figures').textContent);
  var config = {responsive:true, displaylogo:false};
  specs.forEach(function(s){ Plotly.newPlot(s.id, s.figure.data, s.figure.layout, config); });
})();
"""


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _ms(ns: Any) -> str:
    try:
        return f"{float(ns) / 1e6:.3f}"
    except (TypeError, ValueError):
        return "–"


def _json_for_script(obj: Any) -> str:
    """JSON safe inside <script>: no '</' sequences, no HTML comment openers."""
    return json.dumps(obj, separators=(",", ":")).replace("</", "<\\/").replace("<!--", "<\\!--")


def _table(rows: Sequence[Sequence[Any]], header: Sequence[str] | None = None, numeric_from: int = 99) -> str:
    out = ["<table>"]
    if header:
        out.append("<tr>" + "".join(f"<th scope='col'>{_e(h)}</th>" for h in header) + "</tr>")
    for row in rows:
        cells = []
        for i, c in enumerate(row):
            cls = " class='num'" if i >= numeric_from else ""
            cells.append(f"<td{cls}>{_e(c)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
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


def metric_text(p: dict[str, Any]) -> str:
    """The metric as people read it: latencies in ms, rates as they are."""
    name, value = str(p.get("metric_name", "metric")), float(p.get("metric", 0) or 0)
    if "(ns)" in name:
        return f"{name.replace('(ns)', '(ms)')}: {value / 1e6:.3f}"
    return f"{name}: {value:.6g}"


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
        parts.append(metric_text(p))
        lat = p.get("sample_latency") or {}
        pct = lat.get("percentiles") or {}
        if lat.get("count"):
            keys = [k for k in ("50.00", "90.00", "99.00", "99.90") if k in pct]
            parts.append(
                "sample latency " + ", ".join(f"p{float(k):g} {_ms(pct[k])} ms" for k in keys) + f" over "
                f"{lat['count']:,} samples"
            )
        lag = p.get("issue_lag") or {}
        if lag.get("count"):
            lp = lag.get("percentiles") or {}
            if "99.00" in lp:
                parts.append(f"issue lag p99 {float(lp['99.00']) / 1e3:.1f} µs")
    if s.get("aborted"):
        parts.append(f"the test was aborted: {s.get('abort_reason', '')}")
    if s.get("num_errors"):
        parts.append(f"{s['num_errors']} error(s) were logged")
    if run.accuracy_lines:
        parts.append("accuracy: " + run.accuracy_lines[0])
    return "; ".join(parts) + "."


def _settings_rows(settings: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(k, v) for k, v in settings.items()]


def _perf_rows(p: dict[str, Any]) -> list[tuple[str, Any]]:
    keys = (
        "metric_name",
        "metric",
        "target_qps",
        "queries_issued",
        "samples_issued",
        "samples_completed",
        "samples_never_completed",
        "scheduled_samples_per_sec",
        "completed_samples_per_sec",
        "min_duration_met",
        "min_queries_met",
        "perf_constraints_met",
        "early_stopping_met",
        "overlatency_query_count",
        "final_query_issued_s",
        "final_query_done_s",
        "early_end_reason",
    )
    return [(k, p[k]) for k in keys if k in p and p[k] not in ("", None)]


def _latency_rows(p: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for key, name in (
        ("sample_latency", "sample latency"),
        ("query_latency", "query latency"),
        ("issue_lag", "issue lag"),
        ("first_token_latency", "TTFT"),
        ("time_per_output_token", "TPOT"),
    ):
        st = p.get(key) or {}
        if not st.get("count"):
            continue
        pct = st.get("percentiles") or {}
        rows.append(
            [name, f"{st['count']:,}", _ms(st.get("min_ns")), _ms(st.get("mean_ns"))]
            + [_ms(pct.get(k)) for k in ("50.00", "90.00", "95.00", "99.00", "99.90")]
            + [_ms(st.get("max_ns"))]
        )
    return rows


LATENCY_HEADER = ("", "count", "min", "mean", "p50", "p90", "p95", "p99", "p99.9", "max")


def _page(title: str, body: str, figures: list[dict[str, Any]], plotly_js: str) -> str:
    generated = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>"
        f"{body}"
        f"<p><small>Made by <code>python -m loadgen report</code> on {generated}. "
        "Self-contained: works offline, fetches nothing.</small></p>"
        f"<script type='application/json' id='figures'>{_json_for_script(figures)}</script>"
        f"<script>{plotly_js}</script><script>{DRAW}</script>"
        "</body></html>\n"
    )


def _chart_block(fig_id: str, caption: str, figure: Figure, figures: list[dict[str, Any]]) -> str:
    figures.append({"id": fig_id, "figure": figure})
    title = figure["layout"].get("title", {}).get("text", "")
    return (
        f"<figure><div class='chart' id='{_e(fig_id)}' role='img' aria-label='{_e(title)}'></div>"
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def single_run_page(run: RunData, plotly_js: str) -> str:
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
        parts.append("<h2>Errors</h2><ul>" + "".join(f"<li>{_e(e)}</li>" for e in s["errors"]) + "</ul>")
    if p is not None:
        parts.append("<h2>Result</h2>" + _table(_perf_rows(p), ("field", "value")))
        parts.append("<h2>Latencies (ms)</h2>" + _table(_latency_rows(p), LATENCY_HEADER, numeric_from=1))
        es = p.get("early_stopping") or []
        if es:
            parts.append("<h2>Early stopping</h2>" + _table([(ln.strip(),) for ln in es], ("LoadGen says",)))
    if run.accuracy_lines:
        parts.append("<h2>Accuracy</h2>" + _table([(ln,) for ln in run.accuracy_lines], ("accuracy.txt",)))
    if run.notes:
        parts.append("<h2>Notes from the harness</h2><ul>" + "".join(f"<li>{_e(n)}</li>" for n in run.notes))
        parts.append("</ul>")
    figures: list[dict[str, Any]] = []
    parts.append("<h2>Charts</h2>")
    for fig_id, caption, fig in single_run_figures(run):
        parts.append(_chart_block(fig_id, caption, fig, figures))
    parts.append("<h2>Effective settings</h2>" + _table(_settings_rows(run.settings), ("setting", "value")))
    parts.append(f"<p><small>Run folder: <code>{_e(run.path)}</code></small></p>")
    return _page(f"LoadGen report: {run.label}", "".join(parts), figures, plotly_js)


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
    def values(r: RunData) -> dict[str, float | None]:
        p = r.perf or {}
        pct = (p.get("sample_latency") or {}).get("percentiles") or {}
        out: dict[str, float | None] = {"metric": p.get("metric")}
        for k in ("50.00", "90.00", "99.00", "99.90"):
            out[f"p{float(k):g} latency (ms)"] = pct[k] / 1e6 if k in pct else None
        lag = ((p.get("issue_lag") or {}).get("percentiles") or {}).get("99.00")
        out["p99 issue lag (µs)"] = lag / 1e3 if lag is not None else None
        return out

    base = values(runs[0])
    rows: list[list[Any]] = []
    for r in runs:
        v = values(r)
        p = r.perf or {}
        for name, x in v.items():
            label = (p.get("metric_name") or "metric") if name == "metric" else name
            b = base.get(name)
            if x is None:
                rows.append([r.label, label, "–", "–", "–"])
                continue
            delta = "" if b is None or r is runs[0] else f"{x - b:+.4g}"
            ratio = "" if not b or r is runs[0] else f"{x / b:.3f}×"
            rows.append([r.label, label, f"{x:.6g}", delta, ratio])
        rows.append([r.label, "result", p.get("result", "–"), "", ""])
    return rows


def comparison_page(runs: Sequence[RunData], plotly_js: str) -> str:
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
    return _page("LoadGen comparison", "".join(parts), figures, plotly_js)
