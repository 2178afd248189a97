"""The check of a scenario's compliance folder: each test the benchmark needs
in the round (its verdict files, its performance run, TEST01's accuracy log
size), and no test folder it does not need."""

from __future__ import annotations

from pathlib import Path

from ..compliance.logs import ACCURACY
from ..rules import Benchmark, RulesVersion
from .check_result import CheckResult
from .check_runs import check_files, check_perf_log
from .layout import MAX_ACCURACY_LOG, PERF_FILES


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
        if not check_files(res, run, PERF_FILES):
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
