"""``python -m loadgen submission check TREE``: the rules' checks that apply
to a submission tree (shared/spec/mlperf-rules.md §6, §7), for one rules
version (``--rules-version``; default: per benchmark, the newest round that
has it; ``loadgen.rules``).

One line per problem, ``path: what is wrong``; then a results table per
system / benchmark / scenario. The tree passes when there is no problem.
``relax_duration`` skips the minimum-duration and minimum-count checks
(duration, Offline samples per query, performance sample count, totals over
the whole data set such as a generated length, and the scenarios a system
type must have: for trees built from short runs on small data sets, e.g. in
tests) and accepts a compliance verdict of INCONCLUSIVE (a short run's
difference within its own noise); everything else still applies, and the
table still says which runs were short.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..compliance.logs import ACCURACY, DetailLog, LogError, performance_score, read_detail
from ..rules import (
    VERSION_NAMES,
    Benchmark,
    RulesError,
    RulesVersion,
    benchmark_folder,
    seeds_owner,
    version,
    versions_with_benchmark,
)
from .layout import (
    ACCURACY_FILES,
    DIVISIONS,
    MAX_ACCURACY_LOG,
    MAX_FILE,
    MEASUREMENTS_FIELDS,
    PERF_FILES,
    SYSTEM_FIELDS,
    SYSTEM_FIELDS_NONEMPTY,
    SYSTEM_STATUS,
    SYSTEM_TYPES,
    code_dir,
    find_measurements_json,
    scenario_paths,
)

OFFICIAL_MIN_DURATION_MS = 600_000  # v1.0 on; a round's own value is RulesVersion.min_duration_ms


@dataclass
class Row:
    system: str
    benchmark: str
    scenario: str
    rules: str = "–"
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
    notes: list[str] = field(default_factory=list)  # what relax_duration let pass

    @property
    def passed(self) -> bool:
        return not self.problems

    def _shown(self, path: Path | str) -> str:
        p = Path(path)
        try:
            return str(p.relative_to(self.root))
        except ValueError:
            return str(p)

    def add(self, path: Path | str, message: str) -> None:
        self.problems.append((self._shown(path), message))

    def note(self, path: Path | str, message: str) -> None:
        self.notes.append(f"{self._shown(path)}: {message}")

    def format(self) -> str:
        lines = [f"{path}: {msg}" for path, msg in self.problems]
        header = (
            "system",
            "benchmark",
            "rules",
            "scenario",
            "metric",
            "value",
            "performance",
            "accuracy",
            "compliance",
        )
        table = [header] + [
            (
                r.system,
                r.benchmark,
                r.rules,
                r.scenario,
                r.metric,
                r.value,
                r.performance,
                r.accuracy,
                r.compliance,
            )
            for r in self.rows
        ]
        widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
        if self.rows:
            lines.append("")
            for row in table:
                lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
        if self.notes:
            lines.append("")
            lines += [f"note: {n}" for n in self.notes]
        lines.append("")
        verdict = "PASSED" if self.passed else f"FAILED: {len(self.problems)} problem(s)"
        lines.append(f"submission check {verdict}")
        return "\n".join(lines) + "\n"


SEED_KEYS = ("qsl_rng_seed", "sample_index_rng_seed", "schedule_rng_seed")


def check_perf_log(
    res: CheckResult,
    folder: Path,
    bench: Benchmark,
    v: RulesVersion,
    scenario: str,
    seeds: str,
    relax_duration: bool,
    division: str,
) -> DetailLog | None:
    """A performance run's detail log against round ``v``'s rules; None if unreadable."""
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
    want = v.test05_seeds if seeds == "test05" else v.seeds
    if want is None:
        res.add(where, f"rules {v.name} have no TEST05 seeds")
    else:
        got = [log.get(f"effective_{k}") for k in SEED_KEYS]
        owner = seeds_owner(*got) if all(isinstance(x, int) for x in got) else None
        hint = f" (these are {owner}'s: check with --rules-version {owner.split()[0]})" if owner else ""
        for key, value, g in zip(SEED_KEYS, (want.qsl, want.sample_index, want.schedule), got):
            if g != value:
                res.add(
                    where,
                    f"effective_{key} is {g}, not the round's {'TEST05 ' if seeds == 'test05' else ''}{value} "
                    f"(rules {v.name}){hint}",
                )
    psc = log.get("effective_performance_sample_count", 0)
    if not relax_duration and psc < bench.performance_sample_count:
        res.add(
            where,
            f"effective_performance_sample_count {psc} is below the required {bench.performance_sample_count}",
        )
    if not relax_duration:
        md = log.get("effective_min_duration_ms", 0)
        if md < v.min_duration_ms:
            res.add(
                where,
                f"effective_min_duration_ms {md} is below {v.min_duration_ms}: a short run, not official",
            )
        spq = bench.offline_min_samples_per_query
        if scenario == "Offline" and spq and log.get("effective_samples_per_query", 0) < spq:
            res.add(
                where,
                f"effective_samples_per_query {log.get('effective_samples_per_query')} is below the required "
                f"{spq} for Offline",
            )
    if v.early_stopping and scenario != "Offline" and log.get("early_stopping_met") is False:
        res.add(where, "early stopping was not met (early_stopping_met false)")
    if scenario == "Server" and bench.server_latency_ns:
        bound = log.get("effective_target_latency_ns", 0)
        if bound > bench.server_latency_ns:
            res.add(
                where,
                f"effective_target_latency_ns {bound} exceeds the rules' bound {bench.server_latency_ns}",
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


def check_accuracy(res: CheckResult, folder: Path, bench: Benchmark, relax_duration: bool = False) -> str:
    if not folder.is_dir():
        res.add(folder, "no accuracy run (required)")
        return "missing"
    if not _check_files(res, folder, ACCURACY_FILES):
        return "incomplete"
    text = (folder / "accuracy.txt").read_text(encoding="utf-8", errors="replace")
    status = "?"
    for i, bound in enumerate(bench.bounds):
        m = bound.metric
        value = m.find(text)
        if value is None:
            res.add(folder / "accuracy.txt", f"no {m.name} value (pattern {m.pattern!r})")
            continue
        if bound.full_set_total and relax_duration:
            res.note(
                folder / "accuracy.txt", f"{m.name} {value:g} not checked: a total over the whole data set"
            )
            continue
        low = value < bound.minimum
        high = bound.maximum is not None and value > bound.maximum
        if low:
            res.add(folder / "accuracy.txt", f"{m.name} {value:g} is below the target {bound.minimum:.4f}")
        if high:
            res.add(folder / "accuracy.txt", f"{m.name} {value:g} is above the limit {bound.maximum:.4f}")
        if i == 0:
            status = f"{m.name} {value:g}" + (" (below target)" if low else " (above limit)" if high else "")
    size = (folder / ACCURACY).stat().st_size
    if size > MAX_ACCURACY_LOG:
        res.add(
            folder / ACCURACY, f"{size} bytes: accuracy logs must be truncated to at most {MAX_ACCURACY_LOG}"
        )
    if "hash=" not in text:
        res.add(
            folder / "accuracy.txt",
            "no hash= line of the original accuracy log (the checkers want one in every accuracy.txt)",
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


def _verdict(path: Path) -> str:
    text = path.read_text(encoding="utf-8", errors="replace")
    if "TEST PASS" in text:
        return "PASS"
    if "TEST INCONCLUSIVE" in text:
        return "INCONCLUSIVE"
    return "FAIL"


def check_compliance(
    res: CheckResult,
    comp_dir: Path,
    bench: Benchmark,
    v: RulesVersion,
    scenario: str,
    relax_duration: bool,
    division: str,
) -> str:
    states = []
    for test in bench.tests:
        t = comp_dir / test
        if not t.is_dir():
            res.add(t, f"compliance test {test} missing (required for {bench.name} in rules {v.name})")
            states.append(f"{test} missing")
            continue
        state = "PASS"
        # TEST06 (LLMs) checks the answers only; TEST04-B's run is compared in TEST04-A's file.
        checks = [
            ("verify_performance.txt", test not in ("TEST06", "TEST04-B")),
            ("verify_accuracy.txt", test in ("TEST01", "TEST06")),
        ]
        for name, needed in checks:
            f = t / name
            if not f.is_file():
                if needed:
                    res.add(f, "required file missing")
                    state = "FAIL"
                continue
            verdict = _verdict(f)
            if verdict == "INCONCLUSIVE" and relax_duration:
                res.note(f, f"{test} is INCONCLUSIVE: its difference is within the noise of a short run")
                state = "INCONCLUSIVE" if state == "PASS" else state
            elif verdict == "INCONCLUSIVE":
                res.add(f, f"{test} is INCONCLUSIVE (a short run): official runs decide it")
                state = "FAIL"
            elif verdict == "FAIL":
                res.add(f, f"{test} did not pass (no 'TEST PASS' line)")
                state = "FAIL"
        run = t / "performance" / "run_1"
        if not _check_files(res, run, PERF_FILES):
            state = "FAIL"
        elif v.compliance_runs_checked:
            seeds = "test05" if test == "TEST05" else "official"
            before = len(res.problems)
            check_perf_log(res, run, bench, v, scenario, seeds, relax_duration, division)
            if len(res.problems) != before:
                state = "FAIL"
        if test == "TEST01":
            acc = t / "accuracy" / ACCURACY
            if acc.is_file() and acc.stat().st_size > MAX_ACCURACY_LOG:
                res.add(
                    acc,
                    f"{acc.stat().st_size} bytes: accuracy logs must be truncated to at most {MAX_ACCURACY_LOG}",
                )
                state = "FAIL"
        states.append(f"{test} {state}")
    if comp_dir.is_dir():
        for extra in sorted(p for p in comp_dir.iterdir() if p.is_dir() and p.name.startswith("TEST")):
            if extra.name not in bench.tests:
                res.add(
                    extra,
                    f"{extra.name} is not a compliance test of {bench.name} in rules {v.name} "
                    f"(it needs: {', '.join(bench.tests) or 'none'})",
                )
    return ", ".join(states) or "–"


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def check_system(res: CheckResult, path: Path, division: str, submitter: str, v: RulesVersion) -> Any:
    try:
        system: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        res.add(path, f"not a readable JSON system description ({e})")
        return None
    if not isinstance(system, dict):
        res.add(path, "the system description must be a JSON object")
        return None
    required = v.system_fields if v.system_fields is not None else SYSTEM_FIELDS
    for f in required:
        if f not in system:
            res.add(path, f"required field {f!r} missing")
    if v.system_fields is None:  # the rounds of the current checkers
        for f in SYSTEM_FIELDS_NONEMPTY:
            value = system.get(f)
            if f in system and (value is None or value == "" or value == [] or value == {}):
                res.add(
                    path,
                    f"field {f!r} is empty: the checker wants a meaningful value (N/A where none applies)",
                )
            elif isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0:
                res.note(path, f"field {f!r} is 0, which the reference's v6.0 checker counts as empty")
    if v.system_fields_closed:
        known = set(required) | set(v.system_fields_optional)
        for f in system:
            if f not in known:
                res.add(path, f"field {f!r} is not one rules {v.name} know")
    if system.get("division") not in (None, division):
        res.add(path, f"division {system.get('division')!r} but the tree is in {division}/")
    if system.get("submitter") not in (None, submitter):
        res.add(path, f"submitter {system.get('submitter')!r} but the tree is in {submitter}/")
    if "status" in system and str(system["status"]).lower() not in SYSTEM_STATUS:
        res.add(path, f"status {system['status']!r} is not one of {', '.join(SYSTEM_STATUS)}")
    if "system_type" in system and str(system["system_type"]).lower() not in SYSTEM_TYPES:
        res.add(path, f"system_type {system['system_type']!r} is not datacenter, edge or both")
    return system


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


def _rules_of(
    res: CheckResult, bench_dir: Path, rules_version: str | None
) -> tuple[RulesVersion, Benchmark] | None:
    """The round a benchmark folder is checked against: the one named, or the newest that has it."""
    try:
        if rules_version is not None:
            v = version(rules_version)
        else:
            names = versions_with_benchmark(bench_dir.name)
            v = version(names[-1] if names else VERSION_NAMES[-1])
        # an unknown folder: an error naming what the rules have
        return v, benchmark_folder(v, bench_dir.name)
    except RulesError as e:
        res.add(bench_dir, str(e))
        return None


def _check_measurements(res: CheckResult, paths: Any, v: RulesVersion, system: str, scenario: str) -> None:
    folder: Path = paths.measurements
    if not folder.is_dir():
        res.add(folder, f"no measurements folder (rules {v.name})")
        return
    _check_files(res, folder, v.measurement_files)
    if v.layout == "v6":
        m: Path | None = folder / paths.measurements_json
        if m is not None and not m.is_file():
            res.add(m, "required file missing")
            m = None
    else:
        m = find_measurements_json(folder, system, scenario)
        if m is None:
            res.add(folder, f"no {system}_<implementation>_{scenario}.json (the measurements fields)")
    if m is None:
        return
    try:
        meas = json.loads(m.read_text(encoding="utf-8"))
        for f in MEASUREMENTS_FIELDS:
            if f not in meas:
                res.add(m, f"required field {f!r} missing")
    except json.JSONDecodeError as e:
        res.add(m, f"not valid JSON ({e.msg})")


def check_submitter(
    res: CheckResult, sub_dir: Path, division: str, relax_duration: bool, rules_version: str | None = None
) -> None:
    submitter = sub_dir.name
    systems = sub_dir / "systems"
    results = sub_dir / "results"
    if not results.is_dir():
        res.add(results, "no results/ folder")
        return
    for system_dir in sorted(p for p in results.iterdir() if p.is_dir()):
        sys_json = systems / f"{system_dir.name}.json"
        checked_system = False
        system: Any = None
        for bench_dir in sorted(p for p in system_dir.iterdir() if p.is_dir()):
            found = _rules_of(res, bench_dir, rules_version)
            if found is None:
                continue
            v, bench = found
            if not checked_system:
                checked_system = True
                if not sys_json.is_file():
                    res.add(sys_json, f"no system description for results/{system_dir.name}")
                else:
                    system = check_system(res, sys_json, division, submitter, v)
            code = code_dir(sub_dir, v, bench.name)
            if not code.is_dir() and not (v.layout != "v6" and code.parent.is_dir()):
                res.add(code, f"no {v.code_folder}/ folder for this benchmark")
            present = []
            for scen_dir in sorted(p for p in bench_dir.iterdir() if p.is_dir()):
                scenario = scen_dir.name
                row = Row(system_dir.name, bench.name, scenario, rules=v.name)
                res.rows.append(row)
                if scenario not in bench.scenarios:
                    res.add(
                        scen_dir,
                        f"{scenario!r} is not a scenario of {bench.name} in rules {v.name} "
                        f"({', '.join(bench.scenarios)})",
                    )
                    continue
                present.append(scenario)
                paths = scenario_paths(sub_dir, v, system_dir.name, bench.name, scenario)
                _check_measurements(res, paths, v, system_dir.name, scenario)
                _check_performance(res, row, paths.results, bench, v, scenario, relax_duration, division)
                row.accuracy = check_accuracy(res, paths.results / "accuracy", bench, relax_duration)
                if paths.compliance is not None and division != "open":
                    row.compliance = check_compliance(
                        res, paths.compliance, bench, v, scenario, relax_duration, division
                    )
            if isinstance(system, dict) and system.get("system_type"):
                missing = [s for s in bench.required_for(str(system["system_type"])) if s not in present]
                if missing:
                    msg = (
                        f"rules {v.name} require {', '.join(missing)} of {bench.name} for "
                        f"{_article(str(system['system_type']))} {system['system_type']} system"
                    )
                    if relax_duration:
                        res.note(bench_dir, msg)
                    else:
                        res.add(bench_dir, msg)


def _check_performance(
    res: CheckResult,
    row: Row,
    results: Path,
    bench: Benchmark,
    v: RulesVersion,
    scenario: str,
    relax_duration: bool,
    division: str,
) -> None:
    runs = v.server_runs if scenario == "Server" else 1
    files = PERF_FILES + ((ACCURACY,) if v.perf_accuracy_log else ())
    for i in range(1, runs + 1):
        run = results / "performance" / f"run_{i}"
        if not _check_files(res, run, files):
            continue
        before = len(res.problems)
        log = check_perf_log(res, run, bench, v, scenario, "official", relax_duration, division)
        if log is None or i > 1:
            continue
        try:
            value, key, _ = performance_score(log, v.server_metric)
            row.metric = key
            row.value = (
                f"{value / 1e6:.3f} ms" if key.startswith("early") or "latency" in key else f"{value:g}"
            )
        except LogError as e:
            res.add(log.path, str(e))
        short = log.get("effective_min_duration_ms", 0) < v.min_duration_ms
        ok = len(res.problems) == before
        row.performance = ("VALID" if log.valid else "INVALID") + (" (short run)" if short else "")
        if not ok and log.valid:
            row.performance += ", problems"


def check_tree(
    tree: str | Path, relax_duration: bool = False, rules_version: str | None = None
) -> CheckResult:
    """Check a tree: a ``<division>/<submitter>`` folder, or a folder holding divisions."""
    root = Path(tree)
    res = CheckResult(root)
    if not root.is_dir():
        res.add(root, "not a folder")
        return res
    if rules_version is not None:
        try:
            version(rules_version)
        except RulesError as e:
            res.add(root, str(e))
            return res
    check_hygiene(res, root)
    if (root / "results").is_dir():
        division = root.parent.name
        if division not in DIVISIONS:
            res.add(root, f"the submitter folder must sit in a division folder ({', '.join(DIVISIONS)})")
        check_submitter(res, root, division, relax_duration, rules_version)
        return res
    divisions = [p for p in root.iterdir() if p.is_dir() and p.name in DIVISIONS]
    if not divisions:
        res.add(root, f"no division folder ({', '.join(DIVISIONS)}) and no results/ folder")
    for div in divisions:
        for sub in sorted(p for p in div.iterdir() if p.is_dir()):
            check_submitter(res, sub, div.name, relax_duration, rules_version)
    return res
