"""``python -m loadgen``: where the C++ package lies, and a demo run.

    python -m loadgen --cmake-dir        # pass to cmake as -Dloadgen_DIR=...
    python -m loadgen --include-dir      # holds loadgen/loadgen.h
    python -m loadgen --version
    python -m loadgen demo [--scenario Server]
    python -m loadgen config show --model resnet50 --scenario Server [--user-conf user.conf]
    python -m loadgen config mlperf-conf   # print the built-in mlperf.conf
    python -m loadgen report RUN_DIR [RUN_DIR ...] -o report.html
    python -m loadgen submission pack ... ; python -m loadgen submission check TREE
    python -m loadgen compliance verify TEST01 --model resnet50 --performance P --compliance C --accuracy A

Commands are subparsers registered in ``_COMMANDS``; the top-level flags
answer questions about the installation and take no command.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

_PACKAGE_DIR = Path(__file__).resolve().parent
# The layout that cmake/LoadgenInstall.cmake installs into the wheel.
_CMAKE_DIR = _PACKAGE_DIR / "lib" / "cmake" / "loadgen"
_INCLUDE_DIR = _PACKAGE_DIR / "include"
_SCENARIOS = ("SingleStream", "MultiStream", "Server", "Offline")


class _Parser(argparse.ArgumentParser):
    """Reports a usage error in one line on stderr and exits with status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _print_dir(path: Path, marker: str) -> int:
    if not (path / marker).is_file():
        print(
            f"python -m loadgen: error: {path / marker} is missing; the C++ package is only "
            "installed by a wheel build (pip install .), not by an editable or source checkout",
            file=sys.stderr,
        )
        return 1
    print(path)
    return 0


# --- Commands ---------------------------------------------------------------


def _add_demo(subparsers: argparse._SubParsersAction[_Parser]) -> None:
    p = subparsers.add_parser(
        "demo",
        help="run a short test of a simulated SUT and print the summary",
        description="Runs a short performance test of a SUT that completes samples at a steady "
        "rate, writes the MLPerf logs into OUTDIR, and prints the summary. Exits 0 when the "
        "result is VALID, 1 otherwise.",
    )
    p.add_argument("--scenario", choices=_SCENARIOS, default="SingleStream")
    p.add_argument("--duration-ms", type=int, default=2000, help="min_duration_ms (default 2000)")
    p.add_argument(
        "--sut-rate",
        type=float,
        default=20000.0,
        metavar="SAMPLES_PER_S",
        help="the simulated SUT's throughput (default 20000)",
    )
    p.add_argument("--outdir", type=Path, default=Path("loadgen_demo"), help="default ./loadgen_demo")
    p.set_defaults(func=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    from ._demo import run_demo

    if args.duration_ms <= 0:
        print("python -m loadgen demo: error: --duration-ms must be > 0", file=sys.stderr)
        return 2
    if args.sut_rate <= 0:
        print("python -m loadgen demo: error: --sut-rate must be > 0", file=sys.stderr)
        return 2
    result = run_demo(args.scenario, args.outdir, args.duration_ms, args.sut_rate)
    summary = Path(result.summary_path)
    if summary.is_file():
        sys.stdout.write(summary.read_text())
    print(f"\nLogs: {args.outdir.resolve()}")
    print(f"Result: {'VALID' if result.valid else 'INVALID'}")
    return 0 if result.valid else 1


def _add_config(subparsers: argparse._SubParsersAction[_Parser]) -> None:
    p = subparsers.add_parser(
        "config",
        help="show the effective test settings and where each value came from",
        description="Inspect LoadGen configuration: the built-in mlperf.conf, a user.conf and an "
        "audit.config, applied as a harness and StartTest apply them.",
    )
    sub = p.add_subparsers(dest="config_command", metavar="CONFIG_COMMAND", required=True)
    show = sub.add_parser(
        "show",
        help="print every TestSettings field, its value and the file:line that set it",
    )
    show.add_argument("--model", required=True, help="model name as in mlperf.conf, e.g. resnet50")
    show.add_argument("--scenario", required=True, choices=_SCENARIOS)
    show.add_argument("--user-conf", type=Path, help="a user.conf applied after mlperf.conf")
    show.add_argument("--audit-conf", type=Path, help="an audit.config applied last")
    show.add_argument("--json", action="store_true", help="print JSON instead of a table")
    show.set_defaults(func=_run_config_show)
    builtin = sub.add_parser("mlperf-conf", help="print the built-in mlperf.conf")
    builtin.set_defaults(func=_run_config_builtin)


def _run_config_show(args: argparse.Namespace) -> int:
    import json
    import warnings

    from . import config

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", config.ConfigWarning)
            fields = config.explain(args.model, args.scenario, args.user_conf, args.audit_conf)
            config.load_settings(args.model, args.scenario, args.user_conf, args.audit_conf)
    except (OSError, ValueError) as e:
        print(f"python -m loadgen config show: error: {e}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(fields, indent=1))
    else:
        print(config.format_explanation(fields))
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    return 0


def _run_config_builtin(args: argparse.Namespace) -> int:
    from . import config

    sys.stdout.write(config.builtin_mlperf_conf())
    return 0


def _module_command(
    name: str, help: str, func: str | None = None
) -> Callable[[argparse._SubParsersAction[_Parser]], None]:
    """A subcommand that is the package module ``name``: its DESCRIPTION, and
    its ``add_arguments(parser)``; ``func`` names the module's ``func(args)``
    when add_arguments does not set it. The module is imported when the
    parser is built."""

    def add(subparsers: argparse._SubParsersAction[_Parser]) -> None:
        module = importlib.import_module(f".{name}", __package__)
        p = subparsers.add_parser(name, help=help, description=module.DESCRIPTION)
        module.add_arguments(p)
        if func is not None:
            p.set_defaults(func=getattr(module, func))

    return add


# Each entry adds one subcommand; its parser sets `func(args) -> exit status`.
_COMMANDS: Sequence[Callable[[argparse._SubParsersAction[_Parser]], None]] = (
    _add_demo,
    _add_config,
    _module_command("report", "write an HTML report of a run, or a comparison of runs", "run_from_args"),
    _module_command("compliance", "compliance tests: audit.config files and verifications"),
    _module_command("submission", "pack run folders into a submission tree, or check one"),
)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m loadgen",
        description="The MLPerf Inference load generator: installation paths and tools.",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--cmake-dir",
        action="store_true",
        help="print the directory holding loadgenConfig.cmake (for -Dloadgen_DIR= or CMAKE_PREFIX_PATH)",
    )
    where.add_argument(
        "--include-dir",
        action="store_true",
        help="print the directory holding loadgen/loadgen.h (reference-style includes need its "
        "loadgen/ subdirectory too)",
    )
    where.add_argument("--version", action="store_true", help="print the version")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in _COMMANDS:
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    flags = args.cmake_dir or args.include_dir or args.version
    if flags and args.command is not None:
        parser.error(f"--cmake-dir, --include-dir and --version take no command ('{args.command}')")
    if args.cmake_dir:
        return _print_dir(_CMAKE_DIR, "loadgenConfig.cmake")
    if args.include_dir:
        return _print_dir(_INCLUDE_DIR, "loadgen/loadgen.h")
    if args.version:
        from . import __version__

        print(__version__)
        return 0
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    status: int = args.func(args)
    return status


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # e.g. piped into `head`: exit quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
