"""The MLPerf Inference rules, one table per rules version (round), in one
place: which benchmarks a round has (their submission names, scenarios and
accuracy targets), which compliance tests each needs, the round's seeds, its
submission layout and the checks that differ between rounds
(shared/spec/mlperf-rules.md §2, §3, §6, §7).

The facts are those of the reference repository's submission checkers
(mlcommons/inference: each round's checker at its tag, v0.5's in
``v0.5/tools/submission``, v6.0/v6.1 in ``tools/submission/submission_checker``
at the 2026-08 head) and of its compliance folders; the tables below are
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
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

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

    def benchmark(self, name: str) -> Benchmark:
        if name in self.benchmarks:
            return self.benchmarks[name]
        others = versions_with_benchmark(name)
        if others:
            raise RulesError(
                f"{name} is not a benchmark of rules {self.name}; the rules versions that have it: "
                f"{', '.join(others)}"
            )
        known = ", ".join(sorted(self.benchmarks))
        raise RulesError(f"unknown benchmark folder {name!r} (rules {self.name} has: {known})")

    def benchmarks_of(self, config_model: str) -> list[Benchmark]:
        return [b for b in self.benchmarks.values() if b.config_model == config_model]


def _system_type(system_type: str) -> str:
    t = str(system_type).lower().replace(" ", "")
    return "datacenter,edge" if t in ("edge,datacenter", "both") else t


# --- The models (what every round shares).

_F1 = AccuracyMetric("F1", r"\"f1\":\s*([\d.]+)", 90.874)
_ROUGE = {
    k: AccuracyMetric(k, rf"'{p}':\s*'?([\d.]+)", ref)
    for k, p, ref in (
        ("ROUGE-1", "rouge1", 38.7792),
        ("ROUGE-2", "rouge2", 15.9075),
        ("ROUGE-L", "rougeL", 24.4957),
        ("ROUGE-Lsum", "rougeLsum", 35.793),
        ("gen_len", "gen_len", 8167644.0),
    )
}

MODELS: dict[str, ModelRules] = {
    m.config_model: m
    for m in (
        ModelRules("resnet50", AccuracyMetric("accuracy", r"accuracy=([\d.]+)", 76.46), 4096, "float32"),
        ModelRules("ssd-mobilenet", AccuracyMetric("mAP", r"mAP=([\d.]+)", 22.0), 1024, "float32"),
        ModelRules("ssd-resnet34", AccuracyMetric("mAP", r"mAP=([\d.]+)", 20.0), 256, "float32"),
        ModelRules("bert", _F1, 4096, "float32"),
        ModelRules("dlrm", AccuracyMetric("AUC", r"AUC=([\d.]+)", 80.25), 4096, "float32"),
        ModelRules(
            "rnnt",
            AccuracyMetric("accuracy", r"Word Error Rate:.*accuracy=([\d.]+)%", 100.0 - 7.452253714852645),
            4096,
            "int64",
        ),
        ModelRules(
            "3d-unet", AccuracyMetric("mean DICE", r"Accuracy: mean = ([\d.]+)", 0.86170), 64, "uint8"
        ),
        ModelRules(
            "llama3_1-8b",
            _ROUGE["ROUGE-1"],
            0,
            "int32",
            extra_metrics=(_ROUGE["ROUGE-2"], _ROUGE["ROUGE-L"], _ROUGE["ROUGE-Lsum"], _ROUGE["gen_len"]),
        ),
        ModelRules("gnmt", AccuracyMetric("BLEU", r"BLEU:\s*([\d.]+)", 23.9), 4096, "uint8"),
    )
}


def model_rules(config_model: str) -> ModelRules:
    """A model's round-independent facts, by its mlperf.conf name."""
    if config_model in MODELS:
        return MODELS[config_model]
    known = ", ".join(sorted(MODELS))
    raise RulesError(f"no compliance/submission rules for model {config_model!r} (known: {known})")


