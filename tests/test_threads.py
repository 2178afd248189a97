"""Threads: StartTest releases the GIL, completions come from any number of
Python threads at once, and every SUT/QSL callback runs on the thread that
called StartTest.
"""

from __future__ import annotations

import queue
import threading

import loadgen as lg
import pytest
from lg_helpers import log_settings_in, quick_settings, run_in_process


class WorkerPoolSUT:
    """Issue hands each query to a pool; the pool's threads complete it."""

    def __init__(self, threads: int, use_complete_samples: bool = False):
        self.inbox: queue.Queue = queue.Queue()
        self.use_complete_samples = use_complete_samples
        self.completed_by: set[int] = set()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.work) for _ in range(threads)]
        for t in self.threads:
            t.start()

    def work(self):
        while (samples := self.inbox.get()) is not None:
            with self.lock:
                self.completed_by.add(threading.get_ident())
            if self.use_complete_samples:
                lg.complete_samples([s.id for s in samples])
            else:
                lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in samples])

    def issue(self, samples):
        self.inbox.put(samples)

    def stop(self):
        for _ in self.threads:
            self.inbox.put(None)
        for t in self.threads:
            t.join()


def test_start_test_releases_the_gil_while_it_waits(tmp_path):
    # SingleStream waits in C++ for each query's completion before issuing the
    # next, and here only a pool thread completes: had StartTest kept the GIL
    # while waiting, the pool thread could never answer and the watchdog
    # would end the test with samples outstanding. A spinner thread must also
    # keep counting while the test runs.
    spins = [0]
    stop = threading.Event()

    def spinner():
        while not stop.is_set():
            spins[0] += 1

    seen_at_issue = []
    pool = WorkerPoolSUT(threads=1)

    def issue(samples):
        seen_at_issue.append(spins[0])
        pool.issue(samples)

    spin = threading.Thread(target=spinner)
    spin.start()
    settings = quick_settings(
        lg, "SingleStream", min_query_count=200, min_duration_ms=50, watchdog_timeout_ms=3000
    )
    try:
        result = run_in_process(lg, settings, tmp_path, issue, total=100, perf=40)
    finally:
        stop.set()
        spin.join()
        pool.stop()
    perf = result.performance[0]
    assert perf.samples_completed == perf.samples_issued >= 200
    assert result.num_errors == 0, result.errors
    assert result.valid
    assert seen_at_issue[-1] > seen_at_issue[0]


@pytest.mark.parametrize(
    "use_complete_samples", [False, True], ids=["QuerySamplesComplete", "complete_samples"]
)
@pytest.mark.parametrize("scenario", ["Server", "Offline"])
def test_completions_from_eight_threads_at_once_are_all_counted(scenario, use_complete_samples, tmp_path):
    pool = WorkerPoolSUT(threads=8, use_complete_samples=use_complete_samples)

    def issue(samples):
        # One completion call per sample, spread over the pool.
        for s in samples:
            pool.issue([s])

    settings = quick_settings(
        lg,
        scenario,
        server_target_qps=20000,
        offline_expected_qps=100000,
        min_duration_ms=100,
        min_query_count=2000,
    )
    try:
        result = run_in_process(lg, settings, tmp_path, issue, total=1000, perf=500)
    finally:
        pool.stop()
    perf = result.performance[0]
    assert perf.samples_issued >= 2000
    assert perf.samples_completed == perf.samples_issued
    assert perf.samples_never_completed == 0
    assert result.num_errors == 0, result.errors
    assert len(pool.completed_by) > 1


def test_callbacks_run_on_the_thread_that_called_start_test(tmp_path):
    seen: dict[str, set[int]] = {"issue": set(), "flush": set(), "load": set(), "unload": set()}
    pool = WorkerPoolSUT(threads=2)

    def issue(samples):
        seen["issue"].add(threading.get_ident())
        pool.issue(samples)

    sut = lg.ConstructSUT(issue, lambda: seen["flush"].add(threading.get_ident()))
    qsl = lg.ConstructQSL(
        50,
        20,
        lambda s: seen["load"].add(threading.get_ident()),
        lambda s: seen["unload"].add(threading.get_ident()),
    )
    starter: dict[str, object] = {}

    def start():
        starter["ident"] = threading.get_ident()
        starter["result"] = lg.run_test(
            sut, qsl, quick_settings(lg, "SingleStream", "SubmissionRun"), log_settings_in(lg, tmp_path)
        )

    t = threading.Thread(target=start)
    t.start()
    t.join(timeout=60)
    pool.stop()
    lg.DestroySUT(sut)
    lg.DestroyQSL(qsl)
    assert not t.is_alive()
    assert starter["result"].valid
    for name, idents in seen.items():
        assert idents == {starter["ident"]}, name
    assert threading.get_ident() != starter["ident"]


def test_abort_test_from_another_thread_ends_the_test_invalid(tmp_path):
    # The SUT never answers; a helper thread calls AbortTest once the first
    # query is out. Without the abort only the watchdog (20 s) would end the test.
    first_issue = threading.Event()

    def aborter():
        first_issue.wait()
        lg.AbortTest()

    helper = threading.Thread(target=aborter)
    helper.start()
    sut = lg.ConstructSUT(lambda samples: first_issue.set(), lambda: None)
    qsl = lg.ConstructQSL(100, 40, lambda s: None, lambda s: None)
    try:
        settings = quick_settings(lg, "SingleStream", min_duration_ms=600000, watchdog_timeout_ms=20000)
        result = lg.run_test(sut, qsl, settings, log_settings_in(lg, tmp_path))
    finally:
        first_issue.set()
        helper.join()
        lg.DestroySUT(sut)
        lg.DestroyQSL(qsl)
    assert result.aborted
    assert "AbortTest" in result.abort_reason
    assert not result.valid
    assert result.performance[0].samples_never_completed == 1
