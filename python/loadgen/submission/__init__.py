"""An MLPerf Inference submission: pack run folders into the rules' tree, and check a tree.

    python -m loadgen submission pack --rules-version v6.0 --division closed --submitter ACME \\
        --system-json my_system.json --user-conf user.conf -o submission/ output/
    python -m loadgen submission check --rules-version v6.0 submission/closed/ACME

``--rules-version`` names the MLPerf Inference round (``loadgen.rules``); the
default is, per benchmark, the newest round that has it.

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
_RULES_HELP = (
    "the MLPerf Inference round: its benchmarks, layout, compliance tests, seeds and checks "
    "(v6.1, v6.0, v5.1, v5.0, v4.1, v4.0, v3.0, v2.0, v0.5; default: per benchmark, the newest round with it)"
)


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
    k.add_argument("--rules-version", help=_RULES_HELP)
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
    c.add_argument("--rules-version", help=_RULES_HELP)
    c.add_argument(
        "--relax-duration",
        action="store_true",
        help="skip the minimum duration and count checks and accept INCONCLUSIVE compliance verdicts "
        "(trees of short runs, e.g. tests); not for submitting",
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
            rules_version=args.rules_version,
        )
    except (PackError, ValueError) as e:
        print(f"python -m loadgen submission pack: error: {e}", file=sys.stderr)
        return 2
    for f in res.packed:
        print(f"packed {f}")
    for f in res.skipped:
        print(f"left out {f}")
    versions = sorted(set(res.versions.values()))
    rv = f" --rules-version {versions[0]}" if len(versions) == 1 else ""
    print(
        f"\n{len(res.packed)} files in {res.root} (rules {', '.join(versions)}); check it with: "
        f"python -m loadgen submission check{rv} {res.root}"
    )
    return 0


def _check(args: argparse.Namespace) -> int:
    res = check_tree(args.tree, relax_duration=args.relax_duration, rules_version=args.rules_version)
    sys.stdout.write(res.format())
    if args.relax_duration:
        print(
            "note: --relax-duration skipped the minimum duration and count checks and accepted inconclusive "
            "compliance verdicts: this tree is not submittable"
        )
    return 0 if res.passed else 1
