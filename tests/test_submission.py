"""The submission tools: pack run folders into the rules' tree, and check it,
for a rules version.

A clean v6.0 tree is built from short runs of the toy benchmark of
test_compliance.py (performance, accuracy, TEST01, TEST04: no TEST05) and
passes the check with the duration checks relaxed; then each of many planted
defects is caught with a message that names its file. The seed's round
(v4.1, with TEST05, in the split layout), v2.0 (TEST04-A/B) and v0.5 (no
compliance folder) are packed and checked too, and packing a benchmark for a
round without it fails naming the rounds that have it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from lg_helpers import run_command

lg = pytest.importorskip("loadgen")

from loadgen.harness import run_benchmark
from loadgen.harness.compliance import run_compliance
from loadgen.submission import PackError, check_tree, pack
from submission_flow import system_description
from test_compliance import SPEC, opts

REPO = Path(__file__).resolve().parent.parent
# The toy system of these tests (json.dumps keeps the rules' field order).
SYSTEM = system_description(framework="toy", system_type_detail="VM")


def _run_set(out: Path, rules_version: str, tests: tuple[str, ...]) -> Path:
    """Performance, accuracy and compliance runs of an honest toy SUT for one rules version."""
    run_benchmark(
        SPEC, opts(out / "performance", "toy-honest", rules_version=rules_version), log=lambda s: None
    )
    run_benchmark(
        SPEC,
        opts(out / "accuracy", "toy-honest", accuracy=True, rules_version=rules_version),
        log=lambda s: None,
    )
    for test in tests:
        res = run_compliance(
            SPEC,
            opts(out, "toy-honest", rules_version=rules_version),
            test,
            str(out / "performance"),
            str(out / "accuracy"),
            log=lambda s: None,
        )
        # Short Offline runs of 100 samples: the performance comparisons are within their noise.
        assert res.verdict in ("PASS", "INCONCLUSIVE"), [v.text for v in res.verifications]
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short ResNet50 Offline set for rules v6.0: performance, accuracy, TEST01, TEST04."""
    return _run_set(tmp_path_factory.mktemp("runs"), "v6.0", ("TEST01", "TEST04"))


