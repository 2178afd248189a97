"""LoadGen's own speed, side by side with the reference mlperf_loadgen.

Every measurement drives a null SUT (it answers each sample at once, with no
data) so that what is timed is the load generator. Each one runs in a fresh
process (child.py, or the native example), the implementations take turns,
and the logs of each run are read back for the verdict and the latencies.

    python benchmarks/loadgen/bench.py                     # about 5 minutes
    python benchmarks/loadgen/bench.py --quick             # seconds, tiny sizes
    python benchmarks/loadgen/bench.py --only ours,ref --scenarios Offline --json out.json

Implementations (``--only``):
  ref     mlperf_loadgen (mlcommons-loadgen), reference-compatible API
  ours    loadgen, the same code as ref (one QuerySampleResponse per sample)
  fast    loadgen's fast path: ConstructNumpySUT (ids arrive as a NumPy
          array) and complete_samples(ids) (one call per array)
  native  loadgen_cpp/examples/null_sut.cc, built here against the installed
          wheel with CMake

The tables go to stdout (Markdown), progress to stderr, and ``--json`` writes
every run plus the derived figures and the targets of docs/performance.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
CHILD = HERE / "child.py"
EXAMPLE_DIR = HERE.parents[1] / "loadgen_cpp" / "examples"

IMPLS = ("ref", "ours", "fast", "native")
IMPL_LABELS = {
    "ref": "reference",
    "ours": "loadgen",
    "fast": "loadgen fast path",
    "native": "loadgen native C++",
}
SCENARIOS = ("Offline", "SingleStream", "MultiStream", "Server")


# ---------------------------------------------------------------------------
# What to run.


@dataclasses.dataclass(frozen=True)
class Sizes:
    offline_samples: tuple[int, ...]  # the last two give the memory per sample
    single_stream_ms: int
    multi_stream_ms: int
    server_qps: tuple[int, ...]
    # Server targets above server_qps, each tried only by the implementations
    # that were VALID at the target below it, to find where they stop.
    server_more_qps: tuple[int, ...]
    server_ms: int

    def __post_init__(self) -> None:
        if len(self.offline_samples) < 2 or list(self.offline_samples) != sorted(set(self.offline_samples)):
            raise ValueError("offline_samples: need at least two increasing sizes")


FULL = Sizes(
    offline_samples=(100_000, 1_000_000, 4_000_000),
    single_stream_ms=5000,
    multi_stream_ms=3000,
    server_qps=(100_000, 200_000, 400_000, 600_000, 800_000),
    server_more_qps=(1_000_000, 1_500_000, 2_000_000, 3_000_000),
    server_ms=3000,
)
QUICK = Sizes(
    offline_samples=(5_000, 10_000, 20_000),
    single_stream_ms=150,
    multi_stream_ms=150,
    server_qps=(5_000, 10_000),
    server_more_qps=(20_000, 40_000),
    server_ms=200,
)


@dataclasses.dataclass(frozen=True)
class Case:
    impl: str  # one of IMPLS
    scenario: str  # one of SCENARIOS
    sut: str  # "sync" (complete inside issue) or "thread" (a worker completes)
    size: int  # Offline: samples; Server: target qps; SingleStream/MultiStream: duration ms


@dataclasses.dataclass(frozen=True)
class Group:
    """Cases that differ only in the implementation; they run one after another."""

    cases: tuple[Case, ...]
    # Server targets above the fixed list: an implementation runs only if it
    # was VALID at the next lower target it ran.
    only_if_valid_below: bool = False


def plan(sizes: Sizes, impls: Iterable[str], scenarios: Iterable[str]) -> list[Group]:
    """The groups of cases, in run order."""
    impls, scenarios = list(impls), set(scenarios)
    groups: list[Group] = []

    def add(scenario: str, sut: str, size: int, among: Iterable[str], ladder: bool = False) -> None:
        cases = tuple(Case(i, scenario, sut, size) for i in impls if i in among)
        if cases and scenario in scenarios:
            groups.append(Group(cases, ladder))

    for n in sizes.offline_samples:
        add("Offline", "sync", n, IMPLS)
    add("SingleStream", "sync", sizes.single_stream_ms, IMPLS)
    add("MultiStream", "sync", sizes.multi_stream_ms, IMPLS)
    for sut in ("sync", "thread"):
        # The native example completes inside IssueQuery only.
        among = IMPLS if sut == "sync" else ("ref", "ours", "fast")
        for qps in sizes.server_qps:
            add("Server", sut, qps, among)
        for qps in sizes.server_more_qps:
            add("Server", sut, qps, among, ladder=True)
    return groups


def still_climbing(case: Case, runs: list[Run]) -> bool:
    """Whether the case's implementation was VALID at its next lower Server target."""
    below = [
        r
        for r in runs
        if (r.case.impl, r.case.scenario, r.case.sut) == (case.impl, "Server", case.sut)
        and r.case.size < case.size
    ]
    if not below:
        return False
    top = max(r.case.size for r in below)
    return any(r.ok and r.valid for r in below if r.case.size == top)


