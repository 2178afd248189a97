"""The HTML page: one self-contained file, its chart renderer inlined once.

The page reads without its charts: a text summary comes first (verdict and
every reason, the metric, the key percentiles, what kind of run it was), then
the tables, then the charts. Each chart is a ``<div class="chart">`` drawn
from a JSON spec by the one inlined copy of ``lgchart`` (``chart_js``); nothing is
fetched from the network.

One unit per kind of figure throughout: latencies, lags, TTFT and TPOT in ms
(with the digits they need; the summary's raw ns in a tooltip), times and
run lengths in s, rates in samples/s. A figure that does not apply to the
run's scenario reads n/a, never the 0 that LoadGen writes in its place, and
LoadGen's multi-line texts (early stopping, errors, accuracy.txt) are blocks
of text with their line breaks.

This module assembles the pages; their pieces are in ``cells`` (HTML
cells and tables), ``summary`` (the metric and the text summary) and
``tables`` (the result, latency, settings and comparison tables).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import Any

from .cells import esc, json_for_script, table, text_block
from .charts import Figure, has_issue_lag, latency_distribution, single_run_figures
from .rundata import RunData
from .summary import metric_name, metric_text, run_labels, text_summary
from .tables import LATENCY_HEADER, latency_rows, metric_rows, mismatches, result_rows, settings_rows

# Re-exported: the names a report's readers (and tests) take from this module.
__all__ = ["comparison_page", "metric_name", "metric_text", "mismatches", "single_run_page", "text_summary"]

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


def _page(title: str, body: str, figures: list[dict[str, Any]], chart_js: str) -> str:
    generated = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f"{body}"
        f"<p><small>Made by <code>python -m loadgen report</code> on {generated}. "
        "Self-contained: works offline, fetches nothing. Hover a chart for values, drag to zoom, "
        "double-click to zoom out, click a legend entry to hide or show it; a dotted figure has its "
        "raw value in a tooltip.</small></p>"
        f"<script type='application/json' id='figures'>{json_for_script(figures)}</script>"
        f"<script>{chart_js}</script><script>{DRAW}</script>"
        "</body></html>\n"
    )


def _chart_block(fig_id: str, caption: str, figure: Figure, figures: list[dict[str, Any]]) -> str:
    figures.append({"id": fig_id, "figure": figure})
    return (
        f"<figure><div class='chart' id='{esc(fig_id)}' aria-label='{esc(figure['title'])}'></div>"
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )


def single_run_page(run: RunData, chart_js: str) -> str:
    s = run.summary
    p = run.perf
    verdict = p.get("result", "no performance result") if p else "no performance result"
    parts = [f"<h1>LoadGen run: {esc(run.label)}</h1>"]
    parts.append("".join(f"<span class='badge'>{esc(b)}</span>" for b in run_labels(run)))
    parts.append(
        f"<p class='summary'><span class='verdict {esc(verdict)}'>{esc(verdict)}</span> {esc(text_summary(run))}</p>"
    )
    if p is not None and p.get("invalid_reasons"):
        parts.append("<h2>Why it is INVALID</h2><ul>")
        parts.extend(f"<li>{esc(r)}</li>" for r in p["invalid_reasons"])
        parts.append("</ul>")
    if s.get("errors"):
        parts.append("<h2>Errors</h2>" + text_block([str(e) for e in s["errors"]]))
    if p is not None:
        rows = result_rows(p, run.scenario, run.settings)
        parts.append(
            "<h2>Result</h2>"
            + table(
                [r for _, r in rows],
                ("figure", "value", "summary key"),
                row_keys=[k for k, _ in rows],
                table_id="result",
            )
        )
        lat_rows, lat_keys = latency_rows(p, run.scenario)
        parts.append(
            "<h2>Latencies (ms)</h2>"
            + table(lat_rows, LATENCY_HEADER, numeric_from=1, row_keys=lat_keys, table_id="latencies")
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
        parts.append("<h2>Notes from the harness</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in run.notes))
        parts.append("</ul>")
    figures: list[dict[str, Any]] = []
    parts.append("<h2>Charts</h2>")
    for fig_id, caption, fig in single_run_figures(run):
        parts.append(_chart_block(fig_id, caption, fig, figures))
    if run.samples is not None and not has_issue_lag(run):
        parts.append(f"<p>Issue lag: n/a ({run.scenario} has no schedule to fall behind; Server only).</p>")
    parts.append(
        "<h2>Effective settings</h2>"
        + table(settings_rows(run.settings, run.scenario), ("setting", "value"), table_id="settings")
    )
    parts.append(f"<p><small>Run folder: <code>{esc(run.path)}</code></small></p>")
    return _page(f"LoadGen report: {run.label}", "".join(parts), figures, chart_js)


def comparison_page(runs: Sequence[RunData], chart_js: str) -> str:
    parts = [f"<h1>LoadGen comparison of {len(runs)} runs</h1>"]
    warn = mismatches(runs)
    if warn:
        parts.append(
            "<div class='warn' role='alert'><strong>These runs differ in settings that change the "
            "numbers; compare with care:</strong><ul>"
            + "".join(f"<li>{esc(w)}</li>" for w in warn)
            + "</ul></div>"
        )
    parts.append("<h2>Runs</h2><ol>")
    for r in runs:
        verdict = (r.perf or {}).get("result", "no performance result")
        labels = "".join(f"<span class='badge'>{esc(b)}</span>" for b in run_labels(r))
        parts.append(
            f"<li><strong>{esc(r.label)}</strong> <span class='verdict {esc(verdict)}'>{esc(verdict)}</span> "
            f"{labels}<br>{esc(text_summary(r))}</li>"
        )
    parts.append("</ol>")
    parts.append(
        "<h2>Key metrics</h2><p>Deltas and ratios are against the first run.</p>"
        + table(metric_rows(runs), ("run", "metric", "value", "delta", "ratio"), numeric_from=2)
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
