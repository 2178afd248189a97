"""``python -m loadgen submission check TREE``: the rules' checks that apply
to a submission tree (shared/spec/mlperf-rules.md §6, §7).

One line per problem, ``path: what is wrong``; then a results table per
system / benchmark / scenario. The tree passes when there is no problem.
``relax_duration`` skips the minimum-duration and minimum-count checks
(duration, Offline samples per query, performance sample count: for trees
built from short runs on small data sets, e.g. in tests); everything else still applies,
and the table still says which runs were short.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..compliance.logs import ACCURACY, DetailLog, LogError, performance_score, read_detail
from ..config import explain
from ..rules import model_rules, rules_for_benchmark
from .layout import (
    ACCURACY_FILES,
    DIVISIONS,
    MAX_ACCURACY_LOG,
    MAX_FILE,
    MEASUREMENT_FILES,
    MEASUREMENTS_FIELDS,
    PERF_FILES,
    SYSTEM_FIELDS,
    SYSTEM_STATUS,
    SYSTEM_TYPES,
)

OFFICIAL_MIN_DURATION_MS = 600_000


@dataclass
class Row:
    system: str
    benchmark: str
    scenario: str
    metric: str = "–"
    value: str = "–"
    performance: str = "missing"
    accuracy: str = "missing"
    compliance: str = "–"


@dataclass
class CheckResult:
    root: Path
    problems: list[tuple[str, str]] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems

    def add(self, path: Path | str, message: str) -> None:
        p = Path(path)
        try:
            shown = str(p.relative_to(self.root))
        except ValueError:
            shown = str(p)
        self.problems.append((shown, message))

    def format(self) -> str:
        lines = [f"{path}: {msg}" for path, msg in self.problems]
        header = (
            "system",
            "benchmark",
            "scenario",
            "metric",
            "value",
            "performance",
            "accuracy",
            "compliance",
        )
        table = [header] + [
            (r.system, r.benchmark, r.scenario, r.metric, r.value, r.performance, r.accuracy, r.compliance)
            for r in self.rows
        ]
        widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
        if self.rows:
            lines.append("")
            for row in table:
                lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
        lines.append("")
        verdict = "PASSED" if self.passed else f"FAILED: {len(self.problems)} problem(s)"
        lines.append(f"submission check {verdict}")
        return "\n".join(lines) + "\n"


def _round_seeds(config_model: str, scenario: str) -> dict[str, dict[str, int]]:
    fields = {f["field"]: f["value"] for f in explain(config_model, scenario)}
    official = {k: int(fields[k]) for k in ("qsl_rng_seed", "sample_index_rng_seed", "schedule_rng_seed")}
    test05 = {k: int(fields[f"test05_{k}"]) for k in official}
    return {"official": official, "test05": test05}


def _required(config_model: str, scenario: str) -> dict[str, int]:
    fields = {f["field"]: f["value"] for f in explain(config_model, scenario)}
    return {
        "performance_sample_count": int(fields.get("performance_sample_count_override", "0")),
        "min_query_count": int(fields.get("min_query_count", "0")),
        "server_target_latency_ns": int(fields.get("server_target_latency_ns", "0")),
    }


def check_perf_log(
    res: CheckResult,
    folder: Path,
    config_model: str,
    scenario: str,
    seeds: str,
    relax_duration: bool,
    division: str,
) -> DetailLog | None:
    """A performance run's detail log against the rules; None if unreadable."""
    try:
        log = read_detail(folder)
    except LogError as e:
        res.add(folder / "mlperf_log_detail.txt", str(e))
        return None
    where = log.path
    if log.scenario != scenario:
        res.add(where, f"effective_scenario is {log.scenario!r}, but the folder says {scenario}")
    if not log.valid:
        reason = log.get("result_invalid_reason") or "see mlperf_log_summary.txt"
        res.add(where, f"result_validity is {log.get('result_validity')!r}, not VALID ({reason})")
    for key, value in log.errors:
        res.add(where, f"error in the log: {key}: {value}")
    want = _round_seeds(config_model, scenario)[seeds]
    for key, value in want.items():
        got = log.get(f"effective_{key}")
        if got != value:
            res.add(
                where,
                f"effective_{key} is {got}, not the round's {'TEST05 ' if seeds == 'test05' else ''}{value}",
            )
    req = _required(config_model, scenario)
    psc = log.get("effective_performance_sample_count", 0)
    if not relax_duration and req["performance_sample_count"] and psc < req["performance_sample_count"]:
        res.add(
            where,
            f"effective_performance_sample_count {psc} is below the required {req['performance_sample_count']}",
        )
    if not relax_duration:
        md = log.get("effective_min_duration_ms", 0)
        if md < OFFICIAL_MIN_DURATION_MS:
            res.add(
                where,
                f"effective_min_duration_ms {md} is below {OFFICIAL_MIN_DURATION_MS}: a short run, not official",
            )
        if scenario == "Offline" and log.get("effective_samples_per_query", 0) < req["min_query_count"]:
            res.add(
                where,
                f"effective_samples_per_query {log.get('effective_samples_per_query')} is below the required "
                f"{req['min_query_count']} for Offline",
            )
    if scenario != "Offline" and log.get("early_stopping_met") is False:
        res.add(where, "early stopping was not met (early_stopping_met false)")
    if scenario == "Server" and req["server_target_latency_ns"]:
        bound = log.get("effective_target_latency_ns", 0)
        if bound > req["server_target_latency_ns"]:
            res.add(
                where,
                f"effective_target_latency_ns {bound} exceeds the rules' bound {req['server_target_latency_ns']}",
            )
    if division == "network" and "Network SUT" not in str(log.get("sut_name", "")):
        res.add(where, "network division: sut_name must contain 'Network SUT'")
    return log