# ---------------------------------------------------------------------------
# Running one case.


@dataclasses.dataclass
class Run:
    case: Case
    ok: bool = False
    error: str = ""
    wall_s: float = 0.0  # the StartTest call (RunTest for native)
    # The process's own peak resident set (VmHWM). wait4's ru_maxrss, kept
    # as a fallback, never reads below this driver's resident set at spawn,
    # because Linux carries the high-water mark across fork and exec.
    peak_rss_mib: float = 0.0
    ru_maxrss_mib: float = 0.0
    rss_before_test_mib: float | None = None  # Python: resident set when StartTest began
    valid: bool | None = None
    query_count: int = 0
    samples_per_s: float | None = None  # Offline: samples / wall_s
    summary_metric: float | None = None  # the summary's headline number
    qps: float | None = None  # SS/MS: queries / (first issue -> last completion)
    p99_ns: float | None = None  # SS/Server: per sample; MS: per query
    issue_lag_p99_ns: float | None = None  # Server, loadgen only
    completed_sps: float | None = None  # Server: completed samples per second


def _wait_with_rusage(proc: subprocess.Popen, timeout_s: float) -> tuple[int, Any, bool]:
    """Waits for proc and returns (exit status, its own rusage, timed out)."""
    deadline = time.monotonic() + timeout_s
    timed_out = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, usage, timed_out
        if time.monotonic() > deadline and not timed_out:
            proc.kill()
            timed_out = True
        time.sleep(0.02)


def _detail_values(path: Path) -> dict[str, Any]:
    """The key -> value pairs of an MLPerf detail log (last occurrence wins)."""
    values: dict[str, Any] = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            start = line.find("{")
            if not line.startswith(":::MLLOG") or start < 0:
                continue
            try:
                record = json.loads(line[start:])
            except json.JSONDecodeError:
                continue
            values[record.get("key", "")] = record.get("value")
    return values


def _number(values: dict[str, Any], key: str) -> float | None:
    v = values.get(key)
    try:
        return float(v) if v is not None else None
    except (TypeError, ValueError):
        return None


def _command(case: Case, outdir: Path, native_exe: Path | None, server_ms: int) -> list[str]:
    if case.impl != "native":
        spec = dataclasses.asdict(case) | {"outdir": str(outdir), "server_duration_ms": server_ms}
        return [sys.executable, str(CHILD), json.dumps(spec)]
    assert native_exe is not None
    cmd = [str(native_exe), case.scenario, "--outdir", str(outdir), "--no-trace"]
    # The same settings as child.py gives the Python SUTs.
    if case.scenario == "Offline":
        cmd += ["--qps", "1", "--duration-ms", "0", "--min-queries", str(case.size)]
    elif case.scenario == "Server":
        cmd += ["--qps", str(case.size), "--duration-ms", str(server_ms), "--min-queries", "100"]
    else:
        cmd += ["--duration-ms", str(case.size), "--min-queries", "100"]
    return cmd


