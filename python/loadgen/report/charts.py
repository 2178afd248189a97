"""The report's charts, as plotly.js figure specs (plain dicts: data + layout).

Nothing here imports plotly: the page inlines plotly.js once and draws these
specs. Every chart has a title and axes with units, uses the Okabe-Ito
colour-blind-safe palette, and stays small however long the run was: at most
``MAX_POINTS`` markers per scatter (a binned heatmap above that), and curves
evaluated on fixed grids.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .rundata import RunData, Samples

# Okabe & Ito, "Color Universal Design": distinguishable with any common colour-vision deficiency.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
MAX_POINTS = 20_000
TIME_BINS = 120
PERCENTILE_TICKS = (0.5, 0.9, 0.99, 0.999, 0.9999)

Figure = dict[str, Any]


def _layout(title: str, x_title: str, y_title: str, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "title": {"text": title},
        "xaxis": {"title": {"text": x_title}, "zeroline": False},
        "yaxis": {"title": {"text": y_title}, "zeroline": False, "rangemode": "tozero"},
        "margin": {"l": 70, "r": 20, "t": 50, "b": 60},
        "height": 380,
        "legend": {"orientation": "h", "y": -0.25},
        "colorway": list(PALETTE),
        "template": None,
    }
    layout.update(extra)
    return layout


def mlperf_percentile(sorted_values: np.ndarray, p: np.ndarray | float) -> np.ndarray:
    """LoadGen's definition: the value at index floor(n * p) of the sorted values."""
    n = len(sorted_values)
    idx = np.minimum((np.asarray(p) * n).astype(np.int64), n - 1)
    return sorted_values[idx]


def percentile_curve(values_ns: np.ndarray, points: int = 240) -> tuple[np.ndarray, np.ndarray]:
    """(x = 1/(1-p), latency in ms) on a log grid of x up to the last
    percentile the sample can resolve (p = 1 - 1/n, at most 99.99 %)."""
    v = np.sort(values_ns)
    n = len(v)
    p_max = min(PERCENTILE_TICKS[-1], 1.0 - 1.0 / max(n, 2))
    x = np.logspace(0.0, np.log10(1.0 / (1.0 - p_max)), points)
    p = 1.0 - 1.0 / x
    return x, mlperf_percentile(v, p) / 1e6


def percentile_axis(max_x: float) -> dict[str, Any]:
    ticks = [p for p in PERCENTILE_TICKS if 1.0 / (1.0 - p) <= max_x * 1.0001] or [0.5]
    return {
        "type": "log",
        "title": {"text": "percentile (log scale of 1/(1−p))"},
        "tickvals": [1.0 / (1.0 - p) for p in ticks],
        "ticktext": [f"{p * 100:g}%" for p in ticks],
        "zeroline": False,
    }


def _summary_percentile_markers(stats: dict[str, Any], name: str, colour: str) -> dict[str, Any] | None:
    pct = (stats or {}).get("percentiles") or {}
    if not stats or not stats.get("count"):
        return None
    xs, ys, text = [], [], []
    for key, value in pct.items():
        p = float(key) / 100.0
        if 0.0 < p < 1.0:
            xs.append(1.0 / (1.0 - p))
            ys.append(value / 1e6)
            text.append(f"p{key}: {value / 1e6:.3f} ms (exact, from the summary)")
    return {
        "type": "scatter",
        "mode": "markers",
        "x": xs,
        "y": ys,
        "name": name,
        "text": text,
        "hoverinfo": "text",
        "marker": {"symbol": "diamond-open", "size": 11, "color": colour, "line": {"width": 2}},
    }


