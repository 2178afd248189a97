"""The rounds: one table per rules version of the benchmarks it has (folder
name, model, accuracy target, compliance tests, sample counts, scenarios per
system type, latency bound) and one record of its seeds, compliance tests,
submission layout and checks; ``VERSIONS`` holds them by name, oldest first."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .models import MODELS, ROUGE
from .schema import Benchmark, Bound, RulesVersion, Seeds


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
    r = ROUGE
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