# --- The rounds.


def _scen(text: str) -> dict[str, tuple[str, ...]]:
    """Scenarios per system type, written "dc: Server, Offline; edge: SS, MS, Offline; dc+edge: ..."."""
    short = {"SS": "SingleStream", "MS": "MultiStream", "Server": "Server", "Offline": "Offline"}
    types = {"dc": "datacenter", "edge": "edge", "dc+edge": "datacenter,edge"}
    out: dict[str, tuple[str, ...]] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        kind, _, names = part.partition(":")
        out[types[kind.strip()]] = tuple(short[n.strip()] for n in names.split(","))
    return out


def _llama_bounds(fraction: float) -> tuple[Bound, ...]:
    r = _ROUGE
    return (
        *(Bound(r[k], r[k].reference * fraction) for k in ("ROUGE-1", "ROUGE-2", "ROUGE-L", "ROUGE-Lsum")),
        Bound(r["gen_len"], r["gen_len"].reference * 0.9, r["gen_len"].reference * 1.1, full_set_total=True),
    )


def _row(version: str, row: tuple[Any, ...]) -> Benchmark:
    """A benchmark from one row of ``_BENCHMARKS``; its accuracy bound is
    ``fraction`` of the model's reference unless the row's extras say
    otherwise (``reference``: the round's own reference; ``minimum``: the
    checker's number as it wrote it; ``bounds``: several metrics)."""
    name, config_model, fraction, tests, psc, required, optional, server_ms, spq, *more = row
    extra: dict[str, Any] = more[0] if more else {}
    model = MODELS[config_model]
    bounds = extra.get("bounds")
    if bounds is None:
        ref = extra.get("reference", model.metric.reference)
        bounds = (Bound(model.metric, extra.get("minimum", ref * fraction)),)
    return Benchmark(
        name=name,
        version=version,
        model=model,
        fraction=fraction,
        bounds=bounds,
        tests=tuple(tests.split()),
        required=_scen(required),
        optional=_scen(optional),
        performance_sample_count=psc,
        server_latency_ns=int(server_ms * 1_000_000),
        offline_min_samples_per_query=spq,
    )


# Scenarios (required per system type) that several rounds share.
_RES = "dc: Server, Offline; edge: SS, MS, Offline; dc+edge: SS, Offline, MS, Server"
_RES_EDGE = "edge: SS, MS, Offline; dc+edge: SS, MS, Offline, Server"  # v5.1 on: no datacenter ResNet50
_SSD_SMALL = "edge: SS, MS, Offline; dc+edge: SS, Offline, MS"
_BERT = "dc: Server, Offline; edge: SS, Offline; dc+edge: SS, Offline, Server"
_BERT9 = "dc: Server, Offline; dc+edge: Offline, Server"  # bert-99.9: no edge
_BERT_EDGE = "edge: SS, Offline; dc+edge: SS, Offline"  # v5.0 on
_UNET = "dc: Offline; edge: SS, Offline; dc+edge: SS, Offline"
_RNNT = "dc: Server, Offline; edge: SS, Offline; dc+edge: SS, Offline, Server"
_DLRM = "dc: Server, Offline; dc+edge: Offline, Server"
_LLAMA = "dc: Offline; dc+edge: Offline"
_LLAMA_51 = "dc: Offline; edge: SS, Offline; dc+edge: SS, Offline, Server"
_SERVER_DC = "dc: Server"
_SERVER_ALL = "dc: Server; dc+edge: Server"
# The Offline minimum samples per query: 24576 for every model up to v3.1, per model from v4.0.
_O = 24576
_RNNT_MIN = {"minimum": 91.62252}  # the checkers' number for 99 % of (100 - WER)
_UNET_V20 = {"reference": 0.86331}  # KiTS19 with 42 cases
_LLAMA_99 = {"bounds": _llama_bounds(0.99)}
_T_IMG = "TEST01 TEST04 TEST05"
_T_VAR = "TEST01 TEST05"  # variable cost per sample: no TEST04
_T_AB = "TEST01 TEST04-A TEST04-B TEST05"

