"""Peak memory against run length: exact and streaming latency records.

Server runs of a null SUT (every sample answered at once, no data) at a
fixed rate for growing durations, once with exact records
(``record_mode = Exact``: every sample kept to the end) and once with
streaming records (``Streaming``: a window of records and histograms). Exact
mode's memory grows with the run; streaming mode's stays flat. It prints
one Markdown table (peak resident memory, bytes per sample, whether the run
kept up with its schedule, the verdict) and, with ``--json``, writes the
rows. docs/performance.md ("Long runs in bounded memory") has the figures.

    python benchmarks/_loadgen_speed/bench_long_run.py               # about 25 minutes
    python benchmarks/_loadgen_speed/bench_long_run.py --quick       # seconds; checks it runs
    python benchmarks/_loadgen_speed/bench_long_run.py --official    # one 600 s run at 1M qps, auto mode

Each run is its own process: the native null SUT (loadgen_cpp/examples/
null_sut.cc, built here against the installed package) or the Python one
(child.py, the ``fast`` array path). An exact run whose records would not
fit in the memory available (44 bytes a sample) is skipped, and the table
says so.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_cases import CHILD, _wait_with_rusage, build_native

EXACT_BYTES_PER_SAMPLE = 44  # kExactBytesPerSample in completion_tracker.h


@dataclass
class Row:
    sut: str  # native | python
    mode: str  # exact | streaming | auto
    qps: float
    duration_s: float
    ran: bool = False
    note: str = ""
    samples: int = 0
    completed_per_s: float = 0.0
    peak_rss_mib: float = 0.0
    result: str = ""
    record_mode: str = ""
    p99_ns: int = 0
    issue_lag_p99_ns: int = 0
    stragglers: int = 0
    wall_s: float = 0.0


def available_bytes() -> int:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _summary(outdir: Path) -> dict[str, Any]:
    return json.loads((outdir / "mlperf_log_summary.json").read_text())["performance"][-1]


def run_one(row: Row, workdir: Path, native_exe: Path | None, timeout_s: float) -> Row:
    outdir = Path(tempfile.mkdtemp(prefix=f"{row.sut}-{row.mode}-{row.duration_s:g}s-", dir=workdir))
    duration_ms = int(row.duration_s * 1000)
    if row.sut == "native":
        assert native_exe is not None
        cmd = [str(native_exe), "Server", "--qps", f"{row.qps:.0f}", "--duration-ms", str(duration_ms)]
        cmd += ["--min-queries", "100", "--outdir", str(outdir), "--no-trace", "--record-mode", row.mode]
    else:
        spec = {
            "impl": "fast",
            "scenario": "Server",
            "sut": "sync",
            "size": int(row.qps),
            "server_duration_ms": duration_ms,
            "outdir": str(outdir),
            "record_mode": row.mode,
        }
        cmd = [sys.executable, str(CHILD), json.dumps(spec)]
    with open(outdir / "stdout.txt", "w") as out, open(outdir / "stderr.txt", "w") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        code, usage, timed_out = _wait_with_rusage(proc, timeout_s)
    if timed_out or code != 0:
        tail = (outdir / "stderr.txt").read_text(errors="replace")[-300:]
        row.note = f"timed out after {timeout_s:.0f} s" if timed_out else f"exit status {code}: {tail}"
        return row
    text = (outdir / "stdout.txt").read_text(errors="replace")
    peak_kib = usage.ru_maxrss
    if row.sut == "native":
        for line in text.splitlines():
            key, _, value = line.partition(":")
            if key == "peak_rss_kib":
                peak_kib = int(value)
            elif key == "wall_s":
                row.wall_s = float(value)
    else:
        child = json.loads(text.strip().splitlines()[-1])
        peak_kib = child.get("peak_rss_kib") or peak_kib
        row.wall_s = float(child["wall_s"])
    perf = _summary(outdir)
    row.ran = True
    row.peak_rss_mib = peak_kib / 1024
    row.samples = int(perf["samples_completed"])
    row.completed_per_s = float(perf["completed_samples_per_sec"])
    row.result = perf["result"]
    row.record_mode = perf["latency_records"]["mode"]
    row.stragglers = int(perf["latency_records"]["stragglers"])
    row.p99_ns = int(perf["sample_latency"]["percentiles"]["99.00"])
    row.issue_lag_p99_ns = int(perf["issue_lag"]["percentiles"]["99.00"])
    if row.result != "VALID":
        row.note = "; ".join(perf["invalid_reasons"])
    return row


def plan(args: argparse.Namespace) -> list[Row]:
    rows: list[Row] = []
    for sut, qps, durations in (
        ("native", args.qps, args.durations),
        ("python", args.python_qps, args.python_durations),
    ):
        if sut not in args.suts:
            continue
        for d in durations:
            for mode in args.modes:
                rows.append(Row(sut=sut, mode=mode, qps=qps, duration_s=d))
    if args.official:
        rows = [Row(sut="native", mode="auto", qps=args.qps, duration_s=600.0)]
    return rows


def fmt_mib(x: float) -> str:
    return f"{x / 1024:.2f} GiB" if x >= 1024 else f"{x:.0f} MiB"


def table(rows: list[Row]) -> str:
    head = [
        "SUT",
        "records",
        "run",
        "samples",
        "completed/s",
        "of target",
        "peak RSS",
        "B/sample",
        "p99 latency",
        "issue lag p99",
        "verdict",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        if not r.ran:
            cells = [
                r.sut,
                r.mode,
                f"{r.duration_s:g} s at {r.qps:,.0f} qps",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                r.note,
            ]
        else:
            cells = [
                r.sut,
                r.record_mode if r.mode != "auto" else f"auto → {r.record_mode}",
                f"{r.duration_s:g} s at {r.qps:,.0f} qps",
                f"{r.samples:,}",
                f"{r.completed_per_s:,.0f}",
                f"{r.completed_per_s / r.qps:.1%}",
                fmt_mib(r.peak_rss_mib),
                f"{r.peak_rss_mib * 2**20 / max(r.samples, 1):.1f}",
                f"{r.p99_ns / 1e3:,.0f} µs",
                f"{r.issue_lag_p99_ns / 1e3:,.0f} µs",
                r.result + (f" ({r.note})" if r.note else ""),
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    def floats(text: str) -> list[float]:
        return [float(x) for x in text.split(",") if x]

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--qps", type=float, default=1_000_000, help="native SUT's target qps (default 1M)")
    p.add_argument("--durations", type=floats, default=[10, 60, 300], help="native run lengths, s")
    p.add_argument("--python-qps", type=float, default=100_000, help="Python SUT's target qps (default 100k)")
    p.add_argument("--python-durations", type=floats, default=[10, 60], help="Python run lengths, s")
    p.add_argument("--modes", default="exact,streaming", help="record modes to compare")
    p.add_argument("--suts", default="native,python", help="native, python or both")
    p.add_argument("--official", action="store_true", help="only one 600 s native run, auto mode")
    p.add_argument("--quick", action="store_true", help="1 and 2 s at 20k qps: checks the script works")
    p.add_argument(
        "--memory-limit-gib", type=float, help="skip exact runs needing more (default: 70%% available)"
    )
    p.add_argument("--native-exe", type=Path, help="a built loadgen_null_sut (default: build it now)")
    p.add_argument("--workdir", type=Path, help="where logs go (default: a temporary folder)")
    p.add_argument("--json", type=Path, help="write the rows here")
    args = p.parse_args(argv)
    args.modes = [m for m in args.modes.split(",") if m]
    args.suts = [s for s in args.suts.split(",") if s]
    for m in args.modes:
        if m not in ("exact", "streaming", "auto"):
            p.error(f"--modes: unknown record mode {m!r} (exact, streaming, auto)")
    if args.quick:
        args.qps = args.python_qps = 20_000
        args.durations = args.python_durations = [1, 2]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rows = plan(args)
    limit = (args.memory_limit_gib or 0) * 2**30 or 0.7 * available_bytes()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="loadgen-long-run-"))
    workdir.mkdir(parents=True, exist_ok=True)
    native_exe = args.native_exe
    if native_exe is None and any(r.sut == "native" for r in rows):
        print("building the native null SUT ...", flush=True)
        native_exe = build_native(workdir / "native-build")
    for row in rows:
        need = row.qps * row.duration_s * EXACT_BYTES_PER_SAMPLE
        if row.mode == "exact" and limit and need > limit:
            row.note = (
                f"skipped: exact records need about {need / 2**30:.1f} GiB, over {limit / 2**30:.1f} GiB"
            )
            print(f"{row.sut} {row.mode} {row.duration_s:g} s: {row.note}", flush=True)
            continue
        print(f"{row.sut} {row.mode} {row.duration_s:g} s at {row.qps:,.0f} qps ...", flush=True)
        t0 = time.monotonic()
        run_one(row, workdir, native_exe, timeout_s=row.duration_s * 3 + 120)
        print(
            f"  {row.result or row.note}: peak {fmt_mib(row.peak_rss_mib)}, "
            f"{row.completed_per_s:,.0f} completed/s, {time.monotonic() - t0:.0f} s",
            flush=True,
        )
    print()
    print(f"machine: {os.cpu_count()} CPUs, {available_bytes() / 2**30:.1f} GiB available at the end")
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=1) + "\n")
    return 0 if all(r.ran or r.note.startswith("skipped") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