def latency_distribution(runs: Sequence[RunData], title: str = "Latency by percentile") -> Figure:
    """HdrHistogram-style percentile curves (from the trace) with the summary's
    exact percentiles marked, for one run or overlaid for several."""
    data: list[dict[str, Any]] = []
    max_x = 1.0 / (1.0 - PERCENTILE_TICKS[0])
    for i, run in enumerate(runs):
        colour = PALETTE[i % len(PALETTE)]
        label = run.label if len(runs) > 1 else "trace samples"
        s = run.samples
        if s is not None and s.completed.any():
            x, y = percentile_curve(s.latency_ns[s.completed])
            max_x = max(max_x, float(x[-1]))
            note = f" (1 in {s.every} samples)" if s.sampled else ""
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": x.tolist(),
                    "y": y.round(6).tolist(),
                    "name": label + note,
                    "line": {"color": colour, "width": 2},
                    "hovertemplate": "%{y:.3f} ms<extra></extra>",
                }
            )
        perf = run.perf or {}
        marks = _summary_percentile_markers(
            perf.get("sample_latency", {}),
            (run.label + ": " if len(runs) > 1 else "") + "summary percentiles (exact)",
            colour,
        )
        if marks is not None:
            max_x = max([max_x, *marks["x"]])
            data.append(marks)
    layout = _layout(title, "", "latency (ms)")
    layout["xaxis"] = percentile_axis(max_x)
    return {"data": data, "layout": layout}


def _log_edges(values: np.ndarray, bins: int) -> np.ndarray:
    """Log-spaced bin edges over the values (> 0), at least a decade wide so
    that a run whose values are all equal still gets a visible bin."""
    lo, hi = float(np.log10(values.min())), float(np.log10(values.max()))
    if hi - lo < 1.0:
        mid = (hi + lo) / 2
        lo, hi = mid - 0.5, mid + 0.5
    return np.logspace(lo, hi + 1e-9, bins + 1)


def _time_binned_heatmap(
    t_s: np.ndarray, values: np.ndarray, weight: int, y_title: str, unit_scale: float
) -> dict[str, Any]:
    """Counts of samples per (time bin, log-value bin): a heatmap for big runs."""
    vals = np.maximum(values / unit_scale, 1e-6)
    y_edges = _log_edges(vals, 60)
    t_end = float(t_s.max())
    t_edges = np.linspace(0.0, t_end if t_end > 0 else 1e-3, TIME_BINS + 1)
    counts, _, _ = np.histogram2d(t_s, vals, bins=(t_edges, y_edges))
    return {
        "type": "heatmap",
        "x": ((t_edges[:-1] + t_edges[1:]) / 2).round(4).tolist(),
        "y": np.sqrt(y_edges[:-1] * y_edges[1:]).round(6).tolist(),
        # Empty bins are left blank (None), so the populated ones stand out.
        "z": [[int(c) * weight if c else None for c in row] for row in counts.T],
        "colorscale": "Viridis",
        "colorbar": {"title": {"text": "samples"}},
        "hovertemplate": f"t %{{x:.2f}} s, {y_title} ≈ %{{y:.3f}}: %{{z}} samples<extra></extra>",
    }


def _evenly(n: int, limit: int) -> np.ndarray:
    return np.arange(n) if n <= limit else np.linspace(0, n - 1, limit).astype(np.int64)


def over_time(
    samples: Samples, values_ns: np.ndarray, title: str, y_title: str, unit: str, unit_scale: float
) -> Figure:
    """One value per sample against its start time: a scatter (WebGL) up to
    MAX_POINTS samples, a binned heatmap above."""
    t = samples.start_s
    if len(t) <= MAX_POINTS:
        idx = _evenly(len(t), MAX_POINTS)
        trace: dict[str, Any] = {
            "type": "scattergl",
            "mode": "markers",
            "x": t[idx].round(6).tolist(),
            "y": (values_ns[idx] / unit_scale).round(6).tolist(),
            "name": y_title,
            "marker": {"size": 3, "color": PALETTE[0], "opacity": 0.6},
            "hovertemplate": f"t %{{x:.3f}} s: %{{y:.3f}} {unit}<extra></extra>",
        }
        layout = _layout(title, "time since the phase started (s)", f"{y_title} ({unit})")
        layout["yaxis"]["type"] = "log"
        return {"data": [trace], "layout": layout}
    layout = _layout(
        title + f" (binned: {len(t):,} samples)", "time since the phase started (s)", f"{y_title} ({unit})"
    )
    layout["yaxis"]["type"] = "log"
    return {
        "data": [_time_binned_heatmap(t, values_ns, samples.every, y_title, unit_scale)],
        "layout": layout,
    }


