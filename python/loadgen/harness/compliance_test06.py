"""``run.py --compliance TEST06`` for token-streaming benchmarks: the run and its verification.

TEST06 needs no normal performance run and no accuracy run: one run with
TEST06's audit.config, then the three checks of
``loadgen.compliance.test06`` on its sampled responses. Layout under
``--output OUT`` (the submission's ``TEST06/`` folder as is):

    OUT/TEST06/audit.config
    OUT/TEST06/performance/run_1/       the compliance run's logs
    OUT/TEST06/accuracy/mlperf_log_accuracy.json
    OUT/TEST06/verify_accuracy.txt

The end-of-sequence ids come from ``opts.extra["eos_token_ids"]`` (the
benchmark's model, set by its ``prepare``) or else from the rules' model
(``EOS_TOKEN_IDS``); responses are int32 token ids unless
``opts.extra["token_dtype"]`` says otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from ..compliance.test06 import audit_config_test06, eos_ids_for, verify_test06_run
from .benchmark import BenchmarkSpec, default_output_dir, run_benchmark
from .compliance_result import ComplianceResult
from .settings import RunOptions


def run_test06(spec: BenchmarkSpec, opts: RunOptions, log: Callable[[str], None] = print) -> ComplianceResult:
    out = Path(opts.output or default_output_dir(spec, replace(opts, accuracy=False)))
    test_dir = out / "TEST06"
    result = ComplianceResult("TEST06", str(test_dir))
    prepared = spec.prepare(opts) if spec.prepare is not None else opts  # where a benchmark names its ids
    eos = prepared.extra.get("eos_token_ids") or eos_ids_for(spec.config_model)
    dtype = str(prepared.extra.get("token_dtype") or "int32")
    test_dir.mkdir(parents=True, exist_ok=True)
    audit = test_dir / "audit.config"
    audit.write_text(audit_config_test06(spec.config_model), encoding="utf-8")
    run_dir = test_dir / "performance" / "run_1"
    log(f"TEST06: the compliance run, into {run_dir}")
    base = replace(opts, accuracy=False, find_peak_performance=False, test05=False)
    result.runs["TEST06"] = run_benchmark(
        spec, replace(base, output=str(run_dir), audit_conf=str(audit)), log
    )
    result.verifications.append(verify_test06_run(run_dir, eos, dtype, output_dir=test_dir))
    return result