# fmt: off
# One row per benchmark of a round: folder name, mlperf.conf model, fraction of
# the reference, compliance tests, performance sample count, required
# scenarios, optional scenarios, Server bound (ms), Offline minimum samples
# per query [, extras].
_BENCHMARKS: dict[str, list[tuple[Any, ...]]] = {
    "v0.5": [
        ("resnet",       "resnet50",      0.99,  "",      1024,    "", "", 0, 0),
        ("ssd-small",    "ssd-mobilenet", 0.99,  "",      256,     "", "", 0, 0),
        ("ssd-large",    "ssd-resnet34",  0.99,  "",      64,      "", "", 0, 0),
        ("gnmt",         "gnmt",          0.99,  "",      3903900, "", "", 0, 0),
    ],
    "v2.0": [
        ("resnet",       "resnet50",      0.99,  _T_AB,   1024,   _RES,       "", 15,   _O),
        ("ssd-small",    "ssd-mobilenet", 0.99,  _T_AB,   256,    _SSD_SMALL, "", 0,    _O),
        ("ssd-large",    "ssd-resnet34",  0.99,  _T_AB,   64,     _RES,       "", 100,  _O),
        ("rnnt",         "rnnt",          0.99,  _T_VAR,  2513,   _RNNT,      "", 1000, _O, _RNNT_MIN),
        ("bert-99",      "bert",          0.99,  _T_VAR,  10833,  _BERT,      "", 130,  _O),
        ("bert-99.9",    "bert",          0.999, _T_VAR,  10833,  _BERT9,     "", 130,  _O),
        ("dlrm-99",      "dlrm",          0.99,  _T_VAR,  204800, _DLRM,      "", 30,   _O),
        ("dlrm-99.9",    "dlrm",          0.999, _T_VAR,  204800, _DLRM,      "", 30,   _O),
        ("3d-unet-99",   "3d-unet",       0.99,  _T_VAR,  42,     _UNET,      "", 0,    _O, _UNET_V20),
        ("3d-unet-99.9", "3d-unet",       0.999, _T_VAR,  42,     _UNET,      "", 0,    _O, _UNET_V20),
    ],
    "v3.0": [
        ("resnet",       "resnet50",      0.99,  _T_IMG,  1024,   _RES,       "", 15,   _O),
        ("rnnt",         "rnnt",          0.99,  _T_VAR,  2513,   _RNNT,      "", 1000, _O, _RNNT_MIN),
        ("bert-99",      "bert",          0.99,  _T_VAR,  10833,  _BERT,      "", 130,  _O),
        ("bert-99.9",    "bert",          0.999, _T_VAR,  10833,  _BERT9,     "", 130,  _O),
        ("dlrm-99",      "dlrm",          0.99,  _T_VAR,  204800, _DLRM,      "", 30,   _O),
        ("dlrm-99.9",    "dlrm",          0.999, _T_VAR,  204800, _DLRM,      "", 30,   _O),
        ("3d-unet-99",   "3d-unet",       0.99,  _T_VAR,  43,     _UNET,      "", 0,    _O),
        ("3d-unet-99.9", "3d-unet",       0.999, _T_VAR,  43,     _UNET,      "", 0,    _O),
    ],
    "v4.0": [
        ("resnet",       "resnet50",      0.99,  _T_IMG,  1024,   _RES,       "", 15,   24576),
        ("rnnt",         "rnnt",          0.99,  _T_VAR,  2513,   _RNNT,      "", 1000, 2513, _RNNT_MIN),
        ("bert-99",      "bert",          0.99,  _T_VAR,  10833,  _BERT,      "", 130,  10833),
        ("bert-99.9",    "bert",          0.999, _T_VAR,  10833,  _BERT9,     "", 130,  10833),
        ("3d-unet-99",   "3d-unet",       0.99,  _T_VAR,  43,     _UNET,      "", 0,    43),
        ("3d-unet-99.9", "3d-unet",       0.999, _T_VAR,  43,     _UNET,      "", 0,    43),
    ],
    "v4.1": [
        ("resnet",       "resnet50",      0.99,  _T_IMG,  1024,   _RES,       "", 15,   24576),
        ("bert-99",      "bert",          0.99,  _T_VAR,  10833,  _BERT,      "", 130,  10833),
        ("bert-99.9",    "bert",          0.999, _T_VAR,  10833,  _BERT9,     "", 130,  10833),
        ("3d-unet-99",   "3d-unet",       0.99,  _T_VAR,  43,     _UNET,      "", 0,    43),
        ("3d-unet-99.9", "3d-unet",       0.999, _T_VAR,  43,     _UNET,      "", 0,    43),
    ],
    "v5.0": [
        ("resnet",       "resnet50",      0.99,  "TEST01 TEST04", 1024,  _RES,       "", 15, 24576),
        ("bert-99",      "bert",          0.99,  "TEST01",        10833, _BERT_EDGE, "", 0,  10833),
        ("bert-99.9",    "bert",          0.999, "TEST01",        10833, _BERT_EDGE, "", 0,  10833),
        ("3d-unet-99",   "3d-unet",       0.99,  "TEST01",        43,    _UNET,      "", 0,  43),
        ("3d-unet-99.9", "3d-unet",       0.999, "TEST01",        43,    _UNET,      "", 0,  43),
    ],
    "v5.1": [
        ("resnet",       "resnet50",      0.99,  "TEST01 TEST04", 1024,  _RES_EDGE,  "", 15, 24576),
        ("bert-99",      "bert",          0.99,  "TEST01",        10833, _BERT_EDGE, "", 0,  10833),
        ("bert-99.9",    "bert",          0.999, "TEST01",        10833, _BERT_EDGE, "", 0,  10833),
        ("3d-unet-99",   "3d-unet",       0.99,  "TEST01",        43,    _UNET,      "", 0,  43),
        ("3d-unet-99.9", "3d-unet",       0.999, "TEST01",        43,    _UNET,      "", 0,  43),
        ("llama3.1-8b",  "llama3_1-8b",   0.99,  "TEST06",        13368, _LLAMA_51,  _SERVER_DC, 20000, 13368,
         _LLAMA_99),
    ],
}
_BENCHMARKS["v6.0"] = [
    *_BENCHMARKS["v5.1"][:5],
    ("llama3.1-8b",  "llama3_1-8b",   0.99,  "TEST06",        13368, _LLAMA,     _SERVER_ALL, 20000, 13368,
     _LLAMA_99),
]
_BENCHMARKS["v6.1"] = list(_BENCHMARKS["v6.0"])
# fmt: on

