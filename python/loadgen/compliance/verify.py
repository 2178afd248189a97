"""The compliance tests: their audit.config, and their verifications.

* TEST01: results in performance mode are real inferences. The performance
  run samples responses into its accuracy log; each is compared, by the first
  element of its payload, with the same sample's response in an accuracy run.
  PASS iff no mismatch and at least one match. When outputs legitimately
  differ (non-determinism), the fallback compares the accuracy metric of the
  sampled responses with the accuracy run's on the same samples: the
  relative delta must be within 1 % (99 % targets) or 0.1 % (99.9 %).
  Its performance must be within 10 % of the submission's (20 % for very
  short latencies: SingleStream ≤ 0.2 ms, MultiStream ≤ 1.6 ms).
* TEST04: the SUT must not cache repeated samples. Every query asks for the
  same sample; the score must not be more than 10 % better than the normal
  run's (20 % for very short latencies).
* TEST04-A/B (v2.0 and older): the same question in two runs: TEST04-A
  issues each of the performance samples once, TEST04-B one sample as often;
  B must not be more than 10 % better than A (20 % for very short latencies).
* TEST05 (to v4.1): no tuning to the official seeds. Alternate seeds;
  Offline/Server must reach 95 % of the submission's throughput,
  SingleStream/MultiStream at most 105 % of its latency (120 % for very short
  latencies).

Official runs (both at least the round's minimum duration) are judged on
these thresholds exactly. A short run is judged against the noise its own
length implies (``score_noise``): when the difference is within that band of
the threshold, the verdict is INCONCLUSIVE rather than a PASS or FAIL by
chance (docs/submission.md, "Short runs").

Each verification returns a ``Verification`` whose text is what the reference
tools write: the numbers that decided it, then ``TEST PASS``, ``TEST FAIL`` or
(short runs only) ``TEST INCONCLUSIVE``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..rules import TEST01_ACCURACY_LOG_RNG_SEED, ModelRules, RulesVersion, check_test
from .logs import (
    AccuracyEntry,
    DetailLog,
    first_element,
    performance_score,
    read_accuracy_log,
    read_detail,
)
from .test06 import audit_config_test06
from .verdict import Verification

SHORT_SS_LATENCY_NS = 200_000  # 0.2 ms
SHORT_MS_LATENCY_NS = 1_600_000  # 1.6 ms
OFFICIAL_MIN_DURATION_MS = 600_000
Z95 = 1.96  # two-sided 95 % of a normal distribution


def audit_config(test: str, rules: ModelRules, v: RulesVersion | None = None) -> str:
    """The audit.config text of one test for one model (LoadGen applies an
    audit.config with model ``*``, so the model's values are written out), as
    round ``v`` has it (TEST05: v2.x names the seeds, v3.0 on sets test05)."""
    if v is not None:
        check_test(test, v)
    rnd = f", rules {v.name}" if v is not None else ""
    head = f"# {test} for {rules.config_model}{rnd}, written by loadgen (shared/spec/mlperf-rules.md §6)\n"
    if test == "TEST01":
        return head + (
            "*.*.mode = 2\n"
            f"*.*.accuracy_log_rng_seed = {TEST01_ACCURACY_LOG_RNG_SEED}\n"
            f"*.*.accuracy_log_sampling_target = {rules.test01_sampling_target}\n"
        )
    if test in ("TEST04", "TEST04-B"):
        return head + (
            "*.*.mode = 2\n"
            "*.*.performance_issue_unique = 0\n"
            "*.*.performance_issue_same = 1\n"
            "*.*.performance_issue_same_index = 3\n"
        )
    if test == "TEST04-A":
        return head + "*.*.mode = 2\n*.*.performance_issue_unique = 1\n*.*.performance_issue_same = 0\n"
    if test == "TEST05":
        text = head + (
            "# The alternate seeds replace the official ones. loadgen's harness sets them through\n"
            "# TestSettings (test05 and the test05_* seeds of the round): LoadGen honours seeds and\n"
            "# the test05 key only from its built-in mlperf.conf, and ignores them here.\n"
            "*.*.mode = 2\n"
        )
        if v is not None and v.test05_seeds is not None and v.test05_audit_seeds:
            s = v.test05_seeds
            text += (
                f"*.*.qsl_rng_seed = {s.qsl}\n*.*.sample_index_rng_seed = {s.sample_index}\n"
                f"*.*.schedule_rng_seed = {s.schedule}\n"
            )
        elif v is not None:
            text += "*.*.test05 = 1\n"
        return text
    if test == "TEST06":
        return audit_config_test06(rules.config_model)
    raise ValueError(
        f"unknown compliance test {test!r} (known: TEST01, TEST04, TEST04-A, TEST04-B, TEST05, TEST06)"
    )


# --- TEST01 accuracy.


def _first_by_qsl(entries: Sequence[AccuracyEntry], dtype: str) -> tuple[dict[int, Any], int, int]:
    """qsl_idx -> first element; plus the number of repeated qsl_idx and of
    repeats whose first element differs from the first occurrence."""
    out: dict[int, Any] = {}
    dup = mismatch = 0
    for e in entries:
        v = first_element(e.data, dtype)
        if e.qsl_idx in out:
            dup += 1
            mismatch += int(out[e.qsl_idx] != v)
        else:
            out[e.qsl_idx] = v
    return out, dup, mismatch


def verify_test01_accuracy(
    compliance_log: Sequence[AccuracyEntry], accuracy_log: Sequence[AccuracyEntry], dtype: str
) -> Verification:
    """Compare the performance run's sampled responses with the accuracy run's."""
    acc, acc_dup, acc_mismatch = _first_by_qsl(accuracy_log, dtype)
    matched = no_match = mismatched = 0
    examples: list[str] = []
    for e in compliance_log:
        if e.qsl_idx not in acc:
            no_match += 1
            continue
        matched += 1
        v = first_element(e.data, dtype)
        if v != acc[e.qsl_idx]:
            mismatched += 1
            if len(examples) < 5:
                examples.append(
                    f"qsl_idx {e.qsl_idx}: performance run {v!r}, accuracy run {acc[e.qsl_idx]!r} ({dtype})"
                )
    lines = [
        f"dtype = {dtype} (only the first element of each response is compared)",
        f"num_acc_log_entries = {len(accuracy_log)}",
        f"num_acc_log_duplicate_keys = {acc_dup}",
        f"num_acc_log_data_mismatch = {acc_mismatch}",
        f"num_perf_log_entries = {len(compliance_log)}",
        f"num_perf_log_qsl_idx_match_acc_log_qsl_idx = {matched}",
        f"num_perf_log_qsl_idx_no_match_acc_log_qsl_idx = {no_match}",
        f"num_perf_log_data_mismatch_acc_log = {mismatched}",
    ]
    lines += [f"mismatch: {x}" for x in examples]
    if mismatched:
        return Verification("TEST01", "accuracy", False, lines, f"{mismatched} of {matched} responses differ")
    if not matched:
        return Verification(
            "TEST01",
            "accuracy",
            False,
            lines,
            "no sampled response has a sample of the accuracy run to compare",
        )
    return Verification("TEST01", "accuracy", True, lines, f"all {matched} sampled responses match")


def verify_test01_accuracy_fallback(
    baseline: float, compliance: float, target_fraction: float, metric: str = "accuracy"
) -> Verification:
    """The fallback when responses legitimately differ: the metric on the
    sampled responses against the accuracy run's on the same samples."""
    tolerance = 0.01 if target_fraction < 0.995 else 0.001
    delta = abs(compliance - baseline) / abs(baseline) if baseline else float("inf")
    lines = [
        f"baseline {metric} (accuracy run, the sampled samples only) = {baseline}",
        f"compliance {metric} (performance run's sampled responses) = {compliance}",
        f"relative delta = {delta * 100:.4f}% (allowed {tolerance * 100:g}% for a {target_fraction * 100:g}% target)",
    ]
    ok = delta <= tolerance
    return Verification(
        "TEST01", "accuracy", ok, lines, "within tolerance" if ok else "delta above tolerance"
    )


# --- Performance.


def _short_latency(log: DetailLog, value: float) -> bool:
    if log.scenario == "SingleStream":
        return value <= SHORT_SS_LATENCY_NS
    if log.scenario == "MultiStream":
        return value <= SHORT_MS_LATENCY_NS
    return False


def _interpolate(points: list[tuple[float, float]], q: float) -> float:
    for (q0, v0), (q1, v1) in zip(points, points[1:]):
        if q <= q1:
            return v0 if q1 == q0 else v0 + (v1 - v0) * (q - q0) / (q1 - q0)
    return points[-1][1]


def _inverse(points: list[tuple[float, float]], value: float) -> float:
    for (q0, v0), (q1, v1) in zip(points, points[1:]):
        if value <= v1:
            return q0 if v1 == v0 else q0 + (q1 - q0) * (value - v0) / (v1 - v0)
    return points[-1][0]


def score_noise(log: DetailLog, value: float, key: str) -> tuple[float, str] | None:
    """The relative standard error of a run's score, from the run's own
    sample count and latency spread; None if the log lacks them.

    * Offline and Server (a rate from n completed samples): 1/sqrt(n), the
      relative error of a count of n events of a Poisson process (for
      samples of varying cost; steadier ones make the real error smaller).
    * SingleStream and MultiStream (a latency percentile of n queries): the
      compared value sits at quantile q of the run's latency distribution
      (its logged percentiles, linearly interpolated); the order statistic
      at q has a rank error of sqrt(q (1 - q) / n), and the latencies one
      such rank error either side of q, halved and divided by the value,
      give the relative error.
    """
    scenario = log.scenario
    queries = log.get("result_query_count")
    if not isinstance(queries, int) or queries < 1:
        return None
    if scenario in ("Offline", "Server"):
        n = queries * int(log.get("generated_samples_per_query") or 1)
        return 1.0 / math.sqrt(n), f"{n} samples: 1/sqrt(n)"
    mid = "_per_query" if scenario == "MultiStream" else ""
    lo = log.get(f"result_min{'_query' if mid else ''}_latency_ns")
    hi = log.get(f"result_max{'_query' if mid else ''}_latency_ns")
    points: list[tuple[float, float]] = []
    if isinstance(lo, (int, float)):
        points.append((0.0, float(lo)))
    for k, v in log.values.items():
        prefix, suffix = "result_", f"_percentile{mid}_latency_ns"
        if k.startswith(prefix) and k.endswith(suffix) and isinstance(v, (int, float)):
            try:
                points.append((float(k[len(prefix) : -len(suffix)]) / 100.0, float(v)))
            except ValueError:
                continue
    if isinstance(hi, (int, float)):
        points.append((1.0, float(hi)))
    points.sort()
    if len(points) < 3 or value <= 0:
        return None
    n = queries
    q = min(max(_inverse(points, value), 1.0 / n), 1.0 - 1.0 / n) if n > 1 else 0.5
    d = math.sqrt(q * (1.0 - q) / n)
    spread = _interpolate(points, min(q + d, 1.0)) - _interpolate(points, max(q - d, 0.0))
    return spread / (2.0 * value), f"{n} queries, {key} at quantile {q:.3f}: latency spread over +-{d:.3f}"


def _official(log: DetailLog, v: RulesVersion | None) -> bool:
    need = v.min_duration_ms if v is not None else OFFICIAL_MIN_DURATION_MS
    md = log.get("effective_min_duration_ms")
    return isinstance(md, (int, float)) and md >= need


def _scaled(rel: float | None, ratio: float) -> float | None:
    return None if rel is None else rel * ratio


def _decide(statistic: float, limit: float, band: float | None, short: bool) -> tuple[bool, bool]:
    """(passed, inconclusive) of "statistic <= limit": exactly for official
    runs, with the noise band for short ones."""
    if not short or band is None:
        return statistic <= limit, False
    if statistic + band <= limit:
        return True, False
    if statistic - band > limit:
        return False, False
    return False, True


def verify_performance(
    test: str, reference: DetailLog, compliance: DetailLog, v: RulesVersion | None = None
) -> Verification:
    """Compare a compliance run's score with the submission's performance run
    (TEST04-A/B: the TEST04-B run with the TEST04-A run), for round ``v``."""
    server_metric = v.server_metric if v is not None else None
    ref, key, higher_better = performance_score(reference, server_metric)
    got, got_key, _ = performance_score(compliance, server_metric)
    if reference.scenario != compliance.scenario:
        return Verification(
            test,
            "performance",
            False,
            [f"reference scenario = {reference.scenario}", f"compliance scenario = {compliance.scenario}"],
            "the two runs are of different scenarios",
        )
    short_latency = _short_latency(reference, ref)
    ref_name = "TEST04-A run" if test == "TEST04-A" else "reference run"
    lines = [
        f"{ref_name}: {reference.path}",
        f"compliance run: {compliance.path}",
        f"scenario = {reference.scenario}",
        f"reference score = {ref} ({key})",
        f"test score = {got} ({got_key})",
        f"compliance run result_validity = {compliance.get('result_validity', 'missing')}",
    ]
    short = not (_official(reference, v) and _official(compliance, v))
    # The noise band of the ratio of the two scores, relative (95 %): scaled by
    # the ratio a test compares, it bounds that test's statistic.
    rel: float | None = None
    if short:
        noise = [score_noise(reference, ref, key), score_noise(compliance, got, got_key)]
        if noise[0] is not None and noise[1] is not None:
            rel = Z95 * math.sqrt(noise[0][0] ** 2 + noise[1][0] ** 2)
            lines.append(
                f"short run: noise band +-{rel * 100:.3f}% of the ratio of the scores (95 %; reference "
                f"{noise[0][1]}, relative error {noise[0][0] * 100:.3f}%; test {noise[1][1]}, relative error "
                f"{noise[1][0] * 100:.3f}%)"
            )
        else:
            lines.append(
                "short run: the logs lack the sample counts for a noise band; the rules' threshold decides"
            )
    else:
        lines.append("official runs: the rules' threshold decides exactly")
    if test == "TEST01":
        allowed = 0.20 if short_latency else 0.10
        delta = abs(got - ref) / ref
        lines.append(f"relative difference = {delta * 100:.3f}% (allowed {allowed * 100:g}%)")
        ok, unsure = _decide(delta, allowed, _scaled(rel, got / ref), short)
        why = "within the allowed difference" if ok else "performance differs from the submission's"
    elif test in ("TEST04", "TEST04-A"):
        allowed = 0.20 if short_latency else 0.10
        # "Better" in a common direction: throughput, or 1e9/latency.
        ref_rate, got_rate = (ref, got) if higher_better else (1e9 / ref, 1e9 / got)
        gain = got_rate / ref_rate - 1.0
        than = "TEST04-A" if test == "TEST04-A" else "the reference"
        lines.append(f"test is {gain * 100:+.3f}% better than {than} (allowed at most {allowed * 100:g}%)")
        ok, unsure = _decide(gain, allowed, _scaled(rel, got_rate / ref_rate), short)
        why = (
            "no sign of caching" if ok else "repeated samples ran suspiciously faster: results may be cached"
        )
    elif test == "TEST05":
        ratio = got / ref
        if higher_better:
            lines.append(f"test / reference = {ratio * 100:.3f}% (needs at least 95%)")
            ok, unsure = _decide(1.0 - ratio, 0.05, _scaled(rel, ratio), short)
        else:
            limit = 1.20 if short_latency else 1.05
            lines.append(f"test / reference latency = {ratio * 100:.3f}% (allowed at most {limit * 100:g}%)")
            ok, unsure = _decide(ratio - 1.0, limit - 1.0, _scaled(rel, ratio), short)
        why = "the alternate seeds perform alike" if ok else "the official seeds perform better than others"
    else:
        raise ValueError(f"unknown compliance test {test!r} for a performance comparison")
    if unsure:
        why = "the difference is within the noise of this short run; official runs decide"
    return Verification(test, "performance", ok, lines, why, inconclusive=unsure)


def verify_folders(
    test: str,
    rules: ModelRules,
    reference_perf: str | Path,
    compliance_run: str | Path,
    accuracy_run: str | Path | None = None,
    v: RulesVersion | None = None,
) -> list[Verification]:
    """The verifications of one test on log folders (each holding LoadGen's
    logs): the submission's performance run (TEST04-A: the TEST04-A run), the
    compliance run (TEST04-A: the TEST04-B run), and (TEST01) an accuracy run
    of the same SUT."""
    out = [verify_performance(test, read_detail(reference_perf), read_detail(compliance_run), v)]
    if test == "TEST01":
        if accuracy_run is None:
            raise ValueError("TEST01 needs the accuracy run's folder (its mlperf_log_accuracy.json)")
        out.insert(
            0,
            verify_test01_accuracy(
                read_accuracy_log(compliance_run), read_accuracy_log(accuracy_run), rules.test01_dtype
            ),
        )
    return out
