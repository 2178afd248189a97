"""The MLPerf Inference rules, one table per rules version (round), in one
place: which benchmarks a round has (their submission names, scenarios and
accuracy targets), which compliance tests each needs, the round's seeds, its
submission layout and the checks that differ between rounds
(shared/spec/mlperf-rules.md §2, §3, §6, §7).

The facts are those of the reference repository's submission checkers
(mlcommons/inference: each round's checker at its tag, v0.5's in
``v0.5/tools/submission``, v6.0/v6.1 in ``tools/submission/submission_checker``
at the 2026-08 head) and of its compliance folders; the tables (``rules.rounds``) are
this project's own data, restricted to the benchmarks loadgen ships.

Rounds here: the current v6.1 and v6.0 (and v5.0, v5.1 between), and for
each older benchmark the last round that had it: v0.5 (GNMT), v2.0
(SSD-MobileNet "ssd-small", SSD-ResNet34 "ssd-large"), v3.0 (DLRM v1),
v4.0 (RNN-T); v4.1 is the last round with TEST05 (the seed of this project
took its lists from v4.1's checker). The default for a benchmark is the
newest round that has it (``default_version``).

What loadgen's built-in mlperf.conf knows (latency bounds, sample counts,
seeds) is v6.1's; a run for another round gets that round's seeds set by the
harness through ``TestSettings`` (``apply_seeds``). Other differences of a
round's mlperf.conf or tools are listed in its ``differences``.

The package: ``schema`` (the records), ``models`` (what every round shares
about a model), ``rounds`` (the tables) and ``lookup`` (finding a round, a
benchmark, the seeds to set); every name is importable from ``loadgen.rules``.
"""

from .lookup import (
    SeedPlan,
    benchmark_folder,
    benchmark_rules,
    check_test,
    compliance_tests_for,
    default_version,
    mlperf_conf_for,
    resolve,
    seed_plan,
    seeds_owner,
    version,
    versions_with_benchmark,
    versions_with_model,
    versions_with_test,
)
from .models import MODELS, model_rules
from .rounds import VERSION_NAMES, VERSIONS
from .schema import (
    NOT_APPLICABLE,
    RUNNABLE_TESTS,
    SCENARIOS,
    SYSTEM_TYPES,
    TEST01_ACCURACY_LOG_RNG_SEED,
    AccuracyMetric,
    Benchmark,
    Bound,
    ModelRules,
    RulesError,
    RulesVersion,
    Seeds,
)

__all__ = [
    "MODELS",
    "NOT_APPLICABLE",
    "RUNNABLE_TESTS",
    "SCENARIOS",
    "SYSTEM_TYPES",
    "TEST01_ACCURACY_LOG_RNG_SEED",
    "VERSIONS",
    "VERSION_NAMES",
    "AccuracyMetric",
    "Benchmark",
    "Bound",
    "ModelRules",
    "RulesError",
    "RulesVersion",
    "SeedPlan",
    "Seeds",
    "benchmark_folder",
    "benchmark_rules",
    "check_test",
    "compliance_tests_for",
    "default_version",
    "mlperf_conf_for",
    "model_rules",
    "resolve",
    "seed_plan",
    "seeds_owner",
    "version",
    "versions_with_benchmark",
    "versions_with_model",
    "versions_with_test",
]
