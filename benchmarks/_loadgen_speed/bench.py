"""LoadGen's own speed, side by side with the reference mlperf_loadgen.

Every measurement drives a null SUT (it answers each sample at once, with no
data) so that what is timed is the load generator. Each one runs in a fresh
process (child.py, or the native example), the implementations take turns,
and the logs of each run are read back for the verdict and the latencies.

    python benchmarks/_loadgen_speed/bench.py                     # about 5 minutes
    python benchmarks/_loadgen_speed/bench.py --quick             # seconds, tiny sizes
    python benchmarks/_loadgen_speed/bench.py --only ours,ref --scenarios Offline --json out.json
    python benchmarks/_loadgen_speed/bench.py --against e61d734 --only ref,ours --repeat 3

Implementations (``--only``):
  ref     mlperf_loadgen (mlcommons-loadgen), reference-compatible API
  ours    loadgen, the same code as ref (one QuerySampleResponse per sample)
  fast    loadgen's fast path: ConstructNumpySUT (ids arrive as a NumPy
          array) and complete_samples(ids) (one call per array)
  native  loadgen_cpp/examples/null_sut.cc, built here against the installed
          wheel with CMake

``--against REV`` adds ``base`` (and ``base-fast`` where ``fast`` runs): the
same Python cases through the wheel of another commit, built once into a venv
of its own (against.py), taking turns with the others, and a table of this
tree against it.

The parts: bench_cases.py (what runs, one run), bench_tables.py (figures and
tables), against.py (the other commit's build). The tables go to stdout (Markdown), progress to stderr, and ``--json`` writes
every run plus the derived figures and the targets of docs/performance.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.metadata
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import against
from bench_cases import (
    AGAINST_PYTHON,
    FULL,
    IMPL_LABELS,
    IMPLS,
    QUICK,
    SCENARIOS,
    Run,
    build_native,
    plan,
    run_case,
    still_climbing,
)
from bench_tables import _primary, derive, pick, render

# ---------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    def version(dist: str) -> str | None:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return None

    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "loadgen": version("loadgen"),
        "mlcommons-loadgen": version("mlcommons-loadgen"),
        "load_average_at_start": os.getloadavg(),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes: checks that everything runs")
    p.add_argument("--only", default=",".join(IMPLS), help=f"comma-separated subset of {','.join(IMPLS)}")
    p.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated subset of the scenarios")
    p.add_argument("--repeat", type=int, default=1, help="runs per case; the median one is reported")
    p.add_argument("--server-ms", type=int, help="Server duration per target (default 3000, quick 200)")
    p.add_argument("--native-exe", type=Path, help="a built loadgen_null_sut (default: build it now)")
    p.add_argument("--workdir", type=Path, help="keep every run's logs here (default: a deleted temp dir)")
    p.add_argument("--timeout", type=float, default=300, help="seconds allowed per run")
    p.add_argument("--json", type=Path, help="write the runs and derived figures here")
    p.add_argument(
        "--against",
        metavar="REV",
        help="also run the Python cases through the wheel of commit REV (built once into its own venv)",
    )
    args = p.parse_args(argv)
    args.impls = [i.strip() for i in args.only.split(",") if i.strip()]
    args.scenario_list = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    for name, given, known in (("--only", args.impls, IMPLS), ("--scenarios", args.scenario_list, SCENARIOS)):
        bad = [x for x in given if x not in known]
        if bad or not given:
            p.error(f"{name}: unknown {bad or 'empty list'}; choose from {','.join(known)}")
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.server_ms:
        sizes = dataclasses.replace(sizes, server_ms=args.server_ms)
    impls = [i for i in IMPLS if i in args.impls]  # fixed order for the tables
    notes: list[str] = []
    if "ref" in impls and importlib.util.find_spec("mlperf_loadgen") is None:
        impls.remove("ref")
        notes.append("mlperf_loadgen is not installed: no reference figures")

    tmp = None
    if args.workdir:
        workdir = args.workdir
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="loadgen-bench-")
        workdir = Path(tmp.name)
    try:
        if args.against:
            try:
                AGAINST_PYTHON[:], sha = [against.build(args.against)[0]], against.resolve(args.against)
            except against.AgainstError as e:
                print(f"bench.py: {e}", file=sys.stderr)
                return 2
            label = f"@{args.against}" + ("" if sha.startswith(args.against) else f" ({sha[:12]})")
            IMPL_LABELS["base"] = f"loadgen {label}"
            IMPL_LABELS["base-fast"] = f"loadgen {label} fast path"
            impls += ["base"] + (["base-fast"] if "fast" in impls else [])
        native_exe = args.native_exe
        if "native" in impls and native_exe is None:
            try:
                native_exe = build_native(workdir / "native-build")
            except (RuntimeError, subprocess.CalledProcessError) as e:
                impls.remove("native")
                notes.append(f"native SUT not built, so not measured: {str(e).splitlines()[0]}")

        groups = plan(sizes, impls, args.scenario_list)
        planned = sum(len(g.cases) for g in groups if not g.only_if_valid_below) * args.repeat
        info = machine_info()
        print(
            f"{planned} runs, and more Server targets while they stay VALID; {info['cpus']} CPUs, "
            f"load average {info['load_average_at_start'][0]:.2f}",
            file=sys.stderr,
        )
        runs: list[Run] = []
        t_start = time.monotonic()
        for rep in range(args.repeat):
            rep_runs: list[Run] = []
            for k, group in enumerate(groups):
                cases = list(group.cases)
                if group.only_if_valid_below:
                    cases = [c for c in cases if still_climbing(c, rep_runs)]
                # Take turns: which implementation goes first alternates.
                for case in cases if (k + rep) % 2 == 0 else cases[::-1]:
                    r = run_case(case, workdir, native_exe, sizes.server_ms, args.timeout)
                    rep_runs.append(r)
                    status = f"{_primary(r):,.0f}/s {'VALID' if r.valid else 'INVALID'}" if r.ok else r.error
                    print(
                        f"[{len(runs) + len(rep_runs)}] {case.impl} {case.scenario} {case.sut} {case.size}: "
                        f"{r.wall_s:.2f} s, {r.peak_rss_mib:.0f} MiB, {status}",
                        file=sys.stderr,
                    )
            runs.extend(rep_runs)
        elapsed = time.monotonic() - t_start

        chosen = pick(runs)
        derived = derive(chosen, sizes)
        print(render(chosen, derived, sizes, impls))
        if args.quick:
            notes.append("--quick sizes only show that everything runs; the targets need the full sizes")
        for note in notes:
            print(f"Note: {note}")
        print(
            f"{len(runs)} runs in {elapsed:.0f} s; {info['cpus']} CPUs; "
            f"loadgen {info['loadgen']}, mlcommons-loadgen {info['mlcommons-loadgen']}"
        )
        if args.json:
            doc = {
                "schema": "loadgen.bench/1",
                "machine": info,
                "against": (
                    {"rev": args.against, "commit": against.resolve(args.against)} if args.against else None
                ),
                "quick": args.quick,
                "sizes": dataclasses.asdict(sizes),
                "implementations": impls,
                "notes": notes,
                "elapsed_s": elapsed,
                "runs": [dataclasses.asdict(r) for r in runs],
                "derived": derived,
            }
            args.json.write_text(json.dumps(doc, indent=1) + "\n")
        return 0 if all(r.ok for r in runs) else 1
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
