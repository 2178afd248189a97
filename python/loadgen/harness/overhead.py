"""Measuring what the harness costs: a benchmark's Offline throughput through
the harness against its runtime alone on the same batches.

Every benchmark's ``bench_harness_overhead.py`` is built from these pieces:

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
  the goal (95 %), plus an optional null-backend row (the harness's own cost
  per sample).
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from .benchmark import BenchmarkSpec, run_benchmark
from .dataset import Batch
from .settings import RunOptions

GOAL = 0.95


def batch_len(batch: Batch) -> int:
    """Samples in a batch: the first axis of the array (or of its first input)."""
    if isinstance(batch, Mapping):
        return len(next(iter(batch.values())))
    return len(batch)


def ort_session(model: str, intra_op_threads: int) -> Any:
    """An onnxruntime CPU session with the harness backend's options."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = intra_op_threads
    so.inter_op_num_threads = 1
    return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])


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
    ap: Any, samples: int, max_batchsize: int, null_samples: int, cache_dir: str
) -> None:
    """The flags every ``bench_harness_overhead.py`` takes."""
    from .settings import cpu_count

    ap.add_argument("--samples", type=int, default=samples, help="samples per run (a multiple of the batch)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=cpu_count(), help="worker threads (both sides)")
    ap.add_argument("--max-batchsize", type=int, default=max_batchsize)
    ap.add_argument("--null-samples", type=int, default=null_samples, help="samples for the null-backend row")
    ap.add_argument("--cache-dir", default=cache_dir)


def compare_with_harness(
    spec: BenchmarkSpec,
    opts: RunOptions,
    alone_name: str,
    alone: Callable[[], float],
    repeats: int,
    null_samples: int,
    title: str,
) -> dict[str, float]:
    """The whole comparison: ``alone()`` against ``run.py``'s path with ``opts``
    (``opts.count`` samples per run), alternating ``repeats`` times, then a
    null-backend row of ``null_samples``; prints the table, returns the ratios."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        results = alternate(
            repeats,
            {
                alone_name: lambda r: alone(),
                f"harness, {opts.backend}": lambda r: through_harness(
                    spec, replace(opts, output=f"{tmp}/run{r}")
                ),
            },
        )
        null_opts = replace(opts, backend="null", model=None, count=null_samples, output=f"{tmp}/null")
        null = through_harness(spec, null_opts)
    return print_table(title, results, yardstick=alone_name, null=(null, null_samples))