@pytest.fixture(scope="module")
def runs_v41(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same for v4.1, the seed's round, with TEST05."""
    return _run_set(tmp_path_factory.mktemp("runs41"), "v4.1", ("TEST01", "TEST04", "TEST05"))


def _files(base: Path) -> tuple[Path, Path]:
    system = base / "toy_vm.json"
    system.write_text(json.dumps(SYSTEM))
    user_conf = base / "user.conf"
    user_conf.write_text("*.Offline.target_qps = 40\n")
    return system, user_conf


@pytest.fixture(scope="module")
def clean_tree(runs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("tree")
    system, user_conf = _files(base)
    res = pack([runs], base / "sub", "closed", "ACME", system, user_conf, rules_version="v6.0")
    assert any(p.endswith("TEST01/accuracy/mlperf_log_accuracy.json") for p in res.packed)
    assert res.versions == {"resnet": "v6.0"}
    return res.root


def test_clean_tree_has_the_layout_and_passes(clean_tree: Path) -> None:
    scen = clean_tree / "results" / "toy_vm" / "resnet" / "Offline"
    for rel in (
        "performance/run_1/mlperf_log_detail.txt",
        "accuracy/accuracy.txt",
        "accuracy/mlperf_log_accuracy.json",
        "measurements.json",
        "user.conf",
        "mlperf.conf",
        "README.md",
        "TEST01/verify_accuracy.txt",
        "TEST04/performance/run_1/mlperf_log_summary.txt",
        "TEST04/verify_performance.txt",
    ):
        assert (scen / rel).is_file(), rel
    assert not list(clean_tree.rglob("TEST05")), "v6.0 has no TEST05"
    assert (clean_tree / "systems" / "toy_vm.json").is_file()
    assert (clean_tree / "src" / "resnet" / "README.md").is_file()  # v6.0: src/, not code/
    assert not (clean_tree / "code").exists() and not (clean_tree / "measurements").exists()
    # The tree's mlperf.conf is the one the runs used: v6.0's seeds.
    conf = (scen / "mlperf.conf").read_text()
    assert re.search(r"^\*\.\*\.qsl_rng_seed\s*=\s*2465351861681999779$", conf, re.MULTILINE), conf[:400]
    res = check_tree(clean_tree, relax_duration=True, rules_version="v6.0")
    assert res.passed, res.format()
    row = res.rows[0]
    assert (row.benchmark, row.scenario, row.rules) == ("resnet", "Offline", "v6.0")
    assert "short run" in row.performance
    assert row.compliance.startswith("TEST01 ") and ", TEST04 " in row.compliance
    assert "TEST05" not in row.compliance and "FAIL" not in row.compliance
    # Relaxed: the edge system's other required scenarios are a note, not a problem.
    assert any("require SingleStream, MultiStream of resnet for an edge system" in n for n in res.notes)


def test_short_runs_fail_the_duration_check_unless_relaxed(clean_tree: Path) -> None:
    res = check_tree(clean_tree, rules_version="v6.0")
    assert not res.passed
    assert any("short run, not official" in msg for _, msg in res.problems)
    assert any("require SingleStream, MultiStream of resnet" in msg for _, msg in res.problems)


def test_a_tree_checked_against_another_round_names_the_seeds_round(clean_tree: Path) -> None:
    # Without --rules-version, ResNet50's newest round (v6.1) is checked: the seeds are v6.0's.
    res = check_tree(clean_tree, relax_duration=True)
    assert not res.passed and res.rows[0].rules == "v6.1"
    assert any("these are v6.0's: check with --rules-version v6.0" in msg for _, msg in res.problems)


def test_the_seeds_round_with_test05(runs_v41: Path, tmp_path: Path) -> None:
    system, user_conf = _files(tmp_path)
    res = pack([runs_v41], tmp_path / "sub", "closed", "ACME", system, user_conf, rules_version="v4.1")
    root = res.root
    # v4.1's layout: measurements/ and compliance/ beside results/, code in code/<benchmark>/<impl>/.
    for rel in (
        "results/toy_vm/resnet/Offline/performance/run_1/mlperf_log_detail.txt",
        "results/toy_vm/resnet/Offline/accuracy/accuracy.txt",
        "measurements/toy_vm/resnet/Offline/toy_vm_loadgen_Offline.json",
        "measurements/toy_vm/resnet/Offline/mlperf.conf",
        "measurements/toy_vm/resnet/Offline/user.conf",
        "measurements/toy_vm/resnet/Offline/README.md",
        "compliance/toy_vm/resnet/Offline/TEST01/verify_accuracy.txt",
        "compliance/toy_vm/resnet/Offline/TEST04/verify_performance.txt",
        "compliance/toy_vm/resnet/Offline/TEST05/verify_performance.txt",
        "code/resnet/loadgen/README.md",
    ):
        assert (root / rel).is_file(), rel
    assert not (root / "results/toy_vm/resnet/Offline/TEST05").exists()
    check = check_tree(root, relax_duration=True, rules_version="v4.1")
    assert check.passed, check.format()
    assert ", TEST05 " in check.rows[0].compliance
    # TEST05's run carries v4.1's alternate seeds, which the check verifies.
    t05 = root / "compliance/toy_vm/resnet/Offline/TEST05/performance/run_1/mlperf_log_detail.txt"
    qsl = next(ln for ln in t05.read_text().splitlines() if '"effective_qsl_rng_seed"' in ln)
    _edit_detail(t05, "effective_qsl_rng_seed", 3066443479025735752)  # v4.1's official seed
    bad = check_tree(root, relax_duration=True, rules_version="v4.1")
    assert any("not the round's TEST05 16799458546791641818" in m for _, m in bad.problems), bad.format()
    assert json.loads(qsl[9:])["value"] == 16799458546791641818


def test_pack_refuses_runs_of_another_round(runs_v41: Path, tmp_path: Path) -> None:
    system, user_conf = _files(tmp_path)
    with pytest.raises(PackError, match=r"seeds .* are those of v4\.1, not rules v6\.0's seeds"):
        pack([runs_v41], tmp_path / "sub", "closed", "ACME", system, user_conf, rules_version="v6.0")


def test_pack_leaves_out_a_test_the_round_does_not_ask_for(
    runs: Path, runs_v41: Path, tmp_path: Path
) -> None:
    mixed = tmp_path / "runs"
    shutil.copytree(runs, mixed)
    shutil.copytree(runs_v41 / "TEST05", mixed / "TEST05")
    system, user_conf = _files(tmp_path)
    res = pack([mixed], tmp_path / "sub", "closed", "ACME", system, user_conf, rules_version="v6.0")
    assert not list(res.root.rglob("TEST05"))
    assert any("TEST05 is not a compliance test of resnet in rules v6.0" in s for s in res.skipped)


def _as_model(src: Path, dst: Path, config_model: str) -> Path:
    shutil.copytree(src, dst)
    for p in dst.rglob("results.json"):
        data = json.loads(p.read_text())
        data["config_model"] = config_model
        p.write_text(json.dumps(data))
    return dst


def test_packing_ssd_mobilenet_for_v60_names_the_rounds_that_have_it(runs: Path, tmp_path: Path) -> None:
    ssd = _as_model(runs / "performance", tmp_path / "ssd", "ssd-mobilenet")
    system, user_conf = _files(tmp_path)
    with pytest.raises(
        PackError,
        match=r"ssd-mobilenet \(ssd-small\) is not a benchmark of rules v6\.0; "
        r"the rules versions that have it: v0\.5, v2\.0",
    ):
        pack([ssd], tmp_path / "sub", "closed", "ACME", system, user_conf, rules_version="v6.0")
    done = run_command(
        *(sys.executable, "-m", "loadgen", "submission", "pack", ssd, "-o", tmp_path / "o"),
        *("--division", "closed", "--submitter", "ACME", "--system-json", system),
        *("--user-conf", user_conf, "--rules-version", "v6.0"),
    )
    assert done.returncode == 2 and "the rules versions that have it: v0.5, v2.0" in done.stderr


def test_round_v05_tree(tmp_path: Path) -> None:
    """v0.5 (GNMT's round): no compliance folder, perf runs keep their accuracy log, the
    system description has v0.5's fields only."""
    out = tmp_path / "runs"
    _run_set(out, "v0.5", ())
    system, user_conf = _files(tmp_path)
    res = pack([out], tmp_path / "sub", "closed", "ACME", system, user_conf, rules_version="v0.5")
    root = res.root
    assert (root / "results/toy_vm/resnet/Offline/performance/run_1/mlperf_log_accuracy.json").is_file()
    assert not (root / "compliance").exists()
    written = json.loads((root / "systems/toy_vm.json").read_text())
    assert "system_type" not in written and "host_memory_capacity" in written
    assert any("fields rules v0.5 does not know" in s and "system_type" in s for s in res.skipped)
    check = check_tree(root, relax_duration=True, rules_version="v0.5")
    assert check.passed, check.format()
    # v0.5 knows no system_type: a description with one is a problem there.
    (root / "systems/toy_vm.json").write_text(json.dumps(SYSTEM))
    bad = check_tree(root, relax_duration=True, rules_version="v0.5")
    assert any("field 'system_type' is not one rules v0.5 know" in m for _, m in bad.problems)


def test_round_v20_tree_with_test04ab(tmp_path: Path) -> None:
    out = _run_set(tmp_path / "runs", "v2.0", ("TEST01", "TEST04-A", "TEST05"))
    system, user_conf = _files(tmp_path)
    res = pack([out], tmp_path / "sub", "closed", "ACME", system, user_conf, rules_version="v2.0")
    comp = res.root / "compliance/toy_vm/resnet/Offline"
    assert (comp / "TEST04-A/verify_performance.txt").is_file()
    assert (comp / "TEST04-B/performance/run_1/mlperf_log_detail.txt").is_file()
    assert not (comp / "TEST04-B/verify_performance.txt").exists()
    check = check_tree(res.root, relax_duration=True, rules_version="v2.0")
    assert check.passed, check.format()
    assert "TEST04-A" in check.rows[0].compliance and "TEST04-B" in check.rows[0].compliance


def test_inconclusive_verdicts_pass_only_when_relaxed(clean_tree: Path, tmp_path: Path) -> None:
    tree = tmp_path / "closed" / "ACME"
    shutil.copytree(clean_tree, tree)
    f = tree / SCEN / "TEST04/verify_performance.txt"
    f.write_text("test is +9.000% better than the reference (allowed at most 10%)\nTEST INCONCLUSIVE\n")
    relaxed = check_tree(tree, relax_duration=True, rules_version="v6.0")
    assert relaxed.passed, relaxed.format()
    assert "TEST04 INCONCLUSIVE" in relaxed.rows[0].compliance
    assert any("TEST04 is INCONCLUSIVE" in n for n in relaxed.notes)
    strict = check_tree(tree, rules_version="v6.0")
    assert any(
        p == f"{SCEN}/TEST04/verify_performance.txt" and "INCONCLUSIVE" in m for p, m in strict.problems
    )


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
    res = pack(
        [big], tmp_path / "sub", "closed", "ACME", system, tmp_path / "user.conf", rules_version="v6.0"
    )
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
        pack([runs], tmp_path / "a", "closed", "ACME", system, user_conf, rules_version="v6.0")
    system.write_text(json.dumps(SYSTEM))
    with pytest.raises(PackError, match="a second performance run"):
        pack(
            [runs / "performance", runs / "performance"],
            tmp_path / "b",
            "closed",
            "ACME",
            system,
            user_conf,
            rules_version="v6.0",
        )
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(PackError, match="empty: no LoadGen logs"):
        pack([empty], tmp_path / "c", "closed", "ACME", system, user_conf)
    noacc = tmp_path / "noacc"
    shutil.copytree(runs / "accuracy", noacc)
    (noacc / "accuracy.txt").unlink()
    with pytest.raises(PackError, match=r"noacc/accuracy\.txt: missing"):
        pack([noacc], tmp_path / "d", "closed", "ACME", system, user_conf, rules_version="v6.0")
    with pytest.raises(PackError, match="division is 'closed' but the tree is for 'open'"):
        pack([runs], tmp_path / "e", "open", "ACME", system, user_conf, rules_version="v6.0")


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


def _system_with(root: Path, field: str, value: object) -> None:
    p = root / "systems/toy_vm.json"
    d = json.loads(p.read_text())
    d[field] = value
    p.write_text(json.dumps(d))


def _accuracy_txt_without_hash(root: Path) -> None:
    p = root / SCEN / "accuracy" / "accuracy.txt"
    p.write_text("".join(ln + "\n" for ln in p.read_text().splitlines() if not ln.startswith("hash=")))


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
    "a TEST05 folder in a v6.0 tree": (
        lambda r: shutil.copytree(r / SCEN / "TEST04", r / SCEN / "TEST05"),
        f"{SCEN}/TEST05",
        "TEST05 is not a compliance test of resnet in rules v6.0 (it needs: TEST01, TEST04)",
    ),
    "code in code/ instead of src/": (
        lambda r: (r / "src").rename(r / "code"),
        "src/resnet",
        "no src/ folder for this benchmark",
    ),
    "missing system field": (
        lambda r: _system_without(r, "host_memory_capacity"),
        "systems/toy_vm.json",
        "required field 'host_memory_capacity' missing",
    ),
    "empty system field": (
        lambda r: _system_with(r, "host_networking", ""),
        "systems/toy_vm.json",
        "field 'host_networking' is empty",
    ),
    "accuracy.txt without hash=": (
        _accuracy_txt_without_hash,
        f"{SCEN}/accuracy/accuracy.txt",
        "no hash= line of the original accuracy log",
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
    res = check_tree(tree, relax_duration=True, rules_version="v6.0")
    assert not res.passed
    assert any(path == where and message in msg for path, msg in res.problems), res.format()


def test_cli_pack_then_check(runs: Path, tmp_path: Path) -> None:
    system = tmp_path / "toy_vm.json"
    system.write_text(json.dumps(SYSTEM))
    (tmp_path / "user.conf").write_text("\n")
    base = [sys.executable, "-m", "loadgen", "submission"]
    done = run_command(
        *base,
        *("pack", runs, "-o", tmp_path / "sub", "--division", "closed", "--submitter", "ACME"),
        *("--system-json", system, "--user-conf", tmp_path / "user.conf", "--rules-version", "v6.0"),
    )
    assert done.returncode == 0, done.stderr
    assert (
        "(rules v6.0); check it with: python -m loadgen submission check --rules-version v6.0" in done.stdout
    )
    tree = tmp_path / "sub" / "closed" / "ACME"
    ok = run_command(*base, "check", tree, "--relax-duration", "--rules-version", "v6.0")
    assert ok.returncode == 0, ok.stdout
    assert "submission check PASSED" in ok.stdout and "resnet" in ok.stdout and "v6.0" in ok.stdout
    strict = run_command(*base, "check", tree, "--rules-version", "v6.0")
    assert strict.returncode == 1 and "short run, not official" in strict.stdout


def test_the_example_system_description_has_every_field_the_checker_requires():
    # docs/submission.md's walkthrough packs with docs/examples/my_system.json.

    from loadgen.submission.layout import SYSTEM_FIELDS

    path = Path(__file__).resolve().parents[1] / "docs" / "examples" / "my_system.json"
    system = json.loads(path.read_text())
    assert list(system) == list(SYSTEM_FIELDS)
    assert system["division"] == "closed" and system["status"] == "available"
