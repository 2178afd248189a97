"""FindPeakPerformance: our probes that stop once decided against the
reference LoadGen's full-length probes, on the same simulated SUT.

The SUT is a pool of W worker threads that each serve a query in S seconds,
so it completes at most C = W / S queries per second and a query's latency is
S plus its wait in the queue. Both LoadGens search from the same base rate,
with the same settings and seeds (Server, Poisson arrivals); each runs in its
own process. The table gives the wall time of each search, the peak it found,
its probe count, the time ratio, and whether both peaks agree within the
precision asked (10^-decimals, the bisection's stopping width, on each side).

    python benchmarks/_loadgen_speed/bench_peak.py            # 10 s probes
    python benchmarks/_loadgen_speed/bench_peak.py --quick    # 1.5 s probes, seconds

The reference is the ``mlperf_loadgen`` package (6.0.17 here); without it
only our search runs. Timings depend on the machine's load.
"""

from __future__ import annotations

import argparse
import json
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def run_one(impl: str, args: argparse.Namespace) -> dict:
    """One search in this process; returns what it found."""
    if impl == "ours":
        import loadgen as lg
    else:
        import mlperf_loadgen as lg  # type: ignore[import-not-found]

    work: queue.Queue = queue.Queue()

    def worker() -> None:
        while True:
            qid = work.get()
            if qid is None:
                return
            time.sleep(args.service_s)
            lg.QuerySamplesComplete([lg.QuerySampleResponse(qid, 0, 0)])

    def issue(samples) -> None:
        for s in samples:
            work.put(s.id)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.workers)]
    for t in threads:
        t.start()
    ts = lg.TestSettings()
    ts.scenario = lg.TestScenario.Server
    ts.mode = lg.TestMode.FindPeakPerformance
    ts.server_target_qps = args.base_qps
    ts.server_target_latency_ns = int(args.bound_ms * 1e6)
    ts.server_target_latency_percentile = args.percentile
    ts.server_find_peak_qps_decimals_of_precision = args.decimals
    ts.server_find_peak_qps_boundary_step_size = 1.0
    ts.min_duration_ms = int(args.probe_s * 1000)
    ts.max_duration_ms = 0
    ts.min_query_count = 1
    ts.qsl_rng_seed = 1
    ts.sample_index_rng_seed = 2
    ts.schedule_rng_seed = 3
    outdir = tempfile.mkdtemp(prefix=f"bench_peak_{impl}_")
    log = lg.LogSettings()
    log.log_output.outdir = outdir
    log.log_output.copy_summary_to_stdout = False
    sut = lg.ConstructSUT(issue, lambda: None)
    qsl = lg.ConstructQSL(1024, 1024, lambda indices: None, lambda indices: None)
    start = time.perf_counter()
    lg.StartTestWithLogSettings(sut, qsl, ts, log)
    wall = time.perf_counter() - start
    lg.DestroySUT(sut)
    lg.DestroyQSL(qsl)
    for _ in threads:
        work.put(None)
    for t in threads:
        t.join()
    detail = (Path(outdir) / "mlperf_log_detail.txt").read_text()
    found = re.findall(r"Found peak performance field: [^0-9]*([0-9.]+)", detail)
    # Each probe (a performance run) logs its generated query count once.
    probes = detail.count('"key": "generated_query_count"')
    out = {"impl": impl, "wall_s": wall, "peak_qps": float(found[-1]) if found else None, "probes": probes}
    summary_json = Path(outdir) / "mlperf_log_summary.json"
    if impl == "ours" and summary_json.is_file():
        probes = json.loads(summary_json.read_text()).get("peak_probes", [])
        out["probes"] = len(probes)
        out["decided"] = [
            f"{p['target_qps']:.2f}:{'P' if p['passed'] else 'F'}/{p['decided_by']}/{p['queries_issued']}of{p['full_probe_queries']}"
            for p in probes
        ]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="1.5 s probes, 0 decimals: a test of seconds")
    ap.add_argument("--workers", type=int, default=4, help="W: worker threads of the SUT")
    ap.add_argument("--service-s", type=float, default=0.02, help="S: seconds a worker serves a query")
    ap.add_argument("--bound-ms", type=float, default=100.0, help="latency bound")
    ap.add_argument("--percentile", type=float, default=0.9, help="latency percentile")
    ap.add_argument("--probe-s", type=float, default=10.0, help="min_duration of a probe")
    ap.add_argument("--decimals", type=int, default=0, help="server_find_peak_qps_decimals_of_precision")
    ap.add_argument("--base-qps", type=float, default=None, help="the search's base rate (default C / 4)")
    ap.add_argument("--only", choices=["ours", "reference"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.quick:
        args.probe_s = 1.5
    capacity = args.workers / args.service_s
    if args.base_qps is None:
        args.base_qps = capacity / 4
    if args.only:
        print(json.dumps(run_one(args.only, args)))
        return 0

    rows = []
    for impl in ("ours", "reference"):
        if impl == "reference":
            try:
                import mlperf_loadgen  # noqa: F401  # type: ignore[import-not-found]
            except ImportError:
                print("mlperf_loadgen is not installed: only our search ran")
                break
        cmd = [sys.executable, __file__, "--only", impl] + [a for a in sys.argv[1:] if a != "--only"]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            print(f"{impl}: failed\n{proc.stderr[-2000:]}")
            return 1
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))

    print(
        f"SUT: {args.workers} workers x {args.service_s * 1000:g} ms = capacity {capacity:g} queries/s; "
        f"p{args.percentile * 100:g} bound {args.bound_ms:g} ms; probes of {args.probe_s:g} s; "
        f"base {args.base_qps:g} qps; precision {10.0**-args.decimals:g} qps"
    )
    print(f"{'LoadGen':<10} {'wall s':>8} {'peak qps':>10} {'probes':>7}")
    for r in rows:
        peak = "-" if r["peak_qps"] is None else f"{r['peak_qps']:.{max(args.decimals, 0)}f}"
        print(f"{r['impl']:<10} {r['wall_s']:>8.2f} {peak:>10} {r['probes']:>7}")
    ours = rows[0]
    if "decided" in ours:
        print("our probes (qps:verdict/decided by/queries of full):", " ".join(ours["decided"]))
    if len(rows) == 2:
        ref = rows[1]
        print(f"wall time, reference / ours: {ref['wall_s'] / ours['wall_s']:.2f}x")
        if ours["peak_qps"] is not None and ref["peak_qps"] is not None:
            gap = abs(ours["peak_qps"] - ref["peak_qps"])
            precision = 10.0**-args.decimals
            # Each search ends with its peak less than `precision` below its
            # first failing rate; two searches agree when the gap is within that.
            same = gap <= precision + 1e-9
            print(
                f"peaks differ by {gap:g} qps: {'SAME' if same else 'DIFFERENT'} within the precision {precision:g}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
