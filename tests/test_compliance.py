"""Compliance tests TEST01, TEST04, TEST04-A/B, TEST05: audit.config per rules
version, the verifications on hand-made logs (official runs on the rules'
thresholds exactly; short runs against their own noise, INCONCLUSIVE within
it), and the whole ``--compliance`` flow on planted SUTs.

The planted SUTs run a toy benchmark (config_model resnet50, so the rules'
values apply) whose "model" sleeps 50 ms per sample and answers 2 x the
sample's value: an honest one, one that caches answers of repeated samples
(TEST04 and TEST04-A/B must catch it), and one that answers garbage in
performance mode (TEST01 must catch it). SingleStream runs of the toy have a
narrow latency spread, so their short runs decide; an Offline run of its 100
samples cannot tell 10 % from noise, and says so.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

lg = pytest.importorskip("loadgen")

from loadgen.compliance import (
    audit_config,
    read_detail,
    verify_performance,
    verify_test01_accuracy,
    verify_test01_accuracy_fallback,
)
from loadgen.compliance.logs import AccuracyEntry
from loadgen.compliance.verify import score_noise
from loadgen.harness import (
    AccuracyResult,
    Backend,
    BackendOptions,
    BenchmarkSpec,
    Dataset,
    RunOptions,
    read_accuracy_log,
    register_backend,
    run_benchmark,
)
from loadgen.harness.compliance import run_compliance
from loadgen.rules import RulesError, model_rules, version

N = 100
SLEEP_S = 0.050


class ToyData(Dataset):
    """Sample i is the float32 value i."""

    name = "toy"
    total_count = N

    def load(self, indices: Sequence[int]) -> None:
        pass

    def unload(self, indices: Sequence[int]) -> None:
        pass

    def get_batch(self, indices: Sequence[int]) -> np.ndarray:
        return np.asarray(indices, dtype=np.float32)


class Honest(Backend):
    name = "toy-honest"

    def load(self, options: BackendOptions) -> None:
        pass

    def predict(self, batch) -> list[np.ndarray]:
        time.sleep(SLEEP_S * len(batch))
        return [batch * 2]


class Caching(Honest):
    """Remembers answers: a repeated sample costs nothing."""

    name = "toy-cache"

    def __init__(self) -> None:
        self.cache: dict[float, float] = {}
        self.lock = threading.Lock()

    def predict(self, batch) -> list[np.ndarray]:
        out = np.empty_like(batch)
        for i, x in enumerate(batch.tolist()):
            with self.lock:
                hit = self.cache.get(x)
            if hit is None:
                time.sleep(SLEEP_S)
                hit = x * 2
                with self.lock:
                    self.cache[x] = hit
            out[i] = hit
        return [out]


class Garbage(Honest):
    """As fast as the honest one, but its answers are noise."""

    name = "toy-garbage"

    def predict(self, batch) -> list[np.ndarray]:
        time.sleep(SLEEP_S * len(batch))
        return [np.random.default_rng().uniform(-1e6, 1e6, size=len(batch)).astype(np.float32)]


for cls in (Honest, Caching, Garbage):
    register_backend(cls.name, cls)


def toy_accuracy(log_path: str, dataset: Dataset, opts: RunOptions) -> AccuracyResult:
    entries = read_accuracy_log(log_path)
    good = sum(
        1 for e in entries if np.frombuffer(bytes.fromhex(e["data"]), np.float32)[0] == 2 * e["qsl_idx"]
    )
    total = len(entries)
    value = 100.0 * good / max(total, 1)
    line = f"accuracy={value:.3f}%, good={good}, total={total}"
    return AccuracyResult("top-1", value, line, reference=76.46, target=0.99 * 76.46, target_fraction=0.99)


SPEC = BenchmarkSpec(
    name="toy",
    config_model="resnet50",
    user_conf=None,
    make_dataset=lambda opts: ToyData(),
    postprocess=lambda outputs: outputs[0].reshape(-1, 1).astype(np.float32),
    accuracy=toy_accuracy,
    null_outputs=(((), "float32"),),
    performance_sample_count=N,
)


def opts(tmp: Path, backend: str, scenario: str = "Offline", **kw) -> RunOptions:
    """Offline: one query of all N samples (its throughput averages over them,
    so it is steady on a busy machine); SingleStream: 2 s of queries."""
    timing = {"count": N, "time_s": 0.001, "qps": 1.0} if scenario == "Offline" else {"time_s": 2.0}
    return RunOptions(
        scenario=scenario,
        backend=backend,
        output=str(tmp),
        progress=False,
        html_report=False,
        warmup_batches=0,
        threads=2,
        max_batchsize=1,
        **timing,
        **kw,
    )


# --- audit.config.


def test_audit_config_has_the_models_values() -> None:
    t01 = audit_config("TEST01", model_rules("ssd-mobilenet"))
    assert "*.*.mode = 2" in t01
    assert "*.*.accuracy_log_rng_seed = 720381539243781796" in t01
    assert "*.*.accuracy_log_sampling_target = 1024" in t01
    t04 = audit_config("TEST04", model_rules("resnet50"))
    for line in (
        "performance_issue_unique = 0",
        "performance_issue_same = 1",
        "performance_issue_same_index = 3",
    ):
        assert line in t04
    with pytest.raises(ValueError, match="unknown compliance test"):
        audit_config("TEST99", model_rules("resnet50"))


def test_audit_config_follows_the_rules_version() -> None:
    resnet = model_rules("resnet50")
    a = audit_config("TEST04-A", resnet, version("v2.0"))
    b = audit_config("TEST04-B", resnet, version("v2.0"))
    assert "performance_issue_unique = 1" in a and "performance_issue_same = 0" in a
    assert "performance_issue_same = 1" in b and "performance_issue_same_index = 3" in b
    # TEST05: v2.x names its alternate seeds; v3.0 on sets test05 (LoadGen's test05_* seeds).
    t05 = audit_config("TEST05", resnet, version("v2.0"))
    assert "*.*.qsl_rng_seed = 313588358309856706" in t05 and "test05 = 1" not in t05
    assert "*.*.test05 = 1" in audit_config("TEST05", resnet, version("v4.1"))
    with pytest.raises(
        RulesError, match=r"TEST05 is not a compliance test of rules v6\.0.*v2\.0, v3\.0, v4\.0, v4\.1"
    ):
        audit_config("TEST05", resnet, version("v6.0"))
    with pytest.raises(RulesError, match=r"TEST04 is not a compliance test of rules v2\.0"):
        audit_config("TEST04", resnet, version("v2.0"))


def test_audit_config_cli_prints_it() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "loadgen", "compliance", "audit-config", "TEST01", "--model", "3d-unet"],
        check=False,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "accuracy_log_sampling_target = 64" in done.stdout


# --- Verifications on hand-made logs.


def entry(idx: int, value: float | None, dtype=np.float32) -> AccuracyEntry:
    data = b"" if value is None else np.array([value, 7], dtype=dtype).tobytes()
    return AccuracyEntry(idx, idx, data)


def test_test01_accuracy_compares_only_the_first_element() -> None:
    acc = [entry(i, i) for i in range(10)]
    same_first = [AccuracyEntry(i, i, np.array([i, 99], np.float32).tobytes()) for i in range(3)]
    v = verify_test01_accuracy(same_first, acc, "float32")
    assert v.passed and "num_perf_log_qsl_idx_match_acc_log_qsl_idx = 3" in v.text and "TEST PASS" in v.text


def test_test01_accuracy_fails_on_a_mismatch_and_on_empty_against_data() -> None:
    acc = [entry(i, i) for i in range(10)]
    v = verify_test01_accuracy([entry(1, 1), entry(2, 5)], acc, "float32")
    assert not v.passed and "num_perf_log_data_mismatch_acc_log = 1" in v.text and "qsl_idx 2" in v.text
    v = verify_test01_accuracy([entry(1, None)], acc, "float32")
    assert not v.passed and "TEST FAIL" in v.text


def test_test01_accuracy_needs_at_least_one_match() -> None:
    v = verify_test01_accuracy([entry(50, 1)], [entry(1, 1)], "float32")
    assert not v.passed and "no sampled response" in v.text


def test_test01_fallback_tolerance_depends_on_the_target() -> None:
    assert verify_test01_accuracy_fallback(80.0, 79.5, 0.99).passed  # 0.625 % <= 1 %
    assert not verify_test01_accuracy_fallback(80.0, 79.0, 0.99).passed  # 1.25 %
    assert not verify_test01_accuracy_fallback(80.0, 79.5, 0.999).passed  # 0.625 % > 0.1 %


def fake_detail(tmp: Path, name: str, scenario: str, **values) -> Path:
    d = tmp / name
    d.mkdir()
    recs = {"effective_scenario": scenario, "result_validity": "VALID", **values}
    d.joinpath("mlperf_log_detail.txt").write_text(
        "".join(
            f":::MLLOG {json.dumps({'key': k, 'value': v, 'metadata': {'is_error': False}})}\n"
            for k, v in recs.items()
        )
    )
    return d


@pytest.mark.parametrize(
    "test, scenario, ref, got, passed",
    [
        ("TEST01", "Offline", 1000.0, 1095.0, True),
        ("TEST01", "Offline", 1000.0, 880.0, False),
        ("TEST01", "SingleStream", 150_000, 175_000, True),  # <= 0.2 ms: 20 % allowed
        ("TEST01", "SingleStream", 5_000_000, 5_600_000, False),
        ("TEST04", "Offline", 1000.0, 1099.0, True),
        ("TEST04", "Offline", 1000.0, 1200.0, False),  # 20 % faster: caching?
        ("TEST04", "SingleStream", 5_000_000, 4_000_000, False),  # latency 20 % lower
        ("TEST04", "Server", 1000.0, 500.0, True),  # slower is never caching
        ("TEST05", "Server", 1000.0, 960.0, True),
        ("TEST05", "Server", 1000.0, 940.0, False),
        ("TEST05", "MultiStream", 10_000_000, 10_400_000, True),
        ("TEST05", "MultiStream", 10_000_000, 10_600_000, False),
    ],
)
def test_performance_thresholds(
    tmp_path: Path, test: str, scenario: str, ref: float, got: float, passed: bool
) -> None:
    key = {
        "Offline": "result_samples_per_second",
        "Server": "result_completed_samples_per_sec",
        "SingleStream": "early_stopping_latency_ss",
        "MultiStream": "early_stopping_latency_ms",
    }[scenario]
    a = read_detail(fake_detail(tmp_path, "ref", scenario, **{key: ref}))
    b = read_detail(fake_detail(tmp_path, "test", scenario, **{key: got}))
    v = verify_performance(test, a, b)
    assert v.passed is passed, v.text
    assert f"reference score = {ref}" in v.text and f"test score = {got}" in v.text


def _offline_log(tmp: Path, name: str, rate: float, samples: int, official: bool) -> Path:
    return fake_detail(
        tmp,
        name,
        "Offline",
        result_samples_per_second=rate,
        result_query_count=1,
        generated_samples_per_query=samples,
        effective_min_duration_ms=600_000 if official else 10_000,
    )


@pytest.mark.parametrize(
    "gain, official, verdict",
    [
        # Official runs: the rules' 10 % exactly, however few the samples.
        (0.095, True, "PASS"),
        (0.105, True, "FAIL"),
        # Short runs of 400 samples each: 1/sqrt(400) = 5 % per run, a band of
        # 1.96 * sqrt(2) * 5 % = 13.9 % (times the ratio) around the difference.
        (0.105, False, "INCONCLUSIVE"),
        (0.095, False, "INCONCLUSIVE"),
        (-0.10, False, "PASS"),
        (0.40, False, "FAIL"),
    ],
)
def test_official_runs_keep_the_threshold_and_short_runs_their_noise(
    tmp_path: Path, gain: float, official: bool, verdict: str
) -> None:
    ref = read_detail(_offline_log(tmp_path, "ref", 1000.0, 400, official))
    test = read_detail(_offline_log(tmp_path, "test", 1000.0 * (1 + gain), 400, official))
    v = verify_performance("TEST04", ref, test)
    assert v.verdict == verdict, v.text
    assert v.text.rstrip().endswith(f"TEST {verdict}")
    assert ("official runs: the rules' threshold decides exactly" in v.text) is official
    if not official:
        assert "noise band +-13.859%" in v.text, v.text


def test_the_noise_of_a_latency_percentile_comes_from_the_runs_spread(tmp_path: Path) -> None:
    # 100 queries; latencies 10 ms at p50, 20 ms at p90, 30 ms at p95: the p90 value's rank
    # error is sqrt(0.9 * 0.1 / 100) = 0.03, so the latencies at quantiles 0.87 and 0.93
    # (19.25 ms and 26 ms, interpolated) give a relative error of (26 - 19.25) / 2 / 20 = 16.875 %.
    log = read_detail(
        fake_detail(
            tmp_path,
            "ss",
            "SingleStream",
            result_query_count=100,
            result_min_latency_ns=5_000_000,
            result_max_latency_ns=40_000_000,
            **{
                "result_50.00_percentile_latency_ns": 10_000_000,
                "result_90.00_percentile_latency_ns": 20_000_000,
                "result_95.00_percentile_latency_ns": 30_000_000,
            },
        )
    )
    noise = score_noise(log, 20_000_000.0, "result_90.00_percentile_latency_ns")
    assert noise is not None
    assert noise[0] == pytest.approx(0.16875)
    assert "quantile 0.900" in noise[1]
    # A log without a query count gives no band: the threshold decides, and the text says so.
    assert score_noise(read_detail(fake_detail(tmp_path, "bare", "SingleStream")), 1.0, "x") is None


# --- The whole flow, on planted SUTs.


@pytest.fixture(scope="module")
def honest_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The honest SUT's normal performance and accuracy runs, as baselines."""
    base = tmp_path_factory.mktemp("honest")
    run_benchmark(SPEC, opts(base / "performance", "toy-honest"), log=lambda s: None)
    run_benchmark(SPEC, opts(base / "accuracy", "toy-honest", accuracy=True), log=lambda s: None)
    return {"performance": base / "performance", "accuracy": base / "accuracy"}


