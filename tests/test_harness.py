"""The shared benchmark harness (loadgen.harness) on a toy data set.

No model library is needed: an "echo" backend returns each sample's input
doubled, so every response can be checked against its own sample index, and
the null backend measures the harness alone.
"""

from __future__ import annotations

import subprocess
import sys
import threading

import numpy as np
import pytest

lg = pytest.importorskip("loadgen")
harness = pytest.importorskip("loadgen.harness")

from harness_toys import (
    EchoBackend,
    ToyDataset,
    toy_options,
    toy_spec,
    unexpected_errors,
)
from loadgen.harness import (
    BackendOptions,
    RunOptions,
    create_backend,
    decode,
    first_response_per_sample,
    format_report,
    make_settings,
    register_backend,
    run_benchmark,
)
from loadgen.harness import sut as sut_module

SCENARIOS = ["SingleStream", "MultiStream", "Server", "Offline"]


def test_importing_loadgen_and_the_harness_does_not_import_model_libraries():
    code = (
        "import sys, loadgen, loadgen.harness; "
        "print(sorted(m for m in ('torch', 'onnxruntime', 'onnx', 'cv2') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("threads", [1, 3])
def test_every_response_carries_its_own_samples_result(tmp_path, scenario, threads):
    report = run_benchmark(
        toy_spec(), toy_options(tmp_path, scenario=scenario, accuracy=True, threads=threads)
    )
    assert report.error is None and not unexpected_errors(report)
    assert report.accuracy is not None
    assert report.accuracy.details == {"good": 16, "total": 16}
    assert report.accuracy_samples == 16
    assert (tmp_path / "out" / "accuracy.txt").read_text().startswith("accuracy=100.000%, good=16, total=16")


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_performance_runs_complete_every_issued_sample(tmp_path, scenario):
    report = run_benchmark(toy_spec(), toy_options(tmp_path, scenario=scenario, count=8))
    p = report.performance
    assert p is not None and report.error is None and not unexpected_errors(report)
    assert p.samples_completed == p.samples_issued >= 1
    assert (tmp_path / "out" / "mlperf_log_summary.txt").is_file()
    assert (tmp_path / "out" / "results.json").is_file()


def test_offline_with_a_long_enough_query_is_valid(tmp_path):
    # 8 samples (min_query_count from --count) and 50 ms: the echo backend
    # finishes in far less than 50 ms, so the query must be made to last: a
    # backend that takes 10 ms per batch of at most 3 samples does.
    class SlowEcho(EchoBackend):
        def predict(self, batch):
            threading.Event().wait(0.02)
            return super().predict(batch)

    register_backend("slow-echo", SlowEcho)
    report = run_benchmark(
        toy_spec(), toy_options(tmp_path, scenario="Offline", backend="slow-echo", count=8, threads=1)
    )
    assert report.performance.valid, report.performance.invalid_reasons
    assert report.ok


def test_null_backend_returns_fixed_outputs_of_the_declared_shape():
    b = create_backend("null")
    b.load(BackendOptions(null_outputs=(((), "int64"), ((3,), "float32"))))
    a, s = b.predict(np.zeros((5, 7), np.float32))
    assert a.shape == (5,) and a.dtype == np.int64 and not a.any()
    assert s.shape == (5, 3) and s.dtype == np.float32


def test_null_backend_runs_the_harness(tmp_path):
    report = run_benchmark(toy_spec(), toy_options(tmp_path, scenario="Offline", backend="null", count=8))
    assert report.error is None and report.performance.samples_completed >= 8


def test_unknown_backend_names_the_choices():
    with pytest.raises(ValueError, match="onnxruntime"):
        create_backend("tensorflow-lite-2")


def test_a_benchmarks_own_backend_class_replaces_the_registrys_for_that_benchmark_only(tmp_path):
    class TripleEcho(EchoBackend):
        def predict(self, batch):
            return [3 * batch]

    assert isinstance(create_backend("null", {"null": TripleEcho}), TripleEcho)
    assert not isinstance(create_backend("null"), TripleEcho)
    assert isinstance(create_backend("echo", {"null": TripleEcho}), EchoBackend)
    spec = toy_spec()
    spec.backends = {"echo": TripleEcho}
    report = run_benchmark(
        spec, toy_options(tmp_path, scenario="Offline", count=8, accuracy=True, time_s=None)
    )
    # 3 x where the hook expects 2 x: only sample 0 (value 0) is right
    assert report.accuracy is not None and report.accuracy.details["good"] == 1
    assert run_benchmark(toy_spec(), toy_options(tmp_path, scenario="Offline", accuracy=True)).accuracy.passed


def test_a_failing_backend_ends_the_run_invalid_with_its_error(tmp_path):
    report = run_benchmark(
        toy_spec(),
        toy_options(tmp_path, scenario="Offline", backend="failing", count=8, time_s=5.0, warmup_batches=0),
    )
    assert report.error == "RuntimeError: the accelerator caught fire"
    assert report.aborted
    assert not report.ok
    assert report.performance is None or not report.performance.valid


def test_threaded_sut_merges_queued_single_samples_up_to_max_batchsize(monkeypatch):
    completed: list[list[int]] = []
    monkeypatch.setattr(
        sut_module._core, "complete_samples", lambda ids, data=None: completed.append([int(i) for i in ids])
    )
    gate = threading.Event()

    class Gated(EchoBackend):
        def predict(self, batch):
            gate.wait(5)
            return super().predict(batch)

    ds = ToyDataset()
    ds.load(range(16))
    backend = Gated()
    sut = sut_module.ThreadedSUT(ds, backend, lambda outs: outs[0], max_batchsize=3, threads=1)
    try:
        for i in range(7):  # the worker takes the first and blocks; six queue up
            sut.issue_queries(np.array([100 + i], np.uint64), np.array([i], np.uint64))
        gate.set()
    finally:
        while sut.completed < 7 and sut.error is None:
            threading.Event().wait(0.01)
        sut.close()
    assert sut.error is None
    assert all(n <= 3 for n in backend.batch_sizes)
    assert sum(backend.batch_sizes) == 7
    assert max(backend.batch_sizes) == 3
    assert sorted(i for batch in completed for i in batch) == list(range(100, 107))


def test_short_run_shortens_durations_and_counts_but_not_validity_rules():
    opts = RunOptions(scenario="Offline")
    short = make_settings(opts, "resnet50", None, 50000, 1024).settings
    assert short.min_duration_ms == harness.SHORT_MIN_DURATION_MS
    assert short.min_query_count == harness.SHORT_MIN_QUERY_COUNT
    official = make_settings(
        RunOptions(scenario="Offline", official=True), "resnet50", None, 50000, 1024
    ).settings
    assert official.min_duration_ms == 600000
    assert official.min_query_count == 24576
    server = make_settings(RunOptions(scenario="Server"), "resnet50", None, 50000, 1024).settings
    assert server.server_target_latency_ns == 15_000_000  # the rules' bound stays
    assert make_settings(opts, "resnet50", None, 50000, 1024).notes[0].startswith("SHORT RUN")


def test_flags_override_configuration_like_the_reference_harness():
    opts = RunOptions(
        scenario="Server",
        count=7,
        time_s=2.5,
        qps=12.5,
        max_latency_s=0.2,
        samples_per_query=4,
        accuracy=True,
    )
    ts = make_settings(opts, "resnet50", None, 50000, 1024).settings
    assert (ts.min_query_count, ts.max_query_count) == (7, 7)
    assert (ts.min_duration_ms, ts.max_duration_ms) == (2500, 2500)
    assert ts.server_target_qps == ts.offline_expected_qps == 12.5
    assert ts.server_target_latency_ns == 200_000_000
    assert ts.multi_stream_samples_per_query == 4
    assert ts.mode == lg.TestMode.AccuracyOnly


def test_time_does_not_cap_the_offline_query_that_must_outlast_it():
    ts = make_settings(RunOptions(scenario="Offline", time_s=2.5), "resnet50", None, 50000, 1024).settings
    assert ts.min_duration_ms == 2500
    assert ts.max_duration_ms == 0


def test_performance_sample_count_is_capped_at_the_data_set_size():
    plan = make_settings(RunOptions(scenario="Offline"), "resnet50", None, 64, 64)
    assert plan.settings.performance_sample_count_override == 64
    assert any("exceeds the 64 samples" in n for n in plan.notes)


def test_multistream_query_larger_than_the_data_set_is_rejected_before_the_run():
    with pytest.raises(ValueError, match="--samples-per-query 4"):
        make_settings(RunOptions(scenario="MultiStream"), "resnet50", None, 4, 4)


def test_user_conf_values_and_diagnostics_are_applied(tmp_path):
    conf = tmp_path / "user.conf"
    conf.write_text("resnet50.Offline.target_qps = 123\n*.Offline.target_qsp = 5\n")
    plan = make_settings(RunOptions(scenario="Offline"), "resnet50", str(conf), 50000, 1024)
    assert plan.settings.offline_expected_qps == 123
    assert any("target_qsp" in w for w in plan.warnings)
    with pytest.raises(FileNotFoundError):
        make_settings(RunOptions(scenario="Offline"), "resnet50", str(tmp_path / "nope.conf"), 10, 10)


def test_options_are_validated_naming_the_field():
    with pytest.raises(ValueError, match="scenario"):
        RunOptions(scenario="Batch")
    with pytest.raises(ValueError, match="max_batchsize"):
        RunOptions(max_batchsize=0)
    with pytest.raises(ValueError, match="Server"):
        RunOptions(scenario="Offline", find_peak_performance=True)


def test_cli_accepts_the_reference_flag_names():
    parser = harness.build_parser(toy_spec())
    ns = parser.parse_args(
        [
            "--scenario",
            "Server",
            "--accuracy",
            "--backend",
            "null",
            "--count",
            "5",
            "--time",
            "3",
            "--qps",
            "7",
            "--max-latency",
            "0.1",
            "--samples-per-query",
            "2",
            "--max-batchsize",
            "4",
            "--threads",
            "2",
            "--performance-sample-count",
            "9",
            "--user_conf",
            "u.conf",
            "--audit_conf",
            "a.config",
            "--output",
            "o",
        ]
    )
    opts = harness.cli.options_from_args(ns)
    assert (opts.scenario, opts.accuracy, opts.backend, opts.count, opts.time_s, opts.qps) == (
        "Server",
        True,
        "null",
        5,
        3.0,
        7.0,
    )
    assert (opts.max_latency_s, opts.samples_per_query, opts.max_batchsize, opts.threads) == (0.1, 2, 4, 2)
    assert (opts.performance_sample_count, opts.user_conf, opts.audit_conf, opts.output) == (
        9,
        "u.conf",
        "a.config",
        "o",
    )


def test_accuracy_log_helpers_keep_the_first_record_and_check_sizes():
    records = [
        {"seq_id": 0, "qsl_idx": 3, "data": "0000803f"},
        {"seq_id": 1, "qsl_idx": 3, "data": "00000040"},
    ]
    first = first_response_per_sample(records)
    assert decode(first[3], "float32").tolist() == [1.0]
    with pytest.raises(ValueError):
        decode(b"\x00\x00\x00", "float32")


def test_report_table_says_short_run_verdict_reason_and_logs(tmp_path):
    report = run_benchmark(toy_spec(), toy_options(tmp_path, scenario="MultiStream", count=4))
    text = format_report(report)
    assert "SHORT RUN" in text
    assert "INVALID" in text  # 4 queries: far below MultiStream's 662 for early stopping
    assert "reason" in text
    assert str(tmp_path / "out") in text


def test_record_mode_flag_reaches_the_settings():
    from loadgen import RecordMode

    assert make_settings(RunOptions(), "resnet50", None, 50000, 1024).settings.record_mode == RecordMode.Auto
    for name, mode in (("exact", RecordMode.Exact), ("streaming", RecordMode.Streaming)):
        ts = make_settings(
            RunOptions(scenario="Server", record_mode=name), "resnet50", None, 50000, 1024
        ).settings
        assert ts.record_mode == mode
    with pytest.raises(ValueError, match="record_mode = 'fast'"):
        RunOptions(record_mode="fast")


def test_progress_counts_only_what_came_after_it_started():
    # The sizing probes and the warm-up go through the same SUT object as the timed run, so its
    # counters start above zero; the progress line must count from its own start.
    import io

    from loadgen.harness.report import Progress

    counts = [7, 9, 9]
    out = io.StringIO()
    with Progress(lambda: tuple(counts), stream=out, interval_s=0.01):
        counts[:] = [10, 13, 12]
    last = out.getvalue().strip().splitlines()[-1]
    assert "queries issued 3; samples issued 4, completed 3;" in last
