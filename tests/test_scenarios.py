"""Every scenario and mode runs to completion and its results make sense; the
Python API variants (callbacks, subclasses, fast and numpy SUTs,
complete_samples, token latencies) and log naming work.
"""

from __future__ import annotations

import json
import math
import queue
import re
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import loadgen as lg
import numpy as np
import pytest
from lg_helpers import (
    ACCURACY,
    DETAIL,
    SUMMARY,
    child_result,
    detail_values,
    log_settings_in,
    quick_settings,
    read_accuracy,
    read_detail,
    run_command,
    run_in_process,
    run_python,
    summary_error_count,
    summary_value,
)

SCENARIOS = ["SingleStream", "MultiStream", "Server", "Offline"]


class Recorder:
    """A synchronous null SUT and a QSL that record every call."""

    def __init__(self, total: int = 100, perf: int = 40):
        self.queries: list[list[int]] = []
        self.loads: list[list[int]] = []
        self.unloads: list[list[int]] = []
        self.flushes = 0
        self.sut = lg.ConstructSUT(self.issue, self.flush)
        self.qsl = lg.ConstructQSL(total, perf, self.loads.append, self.unloads.append)

    def issue(self, samples):
        self.queries.append([s.index for s in samples])
        lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in samples])

    def flush(self):
        self.flushes += 1

    def close(self):
        lg.DestroySUT(self.sut)
        lg.DestroyQSL(self.qsl)


@pytest.fixture
def recorder():
    rec = Recorder()
    yield rec
    rec.close()


# Settings under which a null SUT gives a VALID performance result: enough
# queries for early stopping (SS 64, MS 662, Server 459 at p99) and, for
# Offline, no minimum duration (an instant SUT cannot fill one).
VALID_SETTINGS = {
    "SingleStream": {},
    "MultiStream": {"min_query_count": 662},
    "Server": {
        "server_target_qps": 5000,
        "min_duration_ms": 100,
        "min_query_count": 500,
        "server_target_latency_ns": 1000000000,
    },
    "Offline": {"min_duration_ms": 0, "min_query_count": 500},
}


def run(rec: Recorder, settings, outdir: Path):
    return lg.run_test(rec.sut, rec.qsl, settings, log_settings_in(lg, outdir))


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("mode", ["PerformanceOnly", "SubmissionRun"])
def test_performance_run_with_null_sut_is_valid(scenario, mode, recorder, tmp_path):
    result = run(recorder, quick_settings(lg, scenario, mode, **VALID_SETTINGS[scenario]), tmp_path)
    assert len(result.performance) == 1
    perf = result.performance[0]
    assert perf.valid, perf.invalid_reasons
    assert result.valid
    assert result.num_errors == 0, result.errors
    assert perf.samples_completed == perf.samples_issued > 0
    assert perf.samples_never_completed == 0
    summary = (tmp_path / SUMMARY).read_text()
    assert summary_value(summary, "Result is") == "VALID"
    assert summary_value(summary, "Scenario") == scenario
    assert summary_value(summary, "Mode") == mode
    assert detail_values(read_detail(tmp_path / DETAIL), "result_validity") == ["VALID"]
    assert result.has_accuracy == (mode == "SubmissionRun")
    assert recorder.flushes == len(recorder.loads) == (1 if mode == "PerformanceOnly" else 4)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_accuracy_run_logs_every_sample_and_writes_no_verdict(scenario, recorder, tmp_path):
    result = run(recorder, quick_settings(lg, scenario, "AccuracyOnly"), tmp_path)
    assert result.performance == []
    assert result.has_accuracy
    assert result.num_errors == 0, result.errors
    assert result.accuracy_samples_completed == result.accuracy_samples_issued >= 100
    logged = read_accuracy(tmp_path / ACCURACY)
    assert {e["qsl_idx"] for e in logged} == set(range(100))
    assert sorted(e["seq_id"] for e in logged) == list(range(len(logged)))
    summary = (tmp_path / SUMMARY).read_text()
    assert "Result is" not in summary
    assert "No errors encountered during test." in summary