def against(tmp: Path, backend: str, test: str, runs: dict[str, Path], scenario: str = "Offline"):
    """run_compliance of ``test`` for ``backend`` in ``tmp`` with ``runs``'
    performance and accuracy runs (as honest_runs names them) for baselines."""
    baselines = str(runs["performance"]), str(runs["accuracy"])
    return run_compliance(SPEC, opts(tmp, backend, scenario), test, *baselines, log=lambda s: None)


def test_honest_sut_is_not_failed_by_test01_and_test04(tmp_path: Path) -> None:
    # SingleStream: the toy's latencies vary little, so a 2 s run mostly decides (PASS); on a
    # busy machine the spread can widen the band to INCONCLUSIVE, never to FAIL.
    base = tmp_path / "base"
    run_benchmark(SPEC, opts(base / "performance", "toy-honest", "SingleStream"), log=lambda s: None)
    run_benchmark(SPEC, opts(base / "accuracy", "toy-honest", accuracy=True), log=lambda s: None)
    runs = {"performance": base / "performance", "accuracy": base / "accuracy"}
    for test in ("TEST01", "TEST04"):
        res = against(tmp_path, "toy-honest", test, runs, "SingleStream")
        texts = {v.kind: v.text for v in res.verifications}
        assert res.verdict in ("PASS", "INCONCLUSIVE"), texts
        t = tmp_path / test
        text = (t / "verify_performance.txt").read_text()
        assert "short run: noise band" in text and "TEST FAIL" not in text
        assert (t / "audit.config").is_file() and (
            t / "performance" / "run_1" / "mlperf_log_detail.txt"
        ).is_file()
    assert "TEST PASS" in (tmp_path / "TEST01" / "verify_accuracy.txt").read_text()
    assert "accuracy=100.000%" in (tmp_path / "TEST01" / "accuracy" / "accuracy.txt").read_text()


