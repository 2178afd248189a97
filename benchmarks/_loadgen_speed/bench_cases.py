"""What bench.py runs: the sizes, the cases and their order, one run of a case
in a process of its own, and the native null SUT's build."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CHILD = HERE / "child.py"
EXAMPLE_DIR = HERE.parents[1] / "loadgen_cpp" / "examples"

IMPLS = ("ref", "ours", "fast", "native")
# --against REV: the same Python cases through another commit's wheel, and
# the child's implementation each stands for.
AGAINST_IMPLS = {"base": "ours", "base-fast": "fast"}
ALL_IMPLS = (*IMPLS, *AGAINST_IMPLS)
# The interpreter of the --against build (bench.py sets it).
AGAINST_PYTHON: list[str] = []
IMPL_LABELS = {
    "ref": "reference",
    "ours": "loadgen",
    "fast": "loadgen fast path",
    "native": "loadgen native C++",
    "base": "loadgen @base",
    "base-fast": "loadgen @base fast path",
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
        add("Offline", "sync", n, ALL_IMPLS)
    add("SingleStream", "sync", sizes.single_stream_ms, ALL_IMPLS)
    add("MultiStream", "sync", sizes.multi_stream_ms, ALL_IMPLS)
    for sut in ("sync", "thread"):
        # The native example completes inside IssueQuery only.
        among = ALL_IMPLS if sut == "sync" else ("ref", "ours", "fast", *AGAINST_IMPLS)
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
        # An --against build runs the same child in its own interpreter.
        impl = AGAINST_IMPLS.get(case.impl, case.impl)
        python = AGAINST_PYTHON[0] if case.impl in AGAINST_IMPLS else sys.executable
        spec = dataclasses.asdict(case) | {
            "impl": impl,
            "outdir": str(outdir),
            "server_duration_ms": server_ms,
        }
        return [python, str(CHILD), json.dumps(spec)]
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
