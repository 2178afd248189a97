"""One measurement of bench.py, run in a process of its own.

    python child.py '{"impl": "ours", "scenario": "Offline", "sut": "sync",
                      "size": 1000000, "outdir": "/tmp/x"}'

``impl`` picks the module and the SUT's style: ``ref`` (mlperf_loadgen) and
``ours`` (loadgen) through the reference-compatible API, one
QuerySampleResponse object per sample; ``fast`` (loadgen) with arrays of ids
in and one ``complete_samples`` call per array. ``sut`` is ``sync`` (complete
inside the issue callback) or ``thread`` (issue puts the query on a
queue.Queue; one Python worker thread completes it). ``size`` is the sample
count (Offline), the target qps (Server) or the duration in ms (SingleStream,
MultiStream); see bench.py for the settings.

Prints one JSON line on stdout: the wall time of the StartTest call, the
resident memory just before it and the peak, and the SUT's own clock
readings (first issue, flush). The logs in ``outdir`` carry the rest; bench.py reads them.
"""

from __future__ import annotations

import importlib
import json
import queue
import sys
import threading
import time
from typing import Any, Callable

# The SingleStream/MultiStream expected latencies: they only size the
# reference's pre-generated query list (ours generates lazily), and are set
# below the null SUT's real latency so that the reference never runs out.
SINGLE_STREAM_EXPECTED_NS = 4000
MULTI_STREAM_EXPECTED_NS = 8000
MULTI_STREAM_SAMPLES_PER_QUERY = 8
QSL_SIZE = 1024


def _status_kib(field: str) -> int | None:
    """A memory figure of /proc/self/status (VmRSS, VmHWM), in KiB; None off Linux."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _settings(lg: Any, scenario: str, size: int, server_duration_ms: int) -> Any:
    ts = lg.TestSettings()
    ts.mode = lg.TestMode.PerformanceOnly
    if scenario == "Offline":
        # Exactly `size` samples in one query, whatever the machine's speed.
        ts.scenario = lg.TestScenario.Offline
        ts.offline_expected_qps = 1
        ts.min_duration_ms = 0
        ts.min_query_count = size
    elif scenario == "SingleStream":
        ts.scenario = lg.TestScenario.SingleStream
        ts.single_stream_expected_latency_ns = SINGLE_STREAM_EXPECTED_NS
        ts.min_duration_ms = size
        ts.min_query_count = 100
    elif scenario == "MultiStream":
        ts.scenario = lg.TestScenario.MultiStream
        ts.multi_stream_expected_latency_ns = MULTI_STREAM_EXPECTED_NS
        ts.multi_stream_samples_per_query = MULTI_STREAM_SAMPLES_PER_QUERY
        ts.min_duration_ms = size
        ts.min_query_count = 100
    elif scenario == "Server":
        ts.scenario = lg.TestScenario.Server
        ts.server_target_qps = size
        ts.min_duration_ms = server_duration_ms
        ts.min_query_count = 100
    else:
        raise ValueError(f"unknown scenario {scenario!r}")
    return ts


def _completer(lg: Any, impl: str) -> Callable[[Any], None]:
    """What answers one query: a list of QuerySample, or an array of ids."""
    if impl == "fast":
        return lg.complete_samples
    response = lg.QuerySampleResponse
    complete = lg.QuerySamplesComplete

    def complete_objects(samples: Any) -> None:
        complete([response(s.id, 0, 0) for s in samples])

    return complete_objects


def main() -> None:
    spec = json.loads(sys.argv[1])
    impl, scenario, sut_kind = spec["impl"], spec["scenario"], spec["sut"]
    lg = importlib.import_module("mlperf_loadgen" if impl == "ref" else "loadgen")
    if impl == "fast":
        # A harness that takes arrays has NumPy loaded; without this the first
        # issue call would pay for importing it (about 0.1-0.2 s).
        importlib.import_module("numpy")

    settings = _settings(lg, scenario, int(spec["size"]), int(spec.get("server_duration_ms", 3000)))
    if spec.get("record_mode"):
        # Ours only (bench_long_run.py): exact or streaming latency records.
        settings.record_mode = getattr(lg.RecordMode, str(spec["record_mode"]).capitalize())
    log = lg.LogSettings()
    log.log_output.outdir = spec["outdir"]
    log.enable_trace = False

    complete = _completer(lg, impl)
    first_issue_ns: list[int] = []
    flush_ns: list[int] = []
    worker = None

    if sut_kind == "sync":

        def handle(query: Any) -> None:
            if not first_issue_ns:
                first_issue_ns.append(time.perf_counter_ns())
            complete(query)

    elif sut_kind == "thread":
        pending: queue.Queue[Any] = queue.Queue()

        def work() -> None:
            while True:
                query = pending.get()
                if query is None:
                    return
                complete(query)

        worker = threading.Thread(target=work, name="null-sut-worker", daemon=True)
        worker.start()

        def handle(query: Any) -> None:
            if not first_issue_ns:
                first_issue_ns.append(time.perf_counter_ns())
            pending.put(query)

    else:
        raise ValueError(f"unknown SUT kind {sut_kind!r}")

    def flush() -> None:
        flush_ns.append(time.perf_counter_ns())

    if impl == "fast":
        sut = lg.ConstructNumpySUT(lambda ids, indices: handle(ids), flush)
    else:
        sut = lg.ConstructSUT(handle, flush)
    qsl = lg.ConstructQSL(QSL_SIZE, QSL_SIZE, lambda indices: None, lambda indices: None)

    rss_before_kib = _status_kib("VmRSS")
    t0 = time.perf_counter_ns()
    lg.StartTestWithLogSettings(sut, qsl, settings, log)
    wall_ns = time.perf_counter_ns() - t0

    if worker is not None:
        pending.put(None)
        worker.join()
    out: dict[str, Any] = {
        "wall_s": wall_ns / 1e9,
        "rss_before_kib": rss_before_kib,
        "peak_rss_kib": _status_kib("VmHWM"),
        # The SUT's view of the run: first query in, and the flush that
        # follows the last issue (completions are immediate, so for a
        # synchronous SUT this is the last completion too).
        "sut_active_s": (flush_ns[-1] - first_issue_ns[0]) / 1e9 if first_issue_ns and flush_ns else None,
    }
    lg.DestroyQSL(qsl)
    lg.DestroySUT(sut)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
