"""loadgen.harness.hints: the advice after an INVALID short run."""

from __future__ import annotations

import pytest

pytest.importorskip("loadgen")

from loadgen.harness import RunOptions, RunReport
from loadgen.harness.hints import queries_needed, short_run_hints
from loadgen.harness.report import PerformanceSummary


def report(scenario: str, valid: bool = False, early: list[str] | None = None, reasons=None) -> RunReport:
    perf = PerformanceSummary(
        scenario,
        valid,
        list(reasons or []),
        "m",
        12.0,
        "m: 12",
        {"mean": 250.0},
        40,
        40,
        40,
        list(early or []),
        1.0,
    )
    return RunReport(
        "b", scenario, "PerformanceOnly", "onnxruntime", "1", "w", False, "out", performance=perf
    )


def test_queries_needed_reads_loadgens_own_line() -> None:
    assert (
        queries_needed(
            [" * Only processed 40 queries.", " * Need to process at least 662 queries for early stopping."]
        )
        == 662
    )
    assert queries_needed([" * Run successful."]) is None


def test_multistream_hint_gives_the_time_from_loadgens_count() -> None:
    r = report("MultiStream", early=["* Need to process at least 662 queries for early stopping."])
    (h,) = short_run_hints(r, RunOptions(), "resnet50", "15 ms")
    assert "at least 662 queries" in h and "--time 183" in h  # 662 x 0.25 s x 1.1


def test_server_and_offline_hints_and_none_for_valid_or_official() -> None:
    (h,) = short_run_hints(report("Server"), RunOptions(), "dlrm", "60 ms", "--qps 5")
    assert "60 ms" in h and "--qps 5" in h
    (h,) = short_run_hints(report("Offline", reasons=["... than expected QPS ..."]), RunOptions(), "dlrm", "")
    assert "dlrm.Offline.target_qps" in h and "near 12" in h
    assert short_run_hints(report("Server", valid=True), RunOptions(), "x", "") == []
    assert short_run_hints(report("Server"), RunOptions(official=True), "x", "") == []


def test_leave_exits_at_once_when_a_worker_is_still_busy() -> None:
    import subprocess
    import sys
    import time

    code = (
        "import threading, time, sys\n"
        "from loadgen.harness.cli import leave\n"
        "assert leave(5) == 5\n"  # nothing busy: returns the status
        "threading.Thread(target=time.sleep, args=(60,), name='harness-worker-0', daemon=True).start()\n"
        "sys.exit(leave(3))\n"
    )
    t0 = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 3 and time.monotonic() - t0 < 30
    assert "still inside the backend (harness-worker-0)" in done.stderr