def _check_files(res: CheckResult, folder: Path, names: tuple[str, ...]) -> bool:
    ok = True
    for name in names:
        if not (folder / name).is_file():
            res.add(folder / name, "required file missing")
            ok = False
    return ok


def check_accuracy(res: CheckResult, folder: Path, benchmark: str) -> str:
    if not folder.is_dir():
        res.add(folder, "no accuracy run (required)")
        return "missing"
    if not _check_files(res, folder, ACCURACY_FILES):
        return "incomplete"
    rules = rules_for_benchmark(benchmark)
    text = (folder / "accuracy.txt").read_text(encoding="utf-8", errors="replace")
    value = rules.metric.find(text)
    target = rules.target(benchmark)
    status = "?"
    if value is None:
        res.add(folder / "accuracy.txt", f"no {rules.metric.name} value (pattern {rules.metric.pattern!r})")
    else:
        ok = value >= target if rules.metric.higher_is_better else value <= target
        status = f"{rules.metric.name} {value:g}" + ("" if ok else " (below target)")
        if not ok:
            res.add(
                folder / "accuracy.txt", f"{rules.metric.name} {value:g} is below the target {target:.4f}"
            )
    size = (folder / ACCURACY).stat().st_size
    if size > MAX_ACCURACY_LOG:
        res.add(
            folder / ACCURACY, f"{size} bytes: accuracy logs must be truncated to at most {MAX_ACCURACY_LOG}"
        )
    if "hash=" not in text and size >= 2 * 4096:
        res.add(
            folder / "accuracy.txt", "no hash= line of the original accuracy log (truncated logs need it)"
        )
    try:
        log = read_detail(folder)
        if log.get("effective_test_mode") not in ("AccuracyOnly", "SubmissionRun"):
            res.add(
                log.path, f"effective_test_mode is {log.get('effective_test_mode')!r}, not an accuracy run"
            )
        for key, value in log.errors:
            res.add(log.path, f"error in the log: {key}: {value}")
    except LogError as e:
        res.add(folder / "mlperf_log_detail.txt", str(e))
    return status


def check_compliance(
    res: CheckResult, scen_dir: Path, config_model: str, scenario: str, relax_duration: bool, division: str
) -> str:
    rules = model_rules(config_model)
    states = []
    for test in rules.tests:
        t = scen_dir / test
        if not t.is_dir():
            res.add(t, f"compliance test {test} missing (required for {config_model})")
            states.append(f"{test} missing")
            continue
        ok = True
        checks = [("verify_performance.txt", True), ("verify_accuracy.txt", test == "TEST01")]
        for name, needed in checks:
            f = t / name
            if not f.is_file():
                if needed:
                    res.add(f, "required file missing")
                    ok = False
                continue
            if "TEST PASS" not in f.read_text(encoding="utf-8", errors="replace"):
                res.add(f, f"{test} did not pass (no 'TEST PASS' line)")
                ok = False
        run = t / "performance" / "run_1"
        if not _check_files(res, run, PERF_FILES):
            ok = False
        else:
            seeds = "test05" if test == "TEST05" else "official"
            before = len(res.problems)
            check_perf_log(res, run, config_model, scenario, seeds, relax_duration, division)
            ok = ok and len(res.problems) == before
        if test == "TEST01":
            acc = t / "accuracy" / ACCURACY
            if acc.is_file() and acc.stat().st_size > MAX_ACCURACY_LOG:
                res.add(
                    acc,
                    f"{acc.stat().st_size} bytes: accuracy logs must be truncated to at most {MAX_ACCURACY_LOG}",
                )
                ok = False
        states.append(f"{test} {'PASS' if ok else 'FAIL'}")
    return ", ".join(states) or "–"


