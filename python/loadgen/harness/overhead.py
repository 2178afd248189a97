"""Measuring what the harness costs: a benchmark's Offline throughput through
the harness against its runtime alone on the same batches.

    python -m loadgen.harness.overhead --benchmark NAME [--repeats 3] [the benchmark's flags]

One command for every benchmark whose ``BenchmarkSpec.overhead`` names the
module of its comparison (e.g. ``"resnet50.overhead"``). That module's
docstring says what both sides run; it gives ``add_arguments(ap)`` (its
flags: mostly ``flags(...)``, the common ones of ``add_overhead_arguments``) and ``comparison(args)``, which
returns a ``Comparison``: the yardstick, the harness's options, the title.
This module does the rest, the same way for all:

* ``run_batches(predict, batches, workers)``: the yardstick. Worker threads
  take ready-made batches from a shared list and call ``predict``; nothing
  else is timed. ``ort_session`` makes the onnxruntime session with the
  options the harness's onnxruntime backend uses, so both sides run the same
  graph the same way.
* ``through_harness(spec, opts)``: ``run.py``'s code path in the Offline
  scenario, one query of exactly ``opts.count`` samples; LoadGen's samples/s.
* ``alternate(repeats, sides)``: runs the sides in turn (a, b, a, b, ...) so
  that drift in the machine's load hits all of them alike.
* ``print_table(...)``: medians, every run, the ratio to the yardstick and
  the goal (95 %), plus a null-backend row (the harness's own cost per
  sample).
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .benchmark import BenchmarkSpec, run_benchmark
from .dataset import Batch
from .settings import RunOptions, cpu_count

GOAL = 0.95


def batch_len(batch: Batch) -> int:
    """Samples in a batch: the first axis of the array (or of its first input)."""
    if isinstance(batch, Mapping):
        return len(next(iter(batch.values())))
    return len(batch)


def ort_session(model: str, intra_op_threads: int) -> Any:
    """An onnxruntime CPU session with the harness backend's options."""
    from .backend_onnxruntime import cpu_session

    return cpu_session(model, intra_op_threads)


def run_batches(
    predict: Callable[[Any], object],
    batches: Sequence[Any],
    workers: int,
    count: Callable[[Any], int] = batch_len,
    warmup: int = 2,
) -> float:
    """Samples/s of ``predict`` over ``batches`` with ``workers`` threads.

    The first ``warmup`` batches are predicted once before the clock starts
    (the harness warms up too). ``count(batch)`` says how many samples a batch
    holds (default: its first axis).
    """
    for b in batches[:warmup]:
        predict(b)
    next_index = iter(range(len(batches)))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        while True:
            with lock:
                i = next(next_index, None)
            if i is None:
                return
            try:
                predict(batches[i])
            except Exception as e:  # noqa: BLE001 (re-raised after the join)
                errors.append(e)
                return

    threads = [threading.Thread(target=work) for _ in range(workers)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return sum(count(b) for b in batches) / elapsed


def through_harness(spec: BenchmarkSpec, opts: RunOptions) -> float:
    """LoadGen's Offline samples/s for one query of exactly ``opts.count`` samples.

    ``opts`` needs ``count``, the backend, model, data and output folder; the
    scenario, a tiny ``time_s`` and ``qps`` (so that the query holds exactly
    ``count`` samples) and no progress line are set here.
    """
    opts = replace(opts, scenario="Offline", time_s=0.001, qps=1.0, progress=False)
    report = run_benchmark(spec, opts, log=lambda s: None)
    p = report.performance
    if p is None or report.error is not None:
        raise RuntimeError(f"the harness run failed: {report.error}")
    if p.samples_completed != opts.count:
        raise RuntimeError(f"the harness completed {p.samples_completed} of {opts.count} samples")
    return float(p.metric)


def alternate(repeats: int, sides: Mapping[str, Callable[[int], float]]) -> dict[str, list[float]]:
    """Each side ``repeats`` times, in turn; ``side(r)`` returns samples/s of run ``r``."""
    results: dict[str, list[float]] = {name: [] for name in sides}
    for r in range(repeats):
        for name, side in sides.items():
            results[name].append(side(r))
        line = ", ".join(f"{name} {v[-1]:.2f}" for name, v in results.items())
        print(f"run {r + 1}/{repeats}: {line} samples/s", file=sys.stderr, flush=True)
    return results


def print_table(
    title: str,
    results: Mapping[str, list[float]],
    yardstick: str,
    null: tuple[float, int] | None = None,
    goal: float = GOAL,
) -> dict[str, float]:
    """Print medians and runs per side, each side's ratio to ``yardstick``
    and whether it meets ``goal``; ``null`` = (samples/s, samples) of a
    null-backend harness run. Returns the ratios."""
    base = statistics.median(results[yardstick])
    print()
    print(title)
    print(f"{'':30}{'samples/s (median)':>20}   runs")
    for name, runs in results.items():
        print(f"{name:30}{statistics.median(runs):>20.2f}   {' '.join(f'{x:.2f}' for x in runs)}")
    ratios = {}
    for name, runs in results.items():
        if name == yardstick:
            continue
        ratio = statistics.median(runs) / base
        ratios[name] = ratio
        verdict = "met" if ratio >= goal else "NOT met"
        print(f"{name + ' / alone':30}{ratio * 100:>19.1f}%   goal >= {goal * 100:.0f}%: {verdict}")
    if null is not None:
        rate, samples = null
        print(
            f"{'harness, null backend':30}{rate:>20.0f}   {samples} samples: "
            f"{1e6 / rate:.0f} us of harness work per sample"
        )
    return ratios


def add_overhead_arguments(
    ap: Any, samples: int, max_batchsize: int, null_samples: int, cache_dir: str, samples_help: str = ""
) -> None:
    """The flags most comparisons take."""
    ap.add_argument(
        "--samples",
        type=int,
        default=samples,
        help=samples_help or "samples per run (a multiple of the batch)",
    )
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=cpu_count(), help="worker threads (both sides)")
    ap.add_argument("--max-batchsize", type=int, default=max_batchsize)
    ap.add_argument("--null-samples", type=int, default=null_samples, help="samples for the null-backend row")
    ap.add_argument("--cache-dir", default=cache_dir)


