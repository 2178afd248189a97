"""The compliance + submission flow on one benchmark's tiny configuration,
shared by the benchmarks' test files (issue 15: "the same flow works for
every benchmark").

``check_flow(spec, options, tmp)`` runs, with ``options(output=DIR, **kw)``
giving that benchmark's tiny Offline RunOptions, for the newest rules version
that has the benchmark (or ``rules_version``): a performance run, an
accuracy run, and every compliance test that round requires for its model
(TEST04-A runs TEST04-B too); packs them; and checks the tree with the
duration checks relaxed. It asserts that the tree has the round's layout,
that every accuracy-side verification passed (TEST01's response comparison is
deterministic), and that the check finds no problem other than a compliance
*performance* comparison: those compare timings of seconds-long runs, which a
busy 2-core machine can push past 10 % (a short run within its own noise is
INCONCLUSIVE, which the relaxed check accepts); their logic is tested
deterministically in test_compliance.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loadgen.harness import RunOptions, run_benchmark
from loadgen.harness.compliance import run_compliance
from loadgen.rules import benchmark_rules, version
from loadgen.submission import check_tree, pack
from loadgen.submission.layout import scenario_paths

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
    "host_networking": "N/A",
    "host_networking_topology": "N/A",
    "accelerator_host_interconnect": "N/A",
    "accelerator_interconnect": "N/A",
    "accelerator_memory_configuration": "N/A",
    "host_memory_configuration": "N/A",
    "host_network_card_count": "N/A",
    "cooling": "air",
}


def system_description(**values: Any) -> dict[str, Any]:
    """A system description with every field of the rules, in their order:
    SYSTEM_FIELDS_VALUES, then ``values`` over them, "" for the rest."""
    from loadgen.submission.layout import SYSTEM_FIELDS

    given = {**SYSTEM_FIELDS_VALUES, **values}
    return {f: given.get(f, "") for f in SYSTEM_FIELDS}


def system_json(folder: Path) -> Path:
    path = folder / "vm.json"
    path.write_text(json.dumps(system_description()))
    return path


def check_flow(
    spec: Any,
    options: Callable[..., RunOptions],
    tmp: Path,
    qps: float = 400.0,
    rules_version: str | None = None,
) -> None:
    runs = tmp / "runs"
    log = lambda s: None
    perf = runs / "performance"
    acc = runs / "accuracy"
    bench = benchmark_rules(spec.config_model, rules_version)
    rv = {"rules_version": bench.version}
    # Offline's one query holds 1.1 x duration x qps samples: enough that it outlasts the short
    # min_duration on a fast tiny model (a VALID run), few enough to take seconds.
    fast = {"qps": qps, **rv}
    run_benchmark(spec, options(output=str(perf), **fast), log)
    report = run_benchmark(spec, options(output=str(acc), accuracy=True, **rv), log)
    assert report.accuracy is not None and report.accuracy.passed, report.accuracy
    for test in bench.tests:
        if test == "TEST04-B":  # run by TEST04-A
            continue
        res = run_compliance(spec, options(output=str(runs), **fast), test, str(perf), str(acc), log)
        for v in res.verifications:
            if v.kind == "accuracy":
                assert v.passed, v.text
    user_conf = tmp / "user.conf"
    user_conf.write_text(Path(spec.user_conf).read_text() if spec.user_conf else "\n")
    packed = pack(
        [runs], tmp / "sub", "closed", "ACME", system_json(tmp), user_conf, rules_version=bench.version
    )
    paths = scenario_paths(packed.root, version(bench.version), "vm", bench.name, report.scenario)
    for rel in ("performance/run_1/mlperf_log_detail.txt", "accuracy/accuracy.txt"):
        assert (paths.results / rel).is_file(), rel
    assert (paths.measurements / paths.measurements_json).is_file()
    for test in bench.tests:
        assert paths.compliance is not None
        verify = "verify_accuracy.txt" if test == "TEST06" else "verify_performance.txt"
        if test == "TEST04-B":
            verify = "performance/run_1/mlperf_log_detail.txt"
        assert (paths.compliance / test / verify).is_file(), test
    result = check_tree(packed.root, relax_duration=True, rules_version=bench.version)
    timing = [p for p in result.problems if p[0].endswith("verify_performance.txt")]
    others = [p for p in result.problems if p not in timing]
    assert others == [], result.format()
    assert len(result.rows) == 1 and result.rows[0].benchmark == bench.name