def test_a_short_offline_run_cannot_tell_ten_percent_from_noise(
    tmp_path: Path, honest_runs: dict[str, Path]
) -> None:
    # 100 samples per run: 1/sqrt(100) = 10 % each, a band of about +-28 %: TEST04's
    # 10 % lies inside it, so the honest SUT's verdict is inconclusive, not PASS by chance.
    res = run_compliance(
        SPEC, opts(tmp_path, "toy-honest"), "TEST04", str(honest_runs["performance"]), log=lambda s: None
    )
    assert res.inconclusive and not res.passed and res.verdict == "INCONCLUSIVE"
    text = (tmp_path / "TEST04" / "verify_performance.txt").read_text()
    assert "100 samples: 1/sqrt(n)" in text and text.rstrip().endswith("TEST INCONCLUSIVE")


def test_caching_sut_fails_test04_with_the_reason(tmp_path: Path) -> None:
    # SingleStream: its normal run draws random samples (few repeats); Offline would repeat them all.
    res = run_compliance(SPEC, opts(tmp_path, "toy-cache", "SingleStream"), "TEST04", log=lambda s: None)
    assert not res.passed
    text = (tmp_path / "TEST04" / "verify_performance.txt").read_text()
    assert "TEST FAIL" in text and "results may be cached" in text
    assert (tmp_path / "performance" / "mlperf_log_detail.txt").is_file()  # the baseline was run first


