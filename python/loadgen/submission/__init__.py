"""An MLPerf Inference submission: pack run folders into the rules' tree, and check a tree.

    python -m loadgen submission pack --division closed --submitter ACME \\
        --system-json my_system.json --user-conf user.conf -o submission/ output/
    python -m loadgen submission check submission/closed/ACME

See docs/submission.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .check import CheckResult, check_tree
from .pack import PackError, PackResult, pack

__all__ = ["CheckResult", "PackError", "PackResult", "check_tree", "pack"]

DESCRIPTION = "Pack run folders into an MLPerf submission tree, or check a tree against the rules."


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="submission_command", metavar="SUBMISSION_COMMAND", required=True)
    k = sub.add_parser("pack", help="lay out performance, accuracy and compliance runs as a submission tree")
    k.add_argument("runs", nargs="+", metavar="RUN_DIR", help="run folders (searched a few levels deep)")
    k.add_argument("-o", "--output", required=True, help="where <division>/<submitter>/ is written")
    k.add_argument("--division", required=True, choices=("closed", "open", "network"))
    k.add_argument("--submitter", required=True)
    k.add_argument(
        "--system-json", required=True, help="the system description (its file name is the system id)"
    )
    k.add_argument("--user-conf", required=True, help="the user.conf the runs used")
    k.add_argument(
        "--target", default="99", choices=("99", "99.9"), help="accuracy target for bert, dlrm, 3d-unet"
    )
    k.add_argument("--model", help="mlperf.conf model name for logs without the harness's results.json")
    k.add_argument("--weights", help="starting_weights_filename (default: the model file the run used)")
    k.add_argument(
        "--weight-data-types",
        help="default: what the run's results.json says the model file held (else fp32)",
    )
    k.add_argument("--input-data-types", default="fp32")
    k.set_defaults(func=_pack)
    c = sub.add_parser("check", help="check a submission tree; exit status 0 when it passes")
    c.add_argument("tree", help="a <division>/<submitter> folder, or a folder holding division folders")
    c.add_argument(
        "--relax-duration",
        action="store_true",
        help="skip the minimum duration and count checks (trees of short runs, e.g. tests); not for submitting",
    )
    c.set_defaults(func=_check)


def _pack(args: argparse.Namespace) -> int:
    try:
        res = pack(
            [Path(r) for r in args.runs],
            Path(args.output),
            args.division,
            args.submitter,
            Path(args.system_json),
            Path(args.user_conf),
            target=args.target,
            default_model=args.model,
            weights=args.weights,
            weight_data_types=args.weight_data_types,
            input_data_types=args.input_data_types,
        )
    except (PackError, ValueError) as e:
        print(f"python -m loadgen submission pack: error: {e}", file=sys.stderr)
        return 2
    for f in res.packed:
        print(f"packed {f}")
    print(
        f"\n{len(res.packed)} files in {res.root}; check it with: python -m loadgen submission check {res.root}"
    )
    return 0


def _check(args: argparse.Namespace) -> int:
    res = check_tree(args.tree, relax_duration=args.relax_duration)
    sys.stdout.write(res.format())
    if args.relax_duration:
        print(
            "note: --relax-duration skipped the minimum duration and count checks: this tree is not submittable"
        )
    return 0 if res.passed else 1