def test_find_peak_performance_brackets_the_peak_within_the_requested_precision(tmp_path):
    # A SUT with a 1 ms service time cannot keep up beyond about 1000 qps, so
    # the search must find a boundary. Only the search's own invariants are
    # asserted; where exactly the peak lands depends on the machine.
    def issue(samples):
        end = time.perf_counter_ns() + 1_000_000
        while time.perf_counter_ns() < end:  # the service time of this SUT
            pass
        lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in samples])

    settings = quick_settings(
        lg,
        "Server",
        "FindPeakPerformance",
        server_target_qps=100,
        min_duration_ms=100,
        min_query_count=1,
        server_target_latency_ns=50_000_000,
        server_find_peak_qps_decimals_of_precision=0,
    )
    result = run_in_process(lg, settings, tmp_path, issue, total=100, perf=40)
    assert len(result.peak_probes) == len(result.performance)
    probes = [(p.target_qps, p.passed) for p in result.peak_probes]
    assert probes[0] == (100, True)
    assert len(probes) >= 3
    assert (result.peak_qps, True) in probes
    # The search ends when a failing probe lies within 2 qps above the peak
    # (decimals_of_precision 0).
    assert any(not ok and result.peak_qps < qps < result.peak_qps + 2 for qps, ok in probes)
    summary = (tmp_path / SUMMARY).read_text()
    assert "Mode     : FindPeakPerformance" in summary
    messages = detail_values(read_detail(tmp_path / DETAIL), "generic_message")
    assert any("Found peak performance" in m for m in messages)


@pytest.mark.parametrize(
    ("min_duration_ms", "expected_qps", "min_query_count", "samples"),
    [(200, 5000, 100, 1100), (200, 5000, 2000, 2000), (0, 1000, 500, 500), (100, 1, 7, 7)],
)
def test_offline_query_holds_max_of_min_query_count_and_expected_samples(
    min_duration_ms, expected_qps, min_query_count, samples, recorder, tmp_path
):
    settings = quick_settings(
        lg,
        "Offline",
        min_duration_ms=min_duration_ms,
        offline_expected_qps=expected_qps,
        min_query_count=min_query_count,
    )
    result = run(recorder, settings, tmp_path)
    assert [len(q) for q in recorder.queries] == [samples]
    assert result.performance[0].samples_issued == samples
    # The loaded set is repeated in order.
    loaded = recorder.loads[0]
    assert recorder.queries[0] == [loaded[i % len(loaded)] for i in range(samples)]


@pytest.mark.parametrize("spq", [1, 3, 8])
def test_multistream_queries_hold_samples_per_query_contiguous_samples(spq, recorder, tmp_path):
    run(recorder, quick_settings(lg, "MultiStream", multi_stream_samples_per_query=spq), tmp_path)
    assert recorder.queries
    assert {len(q) for q in recorder.queries} == {spq}
    padded = recorder.loads[0]  # the set as loaded: padded with its own head
    assert len(padded) == 40 + spq - 1
    for q in recorder.queries:
        start = padded.index(q[0])
        assert q == padded[start : start + spq]


@pytest.mark.parametrize("scenario", ["SingleStream", "Server", "Offline"])
def test_accuracy_mode_issues_every_sample_once_in_sets_of_performance_count(scenario, tmp_path):
    rec = Recorder(total=40, perf=16)
    try:
        run(rec, quick_settings(lg, scenario, "AccuracyOnly"), tmp_path)
    finally:
        rec.close()
    assert [len(s) for s in rec.loads] == [16, 16, 8]
    assert rec.unloads == rec.loads
    assert sorted(i for s in rec.loads for i in s) == list(range(40))
    issued = [i for q in rec.queries for i in q]
    assert sorted(issued) == list(range(40))
    # Each set is issued while it is loaded, in load order.
    start = 0
    for loaded in rec.loads:
        assert sorted(issued[start : start + len(loaded)]) == sorted(loaded)
        start += len(loaded)
    assert rec.flushes == 3