def flags(
    samples: int,
    max_batchsize: int,
    null_samples: int,
    cache_dir: Callable[[], object],
    repeats: int = 3,
    samples_help: str = "",
) -> Callable[[Any], None]:
    """The ``add_arguments`` of a comparison with only the flags most take
    (``add_overhead_arguments``): these defaults, the cache folder
    ``cache_dir()`` (the benchmark's ``synthetic.default_cache_dir``)."""

    def add_arguments(ap: Any) -> None:
        add_overhead_arguments(ap, samples, max_batchsize, null_samples, str(cache_dir()), samples_help)
        ap.set_defaults(repeats=repeats)

    return add_arguments


def stderr_log(line: str) -> None:
    """Where the embedded default's "making it once" line goes (stdout is the table)."""
    print(line, file=sys.stderr)


def intra_threads(workers: int) -> int:
    """Intra-op threads per worker: the cores shared among the workers."""
    return max(1, cpu_count() // workers)


def random_batches(data: Any, samples: int, batch: int, seed: int = 0) -> list[Any]:
    """``samples`` random sample indices (fixed seed) of ``data``, cut into batches of ``batch``."""
    idx = np.random.default_rng(seed).integers(0, data.total_count, size=samples)
    return batches_of(data, idx, batch)


def batches_of(data: Any, idx: np.ndarray, batch: int) -> list[Any]:
    return [data.get_batch(idx[i : i + batch].tolist()) for i in range(0, len(idx), batch)]


def harness_options(args: argparse.Namespace, model: object, dataset_path: object, **kw: Any) -> RunOptions:
    """The harness side from the common flags: onnxruntime, ``--samples`` per
    run, ``--threads`` workers, ``--max-batchsize``, two warm-up batches."""
    fields: dict[str, Any] = {
        "backend": "onnxruntime",
        "model": str(model),
        "dataset_path": str(dataset_path),
        "cache_dir": args.cache_dir,
        "count": args.samples,
        "threads": args.threads,
        "max_batchsize": args.max_batchsize,
        "warmup_batches": 2,
    }
    fields.update(kw)
    return RunOptions(**fields)


def standard_title(what: str, args: argparse.Namespace) -> str:
    """ "<what>, W worker(s) x I intra-op thread(s), batch B, N samples per run, R runs each (alternating)"."""
    return (
        f"{what}, {args.threads} worker(s) x {intra_threads(args.threads)} intra-op thread(s), batch "
        f"{args.max_batchsize}, {args.samples} samples per run, {args.repeats} runs each (alternating)"
    )


def session_predict(model: object, args: argparse.Namespace, outputs: Sequence[str], input_name: str) -> Any:
    """The yardstick's ``predict`` for a one-graph model: ``InferenceSession.run``
    of ``outputs`` with the batch as ``input_name``, in a session made as the
    harness's (``ort_session``; the cores shared among the ``--threads`` workers)."""
    sess = ort_session(str(model), intra_threads(args.threads))
    names = list(outputs)
    return lambda b: sess.run(names, {input_name: b})


def backend_predict(backend: Any, model: object, args: argparse.Namespace) -> Callable[[Any], object]:
    """The yardstick's ``predict`` for a benchmark's own backend (e.g. a search
    loop over two graphs): ``backend`` loaded with ``model`` and the intra-op
    threads of one of the ``--threads`` workers."""
    from .backend import BackendOptions

    backend.load(BackendOptions(model_path=str(model), intra_op_threads=intra_threads(args.threads)))
    return backend.predict


def random_batch_comparison(
    args: argparse.Namespace,
    what: str,
    model: object,
    data_dir: object,
    data: Any,
    predict: Callable[[Any], object],
    alone_name: str = "onnxruntime alone",
) -> Comparison:
    """The usual comparison on an embedded default: ``--samples`` random samples
    of ``data`` (all loaded first) in batches of ``--max-batchsize``; the
    yardstick calls ``predict`` on them, the harness runs ``model`` on
    ``data_dir`` with the same flags (``harness_options``); ``what`` starts the
    title (``standard_title``)."""
    data.load(range(data.total_count))
    batches = random_batches(data, args.samples, args.max_batchsize)
    return Comparison(
        standard_title(what, args),
        harness_options(args, model, data_dir),
        lambda: run_batches(predict, batches, args.threads),
        alone_name=alone_name,
        null_samples=args.null_samples,
    )


@dataclass
class Comparison:
    """One benchmark's comparison, as its ``comparison(args)`` returns it.

    title: the table's first line.
    opts: the harness side (``opts.count`` samples per run; the output folder is set here).
    alone: one yardstick run's samples/s; alone_name: its row.
    harness(opts): one harness run's rate; default ``through_harness(spec, opts)``.
    null_samples: the null-backend row runs ``opts`` with the null backend and
        this count; null_run(output) replaces that run, null_row(rate) the row's text.
    """

    title: str
    opts: RunOptions
    alone: Callable[[], float]
    alone_name: str = "onnxruntime alone"
    harness: Callable[[RunOptions], float] | None = None
    null_samples: int | None = None
    null_run: Callable[[str], float] | None = None
    null_row: Callable[[float], str] | None = None


def run_comparison(spec: BenchmarkSpec, c: Comparison, repeats: int) -> dict[str, float]:
    """Alternate the two sides ``repeats`` times, run the null-backend row,
    print the table; returns the ratios to the yardstick."""
    harness = c.harness or (lambda o: through_harness(spec, o))
    with tempfile.TemporaryDirectory() as tmp:
        results = alternate(
            repeats,
            {
                c.alone_name: lambda r: c.alone(),
                f"harness, {c.opts.backend}": lambda r: harness(replace(c.opts, output=f"{tmp}/run{r}")),
            },
        )
        null: float | None = None
        if c.null_run is not None:
            null = c.null_run(f"{tmp}/null")
        elif c.null_samples is not None:
            null_opts = replace(
                c.opts, backend="null", model=None, count=c.null_samples, output=f"{tmp}/null"
            )
            null = harness(null_opts)
    in_table = null is not None and c.null_row is None and c.null_samples is not None
    ratios = print_table(
        c.title,
        results,
        yardstick=c.alone_name,
        null=(null, c.null_samples) if in_table and null is not None and c.null_samples is not None else None,
    )
    if null is not None and c.null_row is not None:
        print(c.null_row(null))
    return ratios


def main(argv: list[str] | None = None) -> int:
    from .script import benchmark_folder
    from .serve import find_benchmark

    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--benchmark")
    pre.add_argument("--benchmarks-dir")
    known, _ = pre.parse_known_args(argv)
    ap = argparse.ArgumentParser(
        prog="python -m loadgen.harness.overhead",
        description="How much the harness costs: a benchmark's Offline run through the harness vs its runtime "
        "alone (the benchmark's own flags: --benchmark NAME --help)",
    )
    ap.add_argument("--benchmark", required=True, help="a benchmark under benchmarks/ (or its run.py)")
    ap.add_argument(
        "--benchmarks-dir", help="where the benchmarks are (default: ./benchmarks, LOADGEN_BENCHMARKS)"
    )
    if not known.benchmark:
        ap.parse_args(argv)  # --help, or the error naming --benchmark
        return 2
    try:
        run_py = find_benchmark(known.benchmark, known.benchmarks_dir)
    except FileNotFoundError as e:
        ap.error(str(e))
    benchmark_folder(str(run_py))
    spec = importlib.import_module(f"{run_py.parent.name}.run").SPEC
    if spec.overhead is None:
        ap.error(
            f"--benchmark {known.benchmark}: {spec.name} declares no overhead comparison (BenchmarkSpec.overhead)"
        )
    bench = importlib.import_module(spec.overhead)
    ap.description = (bench.__doc__ or "").split("\n\n")[0]
    bench.add_arguments(ap)
    args = ap.parse_args(argv)
    run_comparison(spec, bench.comparison(args), args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