def run_case(case: Case, workdir: Path, native_exe: Path | None, server_ms: int, timeout_s: float) -> Run:
    outdir = Path(
        tempfile.mkdtemp(prefix=f"{case.impl}-{case.scenario}-{case.sut}-{case.size}-", dir=workdir)
    )
    run = Run(case)
    stdout_path = outdir / "stdout.txt"
    with open(stdout_path, "w") as out, open(outdir / "stderr.txt", "w") as err:
        proc = subprocess.Popen(_command(case, outdir, native_exe, server_ms), stdout=out, stderr=err)
        code, usage, timed_out = _wait_with_rusage(proc, timeout_s)
    run.ru_maxrss_mib = run.peak_rss_mib = usage.ru_maxrss / 1024  # Linux reports KiB
    if timed_out or code != 0:
        tail = (outdir / "stderr.txt").read_text(errors="replace")[-400:]
        run.error = f"timed out after {timeout_s:.0f} s" if timed_out else f"exit status {code}: {tail}"
        return run

    text = stdout_path.read_text(errors="replace")
    child: dict[str, Any] = {}
    if case.impl == "native":
        for line in text.splitlines():
            key, _, value = line.partition(":")
            if key in ("wall_s", "peak_rss_kib"):
                child[key] = float(value)
    else:
        try:
            child = json.loads(text.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            child = {}
    detail_path = outdir / "mlperf_log_detail.txt"
    if "wall_s" not in child or not detail_path.is_file():
        run.error = f"no wall time or no detail log in {outdir}"
        return run
    values = _detail_values(detail_path)

    run.ok = True
    run.wall_s = float(child["wall_s"])
    if child.get("rss_before_kib") is not None:
        run.rss_before_test_mib = child["rss_before_kib"] / 1024
    if child.get("peak_rss_kib") is not None:
        run.peak_rss_mib = child["peak_rss_kib"] / 1024
    run.valid = values.get("result_validity") == "VALID"
    run.query_count = int(_number(values, "result_query_count") or 0)
    run.issue_lag_p99_ns = _number(values, "result_issue_lag_99.00_percentile_ns")
    if case.scenario == "Offline":
        run.samples_per_s = case.size / run.wall_s
        run.summary_metric = _number(values, "result_samples_per_second")
        run.p99_ns = _number(values, "result_99.00_percentile_latency_ns")
    elif case.scenario == "Server":
        run.completed_sps = _number(values, "result_completed_samples_per_sec")
        run.summary_metric = run.completed_sps
        run.p99_ns = _number(values, "result_99.00_percentile_latency_ns")
    else:
        # Queries over the SUT's active time. The Python SUTs clock it
        # themselves (first issue -> the flush after the last completion);
        # the native example's run starts at its first issue, and our
        # summary JSON says when its last query was done.
        active_s = child.get("sut_active_s")
        if case.impl == "native":
            summary = json.loads((outdir / "mlperf_log_summary.json").read_text())
            active_s = summary["performance"][-1]["final_query_done_s"]
        if active_s:
            run.qps = run.query_count / active_s
        if case.scenario == "SingleStream":
            run.summary_metric = _number(values, "result_qps_with_loadgen_overhead")
            run.p99_ns = _number(values, "result_99.00_percentile_latency_ns")
        else:
            run.p99_ns = _number(values, "result_99.00_percentile_per_query_latency_ns")
    return run


def build_native(build_dir: Path) -> Path:
    """Builds the example null SUT against the installed loadgen; returns the program."""
    cmake = shutil.which("cmake") or shutil.which("cmake", path=str(Path(sys.executable).parent))
    if cmake is None:
        raise RuntimeError("cmake is not installed")
    cmake_dir = subprocess.run(
        [sys.executable, "-m", "loadgen", "--cmake-dir"], check=True, capture_output=True, text=True
    ).stdout.strip()
    ninja = shutil.which("ninja") or shutil.which("ninja", path=str(Path(sys.executable).parent))
    generator = ["-G", "Ninja", f"-DCMAKE_MAKE_PROGRAM={ninja}"] if ninja else []
    for cmd in (
        [
            cmake,
            "-S",
            str(EXAMPLE_DIR),
            "-B",
            str(build_dir),
            *generator,
            "-DCMAKE_BUILD_TYPE=Release",
            f"-Dloadgen_DIR={cmake_dir}",
        ],
        [cmake, "--build", str(build_dir)],
    ):
        proc = subprocess.run(cmd, check=False, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return build_dir / "loadgen_null_sut"


# ---------------------------------------------------------------------------
# Derived figures.


def _primary(run: Run) -> float:
    c = run.case
    if c.scenario == "Offline":
        return run.samples_per_s or 0.0
    if c.scenario == "Server":
        return run.completed_sps or 0.0
    return run.qps or 0.0


def pick(runs: list[Run]) -> dict[Case, Run]:
    """One run per case: the median by the case's main figure (repeats > 1)."""
    by_case: dict[Case, list[Run]] = {}
    for r in runs:
        by_case.setdefault(r.case, []).append(r)
    chosen = {}
    for case, rs in by_case.items():
        good = sorted((r for r in rs if r.ok), key=_primary) or rs
        chosen[case] = good[(len(good) - 1) // 2]
    return chosen


def _ratio(ours: float | None, ref: float | None) -> float | None:
    return ours / ref if ours is not None and ref else None


@dataclasses.dataclass
class Target:
    name: str
    value: float | None
    unit: str  # "x" (a ratio ours/ref) or the unit of an absolute figure
    bound: float
    higher_is_better: bool = True
    at_least: bool = False  # the value is a lower bound (nothing above it was tried)

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        return self.value >= self.bound if self.higher_is_better else self.value <= self.bound


def derive(chosen: dict[Case, Run], sizes: Sizes) -> dict[str, Any]:
    def get(impl: str, scenario: str, size: int, sut: str = "sync") -> Run | None:
        r = chosen.get(Case(impl, scenario, sut, size))
        return r if r is not None and r.ok else None

    def field(impl: str, scenario: str, size: int, name: str, sut: str = "sync") -> float | None:
        r = get(impl, scenario, size, sut)
        return getattr(r, name) if r else None

    n_lo, n_hi = sizes.offline_samples[-2], sizes.offline_samples[-1]
    bytes_per_sample = {}
    for impl in IMPLS:
        lo, hi = get(impl, "Offline", n_lo), get(impl, "Offline", n_hi)
        if lo and hi:
            bytes_per_sample[impl] = (hi.peak_rss_mib - lo.peak_rss_mib) * 2**20 / (n_hi - n_lo)

    highest_valid: dict[str, int | None] = {}
    for impl in IMPLS:
        for sut in ("sync", "thread"):
            targets = sorted(
                {c.size for c in chosen if c.impl == impl and c.scenario == "Server" and c.sut == sut}
            )
            if not targets:
                continue
            valid = [t for t in targets if (r := get(impl, "Server", t, sut)) and r.valid]
            highest_valid[f"{impl}/{sut}"] = max(valid) if valid else None

    def lowest_offline(impl: str, relative_to_ref: bool) -> float | None:
        """The lowest samples/s (or ratio to ref) over the Offline sizes but the
        smallest, whose wall time is mostly the fixed cost of a test (files,
        logs); None if one is missing."""
        vals = []
        for n in sizes.offline_samples[1:]:
            v = field(impl, "Offline", n, "samples_per_s")
            if relative_to_ref:
                v = _ratio(v, field("ref", "Offline", n, "samples_per_s"))
            if v is None:
                return None
            vals.append(v)
        return min(vals)

    def topped_out(key: str) -> bool:
        best = highest_valid.get(key)
        return best is not None and best == server_tried.get(key)

    server_tried = {
        f"{c.impl}/{c.sut}": max(
            c2.size for c2 in chosen if (c2.impl, c2.scenario, c2.sut) == (c.impl, "Server", c.sut)
        )
        for c in chosen
        if c.scenario == "Server"
    }
    ss = sizes.single_stream_ms
    big = fmt_count(sizes.offline_samples[1])
    target_list = [
        Target(
            f"Offline samples/s, compatible API (lowest, N ≥ {big})", lowest_offline("ours", True), "x", 1.5
        ),
        Target(f"Offline samples/s, fast path (lowest, N ≥ {big})", lowest_offline("fast", True), "x", 10),
        Target(
            "SingleStream queries/s, compatible API",
            _ratio(field("ours", "SingleStream", ss, "qps"), field("ref", "SingleStream", ss, "qps")),
            "x",
            1.5,
        ),
        Target(
            "Highest VALID Server target, Python null SUT (sync)",
            _ratio(highest_valid.get("ours/sync"), highest_valid.get("ref/sync")),
            "x",
            2,
            at_least=topped_out("ours/sync"),
        ),
        Target(
            "Memory per sample, compatible API (ours/ref)",
            _ratio(bytes_per_sample.get("ours"), bytes_per_sample.get("ref")),
            "x",
            0.5,
            False,
        ),
        Target("LoadGen state per sample (native Offline)", bytes_per_sample.get("native"), "B", 32, False),
        Target(
            "Native C++ Server, highest VALID target",
            highest_valid.get("native/sync"),
            "qps",
            1e6,
            at_least=topped_out("native/sync"),
        ),
        Target(
            f"Native C++ Offline samples/s (lowest, N ≥ {big})", lowest_offline("native", False), "/s", 1e7
        ),
    ]
    return {
        "offline_samples_per_s": {
            i: {str(n): field(i, "Offline", n, "samples_per_s") for n in sizes.offline_samples} for i in IMPLS
        },
        "single_stream_qps": {i: field(i, "SingleStream", ss, "qps") for i in IMPLS},
        "multi_stream_qps": {i: field(i, "MultiStream", sizes.multi_stream_ms, "qps") for i in IMPLS},
        "offline_bytes_per_sample": bytes_per_sample,
        "offline_bytes_per_sample_between": [n_lo, n_hi],
        "server_highest_valid_qps": highest_valid,
        "server_highest_target_tried": server_tried,
        "targets": [dataclasses.asdict(t) | {"met": t.met} for t in target_list],
    }


# ---------------------------------------------------------------------------
# Rendering.


def fmt_count(x: float | None) -> str:
    if x is None:
        return "-"
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:.3g}{suffix}"
    return f"{x:.3g}"


def fmt_ns(x: float | None) -> str:
    if x is None:
        return "-"
    for div, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "µs")):
        if x >= div:
            return f"{x / div:.3g} {unit}"
    return f"{x:.0f} ns"


