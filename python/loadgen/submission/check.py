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

This module walks the tree (hygiene, the rules of each benchmark folder,
its system, code and scenarios); the checks it runs are in ``check_runs``
(performance and accuracy runs), ``check_compliance``, ``check_system``
(system description, measurements), and what they find in ``check_result``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..rules import (
    VERSION_NAMES,
    Benchmark,
    RulesError,
    RulesVersion,
    benchmark_folder,
    version,
    versions_with_benchmark,
)
from .check_compliance import check_compliance
from .check_result import CheckResult, Row
from .check_runs import check_accuracy, check_performance
from .check_system import check_measurements, check_system
from .layout import DIVISIONS, MAX_FILE, code_dir, scenario_paths

__all__ = ["OFFICIAL_MIN_DURATION_MS", "CheckResult", "Row", "check_tree"]

OFFICIAL_MIN_DURATION_MS = 600_000  # v1.0 on; a round's own value is RulesVersion.min_duration_ms


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


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
                check_measurements(res, paths, v, system_dir.name, scenario)
                check_performance(res, row, paths.results, bench, v, scenario, relax_duration, division)
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