def issued_vs_completed(samples: Samples) -> Figure:
    """Cumulative samples issued and completed over time (scaled back up when
    the trace kept one sample in ``every``)."""
    issued_t = np.sort(samples.start_s + samples.issue_lag_ns / 1e9)
    done = samples.completed
    completed_t = np.sort(samples.start_s[done] + samples.latency_ns[done] / 1e9)
    end = float(max(issued_t[-1] if len(issued_t) else 0.0, completed_t[-1] if len(completed_t) else 0.0))
    grid = np.linspace(0.0, end, 400)
    k = samples.every
    data = [
        {
            "type": "scatter",
            "mode": "lines",
            "x": grid.round(4).tolist(),
            "y": (np.searchsorted(issued_t, grid, side="right") * k).tolist(),
            "name": "issued",
            "line": {"color": PALETTE[0], "width": 2},
        },
        {
            "type": "scatter",
            "mode": "lines",
            "x": grid.round(4).tolist(),
            "y": (np.searchsorted(completed_t, grid, side="right") * k).tolist(),
            "name": "completed",
            "line": {"color": PALETTE[1], "width": 2, "dash": "dash"},
        },
    ]
    return {
        "data": data,
        "layout": _layout("Samples issued and completed", "time since the phase started (s)", "samples"),
    }


def throughput(samples: Samples) -> Figure:
    """Completions per interval, as samples per second."""
    done = samples.completed
    t = samples.start_s[done] + samples.latency_ns[done] / 1e9
    end = float(t.max()) if len(t) else 1.0
    bins = max(1, min(TIME_BINS, int(len(t) / 5) or 1))
    edges = np.linspace(0.0, max(end, 1e-9), bins + 1)
    counts, _ = np.histogram(t, bins=edges)
    width = edges[1] - edges[0]
    return {
        "data": [
            {
                "type": "bar",
                "x": ((edges[:-1] + edges[1:]) / 2).round(4).tolist(),
                "y": (counts * samples.every / width).round(3).tolist(),
                "width": width,
                "name": "completed samples/s",
                "marker": {"color": PALETTE[2]},
                "hovertemplate": "t %{x:.2f} s: %{y:.1f} samples/s<extra></extra>",
            }
        ],
        "layout": _layout(
            f"Throughput per {width:.3g} s interval", "time since the phase started (s)", "samples/s"
        ),
    }


def histogram(values: np.ndarray, title: str, x_title: str, weight: int, colour: str) -> Figure:
    """A distribution on log-spaced bins (values must be > 0)."""
    v = np.maximum(values, 1e-9)
    edges = _log_edges(v, 60)
    counts, _ = np.histogram(v, bins=edges)
    layout = _layout(title, x_title, "samples")
    layout["xaxis"]["type"] = "log"
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "line": {"shape": "hvh", "color": colour, "width": 2},
                "fill": "tozeroy",
                "x": np.sqrt(edges[:-1] * edges[1:]).round(6).tolist(),
                "y": (counts * weight).tolist(),
                "name": x_title,
                "hovertemplate": "≈ %{x:.3f}: %{y} samples<extra></extra>",
            }
        ],
        "layout": layout,
    }


