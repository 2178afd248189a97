"""The submission tools: pack run folders into the rules' tree, and check it.

A clean tree is built from short runs of the toy benchmark of
test_compliance.py (performance, accuracy, TEST01/04/05) and passes the check
with the duration checks relaxed; then each of many planted defects is caught
with a message that names its file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

lg = pytest.importorskip("loadgen")

from loadgen.harness import run_benchmark
from loadgen.harness.compliance import run_compliance
from loadgen.submission import PackError, check_tree, pack
from test_compliance import SPEC, opts

REPO = Path(__file__).resolve().parent.parent
SYSTEM = {
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
    "framework": "toy",
    "operating_system": "Linux",
    "other_software_stack": "loadgen",
    "host_processor_frequency": "",
    "host_processor_caches": "",
    "host_processor_interconnect": "",
    "host_networking": "",
    "host_networking_topology": "",
    "accelerator_frequency": "",
    "accelerator_host_interconnect": "",
    "accelerator_interconnect": "",
    "accelerator_interconnect_topology": "",
    "accelerator_memory_configuration": "",
    "accelerator_on-chip_memories": "",
    "cooling": "air",
    "hw_notes": "",
    "sw_notes": "",
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Performance, accuracy and the three compliance runs of an honest toy SUT."""
    out = tmp_path_factory.mktemp("runs")
    run_benchmark(SPEC, opts(out / "performance", "toy-honest"), log=lambda s: None)
    run_benchmark(SPEC, opts(out / "accuracy", "toy-honest", accuracy=True), log=lambda s: None)
    for test in ("TEST01", "TEST04", "TEST05"):
        res = run_compliance(
            SPEC,
            opts(out, "toy-honest"),
            test,
            str(out / "performance"),
            str(out / "accuracy"),
            log=lambda s: None,
        )
        assert res.passed, [v.text for v in res.verifications]
    return out


