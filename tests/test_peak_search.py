"""FindPeakPerformance with probes that stop once decided, on a simulated SUT
of known capacity: a pool of W workers that each serve a query in S seconds
(capacity W / S queries per second). Each test takes a few seconds."""

from __future__ import annotations

import json
import queue
import threading
import time

import loadgen as lg
import pytest
from lg_helpers import SUMMARY, detail_values, log_settings_in, quick_settings, read_detail
from loadgen.harness.report import format_peak_probes, peak_probe_dict

WORKERS = 2
SERVICE_S = 0.01
CAPACITY = WORKERS / SERVICE_S  # 200 queries/s


class PoolSut:
    def __init__(self) -> None:
        self.queue: queue.Queue = queue.Queue()
        self.threads = [threading.Thread(target=self._work, daemon=True) for _ in range(WORKERS)]
        for t in self.threads:
            t.start()

    def issue(self, samples) -> None:
        for s in samples:
            self.queue.put(s.id)

    def _work(self) -> None:
        while True:
            qid = self.queue.get()
            if qid is None:
                return
            time.sleep(SERVICE_S)
            lg.QuerySamplesComplete([lg.QuerySampleResponse(qid, 0, 0)])

    def close(self) -> None:
        for _ in self.threads:
            self.queue.put(None)
        for t in self.threads:
            t.join()


def run_peak(tmp_path, **fields):
    pool = PoolSut()
    sut = lg.ConstructSUT(pool.issue, lambda: None)
    qsl = lg.ConstructQSL(100, 40, lambda s: None, lambda s: None)
    try:
        fields = {
            "server_target_qps": 60,
            "min_duration_ms": 2000,
            "min_query_count": 1,
            "server_target_latency_ns": 100_000_000,
            "server_target_latency_percentile": 0.9,
            "server_find_peak_qps_decimals_of_precision": 0,
            "server_find_peak_qps_boundary_step_size": 1.0,
            "watchdog_timeout_ms": 30000,
            **fields,
        }
        settings = quick_settings(lg, "Server", "FindPeakPerformance", **fields)
        start = time.perf_counter()
        result = lg.run_test(sut, qsl, settings, log_settings_in(lg, tmp_path))
        wall = time.perf_counter() - start
    finally:
        lg.DestroySUT(sut)
        lg.DestroyQSL(qsl)
        pool.close()
    return result, wall


def test_probes_stop_early_and_the_peak_is_below_the_capacity(tmp_path):
    result, wall = run_peak(tmp_path)
    probes = result.peak_probes
    assert len(probes) == len(result.performance) >= 4
    # 60 passes, 120 passes, 240 (over the capacity of 200) fails; then bisection.
    assert [round(p.target_qps) for p in probes[:3]] == [60, 120, 240]
    assert [p.passed for p in probes[:3]] == [True, True, False]
    for p in probes:
        assert p.decided_by in ("pass", "fail", "duration"), p.reason
        assert 0 < p.queries_issued <= p.full_probe_queries
        assert p.reason
    # Far below and far above the capacity, early stopping decides before
    # the full probe's end; a FAIL far above it long before the 2 s (a PASS
    # waits until the backlog's trend, noise included, cannot reach the bound
    # in the time left).
    for p in probes[:3]:
        assert p.decided_by == ("pass" if p.passed else "fail"), p.reason
        assert p.queries_issued < p.full_probe_queries, p.reason
    assert probes[2].seconds < 1.0, probes[2].seconds
    # The peak is a passing probe near the capacity; the probe 1 qps above it
    # (the precision asked) failed. A queue of 2 workers at 10 ms holds a
    # 100 ms p90 bound well past 80 % of its capacity, and a 2 s probe a
    # little above it: at r > C the backlog grows (r - C)/s and latency
    # crosses the bound at a backlog of C x (0.1 - 0.01) = 18, so the full
    # probe has fewer than 10 % over the bound while 18 / (r - C) > 1.8 s,
    # r < 210 (Poisson noise adds a little).
    assert (result.peak_qps, True) in [(p.target_qps, p.passed) for p in probes]
    assert 0.8 * CAPACITY <= result.peak_qps <= 1.15 * CAPACITY
    assert any(not p.passed and result.peak_qps < p.target_qps <= result.peak_qps + 2 for p in probes)
    # The whole search took less than the full probes would have.
    assert wall < 2.0 * len(probes)
    # The summary JSON and the detail log carry the probes.
    doc = json.loads((tmp_path / "mlperf_log_summary.json").read_text())
    assert doc["peak_qps"] == pytest.approx(result.peak_qps, abs=1e-3)
    assert [p["decided_by"] for p in doc["peak_probes"]] == [p.decided_by for p in probes]
    assert [p["queries_issued"] for p in doc["peak_probes"]] == [p.queries_issued for p in probes]
    messages = detail_values(read_detail(tmp_path / "mlperf_log_detail.txt"), "generic_message")
    assert sum("FindPeakPerformance probe " in m for m in messages) == len(probes)
    assert "Mode     : FindPeakPerformance" in (tmp_path / SUMMARY).read_text()
    # The harness's table (run.py --find-peak-performance): a header, a row a
    # probe, a total.
    lines = format_peak_probes([peak_probe_dict(p) for p in probes])
    assert len(lines) == len(probes) + 2
    assert "decided by" in lines[0]
    assert lines[1].split()[:4] == ["0", f"{probes[0].target_qps:.3f}", "PASS", probes[0].decided_by]
    assert lines[-1].strip().startswith(f"{len(probes)} probes")


def test_without_stop_early_every_probe_runs_its_duration(tmp_path):
    result, _ = run_peak(
        tmp_path,
        min_duration_ms=300,
        server_target_qps=150,
        server_find_peak_stop_early=False,
    )
    assert result.peak_probes
    assert all(p.decided_by == "duration" for p in result.peak_probes)
    assert all(p.queries_issued == p.full_probe_queries for p in result.peak_probes if p.passed)


def test_min_probe_fraction_is_checked(tmp_path):
    settings = quick_settings(lg, "Server", "FindPeakPerformance", server_find_peak_min_probe_fraction=1.5)
    sut = lg.ConstructSUT(lambda s: None, lambda: None)
    qsl = lg.ConstructQSL(10, 10, lambda s: None, lambda s: None)
    try:
        with pytest.raises(ValueError, match="server_find_peak_min_probe_fraction"):
            lg.run_test(sut, qsl, settings, log_settings_in(lg, tmp_path))
    finally:
        lg.DestroySUT(sut)
        lg.DestroyQSL(qsl)