def token_figures(run: RunData) -> list[tuple[str, Figure]]:
    """TTFT and TPOT distributions: per-sample from the trace when it has
    first-token times, else the summary's exact percentiles alone."""
    perf = run.perf or {}
    out: list[tuple[str, Figure]] = []
    s = run.samples
    if s is not None and s.first_token_ns is not None:
        ok = s.completed & (s.first_token_ns >= 0)
        ttft = s.first_token_ns[ok]
        tokens = s.token_count[ok] if s.token_count is not None else np.zeros(0, dtype=np.int64)
        multi = tokens > 1
        tpot = (s.latency_ns[ok][multi] - ttft[multi]) / (tokens[multi] - 1)
        for key, values, title in (
            ("ttft", ttft, "Time to first token (TTFT) by percentile"),
            ("tpot", tpot, "Time per output token (TPOT) by percentile"),
        ):
            if len(values) == 0:
                continue
            x, y = percentile_curve(values)
            fig = latency_distribution([], title)
            fig["data"].append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": x.tolist(),
                    "y": y.round(6).tolist(),
                    "name": "trace",
                }
            )
            stats = perf.get("first_token_latency" if key == "ttft" else "time_per_output_token", {})
            marks = _summary_percentile_markers(stats, "summary percentiles (exact)", PALETTE[1])
            if marks is not None:
                fig["data"].append(marks)
            fig["layout"]["xaxis"] = percentile_axis(max([float(x[-1]), *(marks or {}).get("x", [])]))
            fig["layout"]["yaxis"]["title"]["text"] = f"{key.upper()} (ms)"
            out.append((key, fig))
        return out
    for key, stats_key, title in (
        ("ttft", "first_token_latency", "Time to first token (TTFT): summary percentiles"),
        ("tpot", "time_per_output_token", "Time per output token (TPOT): summary percentiles"),
    ):
        marks = _summary_percentile_markers(
            perf.get(stats_key, {}), "summary percentiles (exact)", PALETTE[0]
        )
        if marks is None:
            continue
        fig = {"data": [marks], "layout": _layout(title, "", f"{key.upper()} (ms)")}
        fig["layout"]["xaxis"] = percentile_axis(max(marks["x"]))
        out.append((key, fig))
    return out


def single_run_figures(run: RunData) -> list[tuple[str, str, Figure]]:
    """(id, caption, figure) for every chart of a single-run report."""
    figs: list[tuple[str, str, Figure]] = [
        (
            "latency-percentiles",
            "Sample latency by percentile. The line is drawn from the trace"
            + (f", which kept 1 sample in {run.samples.every}" if run.samples and run.samples.sampled else "")
            + "; the diamonds are the exact percentiles of the summary.",
            latency_distribution([run]),
        )
    ]
    s = run.samples
    if s is not None and s.completed.any():
        done = s.completed
        start = "scheduled time" if run.scenario == "Server" else "issue"
        sub = Samples(s.start_s[done], s.issue_lag_ns[done], s.latency_ns[done], None, None, s.every, s.total)
        figs.append(
            (
                "latency-over-time",
                f"Latency of each sample against when it started, measured from its {start}.",
                over_time(sub, sub.latency_ns, "Latency over time", "latency", "ms", 1e6),
            )
        )
        figs.append(("issued-completed", "Cumulative samples issued and completed.", issued_vs_completed(s)))
        figs.append(("throughput", "Completed samples per second in each interval.", throughput(s)))
        lag = np.maximum(s.issue_lag_ns, 1)
        lag_samples = Samples(s.start_s, lag, s.latency_ns, None, None, s.every, s.total)
        figs.append(
            (
                "issue-lag-over-time",
                "Issue lag: how late LoadGen handed each sample to the SUT after its scheduled time.",
                over_time(lag_samples, lag, "Issue lag over time", "issue lag", "µs", 1e3),
            )
        )
        figs.append(
            (
                "issue-lag-distribution",
                "Distribution of issue lag.",
                histogram(lag / 1e3, "Issue lag distribution", "issue lag (µs)", s.every, PALETTE[4]),
            )
        )
    for key, fig in token_figures(run):
        figs.append((key, f"{key.upper()} by percentile.", fig))
    return figs
