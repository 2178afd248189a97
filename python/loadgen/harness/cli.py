"""The command line every benchmark's run.py shares.

Flag names are the reference harness's where it has them (``--scenario``,
``--accuracy``, ``--find-peak-performance``, ``--backend``, ``--model``,
``--dataset-path``, ``--count``, ``--time``, ``--qps``, ``--max-latency``,
``--samples-per-query``, ``--max-batchsize``, ``--threads``,
``--performance-sample-count``, ``--user-conf``, ``--audit-conf``,
``--output``); its underscore spellings (``--user_conf``) are accepted too.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Sequence
from typing import Callable

from ..rules import RUNNABLE_TESTS
from .backend import registered_backends
from .benchmark import BenchmarkSpec, run_benchmark
from .network import add_network_arguments
from .precision import add_arguments as add_precision_arguments
from .report import format_report
from .settings import SCENARIOS, RunOptions


def build_parser(
    spec: BenchmarkSpec, add_arguments: Callable[[argparse.ArgumentParser], None] | None = None
) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description=f"MLPerf Inference {spec.name} benchmark (model '{spec.config_model}' in mlperf.conf).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--scenario", choices=SCENARIOS, default="SingleStream", help="LoadGen scenario")
    p.add_argument(
        "--accuracy",
        action="store_true",
        help="accuracy mode: run every sample once, then score mlperf_log_accuracy.json",
    )
    p.add_argument(
        "--find-peak-performance",
        action="store_true",
        help="search the highest Server QPS that meets the latency bound",
    )
    p.add_argument(
        "--official",
        action="store_true",
        help="use the rules' durations and query counts (default: a short run of about 10 s)",
    )
    p.add_argument(
        "--backend",
        choices=sorted(set(registered_backends()) | set(spec.backends)),
        default=spec.default_backend,
        help="inference backend",
    )
    p.add_argument("--model", help="model file (default: the embedded default model)")
    p.add_argument("--dataset-path", help="data set folder (default: the embedded synthetic data set)")
    p.add_argument(
        "--count",
        type=int,
        help="use only the first COUNT samples; also sets LoadGen's min and max query count",
    )
    p.add_argument(
        "--time",
        type=float,
        dest="time_s",
        metavar="SECONDS",
        help="LoadGen min and max duration (Offline: min only)",
    )
    p.add_argument(
        "--qps",
        type=_qps,
        help="Server target QPS and Offline expected QPS; 'auto': measure the SUT first and use what it "
        "sustains (what short runs do by default; an --official run does it only when asked)",
    )
    p.add_argument(
        "--max-latency",
        type=float,
        dest="max_latency_s",
        metavar="SECONDS",
        help="Server latency bound and MultiStream expected latency",
    )
    p.add_argument("--samples-per-query", type=int, help="MultiStream samples per query")
    p.add_argument("--max-batchsize", type=int, help=f"largest batch (default {spec.default_max_batchsize})")
    p.add_argument(
        "--threads",
        type=int,
        help=f"worker threads for MultiStream/Server/Offline (default "
        f"{spec.default_threads or 'one per core'}); each gets cores/threads intra-op threads",
    )
    p.add_argument(
        "--performance-sample-count",
        type=int,
        help=f"samples loaded at once in performance mode (default "
        f"min(data set size, {spec.performance_sample_count}))",
    )
    p.add_argument(
        "--user-conf",
        "--user_conf",
        dest="user_conf",
        help=f"user.conf (default: the benchmark's, {spec.user_conf})",
    )
    p.add_argument(
        "--audit-conf",
        "--audit_conf",
        dest="audit_conf",
        default="audit.config",
        help="audit.config for compliance tests (read only if it exists)",
    )
    p.add_argument("--output", help="folder for the logs (default: output/<model>-<backend>-<scenario>)")
    p.add_argument("--cache-dir", help="where preprocessed data and the embedded default go")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress line")
    p.add_argument(
        "--no-sizing",
        dest="sizing",
        action="store_false",
        help="short runs: do not measure the SUT first; use the user.conf values as they are "
        "(docs/benchmarks.md, Measured sizing)",
    )
    p.add_argument(
        "--no-report",
        dest="html_report",
        action="store_false",
        help="do not write report.html (the HTML report) beside the logs",
    )
    p.add_argument(
        "--record-mode",
        choices=("auto", "exact", "streaming"),
        default="auto",
        help="how LoadGen records latencies: exact (every sample), streaming (histograms within 1/2048, "
        "bounded memory) or auto (exact until 2 GiB of records; docs/design.md, Bounded memory)",
    )
    c = p.add_argument_group("compliance (docs/submission.md)")
    c.add_argument(
        "--compliance",
        choices=RUNNABLE_TESTS,
        help="run a compliance test and its verification into OUTPUT/TEST0x/",
    )
    c.add_argument(
        "--rules-version",
        metavar="V",
        help="the MLPerf Inference round the runs are for (v6.0, v4.1, ...): its seeds and compliance "
        "tests (default: the newest round with this benchmark; loadgen/rules/rounds.py)",
    )
    c.add_argument(
        "--baseline",
        metavar="DIR",
        help="the normal performance run to compare with (default: run it first, into OUTPUT/performance)",
    )
    c.add_argument(
        "--baseline-accuracy",
        metavar="DIR",
        help="TEST01: an accuracy run to compare responses with (default: run it, into OUTPUT/accuracy)",
    )
    add_network_arguments(p)
    add_precision_arguments(p)
    if add_arguments is not None:
        add_arguments(p)
    return p


_COMMON = {
    "scenario",
    "accuracy",
    "find_peak_performance",
    "official",
    "backend",
    "model",
    "dataset_path",
    "count",
    "time_s",
    "qps",
    "max_latency_s",
    "samples_per_query",
    "max_batchsize",
    "threads",
    "performance_sample_count",
    "user_conf",
    "audit_conf",
    "output",
    "cache_dir",
    "progress",
    "html_report",
    "record_mode",
    "sizing",
    "precision",
    "rules_version",
}


def _qps(text: str) -> float | str:
    if text == "auto":
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is neither a number nor 'auto'") from None


def options_from_args(ns: argparse.Namespace) -> RunOptions:
    d = dict(vars(ns))
    extra = {k: v for k, v in d.items() if k not in _COMMON}
    qps_auto = d.get("qps") == "auto"
    if qps_auto:
        d["qps"] = None
    return RunOptions(**{k: v for k, v in d.items() if k in _COMMON}, qps_auto=qps_auto, extra=extra)


def main(
    spec: BenchmarkSpec,
    argv: Sequence[str] | None = None,
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
) -> int:
    """Parses ``argv``, runs, prints the report. Exit status: 0 when the run is
    VALID (accuracy: the quality target is met), 1 when not, 2 for bad usage
    or setup, 130 on Ctrl-C."""
    return leave(_main(spec, argv, add_arguments))


def leave(status: int) -> int:
    """``status``, or exit at once with it when SUT worker threads are still
    inside a backend call (a test aborted mid-inference, say): letting the
    interpreter shut down under them kills the process with SIGABRT in some
    runtimes' bindings (onnxruntime: "terminate called without an active
    exception"). Everything measured is written by then."""
    busy = [t.name for t in threading.enumerate() if t.name.startswith("harness-") and t.is_alive()]
    if not busy:
        return status
    print(
        f"note: {len(busy)} worker thread(s) still inside the backend ({', '.join(busy[:4])}); "
        f"exiting without waiting for them",
        file=sys.stderr,
    )
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def _main(
    spec: BenchmarkSpec,
    argv: Sequence[str] | None,
    add_arguments: Callable[[argparse.ArgumentParser], None] | None,
) -> int:
    parser = build_parser(spec, add_arguments)
    ns = parser.parse_args(argv)
    compliance = {k: vars(ns).pop(k) for k in ("compliance", "baseline", "baseline_accuracy")}
    if compliance["compliance"] is None and (compliance["baseline"] or compliance["baseline_accuracy"]):
        parser.error("--baseline and --baseline-accuracy go with --compliance")
    try:
        opts = options_from_args(ns)
    except ValueError as e:
        parser.error(str(e))
    if compliance["compliance"] is not None and (opts.accuracy or opts.find_peak_performance):
        parser.error(
            "--compliance runs its own performance and accuracy runs: drop --accuracy/--find-peak-performance"
        )

    def log(s: str) -> None:
        print(s, file=sys.stderr, flush=True)

    try:
        if compliance["compliance"] is not None:
            from .compliance import run_compliance_main

            return run_compliance_main(
                spec,
                opts,
                compliance["compliance"],
                compliance["baseline"],
                compliance["baseline_accuracy"],
                log,
            )
        report = run_benchmark(spec, opts, log=log)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (ValueError, OSError, ImportError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    sys.stdout.write(format_report(report))
    sys.stdout.flush()
    return 0 if report.ok else 1