def fmt_ratio(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), sep, *(line(r) for r in rows)])


def render(chosen: dict[Case, Run], derived: dict[str, Any], sizes: Sizes, impls: list[str]) -> str:
    def get(impl: str, scenario: str, size: int, sut: str = "sync") -> Run | None:
        return chosen.get(Case(impl, scenario, sut, size))

    others = [i for i in impls if i != "ref"]
    out: list[str] = []

    def section(title: str, body: str) -> None:
        out.extend([f"### {title}", "", body, ""])

    def cell(r: Run | None, value: Callable[[Run], str]) -> str:
        if r is None:
            return "-"
        return value(r) if r.ok else "failed"

    # Offline.
    if any(c.scenario == "Offline" for c in chosen):
        header = ["N", *(IMPL_LABELS[i] for i in impls)] + [
            f"{IMPL_LABELS[i]} / ref" for i in others if "ref" in impls
        ]
        rows = []
        for n in sizes.offline_samples:
            ref = get("ref", "Offline", n)
            row = [fmt_count(n)] + [
                cell(get(i, "Offline", n), lambda r: fmt_count(r.samples_per_s)) for i in impls
            ]
            if "ref" in impls:
                row += [
                    fmt_ratio(
                        _ratio(
                            r.samples_per_s if (r := get(i, "Offline", n)) and r.ok else None,
                            ref.samples_per_s if ref and ref.ok else None,
                        )
                    )
                    for i in others
                ]
            rows.append(row)
        section("Offline: samples/s (N / wall time of StartTest)", table(header, rows))

        header = ["N", *(IMPL_LABELS[i] for i in impls)]
        rows = [
            [fmt_count(n)] + [cell(get(i, "Offline", n), lambda r: f"{r.peak_rss_mib:.0f}") for i in impls]
            for n in sizes.offline_samples
        ]
        bps = derived["offline_bytes_per_sample"]
        lo, hi = derived["offline_bytes_per_sample_between"]
        rows.append(
            [f"B/sample {fmt_count(lo)}→{fmt_count(hi)}"]
            + [f"{bps[i]:.0f}" if i in bps else "-" for i in impls]
        )
        section("Offline: peak RSS (MiB), and its growth per sample", table(header, rows))

    # SingleStream and MultiStream.
    rows = []
    for scenario, size in (("SingleStream", sizes.single_stream_ms), ("MultiStream", sizes.multi_stream_ms)):
        ref = get("ref", scenario, size)
        for i in impls:
            r = get(i, scenario, size)
            if r is None:
                continue
            ratio = _ratio(r.qps, ref.qps) if r.ok and ref and ref.ok and i != "ref" else None
            rows.append(
                [
                    scenario,
                    IMPL_LABELS[i],
                    cell(r, lambda r: fmt_count(r.qps)),
                    fmt_ratio(ratio),
                    cell(r, lambda r: fmt_ns(r.p99_ns)),
                    cell(r, lambda r: "VALID" if r.valid else "INVALID"),
                ]
            )
    if rows:
        section(
            f"SingleStream ({sizes.single_stream_ms} ms) and MultiStream ({sizes.multi_stream_ms} ms, "
            "8 samples/query): queries/s from first issue to last completion; p99 latency (MultiStream: per query)",
            table(["scenario", "implementation", "queries/s", "vs ref", "p99", "result"], rows),
        )

    # Server.
    rows = []
    server_cases = sorted({(c.sut, c.size) for c in chosen if c.scenario == "Server"})
    for sut, qps in server_cases:
        for i in impls:
            r = get(i, "Server", qps, sut)
            if r is None:
                continue
            rows.append(
                [
                    fmt_count(qps),
                    sut,
                    IMPL_LABELS[i],
                    cell(r, lambda r: "VALID" if r.valid else "INVALID"),
                    cell(r, lambda r: fmt_count(r.completed_sps)),
                    cell(r, lambda r: fmt_ns(r.p99_ns)),
                    cell(
                        r, lambda r: fmt_ns(r.issue_lag_p99_ns) if r.issue_lag_p99_ns is not None else "n/a"
                    ),
                ]
            )
    if rows:
        section(
            f"Server ({sizes.server_ms} ms per target): verdict, completed samples/s, p99 latency, p99 issue lag",
            table(
                [
                    "target qps",
                    "SUT",
                    "implementation",
                    "result",
                    "completed/s",
                    "p99 latency",
                    "p99 issue lag",
                ],
                rows,
            ),
        )
        hv = derived["server_highest_valid_qps"]
        rows = []
        for sut in ("sync", "thread"):
            ref_best = hv.get(f"ref/{sut}")
            for i in impls:
                key = f"{i}/{sut}"
                if key in hv:
                    best = hv[key]
                    ratio = _ratio(best, ref_best) if i != "ref" else None
                    shown = fmt_count(best) if best else "none"
                    if best and best == derived["server_highest_target_tried"].get(key):
                        shown += " (every target tried)"
                    rows.append([sut, IMPL_LABELS[i], shown, fmt_ratio(ratio)])
        section(
            "Server: highest VALID target",
            table(["SUT", "implementation", "highest VALID qps", "vs ref"], rows),
        )

    rows = []
    for t in derived["targets"]:
        bound = f"{'≥' if t['higher_is_better'] else '≤'} {fmt_count(t['bound'])}{'x' if t['unit'] == 'x' else ' ' + t['unit']}"
        value = (
            "-"
            if t["value"] is None
            else (fmt_ratio(t["value"]) if t["unit"] == "x" else f"{fmt_count(t['value'])} {t['unit']}")
        )
        if t["at_least"] and t["value"] is not None:
            value = "≥ " + value  # VALID at every target tried
        met = {True: "met", False: "MISSED", None: "not measured"}[t["met"]]
        rows.append([t["name"], value, bound, met])
    section("Targets", table(["target", "measured", "bound", ""], rows))
    return "\n".join(out)