def test_garbage_sut_fails_test01_with_the_reason(tmp_path: Path, honest_runs: dict[str, Path]) -> None:
    res = against(tmp_path, "toy-garbage", "TEST01", honest_runs)
    assert not res.passed
    text = (tmp_path / "TEST01" / "verify_accuracy.txt").read_text()
    assert "TEST FAIL" in text and "num_perf_log_data_mismatch_acc_log = 0" not in text
    assert "delta above tolerance" in text  # the metric fallback decided, and says so
    acc = tmp_path / "TEST01" / "accuracy"
    assert "accuracy=100.000%" in (acc / "baseline_accuracy.txt").read_text()
    assert "accuracy=100.000%" not in (acc / "compliance_accuracy.txt").read_text()


def _seeds(log) -> tuple[int, int, int]:
    return tuple(
        log.get(f"effective_{k}") for k in ("qsl_rng_seed", "sample_index_rng_seed", "schedule_rng_seed")
    )


def test_test05_uses_the_rounds_alternate_seeds(tmp_path: Path) -> None:
    # v4.1: the baseline with v4.1's official seeds, TEST05 with v4.1's alternate ones (set through
    # TestSettings: the built-in mlperf.conf has other rounds' seeds).
    v41 = version("v4.1")
    res = run_compliance(
        SPEC, opts(tmp_path, "toy-honest", rules_version="v4.1"), "TEST05", log=lambda s: None
    )
    assert res.rules_version == "v4.1"
    t05 = read_detail(tmp_path / "TEST05" / "performance" / "run_1")
    base = read_detail(tmp_path / "performance")
    assert v41.test05_seeds is not None
    assert _seeds(t05) == (v41.test05_seeds.qsl, v41.test05_seeds.sample_index, v41.test05_seeds.schedule)
    assert _seeds(base) == (v41.seeds.qsl, v41.seeds.sample_index, v41.seeds.schedule)
    assert (tmp_path / "TEST05" / "verify_performance.txt").is_file()
    assert "*.*.test05 = 1" in (tmp_path / "TEST05" / "audit.config").read_text()