def test_accuracy_log_has_each_index_once_when_four_threads_complete_concurrently(tmp_path):
    total = 4000
    values = (np.arange(total, dtype=np.uint32) * 7919 + 13).astype(np.uint32)
    inboxes = [queue.Queue() for _ in range(4)]

    def worker(inbox):
        while (samples := inbox.get()) is not None:
            for k in range(0, len(samples), 7):
                batch = samples[k : k + 7]
                chunks = [values[s.index : s.index + 1] for s in batch]  # kept alive for the call
                lg.QuerySamplesComplete(
                    [lg.QuerySampleResponse(s.id, c.ctypes.data, c.nbytes) for s, c in zip(batch, chunks)]
                )

    threads = [threading.Thread(target=worker, args=(q,)) for q in inboxes]
    for t in threads:
        t.start()

    def issue(samples):
        for i, inbox in enumerate(inboxes):
            inbox.put(samples[i::4])

    try:
        result = run_in_process(
            lg, quick_settings(lg, "Offline", "AccuracyOnly"), tmp_path, issue, total=total, perf=1000
        )
    finally:
        for inbox in inboxes:
            inbox.put(None)
        for t in threads:
            t.join()
    assert result.num_errors == 0, result.errors
    logged = read_accuracy(tmp_path / ACCURACY)
    assert Counter(e["qsl_idx"] for e in logged) == Counter(range(total))
    for e in logged:
        assert e["data"] == values[e["qsl_idx"]].tobytes().hex().upper()


@pytest.mark.parametrize("with_datetime", [False, True])
def test_log_files_are_named_by_log_output_settings(with_datetime, recorder, tmp_path):
    ls = lg.LogSettings()
    ls.log_output.outdir = str(tmp_path / "new" / "nested")  # does not exist yet
    ls.log_output.prefix = "p_"
    ls.log_output.suffix = "_s"
    ls.log_output.prefix_with_datetime = with_datetime
    result = lg.run_test(recorder.sut, recorder.qsl, quick_settings(lg, "SingleStream"), ls)
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ_" if with_datetime else ""
    names = sorted(p.name for p in (tmp_path / "new" / "nested").iterdir())
    # The reference's four files, plus our mlperf_log_summary.json.
    expected = [
        ("accuracy", "json"),
        ("detail", "txt"),
        ("summary", "json"),
        ("summary", "txt"),
        ("trace", "json"),
    ]
    assert len(names) == 5
    for name, (kind, ext) in zip(names, expected):
        assert re.fullmatch(rf"p_{stamp}{kind}_s\.{ext}", name), name
    paths = {result.summary_path, result.detail_path, result.accuracy_path, result.trace_path}
    assert {Path(p).name for p in paths} <= set(names)
    assert "Result is" in Path(result.summary_path).read_text()


# A child script's start: a null SUT over a 10-sample QSL, default settings.
NULL_SUT_SCRIPT = """
import loadgen as lg
def issue(s):
    lg.QuerySamplesComplete([lg.QuerySampleResponse(x.id, 0, 0) for x in s])
sut = lg.ConstructSUT(issue, lambda: None)
qsl = lg.ConstructQSL(10, 10, lambda s: None, lambda s: None)
ts = lg.TestSettings()
"""


def test_default_log_settings_write_the_log_files_into_the_cwd(tmp_path):
    code = (
        NULL_SUT_SCRIPT
        + """
ts.min_duration_ms = 10
ts.min_query_count = 10
lg.StartTest(sut, qsl, ts)
"""
    )
    proc = run_command(sys.executable, "-c", code, cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "mlperf_log_accuracy.json",
        "mlperf_log_detail.txt",
        "mlperf_log_summary.json",
        "mlperf_log_summary.txt",
        "mlperf_log_trace.json",
    ]