# ---------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    def version(dist: str) -> str | None:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return None

    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "loadgen": version("loadgen"),
        "mlcommons-loadgen": version("mlcommons-loadgen"),
        "load_average_at_start": os.getloadavg(),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes: checks that everything runs")
    p.add_argument("--only", default=",".join(IMPLS), help=f"comma-separated subset of {','.join(IMPLS)}")
    p.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated subset of the scenarios")
    p.add_argument("--repeat", type=int, default=1, help="runs per case; the median one is reported")
    p.add_argument("--server-ms", type=int, help="Server duration per target (default 3000, quick 200)")
    p.add_argument("--native-exe", type=Path, help="a built loadgen_null_sut (default: build it now)")
    p.add_argument("--workdir", type=Path, help="keep every run's logs here (default: a deleted temp dir)")
    p.add_argument("--timeout", type=float, default=300, help="seconds allowed per run")
    p.add_argument("--json", type=Path, help="write the runs and derived figures here")
    args = p.parse_args(argv)
    args.impls = [i.strip() for i in args.only.split(",") if i.strip()]
    args.scenario_list = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    for name, given, known in (("--only", args.impls, IMPLS), ("--scenarios", args.scenario_list, SCENARIOS)):
        bad = [x for x in given if x not in known]
        if bad or not given:
            p.error(f"{name}: unknown {bad or 'empty list'}; choose from {','.join(known)}")
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.server_ms:
        sizes = dataclasses.replace(sizes, server_ms=args.server_ms)
    impls = [i for i in IMPLS if i in args.impls]  # fixed order for the tables
    notes: list[str] = []
    if "ref" in impls and importlib.util.find_spec("mlperf_loadgen") is None:
        impls.remove("ref")
        notes.append("mlperf_loadgen is not installed: no reference figures")

    tmp = None
    if args.workdir:
        workdir = args.workdir
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="loadgen-bench-")
        workdir = Path(tmp.name)
    try:
        native_exe = args.native_exe
        if "native" in impls and native_exe is None:
            try:
                native_exe = build_native(workdir / "native-build")
            except (RuntimeError, subprocess.CalledProcessError) as e:
                impls.remove("native")
                notes.append(f"native SUT not built, so not measured: {str(e).splitlines()[0]}")

        groups = plan(sizes, impls, args.scenario_list)
        planned = sum(len(g.cases) for g in groups if not g.only_if_valid_below) * args.repeat
        info = machine_info()
        print(
            f"{planned} runs, and more Server targets while they stay VALID; {info['cpus']} CPUs, "
            f"load average {info['load_average_at_start'][0]:.2f}",
            file=sys.stderr,
        )
        runs: list[Run] = []
        t_start = time.monotonic()
        for rep in range(args.repeat):
            rep_runs: list[Run] = []
            for k, group in enumerate(groups):
                cases = list(group.cases)
                if group.only_if_valid_below:
                    cases = [c for c in cases if still_climbing(c, rep_runs)]
                # Take turns: which implementation goes first alternates.
                for case in cases if (k + rep) % 2 == 0 else cases[::-1]:
                    r = run_case(case, workdir, native_exe, sizes.server_ms, args.timeout)
                    rep_runs.append(r)
                    status = f"{_primary(r):,.0f}/s {'VALID' if r.valid else 'INVALID'}" if r.ok else r.error
                    print(
                        f"[{len(runs) + len(rep_runs)}] {case.impl} {case.scenario} {case.sut} {case.size}: "
                        f"{r.wall_s:.2f} s, {r.peak_rss_mib:.0f} MiB, {status}",
                        file=sys.stderr,
                    )
            runs.extend(rep_runs)
        elapsed = time.monotonic() - t_start

        chosen = pick(runs)
        derived = derive(chosen, sizes)
        print(render(chosen, derived, sizes, impls))
        if args.quick:
            notes.append("--quick sizes only show that everything runs; the targets need the full sizes")
        for note in notes:
            print(f"Note: {note}")
        print(
            f"{len(runs)} runs in {elapsed:.0f} s; {info['cpus']} CPUs; "
            f"loadgen {info['loadgen']}, mlcommons-loadgen {info['mlcommons-loadgen']}"
        )
        if args.json:
            doc = {
                "schema": "loadgen.bench/1",
                "machine": info,
                "quick": args.quick,
                "sizes": dataclasses.asdict(sizes),
                "implementations": impls,
                "notes": notes,
                "elapsed_s": elapsed,
                "runs": [dataclasses.asdict(r) for r in runs],
                "derived": derived,
            }
            args.json.write_text(json.dumps(doc, indent=1) + "\n")
        return 0 if all(r.ok for r in runs) else 1
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
