"""The report's charts, as figure specs (plain dicts) that the page's own
renderer, ``lgchart`` (``lgchart_*.js``), draws as SVG (the header of
``lgchart_axes.js`` documents the format).

Every chart has a title and axes with units (latencies and lags in ms, times
in s, rates in samples/s), uses the Okabe-Ito colour-blind-safe palette, and
stays small however long the run was: at most ``MAX_POINTS`` markers per
scatter (a binned heatmap above that), curves evaluated on fixed grids, and
every number written with the digits a chart can show (``_sig``, ``_fixed``).
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
VALUE_BINS = 60
CURVE_POINTS = 240
PERCENTILE_TICKS = (0.5, 0.9, 0.99, 0.999, 0.9999)
# Where the percentile axis may put a labelled tick (the renderer thins them to fit).
PERCENTILE_TICK_CHOICES = (0.0, 0.5, 0.75, 0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999, 0.9995, 0.9999)

Figure = dict[str, Any]


def _sig(values: Any, digits: int = 4) -> list[float | None]:
    """Numbers rounded to ``digits`` significant digits (None for NaN): a
    chart a thousand pixels wide cannot show more, and the JSON stays short."""
    out: list[float | None] = []
    for v in np.asarray(values, dtype=np.float64).tolist():
        out.append(float(f"{v:.{digits}g}") if np.isfinite(v) else None)
    return out


def _fixed(values: Any, span: float, steps: int = 20_000) -> list[float]:
    """Numbers rounded to 1/``steps`` of ``span`` (for times along an axis)."""
    decimals = max(0, int(np.ceil(np.log10(steps / span)))) if span > 0 else 6
    return [float(f"{v:.{decimals}f}") for v in np.asarray(values, dtype=np.float64).tolist()]


def _axis(title: str, kind: str = "linear", zero: bool = False) -> dict[str, Any]:
    return {"title": title, "type": kind, "zero": zero}


def _figure(title: str, x: dict[str, Any], y: dict[str, Any], series: list[dict[str, Any]]) -> Figure:
    return {"title": title, "height": 380, "x": x, "y": y, "series": series}


def mlperf_percentile(sorted_values: np.ndarray, p: np.ndarray | float) -> np.ndarray:
    """LoadGen's definition: the value at index floor(n * p) of the sorted values."""
    n = len(sorted_values)
    idx = np.minimum((np.asarray(p) * n).astype(np.int64), n - 1)
    return sorted_values[idx]


