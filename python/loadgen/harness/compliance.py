"""``run.py --compliance TEST0x``: one command gives a complete compliance answer.

Layout under ``--output OUT`` (the submission's ``TEST0x/`` folder as is):

    OUT/performance/            the normal performance run (unless --baseline names one)
    OUT/accuracy/               TEST01: an accuracy run (unless --baseline-accuracy names one)
    OUT/TEST0x/audit.config     the test's settings for this model
    OUT/TEST0x/performance/run_1/   the compliance run's logs
    OUT/TEST0x/accuracy/        TEST01: the sampled responses (mlperf_log_accuracy.json), their
                                accuracy.txt, and baseline_/compliance_accuracy.txt when the
                                responses differ and the metric decides
    OUT/TEST0x/verify_performance.txt, verify_accuracy.txt (TEST01)

TEST04-A (v2.0 and older) needs no normal run: it runs TEST04-A (each
performance sample once) into OUT/TEST04-A/ and TEST04-B (one sample as
often) into OUT/TEST04-B/, and compares B with A (OUT/TEST04-A/verify_performance.txt).

The run follows ``opts.rules_version`` (default: the newest round with the
benchmark): a test the round does not have is refused, naming the rounds
that have it; every run gets the round's seeds (``settings.make_settings``).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..compliance.logs import ACCURACY, AccuracyEntry, read_accuracy_log, read_detail
from ..compliance.verify import (
    Verification,
    audit_config,
    verify_performance,
    verify_test01_accuracy,
    verify_test01_accuracy_fallback,
)
from ..rules import ModelRules, RulesVersion, check_test, model_rules, resolve
from .benchmark import BenchmarkSpec, default_output_dir, run_benchmark
from .compliance_result import ComplianceResult
from .compliance_test06 import run_test06
from .settings import RunOptions


def baseline_sizing(baseline: str) -> dict[str, Any] | None:
    """The TestSettings fields a baseline run's measured sizing chose (from its
    results.json), or None (not sized, or not a harness run)."""
    path = Path(baseline) / "results.json"
    try:
        sizing = json.loads(path.read_text(encoding="utf-8")).get("sizing")
    except (OSError, ValueError):
        return None
    return dict(sizing["fields"]) if sizing and sizing.get("fields") else None


def _has_logs(folder: str | None) -> bool:
    return folder is not None and (Path(folder) / "mlperf_log_detail.txt").is_file()


def _write_subset(entries: list[AccuracyEntry], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [{"seq_id": e.seq_id, "qsl_idx": e.qsl_idx, "data": e.data.hex().upper()} for e in entries]
    path.write_text("[\n" + ",\n".join(json.dumps(r) for r in rows) + "\n]\n", encoding="utf-8")


def run_compliance(
    spec: BenchmarkSpec,
    opts: RunOptions,
    test: str,
    baseline: str | None = None,
    baseline_accuracy: str | None = None,
    log: Callable[[str], None] = print,
) -> ComplianceResult:
    """Run what the test needs (the normal runs unless given), the compliance
    run, then its verifications, writing the files the submission needs."""
    rv = resolve(spec.config_model, opts.rules_version)
    if test == "TEST04-B":
        raise ValueError("TEST04-B is run by --compliance TEST04-A (the two runs are one test)")
    check_test(test, rv)
    bench = next(b for b in rv.benchmarks_of(spec.config_model))
    if test not in bench.tests:
        log(
            f"note: rules {rv.name} do not require {test} for {bench.name} (they require "
            f"{', '.join(bench.tests) or 'no compliance test'})"
        )
    opts = replace(opts, rules_version=rv.name)
    if test == "TEST06":
        res06 = run_test06(spec, opts, log)
        res06.rules_version = rv.name
        return res06
    rules = model_rules(spec.config_model)
    out = Path(opts.output or default_output_dir(spec, replace(opts, accuracy=False)))
    test_dir = out / test
    result = ComplianceResult(test, str(test_dir), rules_version=rv.name)
    base = replace(opts, accuracy=False, find_peak_performance=False, test05=False)
    if test == "TEST04-A":
        return _run_test04ab(spec, base, rules, rv, out, result, log)

    if baseline is not None and not _has_logs(baseline):
        raise ValueError(
            f"--baseline {baseline}: no mlperf_log_detail.txt there (give a performance run's output)"
        )
    if baseline is None:
        baseline = str(out / "performance")
        log(f"{test}: the normal performance run first, into {baseline}")
        result.runs["performance"] = run_benchmark(spec, replace(base, output=baseline), log)
    if test == "TEST01":
        if baseline_accuracy is not None and not (Path(baseline_accuracy) / ACCURACY).is_file():
            raise ValueError(f"--baseline-accuracy {baseline_accuracy}: no {ACCURACY} there")
        if baseline_accuracy is None:
            baseline_accuracy = str(out / "accuracy")
            log(f"{test}: an accuracy run, into {baseline_accuracy}")
            result.runs["accuracy"] = run_benchmark(
                spec, replace(base, accuracy=True, output=baseline_accuracy), log
            )

    test_dir.mkdir(parents=True, exist_ok=True)
    audit = test_dir / "audit.config"
    audit.write_text(audit_config(test, rules, rv), encoding="utf-8")
    run_dir = test_dir / "performance" / "run_1"
    log(f"{test}: the compliance run, into {run_dir}")
    # The compliance run keeps the baseline's measured sizing (the same rate,
    # latency and query count), so the two differ only by what the test changes.
    sized = baseline_sizing(baseline)
    extra = {**base.extra, "sized": sized} if sized else base.extra
    result.runs[test] = run_benchmark(
        spec,
        replace(base, output=str(run_dir), audit_conf=str(audit), test05=(test == "TEST05"), extra=extra),
        log,
    )

    if test == "TEST01":
        assert baseline_accuracy is not None
        result.verifications.append(
            _test01_accuracy(spec, opts, rules, rv, run_dir, Path(baseline_accuracy), test_dir)
        )
    perf = verify_performance(test, read_detail(baseline), read_detail(run_dir), rv)
    result.verifications.append(perf)
    for v in result.verifications:
        v.write(test_dir)
    return result


def _run_test04ab(
    spec: BenchmarkSpec,
    base: RunOptions,
    rules: ModelRules,
    rv: RulesVersion,
    out: Path,
    result: ComplianceResult,
    log: Callable[[str], None],
) -> ComplianceResult:
    """TEST04-A and TEST04-B's runs, and B compared with A."""
    runs = {}
    for part in ("TEST04-A", "TEST04-B"):
        d = out / part
        d.mkdir(parents=True, exist_ok=True)
        audit = d / "audit.config"
        audit.write_text(audit_config(part, rules, rv), encoding="utf-8")
        run_dir = d / "performance" / "run_1"
        log(f"{part}: the compliance run, into {run_dir}")
        result.runs[part] = run_benchmark(
            spec, replace(base, output=str(run_dir), audit_conf=str(audit)), log
        )
        runs[part] = run_dir
    perf = verify_performance("TEST04-A", read_detail(runs["TEST04-A"]), read_detail(runs["TEST04-B"]), rv)
    result.verifications.append(perf)
    perf.write(out / "TEST04-A")
    return result


