"""The shape of the MLPerf Inference rules: the records that the round
tables (``rules.rounds``) are made of: a metric, a model's round-independent
facts, an accuracy bound, a benchmark of a round, a round's seeds and the
round itself, and the names every round shares (scenarios, compliance tests,
system types)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# TEST01's accuracy-log seed (shared/spec/mlperf-rules.md §3), the same in every round.
TEST01_ACCURACY_LOG_RNG_SEED = 720381539243781796
SCENARIOS = ("SingleStream", "MultiStream", "Server", "Offline")
# The compliance tests loadgen runs and verifies (``run.py --compliance``,
# ``python -m loadgen compliance``). TEST04-A runs TEST04-A and TEST04-B (v2.0
# and older: the pair is one test); TEST06 is for the LLMs.
RUNNABLE_TESTS = ("TEST01", "TEST04", "TEST04-A", "TEST05", "TEST06")
# Compliance tests of some round that no loadgen benchmark needs, and why.
NOT_APPLICABLE = {
    "TEST03": "v0.5's audit with a modified data set; v0.5's checker asks for no compliance folder",
    "TEST07": "full-set accuracy in performance mode: gpt-oss-120b only (v6.0, v6.1)",
    "TEST08": "DLRMv3 accuracy in performance mode: dlrm-v3 only (v6.0, v6.1)",
    "TEST09": "output token length range: gpt-oss-120b (v6.0), and e2e-rag-qna (v6.1)",
}
SYSTEM_TYPES = ("datacenter", "edge", "datacenter,edge")


class RulesError(ValueError):
    """A benchmark, test or version the rules do not have; the message says which do."""


@dataclass(frozen=True)
class AccuracyMetric:
    """How a submission checker reads one metric from accuracy.txt."""

    name: str
    pattern: str  # a regex whose group 1 is the value
    reference: float  # the FP32 reference
    higher_is_better: bool = True

    def find(self, text: str) -> float | None:
        m = re.search(self.pattern, text)
        return float(m.group(1)) if m else None


@dataclass(frozen=True)
class ModelRules:
    """What does not change between rounds: a model's name in mlperf.conf,
    its headline accuracy metric, and how TEST01 samples and decodes it."""

    config_model: str  # the name in mlperf.conf
    metric: AccuracyMetric
    test01_sampling_target: int
    test01_dtype: str  # how TEST01 decodes the first element of a response
    extra_metrics: tuple[AccuracyMetric, ...] = ()  # further metrics a round may bound


@dataclass(frozen=True)
class Bound:
    """One accuracy bound of a benchmark: ``metric`` at least ``minimum`` (and at most ``maximum``)."""

    metric: AccuracyMetric
    minimum: float
    maximum: float | None = None
    # A total over the whole data set (generated length): not comparable on a
    # subset, so ``--relax-duration`` (trees of small data sets) skips it.
    full_set_total: bool = False


@dataclass(frozen=True)
class Benchmark:
    """One benchmark of one round: the folder name of the submission tree."""

    name: str  # resnet, bert-99, ssd-small, ...
    version: str
    model: ModelRules
    fraction: float  # of the reference accuracy (0.99, 0.999): TEST01's fallback tolerance
    bounds: tuple[Bound, ...]
    tests: tuple[str, ...]
    required: dict[str, tuple[str, ...]]  # system type -> required scenarios (empty: not checked)
    optional: dict[str, tuple[str, ...]]
    performance_sample_count: int
    server_latency_ns: int = 0  # the Server latency bound (0: none checked)
    offline_min_samples_per_query: int = 0  # 0: not checked

    @property
    def config_model(self) -> str:
        return self.model.config_model

    @property
    def scenarios(self) -> tuple[str, ...]:
        """Every scenario this benchmark may be submitted in (any system type)."""
        if not self.required and not self.optional:
            return SCENARIOS
        seen = {s for d in (self.required, self.optional) for ss in d.values() for s in ss}
        return tuple(s for s in SCENARIOS if s in seen)

    def required_for(self, system_type: str) -> tuple[str, ...]:
        return self.required.get(_system_type(system_type), ())


@dataclass(frozen=True)
class Seeds:
    qsl: int
    sample_index: int
    schedule: int

    def as_fields(self, prefix: str = "") -> dict[str, int]:
        return {
            f"{prefix}qsl_rng_seed": self.qsl,
            f"{prefix}sample_index_rng_seed": self.sample_index,
            f"{prefix}schedule_rng_seed": self.schedule,
        }


@dataclass(frozen=True)
class RulesVersion:
    """One round's rules: benchmarks, compliance tests, seeds, layout, checks."""

    name: str
    seeds: Seeds
    test05_seeds: Seeds | None  # None: the round has no TEST05
    tests: tuple[str, ...]  # the round's compliance tests
    benchmarks: dict[str, Benchmark]
    # Layout: "v6" (everything of a scenario in results/<system>/<benchmark>/<scenario>/,
    # code in src/), "split" (measurements/ and compliance/ beside results/, code in
    # code/<benchmark>/<implementation>/), "v0.5" (split, no compliance/).
    layout: str
    measurement_files: tuple[str, ...]  # besides the implementation JSON
    min_duration_ms: int = 600_000
    early_stopping: bool = True  # SingleStream, MultiStream, Server must meet it
    server_metric: str = "result_completed_samples_per_sec"
    server_runs: int = 1  # v0.5: five Server performance runs
    perf_accuracy_log: bool = False  # v0.5: performance/run_x holds mlperf_log_accuracy.json too
    compliance_runs_checked: bool = True  # compliance runs checked like performance runs (seeds, VALID)
    system_fields: tuple[str, ...] | None = None  # None: submission.layout.SYSTEM_FIELDS
    system_fields_optional: tuple[str, ...] = ()
    system_fields_closed: bool = False  # an unknown system field is a problem
    test05_audit_seeds: bool = False  # TEST05's audit.config names the seeds (v2.x) or says test05 = 1
    differences: tuple[str, ...] = ()  # what differs in this round and is not reproduced here

    @property
    def code_folder(self) -> str:
        return "src" if self.layout == "v6" else "code"

    def benchmarks_of(self, config_model: str) -> list[Benchmark]:
        return [b for b in self.benchmarks.values() if b.config_model == config_model]


def _system_type(system_type: str) -> str:
    t = str(system_type).lower().replace(" ", "")
    return "datacenter,edge" if t in ("edge,datacenter", "both") else t