def check_system(res: CheckResult, path: Path, division: str, submitter: str) -> None:
    try:
        system: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        res.add(path, f"not a readable JSON system description ({e})")
        return
    if not isinstance(system, dict):
        res.add(path, "the system description must be a JSON object")
        return
    for f in SYSTEM_FIELDS:
        if f not in system:
            res.add(path, f"required field {f!r} missing")
    if system.get("division") not in (None, division):
        res.add(path, f"division {system.get('division')!r} but the tree is in {division}/")
    if system.get("submitter") not in (None, submitter):
        res.add(path, f"submitter {system.get('submitter')!r} but the tree is in {submitter}/")
    if "status" in system and str(system["status"]).lower() not in SYSTEM_STATUS:
        res.add(path, f"status {system['status']!r} is not one of {', '.join(SYSTEM_STATUS)}")
    if "system_type" in system and str(system["system_type"]).lower() not in SYSTEM_TYPES:
        res.add(path, f"system_type {system['system_type']!r} is not datacenter, edge or both")


def check_hygiene(res: CheckResult, root: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            if name.startswith(".") or " " in name:
                res.add(p, "names may not start with '.' or contain spaces")
            if p.is_symlink() and not p.exists():
                res.add(p, "broken symbolic link")
            elif p.is_file() and p.stat().st_size > MAX_FILE:
                res.add(p, f"{p.stat().st_size / 1e6:.1f} MB: files may not exceed 50 MB")


def check_submitter(res: CheckResult, sub_dir: Path, division: str, relax_duration: bool) -> None:
    submitter = sub_dir.name
    systems = sub_dir / "systems"
    results = sub_dir / "results"
    if not results.is_dir():
        res.add(results, "no results/ folder")
        return
    for system_dir in sorted(p for p in results.iterdir() if p.is_dir()):
        sys_json = systems / f"{system_dir.name}.json"
        if not sys_json.is_file():
            res.add(sys_json, f"no system description for results/{system_dir.name}")
        else:
            check_system(res, sys_json, division, submitter)
        for bench_dir in sorted(p for p in system_dir.iterdir() if p.is_dir()):
            try:
                rules = rules_for_benchmark(bench_dir.name)
            except ValueError as e:
                res.add(bench_dir, str(e))
                continue
            if not (sub_dir / "code" / bench_dir.name).is_dir():
                res.add(sub_dir / "code" / bench_dir.name, "no code/ folder for this benchmark")
            for scen_dir in sorted(p for p in bench_dir.iterdir() if p.is_dir()):
                scenario = scen_dir.name
                row = Row(system_dir.name, bench_dir.name, scenario)
                res.rows.append(row)
                if scenario not in rules.scenarios:
                    res.add(scen_dir, f"{scenario!r} is not a scenario")
                    continue
                _check_files(res, scen_dir, MEASUREMENT_FILES)
                m = scen_dir / "measurements.json"
                if m.is_file():
                    try:
                        meas = json.loads(m.read_text(encoding="utf-8"))
                        for f in MEASUREMENTS_FIELDS:
                            if f not in meas:
                                res.add(m, f"required field {f!r} missing")
                    except json.JSONDecodeError as e:
                        res.add(m, f"not valid JSON ({e.msg})")
                run = scen_dir / "performance" / "run_1"
                if _check_files(res, run, PERF_FILES):
                    before = len(res.problems)
                    log = check_perf_log(
                        res, run, rules.config_model, scenario, "official", relax_duration, division
                    )
                    if log is not None:
                        try:
                            value, key, _ = performance_score(log)
                            row.metric = key
                            row.value = (
                                f"{value / 1e6:.3f} ms"
                                if key.startswith("early") or "latency" in key
                                else f"{value:g}"
                            )
                        except LogError as e:
                            res.add(log.path, str(e))
                        short = log.get("effective_min_duration_ms", 0) < OFFICIAL_MIN_DURATION_MS
                        ok = len(res.problems) == before
                        row.performance = ("VALID" if log.valid else "INVALID") + (
                            " (short run)" if short else ""
                        )
                        if not ok and log.valid:
                            row.performance += ", problems"
                row.accuracy = check_accuracy(res, scen_dir / "accuracy", bench_dir.name)
                row.compliance = check_compliance(
                    res, scen_dir, rules.config_model, scenario, relax_duration, division
                )


def check_tree(tree: str | Path, relax_duration: bool = False) -> CheckResult:
    """Check a tree: a ``<division>/<submitter>`` folder, or a folder holding divisions."""
    root = Path(tree)
    res = CheckResult(root)
    if not root.is_dir():
        res.add(root, "not a folder")
        return res
    check_hygiene(res, root)
    if (root / "results").is_dir():
        division = root.parent.name
        if division not in DIVISIONS:
            res.add(root, f"the submitter folder must sit in a division folder ({', '.join(DIVISIONS)})")
        check_submitter(res, root, division, relax_duration)
        return res
    divisions = [p for p in root.iterdir() if p.is_dir() and p.name in DIVISIONS]
    if not divisions:
        res.add(root, f"no division folder ({', '.join(DIVISIONS)}) and no results/ folder")
    for div in divisions:
        for sub in sorted(p for p in div.iterdir() if p.is_dir()):
            check_submitter(res, sub, div.name, relax_duration)
    return res
