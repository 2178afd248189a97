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
* TEST05: no tuning to the official seeds. Alternate seeds; Offline/Server
  must reach 95 % of the submission's throughput, SingleStream/MultiStream at
  most 105 % of its latency (120 % for very short latencies).

Each verification returns a ``Verification`` whose text is what the reference
tools write: the numbers that decided it, then ``TEST PASS`` or ``TEST FAIL``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..rules import TEST01_ACCURACY_LOG_RNG_SEED, ModelRules
from .logs import (
    AccuracyEntry,
    DetailLog,
    first_element,
    performance_score,
    read_accuracy_log,
    read_detail,
)

SHORT_SS_LATENCY_NS = 200_000  # 0.2 ms
SHORT_MS_LATENCY_NS = 1_600_000  # 1.6 ms


@dataclass
class Verification:
    test: str
    kind: str  # "accuracy" or "performance"
    passed: bool
    lines: list[str] = field(default_factory=list)
    reason: str = ""

    @property
    def text(self) -> str:
        tail = ["TEST PASS" if self.passed else "TEST FAIL"]
        if self.reason:
            tail.insert(0, ("passed: " if self.passed else "failed: ") + self.reason)
        return "\n".join([*self.lines, *tail]) + "\n"

    def write(self, folder: str | Path) -> Path:
        path = Path(folder) / f"verify_{self.kind}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.text, encoding="utf-8")
        return path


def audit_config(test: str, rules: ModelRules) -> str:
    """The audit.config text of one test for one model (LoadGen applies an
    audit.config with model ``*``, so the model's values are written out)."""
    head = f"# {test} for {rules.config_model}, written by loadgen (shared/spec/mlperf-rules.md §6)\n"
    if test == "TEST01":
        return head + (
            "*.*.mode = 2\n"
            f"*.*.accuracy_log_rng_seed = {TEST01_ACCURACY_LOG_RNG_SEED}\n"
            f"*.*.accuracy_log_sampling_target = {rules.test01_sampling_target}\n"
        )
    if test == "TEST04":
        return head + (
            "*.*.mode = 2\n"
            "*.*.performance_issue_unique = 0\n"
            "*.*.performance_issue_same = 1\n"
            "*.*.performance_issue_same_index = 3\n"
        )
    if test == "TEST05":
        return head + (
            "# The alternate seeds (test05 = 1) are set through TestSettings.test05: LoadGen honours the\n"
            "# test05 key only from its built-in mlperf.conf, which holds the test05_* seeds.\n"
            "*.*.mode = 2\n"
        )
    raise ValueError(f"unknown compliance test {test!r} (known: TEST01, TEST04, TEST05)")


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


def verify_performance(test: str, reference: DetailLog, compliance: DetailLog) -> Verification:
    """Compare a compliance run's score with the submission's performance run."""
    ref, key, higher_better = performance_score(reference)
    got, got_key, _ = performance_score(compliance)
    if reference.scenario != compliance.scenario:
        return Verification(
            test,
            "performance",
            False,
            [f"reference scenario = {reference.scenario}", f"compliance scenario = {compliance.scenario}"],
            "the two runs are of different scenarios",
        )
    short = _short_latency(reference, ref)
    lines = [
        f"reference run: {reference.path}",
        f"compliance run: {compliance.path}",
        f"scenario = {reference.scenario}",
        f"reference score = {ref} ({key})",
        f"test score = {got} ({got_key})",
        f"compliance run result_validity = {compliance.get('result_validity', 'missing')}",
    ]
    if test == "TEST01":
        allowed = 0.20 if short else 0.10
        delta = abs(got - ref) / ref
        lines.append(f"relative difference = {delta * 100:.3f}% (allowed {allowed * 100:g}%)")
        ok = delta <= allowed
        why = "within the allowed difference" if ok else "performance differs from the submission's"
    elif test == "TEST04":
        allowed = 0.20 if short else 0.10
        # "Better" in a common direction: throughput, or 1e9/latency.
        ref_rate, got_rate = (ref, got) if higher_better else (1e9 / ref, 1e9 / got)
        gain = got_rate / ref_rate - 1.0
        lines.append(
            f"test is {gain * 100:+.3f}% better than the reference (allowed at most {allowed * 100:g}%)"
        )
        ok = gain <= allowed
        why = (
            "no sign of caching" if ok else "repeated samples ran suspiciously faster: results may be cached"
        )
    elif test == "TEST05":
        if higher_better:
            ratio = got / ref
            lines.append(f"test / reference = {ratio * 100:.3f}% (needs at least 95%)")
            ok = ratio >= 0.95
        else:
            limit = 1.20 if short else 1.05
            ratio = got / ref
            lines.append(f"test / reference latency = {ratio * 100:.3f}% (allowed at most {limit * 100:g}%)")
            ok = ratio <= limit
        why = "the alternate seeds perform alike" if ok else "the official seeds perform better than others"
    else:
        raise ValueError(f"unknown compliance test {test!r}")
    return Verification(test, "performance", ok, lines, why)


def verify_folders(
    test: str,
    rules: ModelRules,
    reference_perf: str | Path,
    compliance_run: str | Path,
    accuracy_run: str | Path | None = None,
) -> list[Verification]:
    """The verifications of one test on log folders (each holding LoadGen's
    logs): the submission's performance run, the compliance run, and (TEST01)
    an accuracy run of the same SUT."""
    out = [verify_performance(test, read_detail(reference_perf), read_detail(compliance_run))]
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