def summary_int(summary: str, label: str) -> int:
    return int(summary_value(summary, label))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_run_test_result_agrees_with_the_summary(scenario, recorder, tmp_path):
    result = run(recorder, quick_settings(lg, scenario), tmp_path)
    perf = result.performance[0]
    summary = (tmp_path / SUMMARY).read_text()
    yes_no = {"Yes": True, "NO": False}
    assert summary_value(summary, "Result is") == ("VALID" if perf.valid else "INVALID")
    assert result.valid == perf.valid
    assert summary_value(summary, "Scenario") == perf.scenario == scenario
    assert yes_no[summary_value(summary, "  Min duration satisfied")] == perf.min_duration_met
    assert yes_no[summary_value(summary, "  Min queries satisfied")] == perf.min_queries_met
    assert yes_no[summary_value(summary, "  Early stopping satisfied")] == perf.early_stopping_met
    if scenario == "Server":
        assert (
            yes_no[summary_value(summary, "  Performance constraints satisfied")] == perf.perf_constraints_met
        )
    assert summary_error_count(summary) == result.num_errors
    headline = summary_value(summary, perf.metric_name)
    assert math.isclose(float(headline), perf.metric, rel_tol=1e-5, abs_tol=0.006)
    # MultiStream's Additional Stats are per query.
    stats = perf.query_latency if scenario == "MultiStream" else perf.sample_latency
    assert summary_int(summary, "Min latency (ns)") == stats.min_ns
    assert summary_int(summary, "Max latency (ns)") == stats.max_ns
    assert summary_int(summary, "Mean latency (ns)") == stats.mean_ns
    for p, ns in zip(stats.percentiles, stats.percentile_ns):
        assert summary_int(summary, f"{p * 100:.2f} percentile latency (ns)") == ns
    spq = {"MultiStream": 8, "Offline": perf.samples_issued}.get(scenario, 1)
    assert summary_int(summary, "samples_per_query") == spq
    records = read_detail(tmp_path / DETAIL)
    assert detail_values(records, "result_validity") == ["VALID" if perf.valid else "INVALID"]
    assert detail_values(records, "result_query_count") == [perf.queries_issued]
    assert sum(len(q) for q in recorder.queries) == perf.samples_issued


class EchoQSL(lg.QuerySampleLibrary):
    name = "EchoQSL"

    def __init__(self, total, perf):
        self.total_sample_count = total
        self.performance_sample_count = perf
        self.loaded: list[list[int]] = []

    def load_samples(self, indices):
        self.loaded.append(list(indices))


def payload(index: int) -> bytes:
    """Each sample's response: index % 5 + 1 bytes, so offsets matter."""
    return bytes((index * 31 + k) % 256 for k in range(index % 5 + 1))


class CompletingSUT(lg.SystemUnderTest):
    def __init__(self, style: str, how: str):
        self.issue_style = style
        self.how = how
        self.flushed = 0

    def issue_queries(self, *args):
        if self.issue_style == "objects":
            (samples,) = args
            ids = [s.id for s in samples]
            indices = [s.index for s in samples]
        else:
            ids, indices = args
            if self.issue_style == "numpy":
                assert isinstance(ids, np.ndarray) and ids.dtype == np.uint64
            ids, indices = list(ids), [int(i) for i in indices]
        if self.how == "ids":
            lg.complete_samples(ids)
        elif self.how == "bytes-list":
            lg.complete_samples(ids, [payload(i) for i in indices])
        elif self.how == "numpy-even":
            rows = np.array([[i, i + 1] for i in indices], dtype=np.uint32)
            lg.complete_samples(np.asarray(ids, dtype=np.uint64), rows)
        elif self.how == "offsets":
            chunks = [payload(i) for i in indices]
            offsets = np.cumsum([0] + [len(c) for c in chunks])
            lg.complete_samples(ids, np.frombuffer(b"".join(chunks), dtype=np.uint8), offsets)

    def flush_queries(self):
        self.flushed += 1