# v0.5's system description: these fields (required), those (optional), no others.
_V05_SYSTEM = (
    "division", "submitter", "status", "system_name", "number_of_nodes", "host_processor_model_name",
    "host_processors_per_node", "host_processor_core_count", "host_memory_capacity",
    "host_storage_capacity", "host_storage_type", "accelerators_per_node", "accelerator_model_name",
    "accelerator_memory_capacity", "framework", "operating_system", "other_software_stack",
)  # fmt: skip
_V05_SYSTEM_OPTIONAL = (
    "host_processor_frequency", "host_processor_caches", "host_memory_configuration",
    "host_processor_interconnect", "host_networking", "host_networking_topology", "accelerator_frequency",
    "accelerator_host_interconnect", "accelerator_interconnect", "accelerator_interconnect_topology",
    "accelerator_memory_configuration", "accelerator_on-chip_memories", "cooling", "hw_notes", "sw_notes",
)  # fmt: skip
_SPLIT_OLD = ("mlperf.conf", "user.conf", "README.md")  # measurements/ up to v4.1
_SPLIT_NEW = ("user.conf", "README.md")  # v5.0 on (mlperf.conf is built into LoadGen)
_INTERACTIVE = "Interactive (LLMs, v5.1 on) is a scenario of its own; loadgen has none"
_V6_TESTS = ("TEST01", "TEST04", "TEST06", "TEST07", "TEST08", "TEST09")
_ROUNDS = (
    RulesVersion(
        name="v0.5",
        seeds=Seeds(3133965575612453542, 665484352860916858, 3622009729038561421),
        test05_seeds=None,
        tests=(),
        benchmarks={},
        layout="v0.5",
        measurement_files=_SPLIT_OLD,
        min_duration_ms=60_000,
        early_stopping=False,
        server_metric="result_scheduled_samples_per_sec",
        server_runs=5,
        perf_accuracy_log=True,
        compliance_runs_checked=False,
        system_fields=_V05_SYSTEM,
        system_fields_optional=_V05_SYSTEM_OPTIONAL,
        system_fields_closed=True,
        differences=(
            (
                "v0.5's checker reads mlperf_log_summary.txt in LoadGen v0.5's text format; loadgen writes "
                "the v0.7+ logs and checks their detail log, which has the same fields"
            ),
            (
                "v0.5's checker asks for no compliance folder; the v0.5 audit tests (v0.5/audit/nvidia: "
                "TEST01 sampling 10 % with per-scenario seeds, TEST03 on a modified data set, TEST04-A/B, "
                "TEST05 with seeds 195/235/634) are outside the tree"
            ),
            (
                "no early stopping (v2.0 on); v0.5's mlperf.conf: GNMT Server bound 250 ms at 97 %, "
                "min_duration 60 s (loadgen's built-in file has v6.1's values)"
            ),
            "Server needs five performance runs (run_1 .. run_5), which pack does not lay out",
        ),
    ),
    RulesVersion(
        name="v2.0",
        seeds=Seeds(6655344265603136530, 15863379492028895792, 12662793979680847247),
        test05_seeds=Seeds(313588358309856706, 471397156132239067, 413914573387865862),
        tests=("TEST01", "TEST04-A", "TEST04-B", "TEST05"),
        benchmarks={},
        layout="split",
        measurement_files=_SPLIT_OLD,
        server_metric="result_scheduled_samples_per_sec",
        compliance_runs_checked=False,
        test05_audit_seeds=True,
        differences=(
            "its checker checks a compliance folder's verify files and that its run logs exist",
            "3D-UNet (KiTS19, 42 cases): reference 0.86331",
            "v2.0's mlperf.conf: DLRM Server bound 30 ms (loadgen's built-in file: 60 ms)",
        ),
    ),
    RulesVersion(
        name="v3.0",
        seeds=Seeds(10003631887983097364, 17183018601990103738, 12134888396634371638),
        test05_seeds=Seeds(14646058500348515648, 1207248993894122914, 11879132697760422006),
        tests=("TEST01", "TEST04", "TEST05"),
        benchmarks={},
        layout="split",
        measurement_files=_SPLIT_OLD,
        server_metric="result_scheduled_samples_per_sec",
        differences=("v3.0's mlperf.conf: DLRM Server bound 30 ms (loadgen's built-in file: 60 ms)",),
    ),
    RulesVersion(
        name="v4.0",
        seeds=Seeds(13281865557512327830, 198141574272810017, 7575108116881280410),
        test05_seeds=Seeds(2376919268182438552, 11176391829184272374, 3911940905271271337),
        tests=("TEST01", "TEST04", "TEST05", "TEST06"),
        benchmarks={},
        layout="split",
        measurement_files=_SPLIT_OLD,
        server_metric="result_scheduled_samples_per_sec",
    ),
    RulesVersion(
        name="v4.1",
        seeds=Seeds(3066443479025735752, 10688027786191513374, 14962580496156340209),
        test05_seeds=Seeds(16799458546791641818, 5453809927556429288, 5435552105434836064),
        tests=("TEST01", "TEST04", "TEST05", "TEST06"),
        benchmarks={},
        layout="split",
        measurement_files=_SPLIT_OLD,
        differences=("the last round with TEST05 (removed from the requirements in November 2024)",),
    ),
    RulesVersion(
        name="v5.0",
        seeds=Seeds(6023615788873153749, 15036839855038426416, 9933818062894767841),
        test05_seeds=None,
        tests=("TEST01", "TEST04", "TEST06"),
        benchmarks={},
        layout="split",
        measurement_files=_SPLIT_NEW,
    ),
    RulesVersion(
        name="v5.1",
        seeds=Seeds(1780908523862526354, 14771362308971278857, 18209322760996052031),
        test05_seeds=None,
        tests=("TEST01", "TEST04", "TEST06"),
        benchmarks={},
        layout="split",
        measurement_files=_SPLIT_NEW,
        differences=(_INTERACTIVE,),
    ),
    RulesVersion(
        name="v6.0",
        seeds=Seeds(2465351861681999779, 14276810075590677512, 3936089224930324775),
        test05_seeds=None,
        tests=_V6_TESTS,
        benchmarks={},
        layout="v6",
        measurement_files=_SPLIT_NEW,
        differences=(_INTERACTIVE, "v6.0's mlperf.conf has these seeds; loadgen's built-in file has v6.1's"),
    ),
    RulesVersion(
        name="v6.1",
        seeds=Seeds(2085463073848966840, 2747215439041700203, 16159082839903944936),
        test05_seeds=None,
        tests=_V6_TESTS,
        benchmarks={},
        layout="v6",
        measurement_files=_SPLIT_NEW,
        differences=(_INTERACTIVE,),
    ),
)
VERSIONS: dict[str, RulesVersion] = {
    r.name: replace(r, benchmarks={b[0]: _row(r.name, b) for b in _BENCHMARKS[r.name]}) for r in _ROUNDS
}
VERSION_NAMES = tuple(VERSIONS)  # oldest first


