"""Our log files carry everything the reference's carry.

For each scenario and mode, ours and the reference (mlperf_loadgen 6.0.17) run
with the same settings and the same deterministic null SUT, each in its own
process; then every detail-log key and every summary label the reference
writes must be in ours, and the accuracy logs must hold the same entries.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("mlperf_loadgen")

DRIVER = textwrap.dedent(
    """
    import array, os, sys
    which, scenario, mode, outdir, tests = sys.argv[1:6]
    if which == "ours":
        import loadgen as lg
    else:
        import mlperf_loadgen as lg
    sys.path.insert(0, tests)
    from lg_helpers import log_settings_in, settings_with
    keep = []
    def issue(samples):
        responses = []
        for s in samples:
            buf = array.array("f", [float(s.index)])
            keep.append(buf)
            addr, n = buf.buffer_info()
            responses.append(lg.QuerySampleResponse(s.id, addr, n * buf.itemsize))
        lg.QuerySamplesComplete(responses)
    sut = lg.ConstructSUT(issue, lambda: None)
    qsl = lg.ConstructQSL(64, 32, lambda x: None, lambda x: None)
    ts = settings_with(
        lg, scenario, mode, min_duration_ms=100, min_query_count=100,
        single_stream_expected_latency_ns=2000, multi_stream_expected_latency_ns=2000,  # the reference must not run out
        server_target_qps=2000, offline_expected_qps=1000,
        qsl_rng_seed=1234, sample_index_rng_seed=5678, schedule_rng_seed=91011,
    )
    lg.StartTestWithLogSettings(sut, qsl, ts, log_settings_in(lg, outdir))
    """
)

TESTS = os.path.dirname(os.path.abspath(__file__))

# Keys the reference writes that are artifacts of its own logger.
REFERENCE_ONLY_WARNINGS = {"warning_generic_message"}


def run(which: str, scenario: str, mode: str, outdir: str) -> None:
    os.makedirs(outdir, exist_ok=True)
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, which, scenario, mode, outdir, str(TESTS)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=outdir,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]


def detail_keys(path: str) -> list[str]:
    keys = []
    with open(path) as f:
        for line in f:
            assert line.startswith(":::MLLOG "), line[:80]
            record = json.loads(line[len(":::MLLOG ") :])
            keys.append(record["key"])
    return keys


def summary_labels(path: str) -> list[str]:
    with open(path) as f:
        return [line.split(":")[0].strip() for line in f if ":" in line]


def accuracy_entries(path: str) -> list[tuple[int, str]]:
    with open(path) as f:
        return sorted((e["qsl_idx"], e["data"]) for e in json.load(f))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    cache = {}

    def get(scenario: str, mode: str) -> tuple[str, str]:
        if (scenario, mode) not in cache:
            base = tmp_path_factory.mktemp(f"{scenario}_{mode}")
            ours, ref = str(base / "ours"), str(base / "ref")
            run("ours", scenario, mode, ours)
            run("ref", scenario, mode, ref)
            cache[(scenario, mode)] = (ours, ref)
        return cache[(scenario, mode)]

    return get


SCENARIOS = ["SingleStream", "MultiStream", "Server", "Offline"]
MODES = ["PerformanceOnly", "AccuracyOnly", "SubmissionRun"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_detail_key_of_the_reference_is_in_ours(runs, scenario, mode):
    ours, ref = runs(scenario, mode)
    ref_keys = set(detail_keys(os.path.join(ref, "mlperf_log_detail.txt"))) - REFERENCE_ONLY_WARNINGS
    our_keys = set(detail_keys(os.path.join(ours, "mlperf_log_detail.txt")))
    assert sorted(ref_keys - our_keys) == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_summary_label_of_the_reference_is_in_ours_in_order(runs, scenario, mode):
    ours, ref = runs(scenario, mode)
    ref_labels = summary_labels(os.path.join(ref, "mlperf_log_summary.txt"))
    our_labels = summary_labels(os.path.join(ours, "mlperf_log_summary.txt"))
    # Same labels in the same order; ours may add its own (issue lag).
    it = iter(our_labels)
    missing = [label for label in ref_labels if label not in it]
    assert missing == [], f"reference labels missing or out of order: {missing}"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_accuracy_logs_hold_the_same_entries(runs, scenario):
    ours, ref = runs(scenario, "AccuracyOnly")
    assert accuracy_entries(os.path.join(ours, "mlperf_log_accuracy.json")) == accuracy_entries(
        os.path.join(ref, "mlperf_log_accuracy.json")
    )


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_performance_only_accuracy_log_is_an_empty_array_like_the_reference(runs, scenario):
    ours, ref = runs(scenario, "PerformanceOnly")
    with open(os.path.join(ours, "mlperf_log_accuracy.json")) as f:
        text = f.read()
    with open(os.path.join(ref, "mlperf_log_accuracy.json")) as f:
        assert text == f.read() == "[\n]\n"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_summary_json_agrees_with_the_summary_text(runs, scenario):
    ours, _ = runs(scenario, "PerformanceOnly")
    with open(os.path.join(ours, "mlperf_log_summary.json")) as f:
        doc = json.load(f)
    with open(os.path.join(ours, "mlperf_log_summary.txt")) as f:
        text = f.read()
    assert doc["schema"] == "loadgen.summary/1"
    perf = doc["performance"][-1]
    assert f"Result is : {perf['result']}" in text
    assert (
        f"Min latency (ns)                : {perf['sample_latency']['min_ns']}" in text
        or scenario == "MultiStream"
    )


@pytest.mark.parametrize("scenario", ["SingleStream", "Server", "Offline"])
def test_an_audit_config_in_the_cwd_samples_the_same_responses_as_the_reference(tmp_path, scenario):
    # A TEST01-style audit.config: StartTest reads it from the working
    # directory, logs that it did, and samples responses into the accuracy log.
    audit = "*.*.accuracy_log_rng_seed = 720381539243781796\n*.*.accuracy_log_sampling_target = 40\n"
    logged, issued = {}, {}
    for which in ("ours", "ref"):
        outdir = tmp_path / which
        outdir.mkdir()
        (outdir / "audit.config").write_text(audit)
        run(which, scenario, "PerformanceOnly", str(outdir))
        with open(outdir / "mlperf_log_accuracy.json") as f:
            logged[which] = sorted((e["seq_id"], e["qsl_idx"]) for e in json.load(f))
        with open(outdir / "mlperf_log_detail.txt") as f:
            detail = f.read()
        records = [json.loads(line[len(":::MLLOG ") :]) for line in detail.splitlines()]
        issued[which] = next(r["value"] for r in records if r["key"] == "result_query_count")
        if which == "ours":
            assert "audit.config" in detail
    # SingleStream issues as many queries as fit in the duration, and ours
    # issues more; compare the samples both issued (one per query here).
    if scenario == "SingleStream":
        common = min(issued.values())
        logged = {k: [e for e in v if e[0] < common] for k, v in logged.items()}
    else:
        assert issued["ours"] == issued["ref"]
    assert logged["ours"], "the audit.config's sampling logged nothing"
    assert logged["ours"] == logged["ref"]