def expected_hex(how: str, index: int) -> str:
    if how == "ids":
        return ""
    if how == "numpy-even":
        return np.array([index, index + 1], dtype=np.uint32).tobytes().hex().upper()
    return payload(index).hex().upper()


@pytest.mark.parametrize("style", ["objects", "lists", "numpy"])
@pytest.mark.parametrize("how", ["ids", "bytes-list", "numpy-even", "offsets"])
def test_subclass_sut_and_complete_samples_log_the_given_data(style, how, tmp_path):
    sut, qsl = CompletingSUT(style, how), EchoQSL(50, 20)
    result = lg.run_test(
        sut, qsl, quick_settings(lg, "Offline", "AccuracyOnly"), log_settings_in(lg, tmp_path)
    )
    assert result.num_errors == 0, result.errors
    assert [len(s) for s in qsl.loaded] == [20, 20, 10]
    assert sut.flushed == 3
    logged = read_accuracy(tmp_path / ACCURACY)
    assert sorted(e["qsl_idx"] for e in logged) == list(range(50))
    for e in logged:
        assert e["data"] == expected_hex(how, e["qsl_idx"]), e
    records = read_detail(tmp_path / DETAIL)
    assert detail_values(records, "qsl_name") == ["EchoQSL"]


def test_subclass_sut_runs_a_valid_performance_test(tmp_path):
    result = lg.run_test(
        CompletingSUT("numpy", "ids"),
        EchoQSL(100, 40),
        quick_settings(lg, "SingleStream"),
        log_settings_in(lg, tmp_path),
    )
    assert result.valid


@pytest.mark.parametrize("construct", ["ConstructFastSUT", "ConstructNumpySUT"])
def test_fast_and_numpy_suts_receive_ids_and_indices(construct, tmp_path):
    seen = []

    def issue(ids, indices):
        seen.append((type(ids).__name__, [int(i) for i in indices]))
        lg.QuerySamplesComplete([lg.QuerySampleResponse(int(i), 0, 0) for i in ids])

    sut = getattr(lg, construct)(issue, lambda: None)
    loads = []
    qsl = lg.ConstructQSL(100, 40, loads.append, lambda s: None)
    try:
        result = lg.run_test(sut, qsl, quick_settings(lg, "Server"), log_settings_in(lg, tmp_path))
    finally:
        lg.DestroySUT(sut)
        lg.DestroyQSL(qsl)
    assert result.num_errors == 0, result.errors
    assert result.performance[0].samples_completed == result.performance[0].samples_issued > 0
    assert {t for t, _ in seen} == ({"list"} if construct == "ConstructFastSUT" else {"ndarray"})
    assert {i for _, idx in seen for i in idx} <= set(loads[0])


class TokenSUT:
    """Reports the first token, then completes with n_tokens = 5."""

    def __init__(self, complete_with: str = "QuerySamplesComplete"):
        self.buf = np.arange(16, dtype=np.uint8)
        self.complete_with = complete_with

    def issue(self, samples):
        first = self.buf[:2]
        lg.FirstTokenComplete(
            [lg.QuerySampleResponse(s.id, first.ctypes.data, first.nbytes) for s in samples]
        )
        if self.complete_with == "complete_samples":
            n = len(samples)
            lg.complete_samples([s.id for s in samples], np.tile(self.buf, n), n_tokens=[5] * n)
            return
        lg.QuerySamplesComplete(
            [lg.QuerySampleResponse(s.id, self.buf.ctypes.data, self.buf.nbytes, 5) for s in samples]
        )


