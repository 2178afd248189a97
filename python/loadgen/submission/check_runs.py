"""The checks of a scenario's runs: the performance runs' detail logs against
a round's rules (validity, seeds, durations and counts, early stopping, the
Server bound, the network division's SUT name), the row's score, and the
accuracy run (its files, the metrics against the bounds, its log's size)."""

from __future__ import annotations

from pathlib import Path

from ..compliance.logs import ACCURACY, DetailLog, LogError, performance_score, read_detail
from ..rules import Benchmark, RulesVersion, seeds_owner
from .check_result import CheckResult, Row
from .layout import ACCURACY_FILES, MAX_ACCURACY_LOG, PERF_FILES

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


def check_files(res: CheckResult, folder: Path, names: tuple[str, ...]) -> bool:
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
    if not check_files(res, folder, ACCURACY_FILES):
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


def check_performance(
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
        if not check_files(res, run, files):
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
