"""The compliance + submission flow on one benchmark's tiny configuration,
shared by the benchmarks' test files (issue 15: "the same flow works for
every benchmark").

``check_flow(spec, options, tmp)`` runs, with ``options(output=DIR, **kw)``
giving that benchmark's tiny Offline RunOptions: a performance run, an accuracy run,
and every compliance test the rules require for its model; packs them; and
checks the tree with the duration checks relaxed. It asserts that the tree
has the layout, that every accuracy-side verification passed (TEST01's
response comparison is deterministic), and that the check finds no problem
other than a compliance *performance* comparison: those compare timings of
seconds-long runs, which a busy 2-core machine can push past 10 %; their
logic is tested deterministically in test_compliance.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loadgen.harness import RunOptions, run_benchmark
from loadgen.harness.compliance import run_compliance
from loadgen.rules import model_rules
from loadgen.submission import check_tree, pack

SYSTEM_FIELDS_VALUES = {
    "division": "closed",
    "submitter": "ACME",
    "status": "available",
    "system_name": "test VM",
    "system_type": "edge",
    "number_of_nodes": 1,
    "host_processor_model_name": "x86-64",
    "host_processors_per_node": 1,
    "host_processor_core_count": 2,
    "host_memory_capacity": "24 GB",
    "host_storage_capacity": "250 GB",
    "host_storage_type": "SSD",
    "accelerators_per_node": 0,
    "accelerator_model_name": "N/A",
    "accelerator_memory_capacity": "N/A",
    "framework": "onnxruntime",
    "operating_system": "Linux",
    "other_software_stack": "loadgen",
}


def system_json(folder: Path) -> Path:
    from loadgen.submission.layout import SYSTEM_FIELDS

    system = {f: SYSTEM_FIELDS_VALUES.get(f, "") for f in SYSTEM_FIELDS}
    path = folder / "vm.json"
    path.write_text(json.dumps(system))
    return path


def check_flow(spec: Any, options: Callable[..., RunOptions], tmp: Path, qps: float = 400.0) -> None:
    runs = tmp / "runs"
    log = lambda s: None
    perf = runs / "performance"
    acc = runs / "accuracy"
    # Offline's one query holds 1.1 x duration x qps samples: enough that it outlasts the short
    # min_duration on a fast tiny model (a VALID run), few enough to take seconds.
    fast = {"qps": qps}
    run_benchmark(spec, options(output=str(perf), **fast), log)
    report = run_benchmark(spec, options(output=str(acc), accuracy=True), log)
    assert report.accuracy is not None and report.accuracy.passed, report.accuracy
    rules = model_rules(spec.config_model)
    for test in rules.tests:
        res = run_compliance(spec, options(output=str(runs), **fast), test, str(perf), str(acc), log)
        for v in res.verifications:
            if v.kind == "accuracy":
                assert v.passed, v.text
    user_conf = tmp / "user.conf"
    user_conf.write_text(Path(spec.user_conf).read_text() if spec.user_conf else "\n")
    packed = pack([runs], tmp / "sub", "closed", "ACME", system_json(tmp), user_conf)
    bench = next(iter(rules.benchmarks))
    scen = packed.root / "results" / "vm" / bench / report.scenario
    for rel in ("performance/run_1/mlperf_log_detail.txt", "accuracy/accuracy.txt", "measurements.json"):
        assert (scen / rel).is_file(), rel
    for test in rules.tests:
        assert (scen / test / "verify_performance.txt").is_file(), test
    result = check_tree(packed.root, relax_duration=True)
    timing = [p for p in result.problems if p[0].endswith("verify_performance.txt")]
    others = [p for p in result.problems if p not in timing]
    assert others == [], result.format()
    assert len(result.rows) == 1 and result.rows[0].benchmark == bench
