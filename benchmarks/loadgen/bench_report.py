"""How long an HTML report takes to make, and how big it gets, for a large run.

    python benchmarks/loadgen/bench_report.py [--samples 1000000] [--qps 200000]

Runs a Server test of a SUT that answers at once (the NumPy fast path) until
``--samples`` samples were issued, with the trace on (LoadGen keeps at most
100,000 sample events a phase), then makes the single-run report of it and a
comparison of it with itself, timing each step in this process. Goals (issue
19): under 10 s and under 15 MB for a 1M-sample run.
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
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--qps", type=float, default=200_000)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        t0 = time.perf_counter()
        make_run(run_dir, args.samples, args.qps)
        t_run = time.perf_counter() - t0
        trace_mb = (run_dir / "mlperf_log_trace.json").stat().st_size / 1e6
        js = report.plotly_js()
        rows = []
        for kind, dirs in (("single run", [run_dir]), ("comparison of 2", [run_dir, run_dir])):
            t0 = time.perf_counter()
            runs = [report.load_run(d) for d in dirs]
            t_read = time.perf_counter() - t0
            t0 = time.perf_counter()
            html = report.render(runs, js)
            out = Path(tmp) / "report.html"
            out.write_text(html, encoding="utf-8")
            t_render = time.perf_counter() - t0
            rows.append((kind, t_read, t_render, out.stat().st_size / 1e6))
        s = runs[0].samples
        kept = 0 if s is None else len(s.latency_ns)
        total = 0 if s is None else s.total
    print(
        f"Server run of {total:,} samples at {args.qps:,.0f} qps in {t_run:.1f} s; trace {trace_mb:.1f} MB, "
        f"{kept:,} sample events kept"
    )
    print(f"{'report':18}{'read s':>9}{'render s':>10}{'total s':>9}{'goal':>7}{'size MB':>9}{'goal':>7}")
    for kind, t_read, t_render, mb in rows:
        total_s = t_read + t_render
        print(
            f"{kind:18}{t_read:>9.2f}{t_render:>10.2f}{total_s:>9.2f}{'< 10':>7}{mb:>9.2f}{'< 15':>7}"
            f"   {'met' if total_s < 10 and mb < 15 else 'NOT met'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