@pytest.fixture(scope="module")
def clean_tree(runs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("tree")
    system = base / "toy_vm.json"
    system.write_text(json.dumps(SYSTEM))
    user_conf = base / "user.conf"
    user_conf.write_text("*.Offline.target_qps = 40\n")
    res = pack([runs], base / "sub", "closed", "ACME", system, user_conf)
    assert any(p.endswith("TEST01/accuracy/mlperf_log_accuracy.json") for p in res.packed)
    return res.root


def test_clean_tree_has_the_layout_and_passes(clean_tree: Path) -> None:
    scen = clean_tree / "results" / "toy_vm" / "resnet" / "Offline"
    for rel in (
        "performance/run_1/mlperf_log_detail.txt",
        "accuracy/accuracy.txt",
        "accuracy/mlperf_log_accuracy.json",
        "measurements.json",
        "user.conf",
        "README.md",
        "TEST01/verify_accuracy.txt",
        "TEST04/performance/run_1/mlperf_log_summary.txt",
        "TEST05/verify_performance.txt",
    ):
        assert (scen / rel).is_file(), rel
    assert (clean_tree / "systems" / "toy_vm.json").is_file()
    assert (clean_tree / "code" / "resnet" / "README.md").is_file()
    res = check_tree(clean_tree, relax_duration=True)
    assert res.passed, res.format()
    row = res.rows[0]
    assert (row.benchmark, row.scenario) == ("resnet", "Offline")
    assert "short run" in row.performance and row.compliance == "TEST01 PASS, TEST04 PASS, TEST05 PASS"


def test_short_runs_fail_the_duration_check_unless_relaxed(clean_tree: Path) -> None:
    res = check_tree(clean_tree)
    assert not res.passed
    assert any("short run, not official" in msg for _, msg in res.problems)


def test_pack_truncates_large_accuracy_logs_with_the_hash(runs: Path, tmp_path: Path) -> None:
    big = tmp_path / "runs"
    shutil.copytree(runs, big)
    acc = big / "accuracy" / "mlperf_log_accuracy.json"
    entries = json.loads(acc.read_text())
    acc.write_text("[\n" + ",\n".join(json.dumps(e) for e in entries * 40) + "\n]\n")
    original = acc.read_bytes()
    system = tmp_path / "toy_vm.json"
    system.write_text(json.dumps(SYSTEM))
    (tmp_path / "user.conf").write_text("\n")
    res = pack([big], tmp_path / "sub", "closed", "ACME", system, tmp_path / "user.conf")
    packed = res.root / "results/toy_vm/resnet/Offline/accuracy"
    data = (packed / "mlperf_log_accuracy.json").read_bytes()
    assert len(data) == 8192 and data[:4096] == original[:4096] and data[4096:] == original[-4096:]
    import hashlib

    assert f"hash={hashlib.sha256(original).hexdigest()}" in (packed / "accuracy.txt").read_text()


def test_pack_refuses_what_does_not_belong(runs: Path, tmp_path: Path) -> None:
    system = tmp_path / "sys.json"
    user_conf = tmp_path / "user.conf"
    user_conf.write_text("\n")
    system.write_text(json.dumps({k: v for k, v in SYSTEM.items() if k != "cooling"}))
    with pytest.raises(PackError, match=r"sys\.json: the system description lacks cooling"):
        pack([runs], tmp_path / "a", "closed", "ACME", system, user_conf)
    system.write_text(json.dumps(SYSTEM))
    with pytest.raises(PackError, match="a second performance run"):
        pack(
            [runs / "performance", runs / "performance"], tmp_path / "b", "closed", "ACME", system, user_conf
        )
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(PackError, match="empty: no LoadGen logs"):
        pack([empty], tmp_path / "c", "closed", "ACME", system, user_conf)
    noacc = tmp_path / "noacc"
    shutil.copytree(runs / "accuracy", noacc)
    (noacc / "accuracy.txt").unlink()
    with pytest.raises(PackError, match=r"noacc/accuracy\.txt: missing"):
        pack([noacc], tmp_path / "d", "closed", "ACME", system, user_conf)
    with pytest.raises(PackError, match="division is 'closed' but the tree is for 'open'"):
        pack([runs], tmp_path / "e", "open", "ACME", system, user_conf)


def _edit_detail(path: Path, key: str, value) -> None:
    lines = []
    for line in path.read_text().splitlines():
        if line.startswith(":::MLLOG ") and json.loads(line[9:])["key"] == key:
            rec = json.loads(line[9:])
            rec["value"] = value
            line = ":::MLLOG " + json.dumps(rec)
        lines.append(line)
    path.write_text("\n".join(lines) + "\n")


PERF = "results/toy_vm/resnet/Offline/performance/run_1/mlperf_log_detail.txt"
SCEN = "results/toy_vm/resnet/Offline"


def _add_error(root: Path) -> None:
    with open(root / PERF, "a") as f:
        rec = {
            "key": "error_runtime",
            "value": "planted",
            "metadata": {"is_error": True, "is_warning": False},
        }
        f.write(":::MLLOG " + json.dumps(rec) + "\n")


def _system_without(root: Path, field: str) -> None:
    p = root / "systems/toy_vm.json"
    d = json.loads(p.read_text())
    del d[field]
    p.write_text(json.dumps(d))


def _measurements_without(root: Path, field: str) -> None:
    p = root / SCEN / "measurements.json"
    d = json.loads(p.read_text())
    del d[field]
    p.write_text(json.dumps(d))


def _big_file(root: Path) -> None:
    with open(root / SCEN / "big.bin", "wb") as f:
        f.truncate(51 * 1024 * 1024)


DEFECTS: dict[str, tuple[Callable[[Path], None], str, str]] = {
    "wrong seed": (
        lambda r: _edit_detail(r / PERF, "effective_qsl_rng_seed", 12345),
        PERF,
        "effective_qsl_rng_seed is 12345, not the round's",
    ),
    "INVALID run": (lambda r: _edit_detail(r / PERF, "result_validity", "INVALID"), PERF, "not VALID"),
    "error in the log": (_add_error, PERF, "error in the log: error_runtime: planted"),
    "missing accuracy.txt": (
        lambda r: (r / SCEN / "accuracy/accuracy.txt").unlink(),
        f"{SCEN}/accuracy/accuracy.txt",
        "required file missing",
    ),
    "accuracy below target": (
        lambda r: (r / SCEN / "accuracy/accuracy.txt").write_text("accuracy=50.000%, good=50, total=100\n"),
        f"{SCEN}/accuracy/accuracy.txt",
        "accuracy 50 is below the target 75.6954",
    ),
    "untruncated accuracy log": (
        lambda r: (r / SCEN / "accuracy/mlperf_log_accuracy.json").write_text("[" + " " * 20000 + "]"),
        f"{SCEN}/accuracy/mlperf_log_accuracy.json",
        "must be truncated",
    ),
    "failed TEST01": (
        lambda r: (r / SCEN / "TEST01/verify_accuracy.txt").write_text(
            "num_perf_log_data_mismatch_acc_log = 3\nTEST FAIL\n"
        ),
        f"{SCEN}/TEST01/verify_accuracy.txt",
        "TEST01 did not pass",
    ),
    "missing TEST04": (
        lambda r: shutil.rmtree(r / SCEN / "TEST04"),
        f"{SCEN}/TEST04",
        "compliance test TEST04 missing",
    ),
    "TEST05 with the official seeds": (
        lambda r: _edit_detail(
            r / SCEN / "TEST05/performance/run_1/mlperf_log_detail.txt",
            "effective_qsl_rng_seed",
            json.loads(
                next(ln[9:] for ln in (r / PERF).read_text().splitlines() if '"effective_qsl_rng_seed"' in ln)
            )["value"],
        ),
        f"{SCEN}/TEST05/performance/run_1/mlperf_log_detail.txt",
        "not the round's TEST05",
    ),
    "missing system field": (
        lambda r: _system_without(r, "host_memory_capacity"),
        "systems/toy_vm.json",
        "required field 'host_memory_capacity' missing",
    ),
    "missing measurements field": (
        lambda r: _measurements_without(r, "weight_data_types"),
        f"{SCEN}/measurements.json",
        "required field 'weight_data_types' missing",
    ),
    "file over 50 MB": (_big_file, f"{SCEN}/big.bin", "files may not exceed 50 MB"),
    "name with a space": (
        lambda r: (r / SCEN / "my notes.txt").write_text("x"),
        f"{SCEN}/my notes.txt",
        "contain spaces",
    ),
    "broken symlink": (
        lambda r: os.symlink("/nonexistent/target", r / SCEN / "link"),
        f"{SCEN}/link",
        "broken symbolic link",
    ),
    "missing user.conf": (
        lambda r: (r / SCEN / "user.conf").unlink(),
        f"{SCEN}/user.conf",
        "required file missing",
    ),
    "missing system description": (
        lambda r: (r / "systems/toy_vm.json").unlink(),
        "systems/toy_vm.json",
        "no system description",
    ),
}


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_planted_defect_is_caught_naming_its_file(clean_tree: Path, tmp_path: Path, defect: str) -> None:
    plant, where, message = DEFECTS[defect]
    tree = tmp_path / "closed" / "ACME"
    shutil.copytree(clean_tree, tree, symlinks=True)
    plant(tree)
    res = check_tree(tree, relax_duration=True)
    assert not res.passed
    assert any(path == where and message in msg for path, msg in res.problems), res.format()


def test_cli_pack_then_check(runs: Path, tmp_path: Path) -> None:
    system = tmp_path / "toy_vm.json"
    system.write_text(json.dumps(SYSTEM))
    (tmp_path / "user.conf").write_text("\n")
    base = [sys.executable, "-m", "loadgen", "submission"]
    done = subprocess.run(
        base
        + ["pack", str(runs), "-o", str(tmp_path / "sub"), "--division", "closed", "--submitter", "ACME"]
        + ["--system-json", str(system), "--user-conf", str(tmp_path / "user.conf")],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    tree = tmp_path / "sub" / "closed" / "ACME"
    ok = subprocess.run(
        base + ["check", str(tree), "--relax-duration"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stdout
    assert "submission check PASSED" in ok.stdout and "resnet" in ok.stdout
    strict = subprocess.run(
        base + ["check", str(tree)], check=False, capture_output=True, text=True, timeout=120
    )
    assert strict.returncode == 1 and "short run, not official" in strict.stdout


def test_the_example_system_description_has_every_field_the_checker_requires():
    # docs/submission.md's walkthrough packs with docs/examples/my_system.json.

    from loadgen.submission.layout import SYSTEM_FIELDS

    path = Path(__file__).resolve().parents[1] / "docs" / "examples" / "my_system.json"
    system = json.loads(path.read_text())
    assert list(system) == list(SYSTEM_FIELDS)
    assert system["division"] == "closed" and system["status"] == "available"