def _test01_accuracy(
    spec: BenchmarkSpec,
    opts: RunOptions,
    rules: ModelRules,
    rv: RulesVersion,
    run_dir: Path,
    accuracy_run: Path,
    test_dir: Path,
) -> Verification:
    """TEST01's accuracy verification, with the metric fallback when responses differ."""
    sampled = read_accuracy_log(run_dir)
    reference = read_accuracy_log(accuracy_run)
    acc_dir = test_dir / "accuracy"
    acc_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(run_dir / ACCURACY, acc_dir / ACCURACY)
    verdict = verify_test01_accuracy(sampled, reference, rules.test01_dtype)
    if spec.accuracy is None or not sampled:
        return verdict
    # Score the sampled responses and the accuracy run on the same samples.
    prepared = spec.prepare(opts) if spec.prepare is not None else opts
    dataset = spec.make_dataset(prepared)
    wanted = {e.qsl_idx for e in sampled}
    first: dict[int, AccuracyEntry] = {}
    for e in sampled:
        first.setdefault(e.qsl_idx, e)
    with tempfile.TemporaryDirectory() as tmp:
        compliance_log, baseline_log = Path(tmp) / "compliance.json", Path(tmp) / "baseline.json"
        _write_subset(list(first.values()), compliance_log)
        _write_subset([e for e in reference if e.qsl_idx in wanted], baseline_log)
        compliance_score = spec.accuracy(str(compliance_log), dataset, prepared)
        (acc_dir / "accuracy.txt").write_text(compliance_score.line + "\n", encoding="utf-8")
        if verdict.passed:
            return verdict
        baseline_score = spec.accuracy(str(baseline_log), dataset, prepared)
    (acc_dir / "baseline_accuracy.txt").write_text(baseline_score.line + "\n", encoding="utf-8")
    (acc_dir / "compliance_accuracy.txt").write_text(compliance_score.line + "\n", encoding="utf-8")
    # The stricter tolerance where the round has a 99.9 % benchmark of the model too.
    frac = min(b.fraction for b in rv.benchmarks_of(spec.config_model))
    fallback = verify_test01_accuracy_fallback(
        baseline_score.value, compliance_score.value, frac, rules.metric.name
    )
    fallback.lines = verdict.lines + [
        "",
        "responses differ; comparing the accuracy metric instead:",
        *fallback.lines,
    ]
    return fallback


def run_compliance_main(
    spec: BenchmarkSpec,
    opts: RunOptions,
    test: str,
    baseline: str | None,
    baseline_accuracy: str | None,
    log: Callable[[str], None],
) -> int:
    """The CLI's --compliance: exit status 0 when every verification passed, 1
    when one failed, 3 when none failed and one was inconclusive (a short run)."""
    result = run_compliance(spec, opts, test, baseline, baseline_accuracy, log)
    sys.stdout.write(result.format())
    sys.stdout.flush()
    return 0 if result.passed else 3 if result.inconclusive else 1