def percentile_curve(values_ns: np.ndarray, points: int = CURVE_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """(x = 1/(1-p), latency in ms) on a log grid of x up to the last
    percentile the sample can resolve (p = 1 - 1/n, at most 99.99 %)."""
    v = np.sort(values_ns)
    n = len(v)
    p_max = min(PERCENTILE_TICKS[-1], 1.0 - 1.0 / max(n, 2))
    x = np.logspace(0.0, np.log10(1.0 / (1.0 - p_max)), points)
    p = 1.0 - 1.0 / x
    return x, mlperf_percentile(v, p) / 1e6


def percentile_axis() -> dict[str, Any]:
    """The x axis of a percentile chart: log of 1/(1-p), labelled in %."""
    axis = _axis("percentile (log scale of 1/(1−p))", "log")
    axis["ticks"] = [[1.0 / (1.0 - p), f"{p * 100:g}%"] for p in PERCENTILE_TICK_CHOICES]
    return axis


def _summary_percentile_markers(stats: dict[str, Any], name: str, colour: str) -> dict[str, Any] | None:
    """The summary's exact percentiles as diamonds; the per-point text keeps
    the raw nanoseconds."""
    pct = (stats or {}).get("percentiles") or {}
    if not stats or not stats.get("count"):
        return None
    xs, ys, text = [], [], []
    for key, value in pct.items():
        p = float(key) / 100.0
        if 0.0 < p < 1.0:
            xs.append(1.0 / (1.0 - p))
            ys.append(value / 1e6)
            text.append(f"p{key}: {ms_text(value)} ms ({int(value):,} ns, exact, from the summary)")
    return {
        "kind": "points",
        "symbol": "diamond",
        "size": 6,
        "x": xs,
        "y": ys,
        "text": text,
        "name": name,
        "color": colour,
        "hover": "{text}",
    }


def ms_text(ns: Any) -> str:
    """Nanoseconds as milliseconds with the digits the value needs: three
    decimals (1 µs) from 1 ms up, four significant digits below."""
    v = float(ns) / 1e6
    if v == 0 or not np.isfinite(v):
        return "0" if v == 0 else str(v)
    if abs(v) >= 1:
        return f"{v:.3f}"
    decimals = min(9, 3 - int(np.floor(np.log10(abs(v)))))
    text = f"{v:.{decimals}f}"
    return f"{v:.3f}" if abs(float(text)) >= 1 else text  # 0.99996 rounds up to 1.000, not 1.0000


def _curve(x: np.ndarray, y_ms: np.ndarray, name: str, colour: str, **extra: Any) -> dict[str, Any]:
    series = {
        "kind": "line",
        "x": _sig(x, 5),
        "y": _sig(y_ms, 4),
        "name": name,
        "color": colour,
        "hover": "p{x:pct}: {y:.4g} ms",
    }
    series.update(extra)
    return series


def latency_distribution(runs: Sequence[RunData], title: str = "Latency by percentile") -> Figure:
    """HdrHistogram-style percentile curves (from the trace) with the summary's
    exact percentiles marked, for one run or overlaid for several."""
    series: list[dict[str, Any]] = []
    for i, run in enumerate(runs):
        colour = PALETTE[i % len(PALETTE)]
        label = run.label if len(runs) > 1 else "trace samples"
        s = run.samples
        if s is not None and s.completed.any():
            x, y = percentile_curve(s.latency_ns[s.completed])
            note = f" (1 in {s.every} samples)" if s.sampled else ""
            series.append(_curve(x, y, label + note, colour))
        perf = run.perf or {}
        marks = _summary_percentile_markers(
            perf.get("sample_latency", {}),
            (run.label + ": " if len(runs) > 1 else "") + "summary percentiles (exact)",
            colour,
        )
        if marks is not None:
            series.append(marks)
    return _figure(title, percentile_axis(), _axis("latency (ms)", zero=True), series)


def _log_edges(values: np.ndarray, bins: int) -> np.ndarray:
    """Log-spaced bin edges over the values (> 0), at least a decade wide so
    that a run whose values are all equal still gets a visible bin."""
    lo, hi = float(np.log10(values.min())), float(np.log10(values.max()))
    if hi - lo < 1.0:
        mid = (hi + lo) / 2
        lo, hi = mid - 0.5, mid + 0.5
    return np.logspace(lo, hi + 1e-9, bins + 1)


def _time_binned_heatmap(t_s: np.ndarray, values_ms: np.ndarray, weight: int, what: str) -> dict[str, Any]:
    """Counts of samples per (time bin, log-value bin): a heatmap for big runs.
    Fixed TIME_BINS x VALUE_BINS cells, however many samples."""
    vals = np.maximum(values_ms, 1e-9)
    y_edges = _log_edges(vals, VALUE_BINS)
    t_end = float(t_s.max())
    t_edges = np.linspace(0.0, t_end if t_end > 0 else 1e-3, TIME_BINS + 1)
    counts, _, _ = np.histogram2d(t_s, vals, bins=(t_edges, y_edges))
    return {
        "kind": "heatmap",
        "x": _fixed(t_edges, float(t_edges[-1])),
        "y": _sig(y_edges, 4),
        # Empty cells are left blank (None), so the populated ones stand out.
        "z": [[int(c) * weight if c else None for c in row] for row in counts.T],
        "name": "samples",
        "zlabel": "samples",
        "hover": f"t {{x0:.4g}}–{{x1:.4g}} s, {what} {{y0:.4g}}–{{y1:.4g}} ms: {{z}} samples",
    }


def _evenly(n: int, limit: int) -> np.ndarray:
    return np.arange(n) if n <= limit else np.linspace(0, n - 1, limit).astype(np.int64)


def over_time(samples: Samples, values_ns: np.ndarray, title: str, what: str) -> Figure:
    """One value (ns, drawn in ms) per sample against its start time: a
    scatter up to MAX_POINTS samples, a binned heatmap above."""
    t = samples.start_s
    values_ms = values_ns / 1e6
    # A scatter's axis is padded (a point at t = 0 is not cut in half); the heatmap's edges start at 0.
    x_axis = _axis("time since the phase started (s)", zero=len(t) > MAX_POINTS)
    y_axis = _axis(f"{what} (ms)", "log")
    if len(t) <= MAX_POINTS:
        idx = _evenly(len(t), MAX_POINTS)
        span = float(t.max()) if len(t) else 1.0
        series = {
            "kind": "points",
            "symbol": "dot",
            "size": 5 if len(idx) <= 2_000 else 3,
            "opacity": 0.6,
            "x": _fixed(t[idx], span),
            "y": _sig(values_ms[idx], 4),
            "name": what,
            "color": PALETTE[0],
            "hover": f"t {{x:.4g}} s: {what} {{y:.4g}} ms",
        }
        return _figure(title, x_axis, y_axis, [series])
    heat = _time_binned_heatmap(t, values_ms, samples.every, what)
    return _figure(title + f" (binned: {len(t):,} samples)", x_axis, y_axis, [heat])


def issued_vs_completed(samples: Samples) -> Figure:
    """Cumulative samples issued and completed over time (scaled back up when
    the trace kept one sample in ``every``)."""
    issued_t = np.sort(samples.start_s + samples.issue_lag_ns / 1e9)
    done = samples.completed
    completed_t = np.sort(samples.start_s[done] + samples.latency_ns[done] / 1e9)
    end = float(max(issued_t[-1] if len(issued_t) else 0.0, completed_t[-1] if len(completed_t) else 0.0))
    grid = np.linspace(0.0, end, 400)
    k = samples.every
    x = _fixed(grid, end)
    series = [
        {
            "kind": "line",
            "x": x,
            "y": (np.searchsorted(issued_t, grid, side="right") * k).tolist(),
            "name": "issued",
            "color": PALETTE[0],
            "hover": "t {x:.4g} s: {y} issued",
        },
        {
            "kind": "line",
            "x": x,
            "y": (np.searchsorted(completed_t, grid, side="right") * k).tolist(),
            "name": "completed",
            "color": PALETTE[1],
            "dash": True,
            "hover": "t {x:.4g} s: {y} completed",
        },
    ]
    return _figure(
        "Samples issued and completed",
        _axis("time since the phase started (s)", zero=True),
        _axis("samples", zero=True),
        series,
    )


def throughput(samples: Samples) -> Figure:
    """Completions per interval, as samples per second."""
    done = samples.completed
    t = samples.start_s[done] + samples.latency_ns[done] / 1e9
    end = float(t.max()) if len(t) else 1.0
    bins = max(1, min(TIME_BINS, int(len(t) / 5) or 1))
    edges = np.linspace(0.0, max(end, 1e-9), bins + 1)
    counts, _ = np.histogram(t, bins=edges)
    width = float(edges[1] - edges[0])
    series = {
        "kind": "bars",
        "x": _fixed((edges[:-1] + edges[1:]) / 2, end),
        "y": _sig(counts * samples.every / width, 5),
        "width": width,
        "name": "completed samples/s",
        "color": PALETTE[2],
        "hover": "t {x:.4g} s: {y:.5g} samples/s",
    }
    return _figure(
        f"Throughput per {width:.3g} s interval",
        _axis("time since the phase started (s)", zero=True),
        _axis("samples/s", zero=True),
        [series],
    )


def histogram(values_ms: np.ndarray, title: str, what: str, weight: int, colour: str) -> Figure:
    """A distribution (values in ms) on log-spaced bins."""
    v = np.maximum(values_ms, 1e-9)
    edges = _log_edges(v, VALUE_BINS)
    counts, _ = np.histogram(v, bins=edges)
    series = {
        "kind": "line",
        "step": "hvh",
        "fill": True,
        "x": _sig(np.sqrt(edges[:-1] * edges[1:]), 4),
        "y": (counts * weight).tolist(),
        "name": f"{what} (ms)",
        "color": colour,
        "hover": f"{what} ≈ {{x:.4g}} ms: {{y}} samples",
    }
    return _figure(title, _axis(f"{what} (ms)", "log"), _axis("samples", zero=True), [series])


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
            series = [_curve(x, y, "trace samples", PALETTE[0])]
            stats = perf.get("first_token_latency" if key == "ttft" else "time_per_output_token", {})
            marks = _summary_percentile_markers(stats, "summary percentiles (exact)", PALETTE[1])
            if marks is not None:
                series.append(marks)
            out.append(
                (key, _figure(title, percentile_axis(), _axis(f"{key.upper()} (ms)", zero=True), series))
            )
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
        out.append((key, _figure(title, percentile_axis(), _axis(f"{key.upper()} (ms)", zero=True), [marks])))
    return out


def has_issue_lag(run: RunData) -> bool:
    """Issue lag (actual issue - scheduled issue) exists only where LoadGen
    keeps a schedule it can fall behind: the Server scenario."""
    return run.scenario == "Server"


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
                f"Latency of each sample against when it started, measured from its {start}."
                + (
                    f" Above {MAX_POINTS:,} samples: how many fell in each time × latency cell."
                    if len(sub.start_s) > MAX_POINTS
                    else ""
                ),
                over_time(sub, sub.latency_ns, "Latency over time", "latency"),
            )
        )
        figs.append(("issued-completed", "Cumulative samples issued and completed.", issued_vs_completed(s)))
        figs.append(("throughput", "Completed samples per second in each interval.", throughput(s)))
        if has_issue_lag(run):
            lag = np.maximum(s.issue_lag_ns, 1)
            lag_samples = Samples(s.start_s, lag, s.latency_ns, None, None, s.every, s.total)
            figs.append(
                (
                    "issue-lag-over-time",
                    "Issue lag: how late LoadGen handed each sample to the SUT after its scheduled time.",
                    over_time(lag_samples, lag, "Issue lag over time", "issue lag"),
                )
            )
            figs.append(
                (
                    "issue-lag-distribution",
                    "Distribution of issue lag.",
                    histogram(lag / 1e6, "Issue lag distribution", "issue lag", s.every, PALETTE[4]),
                )
            )
    for key, fig in token_figures(run):
        figs.append((key, f"{key.upper()} by percentile.", fig))
    return figs