def test_test05_is_refused_for_a_round_without_it(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match=r"TEST05 is not a compliance test of rules v6\.0"):
        run_compliance(SPEC, opts(tmp_path, "toy-honest", rules_version="v6.0"), "TEST05", log=lambda s: None)
    assert not (tmp_path / "TEST05").exists()  # refused before any run


def test_runs_carry_their_rounds_seeds(tmp_path: Path) -> None:
    from loadgen.config import explain

    builtin = {f["field"]: int(f["value"]) for f in explain("resnet50", "Offline") if "seed" in f["field"]}
    plain = run_benchmark(SPEC, opts(tmp_path / "plain", "toy-honest"), log=lambda s: None)
    v60 = run_benchmark(SPEC, opts(tmp_path / "v60", "toy-honest", rules_version="v6.0"), log=lambda s: None)
    s = version("v6.0").seeds
    assert _seeds(read_detail(tmp_path / "v60")) == (s.qsl, s.sample_index, s.schedule)
    assert _seeds(read_detail(tmp_path / "plain")) == (
        builtin["qsl_rng_seed"],
        builtin["sample_index_rng_seed"],
        builtin["schedule_rng_seed"],
    )  # ResNet50's newest round, v6.1, has the built-in file's seeds
    assert any("rules v6.0: the round's seeds are set through TestSettings" in n for n in v60.notes)
    assert not any("rules v6" in n for n in plain.notes)