def version(name: str) -> RulesVersion:
    """A rules version by name (``v6.0``; ``6.0`` also works)."""
    key = name if name.startswith("v") else f"v{name}"
    if key in VERSIONS:
        return VERSIONS[key]
    raise RulesError(f"unknown rules version {name!r} (known: {', '.join(VERSION_NAMES)})")


def versions_with_benchmark(name: str) -> list[str]:
    """The rules versions (oldest first) with a benchmark folder of this name."""
    return [v.name for v in VERSIONS.values() if name in v.benchmarks]


def versions_with_model(config_model: str) -> list[str]:
    return [v.name for v in VERSIONS.values() if v.benchmarks_of(config_model)]


def versions_with_test(test: str) -> list[str]:
    return [v.name for v in VERSIONS.values() if test in v.tests]


def default_version(config_model: str) -> RulesVersion:
    """The newest round that has this model's benchmark."""
    names = versions_with_model(config_model)
    if not names:
        model_rules(config_model)  # raises for an unknown model
        raise RulesError(f"no rules version has a benchmark of {config_model!r}")
    return VERSIONS[names[-1]]


def resolve(config_model: str, rules_version: str | None = None) -> RulesVersion:
    """The rules version to use for a model: the one named (which must have
    the model's benchmark) or the newest that has it."""
    if rules_version is None:
        return default_version(config_model)
    v = version(rules_version)
    if not v.benchmarks_of(config_model):
        model_rules(config_model)
        names = versions_with_model(config_model)
        raise RulesError(
            f"{config_model} ({', '.join(_benchmark_names(config_model))}) is not a benchmark of rules "
            f"{v.name}; the rules versions that have it: {', '.join(names)} (the newest: {names[-1]})"
        )
    return v