@pytest.mark.parametrize("complete_with", ["QuerySamplesComplete", "complete_samples"])
@pytest.mark.parametrize("scenario", ["SingleStream", "Server"])
def test_token_latencies_give_first_token_stats(scenario, complete_with, tmp_path):
    settings = quick_settings(lg, scenario, use_token_latencies=True)
    result = run_in_process(lg, settings, tmp_path, TokenSUT(complete_with).issue, total=100, perf=40)
    perf = result.performance[0]
    assert result.num_errors == 0, result.errors
    assert perf.first_token.count == perf.samples_issued > 0
    assert 0 < perf.first_token.min_ns <= perf.first_token.max_ns
    assert perf.first_token.max_ns <= perf.sample_latency.max_ns
    assert perf.token_count == 5 * perf.samples_issued
    records = read_detail(tmp_path / DETAIL)
    assert detail_values(records, "result_first_token_min_latency_ns") == [perf.first_token.min_ns]


@pytest.mark.parametrize("scenario", ["SingleStream", "Offline"])
def test_token_latencies_add_token_count_to_the_accuracy_log(scenario, tmp_path):
    settings = quick_settings(lg, scenario, "AccuracyOnly", use_token_latencies=True)
    tok = TokenSUT()
    result = run_in_process(lg, settings, tmp_path, tok.issue, total=30, perf=30)
    assert result.num_errors == 0, result.errors
    logged = read_accuracy(tmp_path / ACCURACY)
    assert len(logged) == 30
    for e in logged:
        assert e["token_count"] == 5
        assert e["data"] == tok.buf.tobytes().hex().upper()
        if scenario != "Offline":  # the reference logs token_data except in Offline
            assert e["token_data"] == tok.buf[:2].tobytes().hex().upper()


DEMO = Path(__file__).with_name("demo_single_stream.py")


