"""MLPerf compliance tests TEST01, TEST04 and TEST05: audit.config files and
verifications, for runs of our harness and for logs of any SUT.

    python -m loadgen compliance audit-config TEST01 --model resnet50
    python -m loadgen compliance verify TEST01 --model resnet50 \\
        --performance PERF_DIR --compliance TEST01_RUN_DIR --accuracy ACC_DIR -o OUT_DIR

See docs/submission.md.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..rules import COMPLIANCE_TESTS, model_rules
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


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="compliance_command", metavar="COMPLIANCE_COMMAND", required=True)
    a = sub.add_parser("audit-config", help="print the audit.config of a test for a model")
    a.add_argument("test", choices=COMPLIANCE_TESTS)
    a.add_argument("--model", required=True, help="the model's name in mlperf.conf, e.g. resnet50")
    a.set_defaults(func=_audit_config)
    v = sub.add_parser(
        "verify",
        help="verify a compliance run against the submission's runs; writes verify_*.txt",
        description="Verify a compliance run from its logs (any LoadGen's): TEST01 compares the sampled "
        "responses with an accuracy run and the performance with the submission's run; TEST04 and TEST05 "
        "compare performance. Exit status 0 when every verification passes.",
    )
    v.add_argument("test", choices=COMPLIANCE_TESTS)
    v.add_argument("--model", required=True, help="the model's name in mlperf.conf (decides TEST01's dtype)")
    v.add_argument("--performance", required=True, help="the submission's performance run (its log folder)")
    v.add_argument("--compliance", required=True, help="the compliance run's log folder")
    v.add_argument("--accuracy", help="TEST01: an accuracy run's log folder (mlperf_log_accuracy.json)")
    v.add_argument(
        "--dtype", choices=("byte", "uint8", "float32", "int32", "int64"), help="override the dtype"
    )
    v.add_argument("-o", "--output", help="where to write verify_*.txt (default: the compliance folder)")
    v.set_defaults(func=_verify)


def _audit_config(args: argparse.Namespace) -> int:
    try:
        sys.stdout.write(audit_config(args.test, model_rules(args.model)))
    except ValueError as e:
        print(f"python -m loadgen compliance: error: {e}", file=sys.stderr)
        return 2
    return 0


def _verify(args: argparse.Namespace) -> int:
    from dataclasses import replace

    try:
        rules = model_rules(args.model)
        if args.dtype:
            rules = replace(rules, test01_dtype=args.dtype)
        results = verify_folders(args.test, rules, args.performance, args.compliance, args.accuracy)
    except (LogError, ValueError) as e:
        print(f"python -m loadgen compliance verify: error: {e}", file=sys.stderr)
        return 2
    out = args.output or args.compliance
    for r in results:
        path = r.write(out)
        print(f"{r.test} {r.kind}: {'PASS' if r.passed else 'FAIL'} ({r.reason}) -> {path}")
    return 0 if all(r.passed for r in results) else 1


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m loadgen compliance", description=DESCRIPTION)
    add_arguments(ap)
    args = ap.parse_args(argv)
    status: int = args.func(args)
    return status
