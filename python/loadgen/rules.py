"""Per-model facts of the MLPerf Inference rules that compliance and the
submission tools need, in one table (shared/spec/mlperf-rules.md §2, §6, §7).

Keyed by the model's name in mlperf.conf (``resnet50``, ``bert``, ...). What
LoadGen itself knows (latency bounds, sample counts, seeds) is read from the
built-in mlperf.conf through ``loadgen.config``, not repeated here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# TEST01's accuracy-log seed (shared/spec/mlperf-rules.md §3).
TEST01_ACCURACY_LOG_RNG_SEED = 720381539243781796
COMPLIANCE_TESTS = ("TEST01", "TEST04", "TEST05")
SCENARIOS = ("SingleStream", "MultiStream", "Server", "Offline")


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
    config_model: str  # the name in mlperf.conf
    # Submission benchmark folder -> fraction of the FP32 reference it must reach.
    benchmarks: dict[str, float]
    metric: AccuracyMetric
    test01_sampling_target: int
    test01_dtype: str  # how TEST01 decodes the first element of a response
    tests: tuple[str, ...] = COMPLIANCE_TESTS
    scenarios: tuple[str, ...] = SCENARIOS
    aliases: tuple[str, ...] = field(default_factory=tuple)

    def target(self, benchmark: str) -> float:
        """The value accuracy.txt must reach for this benchmark folder."""
        frac = self.benchmarks[benchmark]
        return self.metric.reference * frac if self.metric.higher_is_better else self.metric.reference / frac


# The reference's TEST04 exemptions (variable cost per sample: rnnt, bert,
# dlrm, 3d-unet, LLMs) and its per-model TEST01 sampling targets.
MODELS: dict[str, ModelRules] = {
    m.config_model: m
    for m in (
        ModelRules(
            "resnet50",
            {"resnet": 0.99},
            AccuracyMetric("accuracy", r"accuracy=([\d.]+)", 76.46),
            4096,
            "float32",
        ),
        ModelRules(
            "ssd-mobilenet",
            {"ssd-small": 0.99},
            AccuracyMetric("mAP", r"mAP=([\d.]+)", 22.0),
            1024,
            "float32",
        ),
        ModelRules(
            "ssd-resnet34",
            {"ssd-large": 0.99},
            AccuracyMetric("mAP", r"mAP=([\d.]+)", 20.0),
            256,
            "float32",
            aliases=("retinanet",),
        ),
        ModelRules(
            "bert",
            {"bert-99": 0.99, "bert-99.9": 0.999},
            AccuracyMetric("F1", r"\"f1\":\s*([\d.]+)", 90.874),
            4096,
            "float32",
            tests=("TEST01", "TEST05"),
        ),
        ModelRules(
            "dlrm",
            {"dlrm-99": 0.99, "dlrm-99.9": 0.999},
            AccuracyMetric("AUC", r"AUC=([\d.]+)", 80.25),
            4096,
            "float32",
            tests=("TEST01", "TEST05"),
        ),
        ModelRules(
            "rnnt",
            {"rnnt": 0.99},
            AccuracyMetric("accuracy", r"Word Error Rate:.*accuracy=([\d.]+)%", 100.0 - 7.452253714852645),
            4096,
            "int64",
            tests=("TEST01", "TEST05"),
        ),
        ModelRules(
            "3d-unet",
            {"3d-unet-99": 0.99, "3d-unet-99.9": 0.999},
            AccuracyMetric("mean DICE", r"Accuracy: mean = ([\d.]+)", 0.86170),
            64,
            "uint8",
            tests=("TEST01", "TEST05"),
        ),
        ModelRules(
            "gnmt",
            {"gnmt": 0.99},
            AccuracyMetric("BLEU", r"BLEU:\s*([\d.]+)", 23.9),
            4096,
            "uint8",
            tests=("TEST01", "TEST05"),
        ),
    )
}


def model_rules(config_model: str) -> ModelRules:
    """The rules of one model, by its mlperf.conf name or an alias."""
    if config_model in MODELS:
        return MODELS[config_model]
    for m in MODELS.values():
        if config_model in m.aliases:
            return m
    known = ", ".join(sorted(MODELS))
    raise ValueError(f"no compliance/submission rules for model {config_model!r} (known: {known})")


def rules_for_benchmark(benchmark: str) -> ModelRules:
    """The rules of a submission benchmark folder name (``resnet``, ``bert-99``, ...)."""
    for m in MODELS.values():
        if benchmark in m.benchmarks:
            return m
    known = ", ".join(sorted(b for m in MODELS.values() for b in m.benchmarks))
    raise ValueError(f"unknown benchmark folder {benchmark!r} (known: {known})")