@pytest.mark.parametrize("module", ["loadgen", "mlperf_loadgen"])
def test_reference_style_demo_script_runs(module, tmp_path):
    if module == "mlperf_loadgen":
        pytest.importorskip("mlperf_loadgen")
    reference = ["--reference"] if module != "loadgen" else []
    proc = run_command(sys.executable, DEMO, "--outdir", tmp_path, *reference, cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = child_result(proc)
    assert out["module"] == module
    assert out["loaded"] == 128
    assert out["unloaded_all"]
    summary = (tmp_path / SUMMARY).read_text()
    assert summary_value(summary, "Result is") == "VALID"
    assert summary_value(summary, "SUT name") == "PySUT"


@pytest.mark.parametrize(
    ("mode", "probability"), [("AccuracyOnly", 0.0), ("PerformanceOnly", 0.0), ("PerformanceOnly", 0.5)]
)
def test_response_callback_runs_once_per_logged_response(mode, probability, tmp_path):
    callbacks = []
    data = np.arange(4, dtype=np.uint8)

    def issue(samples):
        lg.QuerySamplesComplete(
            [lg.QuerySampleResponse(s.id, data.ctypes.data, data.nbytes) for s in samples],
            lambda r: callbacks.append((r.id, r.size)),
        )

    settings = quick_settings(
        lg, "SingleStream", mode, accuracy_log_probability=probability, accuracy_log_rng_seed=5
    )
    result = run_in_process(lg, settings, tmp_path, issue, total=60, perf=60)
    logged = read_accuracy(tmp_path / ACCURACY)
    assert len(callbacks) == len(logged)
    assert all(size == 4 for _, size in callbacks)
    if mode == "AccuracyOnly":
        assert len(logged) == 60
    elif probability == 0.0:
        assert logged == []
        assert (tmp_path / ACCURACY).read_text() == "[\n]\n"  # as the reference writes it
    else:
        issued = result.performance[0].samples_issued
        assert 0 < len(logged) < issued


def test_copy_summary_to_stdout_prints_the_summary(recorder, tmp_path, capfd):
    ls = log_settings_in(lg, tmp_path)
    ls.log_output.copy_summary_to_stdout = True
    lg.run_test(recorder.sut, recorder.qsl, quick_settings(lg, "SingleStream"), ls)
    printed = capfd.readouterr().out
    assert "Result is : VALID" in printed
    assert (tmp_path / SUMMARY).read_text().strip() in printed


@pytest.mark.parametrize("trace", [False, True])
def test_trace_file_is_empty_when_disabled_and_json_when_enabled(trace, recorder, tmp_path):
    result = lg.run_test(
        recorder.sut,
        recorder.qsl,
        quick_settings(lg, "SingleStream"),
        log_settings_in(lg, tmp_path, trace=trace),
    )
    text = Path(result.trace_path).read_text()
    if not trace:
        assert text == ""
    else:
        assert "traceEvents" in json.loads(text)


def test_print_timestamps_prints_the_wall_clock_bounds_of_the_performance_run(tmp_path):
    code = (
        NULL_SUT_SCRIPT
        + """
ts.min_duration_ms = 50
ts.min_query_count = 10
ts.print_timestamps = True
ls = lg.LogSettings()
ls.enable_trace = False
lg.StartTestWithLogSettings(sut, qsl, ts, ls)
"""
    )
    proc = run_python(code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    start = re.search(r"Loadgen :: Perf mode start\. system_clock Timestamp = (\d+)", proc.stdout)
    stop = re.search(r"Loadgen :: Perf mode stop\. system_clock Timestamp = (\d+)", proc.stdout)
    duration = re.search(r"Loadgen :: PerfClock Perf duration = (\d+)ms", proc.stdout)
    assert start and stop and duration, proc.stdout
    assert int(stop.group(1)) >= int(start.group(1))
    assert int(duration.group(1)) >= 50


def test_early_end_reason_tells_a_max_query_count_stop_from_a_natural_end(recorder, tmp_path):
    natural = lg.run_test(
        recorder.sut, recorder.qsl, quick_settings(lg, "SingleStream"), log_settings_in(lg, tmp_path / "a")
    )
    capped = lg.run_test(
        recorder.sut,
        recorder.qsl,
        quick_settings(lg, "SingleStream", max_query_count=5),
        log_settings_in(lg, tmp_path / "b"),
    )
    assert natural.performance[0].early_end_reason == ""
    assert capped.performance[0].early_end_reason == "Max query count reached"
    assert capped.performance[0].queries_issued == 5
    doc = json.loads((tmp_path / "b" / "mlperf_log_summary.json").read_text())
    assert doc["performance"][0]["early_end_reason"] == "Max query count reached"


def test_copy_detail_to_stdout_prints_the_detail_records(recorder, tmp_path, capfd):
    ls = log_settings_in(lg, tmp_path)
    ls.log_output.copy_detail_to_stdout = True
    lg.run_test(recorder.sut, recorder.qsl, quick_settings(lg, "SingleStream"), ls)
    printed = [line for line in capfd.readouterr().out.splitlines() if line.startswith(":::MLLOG ")]
    written = (tmp_path / DETAIL).read_text().splitlines()
    assert printed == written


def test_trace_is_bounded_and_spread_over_a_long_phase(tmp_path):
    # 250k samples in one Offline query: at most 100k sample events, every
    # fourth one (the stride doubles each time 100k would be passed, in exact
    # and streaming mode alike), plus the phase span.
    sut = lg.ConstructNumpySUT(lambda ids, idx: lg.complete_samples(ids), lambda: None)
    qsl = lg.ConstructQSL(1024, 1024, lambda s: None, lambda s: None)
    ts = quick_settings(lg, "Offline", min_query_count=250_000, offline_expected_qps=1)
    result = lg.run_test(sut, qsl, ts, log_settings_in(lg, tmp_path, trace=True))
    events = json.loads(Path(result.trace_path).read_text())["traceEvents"]
    phases = [e for e in events if e["name"] == "PerformancePhase"]
    samples = [e for e in events if e["name"] == "Sample"]
    assert len(phases) == 1 and phases[0]["args"]["sampled_every"] == 4
    assert len(samples) == 62_500
    assert [e["args"]["sample_seq"] for e in samples[:3]] == [0, 4, 8]
    assert all(e["args"]["complete_ns"] >= 0 for e in samples)