def test_test04ab_compares_b_with_a(tmp_path: Path) -> None:
    honest = run_compliance(
        SPEC,
        opts(tmp_path / "h", "toy-honest", "SingleStream", rules_version="v2.0"),
        "TEST04-A",
        log=lambda s: None,
    )
    assert honest.verdict in ("PASS", "INCONCLUSIVE"), [v.text for v in honest.verifications]
    for part in ("TEST04-A", "TEST04-B"):
        assert (tmp_path / "h" / part / "performance" / "run_1" / "mlperf_log_detail.txt").is_file()
        assert (tmp_path / "h" / part / "audit.config").is_file()
    assert (tmp_path / "h" / "TEST04-A" / "verify_performance.txt").is_file()
    assert not (tmp_path / "h" / "TEST04-B" / "verify_performance.txt").exists()
    cached = run_compliance(
        SPEC,
        opts(tmp_path / "c", "toy-cache", "SingleStream", rules_version="v2.0"),
        "TEST04-A",
        log=lambda s: None,
    )
    assert cached.verdict == "FAIL"
    text = (tmp_path / "c" / "TEST04-A" / "verify_performance.txt").read_text()
    assert "better than TEST04-A" in text and "results may be cached" in text
    with pytest.raises(RulesError, match=r"TEST04-A is not a compliance test of rules v6\.1"):
        run_compliance(SPEC, opts(tmp_path / "x", "toy-honest"), "TEST04-A", log=lambda s: None)


def test_verify_cli_on_existing_logs(tmp_path: Path, honest_runs: dict[str, Path]) -> None:
    against(tmp_path, "toy-honest", "TEST01", honest_runs)
    out = tmp_path / "again"
    cmd = [sys.executable, "-m", "loadgen", "compliance", "verify", "TEST01", "--model", "resnet50"]
    cmd += [
        "--performance",
        str(honest_runs["performance"]),
        "--compliance",
        str(tmp_path / "TEST01/performance/run_1"),
    ]
    cmd += ["--accuracy", str(honest_runs["accuracy"]), "-o", str(out)]
    done = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=60)
    assert "TEST01 accuracy (rules v6.1): PASS" in done.stdout, done.stdout + done.stderr
    assert done.returncode in (0, 3)  # 3: the short runs' performance comparison is inconclusive
    assert (out / "verify_accuracy.txt").is_file() and (out / "verify_performance.txt").is_file()
    missing = subprocess.run(
        cmd[:-4] + ["-o", str(out)], check=False, capture_output=True, text=True, timeout=60
    )
    assert missing.returncode == 2 and "TEST01 needs the accuracy run" in missing.stderr