def _benchmark_names(config_model: str) -> list[str]:
    names: list[str] = []
    for v in VERSIONS.values():
        for b in v.benchmarks_of(config_model):
            if b.name not in names:
                names.append(b.name)
    return names


def benchmark_rules(config_model: str, rules_version: str | None = None, target: str = "99") -> Benchmark:
    """A model's benchmark in a round; ``target`` picks bert-99 or bert-99.9."""
    v = resolve(config_model, rules_version)
    found = v.benchmarks_of(config_model)
    if len(found) == 1:
        return found[0]
    for b in found:
        if b.name.endswith(f"-{target}"):
            return b
    raise RulesError(f"target {target}: not one of {', '.join(b.name for b in found)} (rules {v.name})")


def compliance_tests_for(config_model: str, rules_version: str | None = None) -> tuple[str, ...]:
    """The compliance tests a model's (99 %) benchmark needs in a round."""
    return benchmark_rules(config_model, rules_version).tests


def check_test(test: str, v: RulesVersion) -> None:
    """Raise RulesError unless ``test`` is one of the round's compliance tests."""
    if test in v.tests:
        return
    others = versions_with_test(test)
    where = f"the rules versions with {test}: {', '.join(others)}" if others else f"no round here has {test}"
    why = " (TEST05 was removed from the requirements in November 2024)" if test == "TEST05" else ""
    raise RulesError(
        f"{test} is not a compliance test of rules {v.name}{why}; its tests: "
        f"{', '.join(v.tests) or 'none'}; {where}"
    )


