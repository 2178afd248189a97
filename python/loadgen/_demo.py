"""The SUT behind ``python -m loadgen demo``: a stand-in accelerator.

A SUT that answers at once cannot pass Offline: the rules want the one
Offline query to last at least ``min_duration_ms``, and LoadGen sizes it from
``offline_expected_qps``. So the demo SUT works at a fixed throughput instead
(``samples_per_s``), on a worker thread, which makes every scenario's result
meaningful and VALID in a couple of seconds.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from pathlib import Path

import numpy as np

from . import _core
from .api import QuerySampleLibrary, SystemUnderTest

SCENARIOS = {
    "SingleStream": _core.TestScenario.SingleStream,
    "MultiStream": _core.TestScenario.MultiStream,
    "Server": _core.TestScenario.Server,
    "Offline": _core.TestScenario.Offline,
}

# The worker wakes at least this often while a long query is in progress, so
# completions of an Offline query are spread over its duration.
_TICK_S = 0.005


class SteadySUT(SystemUnderTest):
    """Completes samples in issue order at ``samples_per_s``, from a worker thread."""

    name = "DemoSteadySUT"
    issue_style = "numpy"

    def __init__(self, samples_per_s: float) -> None:
        if samples_per_s <= 0:
            raise ValueError(f"samples_per_s = {samples_per_s} is invalid: it must be > 0")
        self._seconds_per_sample = 1.0 / samples_per_s
        self._pending: deque[np.ndarray] = deque()
        self._cv = threading.Condition()
        self._stopping = False
        self._worker = threading.Thread(target=self._serve, name="demo-sut", daemon=True)
        self._worker.start()

    def issue_queries(self, ids: np.ndarray, indices: np.ndarray) -> None:  # type: ignore[override]
        with self._cv:
            self._pending.append(ids.copy())
            self._cv.notify()

    def stop(self) -> None:
        with self._cv:
            self._stopping = True
            self._cv.notify()
        self._worker.join()

    def _serve(self) -> None:
        busy_until = time.monotonic()
        while True:
            with self._cv:
                while not self._pending and not self._stopping:
                    self._cv.wait()
                if self._stopping:
                    return
                ids = self._pending.popleft()
            # The query starts when both it and the worker are ready; sample k
            # is done (k + 1) sample-times later.
            start = max(time.monotonic(), busy_until)
            busy_until = start + len(ids) * self._seconds_per_sample
            done = 0
            while done < len(ids):
                now = time.monotonic()
                due = min(len(ids), int((now - start) / self._seconds_per_sample))
                if due > done:
                    _core.complete_samples(ids[done:due])
                    done = due
                    continue
                next_due_s = start + (done + 1) * self._seconds_per_sample
                time.sleep(min(_TICK_S, max(0.0, next_due_s - now)))


class DemoQSL(QuerySampleLibrary):
    """Samples that need no loading."""

    name = "DemoQSL"

    def __init__(self, count: int) -> None:
        self.total_sample_count = count
        self.performance_sample_count = count


def settings_for(scenario: str, duration_ms: int, samples_per_s: float) -> _core.TestSettings:
    """Settings under which the steady SUT gives a VALID result for `scenario`."""
    settings = _core.TestSettings()
    settings.scenario = SCENARIOS[scenario]
    settings.mode = _core.TestMode.PerformanceOnly
    settings.min_duration_ms = duration_ms
    settings.min_query_count = 100
    # Latency-bound scenarios: expectations from the SUT's speed.
    settings.single_stream_expected_latency_ns = 1e9 / samples_per_s
    settings.multi_stream_expected_latency_ns = 8e9 / samples_per_s
    # Server: a tenth of the capacity keeps queueing (and so latency) small.
    settings.server_target_qps = samples_per_s / 10
    # Offline: the query is sized from this, so it lasts ~1.1x the duration.
    settings.offline_expected_qps = samples_per_s
    return settings


def run_demo(
    scenario: str, outdir: Path, duration_ms: int = 2000, samples_per_s: float = 20000
) -> _core.TestResult:
    """Runs one performance test of the steady SUT, logging into `outdir`."""
    outdir.mkdir(parents=True, exist_ok=True)
    log = _core.LogSettings()
    log.log_output.outdir = str(outdir)
    log.enable_trace = False
    sut = SteadySUT(samples_per_s)
    try:
        return _core.run_test(sut, DemoQSL(1024), settings_for(scenario, duration_ms, samples_per_s), log)
    finally:
        sut.stop()
