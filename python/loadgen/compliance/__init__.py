"""MLPerf compliance tests TEST01, TEST04 (TEST04-A/B up to v2.0), TEST05 (up to
v4.1) and TEST06 (LLMs): audit.config files and verifications, for runs of our
harness and for logs of any SUT, for one rules version (``--rules-version``;
default: the newest round with the model).

    python -m loadgen compliance audit-config TEST01 --model resnet50 [--rules-version v6.0]
    python -m loadgen compliance verify TEST01 --model resnet50 --rules-version v6.0 \\
        --performance PERF_DIR --compliance TEST01_RUN_DIR --accuracy ACC_DIR -o OUT_DIR

See docs/submission.md.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..rules import RUNNABLE_TESTS, RulesError, check_test, model_rules, resolve
from .logs import DetailLog, LogError, read_accuracy_log, read_detail
from .verify import (
    Verification,
    audit_config,
    verify_folders,
    verify_performance,
    verify_test01_accuracy,
    verify_test01_accuracy_fallback,
)

__all__ = [
    "DetailLog",
    "LogError",
    "Verification",
    "audit_config",
    "read_accuracy_log",
    "read_detail",
    "verify_folders",
    "verify_performance",
    "verify_test01_accuracy",
    "verify_test01_accuracy_fallback",
]

DESCRIPTION = "MLPerf compliance tests: write a test's audit.config, or verify a compliance run's logs."
_RULES_HELP = "the MLPerf Inference round (v6.0, v4.1, ...; default: the newest round with the model)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="compliance_command", metavar="COMPLIANCE_COMMAND", required=True)
    a = sub.add_parser("audit-config", help="print the audit.config of a test for a model")
    a.add_argument("test", choices=(*RUNNABLE_TESTS, "TEST04-B"))
    a.add_argument("--model", required=True, help="the model's name in mlperf.conf, e.g. resnet50")
    a.add_argument("--rules-version", help=_RULES_HELP)
    a.set_defaults(func=_audit_config)
    v = sub.add_parser(
        "verify",
        help="verify a compliance run against the submission's runs; writes verify_*.txt",
        description="Verify a compliance run from its logs (any LoadGen's): TEST01 compares the sampled "
        "responses with an accuracy run and the performance with the submission's run; TEST04 and TEST05 "
        "compare performance; TEST04-A compares the TEST04-B run with the TEST04-A run. Short runs are "
        "judged against their own noise (INCONCLUSIVE when the difference is within it). Exit status 0 "
        "when every verification passes, 1 when one fails, 3 when one is inconclusive and none fails.",
    )
    v.add_argument("test", choices=RUNNABLE_TESTS)
    v.add_argument("--model", required=True, help="the model's name in mlperf.conf (decides TEST01's dtype)")
    v.add_argument("--rules-version", help=_RULES_HELP)
    v.add_argument(
        "--performance",
        required=True,
        help="the submission's performance run (its log folder; TEST04-A: the TEST04-A run)",
    )
    v.add_argument(
        "--compliance", required=True, help="the compliance run's log folder (TEST04-A: TEST04-B's)"
    )
    v.add_argument("--accuracy", help="TEST01: an accuracy run's log folder (mlperf_log_accuracy.json)")
    v.add_argument(
        "--dtype", choices=("byte", "uint8", "float32", "int32", "int64"), help="override the dtype"
    )
    v.add_argument("-o", "--output", help="where to write verify_*.txt (default: the compliance folder)")
    v.set_defaults(func=_verify)


def _audit_config(args: argparse.Namespace) -> int:
    try:
        rules = model_rules(args.model)
        sys.stdout.write(audit_config(args.test, rules, resolve(args.model, args.rules_version)))
    except ValueError as e:
        print(f"python -m loadgen compliance: error: {e}", file=sys.stderr)
        return 2
    return 0


def _verify(args: argparse.Namespace) -> int:
    from dataclasses import replace

    try:
        rules = model_rules(args.model)
        rv = resolve(args.model, args.rules_version)
        check_test(args.test, rv)
        if args.dtype:
            rules = replace(rules, test01_dtype=args.dtype)
        if args.test == "TEST06":  # one run, checked on its own: no performance comparison
            from .test06 import eos_ids_for, verify_test06_run

            results = [
                verify_test06_run(args.compliance, eos_ids_for(rules.config_model), args.dtype or "int32")
            ]
        else:
            results = verify_folders(args.test, rules, args.performance, args.compliance, args.accuracy, rv)
    except (LogError, RulesError, ValueError) as e:
        print(f"python -m loadgen compliance verify: error: {e}", file=sys.stderr)
        return 2
    out = args.output or args.compliance
    for r in results:
        path = r.write(out)
        print(f"{r.test} {r.kind} (rules {rv.name}): {r.verdict} ({r.reason}) -> {path}")
    if all(r.passed for r in results):
        return 0
    return 3 if all(r.passed or r.inconclusive for r in results) else 1


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m loadgen compliance", description=DESCRIPTION)
    add_arguments(ap)
    args = ap.parse_args(argv)
    status: int = args.func(args)
    return status
