"""Measured sizing (loadgen.harness.sizing) on a simulated SUT whose speed the
test sets: a backend that takes a fixed time per sample (slow, fast, very
fast). Short runs are cut to 1 s of min_duration and the probes to 0.3 s, so
each run takes a few seconds; the logic is the same as in a 10 s run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from loadgen.harness import Backend, BackendOptions, BenchmarkSpec, Dataset, RunOptions, run_benchmark, sizing
from loadgen.harness import settings as harness_settings
from loadgen.harness.settings import make_settings


class Ones(Dataset):
    name = "ones"

    def __init__(self, n: int = 64) -> None:
        self.n = n

    @property
    def total_count(self) -> int:
        return self.n

    def load(self, indices: Sequence[int]) -> None:
        pass

    def unload(self, indices: Sequence[int]) -> None:
        pass

    def get_batch(self, indices: Sequence[int]) -> np.ndarray:
        return np.ones((len(indices), 1), np.float32)


class Simulated(Backend):
    """Takes ``per_sample_s`` per sample of a batch (sleeping, so workers overlap
    as a real accelerator's would)."""

    name = "simulated"
    per_sample_s = 0.0

    def load(self, options: BackendOptions) -> None:
        pass

    def predict(self, batch):
        if self.per_sample_s:
            time.sleep(self.per_sample_s * len(batch))
        return [batch]


def spec_for(per_sample_s: float) -> BenchmarkSpec:
    cls = type(f"Simulated{per_sample_s}", (Simulated,), {"per_sample_s": per_sample_s})
    return BenchmarkSpec(
        name="Simulated",
        config_model="sim",
        user_conf=None,
        make_dataset=lambda opts: Ones(),
        postprocess=lambda outputs: outputs[0],
        performance_sample_count=64,
        default_max_batchsize=4,
        backends={"simulated": cls},
        default_backend="simulated",
    )


SPEEDS = {"slow": 0.01, "fast": 0.001, "very-fast": 0.0}


@pytest.fixture(autouse=True)
def short(monkeypatch):
    monkeypatch.setattr(harness_settings, "SHORT_MIN_DURATION_MS", 1000)
    monkeypatch.setattr(sizing, "PROBE_TARGET_S", 0.3)


def run(tmp_path: Path, per_sample_s: float, **kw):
    opts = RunOptions(
        backend="simulated",
        output=str(tmp_path / "out"),
        progress=False,
        html_report=False,
        warmup_batches=1,
        **kw,
    )
    report = run_benchmark(spec_for(per_sample_s), opts, log=lambda s: None)
    return report, json.loads((tmp_path / "out" / "results.json").read_text())


@pytest.mark.parametrize(
    ("percentile", "overlatency", "expected"),
    [(0.90, 0, 44), (0.90, 1, 63), (0.90, 10, 187), (0.99, 0, 459), (0.99, 1, 661), (0.99, 2, 836),
     (0.99, 10, 2000), (0.99, 100, 12471), (0.999, 0, 4603), (0.999, 1, 6635)],
)  # fmt: skip
def test_min_passing_matches_the_rules_test_vectors(percentile, overlatency, expected):
    assert sizing.min_passing(percentile, overlatency) == expected


def test_early_stopping_query_counts_of_the_scenarios():
    assert sizing.early_stopping_queries(0.90) == 64  # SingleStream
    assert sizing.early_stopping_queries(0.99) == 662  # MultiStream (mlperf.conf's 662)
    assert sizing.early_stopping_queries(0.99, 0) == 459  # Server with none over the bound


@pytest.mark.parametrize("speed", SPEEDS)
def test_offline_target_follows_the_measured_rate_and_the_run_is_valid(tmp_path, speed):
    report, results = run(tmp_path, SPEEDS[speed], scenario="Offline", threads=2)
    p = report.performance
    assert p is not None and p.valid, p.invalid_reasons
    target = results["sizing"]["fields"]["offline_expected_qps"]
    measured = [pr["samples_per_s"] for pr in results["sizing"]["probes"]][-1]
    assert target == pytest.approx(sizing.OFFLINE_MARGIN * measured, rel=0.02)
    if SPEEDS[speed]:  # 2 workers of 1/per_sample_s samples/s each, at most
        assert measured <= 2 / SPEEDS[speed] * 1.05
    assert p.samples_completed >= int(1.1 * 1.0 * target) - 1
    conf = (tmp_path / "out" / "user.conf").read_text()
    assert f"sim.Offline.target_qps = {results['sizing']['user_conf']['target_qps']}" in conf


def test_an_offline_run_the_user_conf_value_would_end_early_is_valid_when_sized(tmp_path):
    conf = tmp_path / "guess.conf"
    conf.write_text("sim.Offline.target_qps = 5\n")  # a guess for a much slower machine
    # Not sized: the one query (1.1 x 1 s x 5 = 5 samples) is done long before min_duration.
    unsized, _ = run(tmp_path / "a", SPEEDS["fast"], scenario="Offline", sizing=False, user_conf=str(conf))
    assert unsized.performance is not None and not unsized.performance.valid
    assert any("expected QPS" in r for r in unsized.performance.invalid_reasons)
    # The benchmark's own user.conf (not one the user gave) is replaced by the measurement.
    spec = spec_for(SPEEDS["fast"])
    spec.user_conf = str(conf)
    opts = RunOptions(
        backend="simulated", scenario="Offline", output=str(tmp_path / "b"), progress=False, html_report=False
    )
    sized = run_benchmark(spec, opts, log=lambda s: None)
    assert sized.performance is not None and sized.performance.valid, sized.performance.invalid_reasons
    assert sized.sizing is not None and sized.sizing["fields"]["offline_expected_qps"] > 5


def test_a_value_the_user_gives_wins_and_the_run_says_so(tmp_path):
    report, results = run(tmp_path / "q", SPEEDS["fast"], scenario="Offline", qps=3000.0)
    assert results["sizing"]["fields"] == {} and results["sizing"]["probes"] == []
    assert any("kept the value you gave for offline_expected_qps: --qps" in n for n in report.notes)
    conf = tmp_path / "mine.conf"
    conf.write_text("sim.Offline.target_qps = 2500\n")
    report, results = run(tmp_path / "c", SPEEDS["fast"], scenario="Offline", user_conf=str(conf))
    assert results["sizing"]["fields"] == {}
    assert any("mine.conf:1" in n for n in report.notes), report.notes
    # --count fixes the size: nothing is measured at all.
    report, results = run(tmp_path / "n", SPEEDS["fast"], scenario="Offline", count=8)
    assert results["sizing"] is None


@pytest.mark.parametrize("speed", ["slow", "very-fast"])
def test_single_stream_issues_what_early_stopping_needs(tmp_path, speed):
    report, results = run(tmp_path, SPEEDS[speed], scenario="SingleStream")
    p = report.performance
    assert p is not None and p.valid, p.invalid_reasons
    assert results["sizing"]["fields"]["min_query_count"] == 64
    assert p.queries_issued >= 64
    if speed == "slow":  # 64 x 10 ms outlasts the 1 s minimum: the count decides
        assert results["sizing"]["fields"]["single_stream_expected_latency_ns"] == pytest.approx(1e7, rel=0.5)


def test_multi_stream_issues_what_early_stopping_needs(tmp_path):
    report, results = run(tmp_path, 0.0001, scenario="MultiStream")
    p = report.performance
    assert p is not None and p.valid, p.invalid_reasons
    assert results["sizing"]["fields"]["min_query_count"] == 662 and p.queries_issued >= 662


def test_server_rate_is_sustained_within_the_bound(tmp_path):
    # 2 ms a sample, 2 workers: about 1000 samples/s at most; a 50 ms bound.
    report, results = run(tmp_path, 0.002, scenario="Server", threads=2, max_latency_s=0.05)
    p = report.performance
    assert p is not None and p.valid, p.invalid_reasons
    rate = results["sizing"]["fields"]["server_target_qps"]
    assert 50 < rate < 1000
    assert results["sizing"]["fields"]["min_query_count"] == 1000 and p.queries_issued >= 1000
    assert results["sizing"]["impossible"] is None


def test_server_out_of_reach_says_so_in_one_line_and_stays_invalid(tmp_path):
    # 30 ms a sample against a 10 ms bound: no rate can pass.
    report, results = run(tmp_path, 0.03, scenario="Server", threads=2, max_latency_s=0.01)
    assert report.performance is not None and not report.performance.valid
    line = results["sizing"]["impossible"]
    assert line.startswith("Server cannot be VALID on this SUT") and "10 ms bound" in line
    assert "--max-latency" in line  # the flag of a demonstration
    assert len(results["sizing"]["probes"]) <= 3  # the capacity probe(s) and one Server probe
    from loadgen.harness.report import format_report

    assert "not possible here: Server cannot be VALID" in format_report(report)


def test_written_user_conf_is_reused_by_an_official_run(tmp_path):
    _, results = run(tmp_path, SPEEDS["fast"], scenario="Offline")
    conf = tmp_path / "out" / "user.conf"
    plan = make_settings(RunOptions(scenario="Offline", official=True), "sim", str(conf), 64, 64)
    assert plan.settings.offline_expected_qps == pytest.approx(
        results["sizing"]["fields"]["offline_expected_qps"], rel=1e-5
    )


def test_official_runs_are_sized_only_when_asked(tmp_path):
    assert not RunOptions(official=True).sized
    assert RunOptions(official=True, qps_auto=True).sized
    assert RunOptions().sized and not RunOptions(count=4).sized and not RunOptions(accuracy=True).sized
    with pytest.raises(ValueError, match="qps_auto"):
        RunOptions(qps=3.0, qps_auto=True)


def _equal_issue_offline_run(spec: BenchmarkSpec, tmp_path: Path, **kw):
    """An Offline short run of ``spec`` under equal issue (sample_concatenate_permutation, as
    3D-UNet's mlperf.conf sets it), one worker thread."""

    def equal_issue(ts, opts):
        ts.sample_concatenate_permutation = True
        return []

    spec.adjust_settings = equal_issue
    opts = RunOptions(
        backend="simulated",
        scenario="Offline",
        threads=1,
        output=str(tmp_path / "out"),
        progress=False,
        html_report=False,
        **kw,
    )
    return run_benchmark(spec, opts, log=lambda s: None)


def test_equal_issue_offline_short_run_loads_fewer_samples_not_a_longer_query(tmp_path):
    # 3D-UNet's mlperf.conf sets sample_concatenate_permutation: the Offline
    # query is padded to a multiple of the loaded set. At about 20 samples/s,
    # a loaded set of 256 would make the 1 s short run last about 13 s.
    spec = spec_for(0.05)
    spec.make_dataset = lambda opts: Ones(256)
    spec.performance_sample_count = 256

    report = _equal_issue_offline_run(spec, tmp_path)
    p = report.performance
    assert p is not None and p.valid, p.invalid_reasons
    fewer = report.sizing["fields"]["performance_sample_count_override"]
    assert 1 <= fewer < 256
    assert p.samples_completed == fewer  # the query: one pass over the smaller loaded set
    assert any("equal issue pads the Offline query" in n for n in report.notes)
    # OUTPUT/user.conf is for official runs: it never lowers the rules' loaded set.
    assert "performance_sample_count" not in (tmp_path / "out" / "user.conf").read_text()


class Indexed(Ones):
    """Each sample's data is its own index, so a backend can cost samples unevenly."""

    def get_batch(self, indices: Sequence[int]) -> np.ndarray:
        return np.asarray(indices, np.float32).reshape(-1, 1)


class Uneven(Simulated):
    """Sample 1 takes 1.5 s (longer than the 1 s min_duration, as one 3D-UNet case can outlast
    10 s), the others 0.1 s. With the default seeds the first probe draws sample 1 and the run
    loads sample 0: the sizing before this test went INVALID here (a 0.1 s query)."""

    def predict(self, batch):
        time.sleep(sum(1.5 if int(v) == 1 else 0.1 for v in np.asarray(batch).ravel()))
        return [batch]


def test_equal_issue_offline_sizes_the_query_on_the_samples_it_loads(tmp_path):
    # The probe's one sample may be a slow case and the smaller loaded set fast ones (3D-UNet's
    # embedded default: a 4-patch case probed at 17 s, the loaded 1-patch case ran in 7 s of a
    # 10 s minimum, INVALID). The query must be sized on the loaded samples' own rate.
    spec = spec_for(0.0)
    spec.backends = {"simulated": Uneven}
    spec.make_dataset = lambda opts: Indexed(8)
    spec.performance_sample_count = 8

    report = _equal_issue_offline_run(spec, tmp_path, max_batchsize=1)
    p = report.performance
    assert p is not None and p.valid, p.invalid_reasons
    fewer = report.sizing["fields"]["performance_sample_count_override"]
    assert 1 <= fewer < 8 and p.samples_completed % fewer == 0
    assert any(f"those {fewer} run at" in n for n in report.notes)


def test_a_user_conf_query_count_or_duration_is_not_replaced_by_the_short_run_ones(tmp_path):
    # The sizing says it keeps a user.conf's min_query_count; the short run's own
    # min_query_count (1) must not then replace it (it did: an LLM Server run with
    # min_query_count = 459 in its user.conf issued 20 queries and was INVALID).
    conf = tmp_path / "mine.conf"
    conf.write_text("sim.SingleStream.min_query_count = 300\n")
    report, _ = run(tmp_path / "q", SPEEDS["slow"], scenario="SingleStream", user_conf=str(conf))
    p = report.performance
    assert p is not None and p.valid, p.invalid_reasons
    assert p.queries_issued >= 300
    assert any("min_query_count is yours, from" in n and "mine.conf:1" in n for n in report.notes)
    conf.write_text("sim.SingleStream.min_duration = 1500\n")
    report, _ = run(tmp_path / "d", SPEEDS["fast"], scenario="SingleStream", user_conf=str(conf))
    assert any("min_duration 1.5 s" in n for n in report.notes), report.notes
    detail = (tmp_path / "d" / "out" / "mlperf_log_detail.txt").read_text()
    assert '"key": "effective_min_duration_ms", "value": 1500' in detail


@pytest.mark.parametrize("rho", [0.3, 0.5, 0.8])
def test_queue_model_wait_quantile_matches_a_simulated_queue(rho):
    # Lindley's recursion over an M/M/1 queue: W' = max(0, W + S - A).
    from loadgen.harness import queueing

    rng = np.random.default_rng(7)
    capacity, n = 10.0, 400_000
    service = rng.exponential(1 / capacity, n)
    gaps = rng.exponential(1 / (rho * capacity), n)
    waits = np.empty(n)
    w = 0.0
    for i in range(n):
        waits[i] = w
        w = max(0.0, w + service[i] - gaps[i])
    simulated = float(np.quantile(waits[1000:], 0.99))
    assert queueing.wait_quantile_s(rho * capacity, capacity, 0.99) == pytest.approx(simulated, rel=0.08)


def test_queue_model_highest_rate_meets_its_limit():
    from loadgen.harness import queueing

    rate = queueing.highest_rate(20.0, 0.05, 0.35, 0.99, 10.0)
    assert rate is not None and 7.0 < rate < 8.5
    assert 0.05 + queueing.wait_quantile_s(rate, 20.0, 0.99) == pytest.approx(0.35, rel=1e-6)
    assert queueing.highest_rate(20.0, 0.05, 5.0, 0.99, 10.0) == 10.0  # the start fits: kept
    assert queueing.highest_rate(20.0, 0.4, 0.35, 0.99, 10.0) is None  # one sample is over the limit
    assert queueing.wait_quantile_s(20.0, 20.0, 0.99) == float("inf")


def test_server_probes_of_a_slow_sut_start_at_the_queue_models_rate(tmp_path):
    # 50 ms a sample, one at a time: 20 samples/s. A probe at half of it holds
    # 80 queries, too few for its p99; the queue model caps the first rate.
    conf = tmp_path / "mine.conf"
    conf.write_text("sim.Server.min_query_count = 20\n")
    report, results = run(
        tmp_path, 0.05, scenario="Server", threads=1, max_batchsize=1, max_latency_s=0.5, user_conf=str(conf)
    )
    probes = results["sizing"]["probes"]
    capacity = [p["samples_per_s"] for p in probes if "samples_per_s" in p][-1]
    first = next(p for p in probes if p["scenario"] == "Server")
    assert first["target_qps"] < 0.45 * capacity
    assert any("M/M/1 queue" in n for n in report.notes), report.notes