@dataclass
class SeedPlan:
    """Seeds to set through TestSettings for a round, and the note that says so."""

    fields: dict[str, int] = field(default_factory=dict)
    note: str = ""


def seed_plan(v: RulesVersion, builtin: dict[str, int], test05: bool) -> SeedPlan:
    """What a run for round ``v`` must set, given the built-in mlperf.conf's
    seed fields (``qsl_rng_seed``, ..., ``test05_qsl_rng_seed``, ...)."""
    want = v.seeds.as_fields()
    if test05:
        if v.test05_seeds is None:
            check_test("TEST05", v)
        assert v.test05_seeds is not None
        want.update(v.test05_seeds.as_fields("test05_"))
    diff = {k: val for k, val in want.items() if builtin.get(k) != val}
    if not diff:
        return SeedPlan()
    which = "official and TEST05 seeds" if test05 else "seeds"
    return SeedPlan(
        diff,
        f"rules {v.name}: the round's {which} are set through TestSettings (the built-in mlperf.conf "
        f"has other seeds)",
    )


def seeds_owner(qsl: int, sample_index: int, schedule: int) -> str | None:
    """Which round's official (or TEST05) seeds these are, if any."""
    s = Seeds(qsl, sample_index, schedule)
    for v in VERSIONS.values():
        if v.seeds == s:
            return v.name
        if v.test05_seeds == s:
            return f"{v.name} TEST05"
    return None


def mlperf_conf_for(v: RulesVersion, builtin_text: str) -> str:
    """The built-in mlperf.conf with round ``v``'s seeds: the file a run for
    ``v`` used (the harness sets them through TestSettings)."""
    fields = v.seeds.as_fields()
    if v.test05_seeds is not None:
        fields.update(v.test05_seeds.as_fields("test05_"))
    out = []
    changed = False
    for line in builtin_text.splitlines():
        m = re.match(r"^(\*\.\*\.)(\w+)(\s*=\s*)(\d+)\s*$", line)
        if m and m.group(2) in fields and int(m.group(4)) != fields[m.group(2)]:
            line = f"{m.group(1)}{m.group(2)}{m.group(3)}{fields[m.group(2)]}"
            changed = True
        out.append(line)
    if changed:
        out.insert(
            0, f"# The seeds below are those of MLPerf Inference rules {v.name}; loadgen's harness set them"
        )
        out.insert(1, "# through TestSettings (its built-in mlperf.conf has another round's).")
    return "\n".join(out) + "\n"
