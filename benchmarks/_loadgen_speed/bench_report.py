"""How long an HTML report takes to make, and how big it gets, for runs of
several sizes.

    python benchmarks/_loadgen_speed/bench_report.py [--samples 1000 20000 100000 10000000] [--qps 500000]

For each count, runs a Server test of a SUT that answers at once (the NumPy
fast path) until that many queries (one sample each) were issued, with the
trace on (LoadGen keeps at most 100,000 sample events a phase), then makes
the single-run report of it and a comparison of it with itself, timing each
step in this process. Goals: under 10 s (issue 19) and at most 1.5 MB
(issue 30) for every size; 20,000 is the largest latency scatter
(charts.MAX_POINTS), the biggest report.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import loadgen as lg
from loadgen import report


def make_run(outdir: Path, samples: int, qps: float) -> None:
    class QSL(lg.QuerySampleLibrary):
        total_sample_count = performance_sample_count = 1024

    s = lg.TestSettings()
    s.scenario = lg.TestScenario.Server
    s.server_target_qps = qps
    s.min_query_count = samples
    s.max_query_count = samples
    s.min_duration_ms = int(samples / qps * 1000)
    ls = lg.LogSettings()
    ls.log_output.outdir = str(outdir)
    ls.enable_trace = True
    sut = lg.ConstructNumpySUT(lambda ids, idx: lg.complete_samples(ids), lambda: None)
    lg.run_test(sut, QSL(), s, ls)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, nargs="+", default=[1_000, 20_000, 100_000, 10_000_000])
    ap.add_argument("--qps", type=float, default=500_000)
    args = ap.parse_args(argv)
    header = f"{'queries':>11} {'report':18}{'read s':>9}{'render s':>10}{'total s':>9}{'size MB':>9}"
    lines = [header]
    ok = True
    for samples in args.samples:
        for line, met in measure(samples, args.qps):
            lines.append(line)
            ok = ok and met
    print("\n".join(lines))
    return 0 if ok else 1


def measure(samples: int, qps: float) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        t0 = time.perf_counter()
        make_run(run_dir, samples, qps)
        t_run = time.perf_counter() - t0
        trace_mb = (run_dir / "mlperf_log_trace.json").stat().st_size / 1e6
        js = report.chart_js()
        rows = []
        for kind, dirs in (("single run", [run_dir]), ("comparison of 2", [run_dir, run_dir])):
            t0 = time.perf_counter()
            runs = [report.load_run(d) for d in dirs]
            t_read = time.perf_counter() - t0
            t0 = time.perf_counter()
            html = report.render(runs, js)
            path = Path(tmp) / "report.html"
            path.write_text(html, encoding="utf-8")
            t_render = time.perf_counter() - t0
            rows.append((kind, t_read, t_render, path.stat().st_size / 1e6))
        s = runs[0].samples
        kept = 0 if s is None else len(s.latency_ns)
        total = 0 if s is None else s.total
    print(
        f"Server run of {total:,} samples at {qps:,.0f} qps in {t_run:.1f} s; trace {trace_mb:.1f} MB, "
        f"{kept:,} sample events kept",
        flush=True,
    )
    for kind, t_read, t_render, mb in rows:
        total_s = t_read + t_render
        met = total_s < 10 and mb * 1e6 <= report.MAX_REPORT_BYTES
        line = f"{samples:>11,} {kind:18}{t_read:>9.2f}{t_render:>10.2f}{total_s:>9.2f}{mb:>9.3f}"
        out.append((line + f"   {'met' if met else 'NOT met'}", met))
    return out


if __name__ == "__main__":
    sys.exit(main())
