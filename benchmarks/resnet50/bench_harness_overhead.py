"""How much the harness costs: Offline through the harness vs onnxruntime alone.

    python benchmarks/resnet50/bench_harness_overhead.py [--samples 320] [--repeats 3]

Both sides run the same model with the same session settings, the same number
of worker threads and intra-op threads, and the same number of batches of the
same size:

* onnxruntime alone: the batches are stacked in advance; worker threads take
  them from a shared list and call ``InferenceSession.run``. Nothing else.
* harness: ``run.py``'s code path (``run_benchmark``) in the Offline scenario,
  one query of exactly ``--samples`` samples; its metric is LoadGen's
  samples per second (from the query's issue to its last completion). Batches
  are assembled from the loaded samples, predicted, post-processed and
  completed through LoadGen by the workers, all inside the timed part.

Runs alternate (alone, harness, alone, ...) so that drift in the machine's
load hits both sides alike; the medians are compared. The goal is a harness
throughput of at least 95 % of onnxruntime alone.

A last row runs the harness with the null backend (no model): its throughput
bounds what the harness itself can do, and its inverse is the harness's cost
per sample.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
if __package__ in (None, ""):
    sys.path.insert(0, str(HERE.parent))

from loadgen.harness import RunOptions, run_benchmark
from loadgen.harness.settings import cpu_count

from resnet50 import synthetic
from resnet50.dataset import ImageNetVal
from resnet50.run import SPEC


def ort_alone(model: str, batches: list[np.ndarray], workers: int, intra: int) -> float:
    """samples/s of bare InferenceSession.run over ``batches`` with ``workers`` threads."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = intra
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    feed_name, out_names = "input_tensor:0", ["ArgMax:0"]
    for b in batches[:2]:  # the same warm-up the harness does, roughly
        sess.run(out_names, {feed_name: b[:1]})
    next_batch = iter(range(len(batches)))
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                i = next(next_batch, None)
            if i is None:
                return
            sess.run(out_names, {feed_name: batches[i]})

    threads = [threading.Thread(target=work) for _ in range(workers)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    return sum(len(b) for b in batches) / elapsed


def through_harness(
    backend: str,
    model: str | None,
    data_dir: str,
    cache: str,
    out: str,
    samples: int,
    workers: int,
    batch: int,
) -> float:
    """LoadGen's Offline samples/s for one query of exactly ``samples`` samples."""
    opts = RunOptions(
        scenario="Offline",
        backend=backend,
        model=model,
        dataset_path=data_dir,
        cache_dir=cache,
        output=out,
        progress=False,
        count=samples,  # Offline: the query holds max(min_query_count, 1.1 x duration x qps) samples
        time_s=0.001,
        qps=1.0,
        threads=workers,
        max_batchsize=batch,
        warmup_batches=2,
    )
    report = run_benchmark(SPEC, opts, log=lambda s: None)
    p = report.performance
    assert p is not None and report.error is None, report.error
    assert p.samples_completed == samples, (p.samples_completed, samples)
    return p.metric


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=320, help="samples per run (a multiple of the batch)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=cpu_count(), help="worker threads (both sides)")
    ap.add_argument("--max-batchsize", type=int, default=32)
    ap.add_argument("--null-samples", type=int, default=20000, help="samples for the null-backend row")
    ap.add_argument("--cache-dir", default=str(synthetic.default_cache_dir()))
    args = ap.parse_args(argv)
    workers, batch = args.threads, args.max_batchsize
    intra = max(1, cpu_count() // workers)

    assets = synthetic.ensure_default_assets(args.cache_dir, log=lambda s: print(s, file=sys.stderr))
    data = ImageNetVal(str(assets.data_dir), args.cache_dir)
    data.load(range(data.total_count))
    rng = np.random.default_rng(0)
    idx = rng.integers(0, data.total_count, size=args.samples)
    batches = [data.get_batch(idx[i : i + batch].tolist()) for i in range(0, args.samples, batch)]

    alone: list[float] = []
    harness: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeats):
            alone.append(ort_alone(str(assets.onnx_model), batches, workers, intra))
            harness.append(
                through_harness(
                    "onnxruntime",
                    str(assets.onnx_model),
                    str(assets.data_dir),
                    args.cache_dir,
                    f"{tmp}/ort{r}",
                    args.samples,
                    workers,
                    batch,
                )
            )
            print(
                f"run {r + 1}/{args.repeats}: alone {alone[-1]:.2f}, harness {harness[-1]:.2f} samples/s",
                file=sys.stderr,
            )
        null = through_harness(
            "null",
            None,
            str(assets.data_dir),
            args.cache_dir,
            f"{tmp}/null",
            args.null_samples,
            workers,
            batch,
        )

    def runs(v: list[float]) -> str:
        return " ".join(f"{x:.2f}" for x in v)

    med_alone, med_harness = statistics.median(alone), statistics.median(harness)
    ratio = med_harness / med_alone
    print()
    print(
        f"ResNet50-v1.5 Offline, {workers} worker(s) x {intra} intra-op thread(s), batch {batch}, "
        f"{args.samples} samples per run, {args.repeats} runs each (alternating)"
    )
    print(f"{'':28}{'samples/s (median)':>20}   runs")
    print(f"{'onnxruntime alone':28}{med_alone:>20.2f}   {runs(alone)}")
    print(f"{'harness, onnxruntime':28}{med_harness:>20.2f}   {runs(harness)}")
    print(
        f"{'harness / alone':28}{ratio * 100:>19.1f}%   goal >= 95%: {'met' if ratio >= 0.95 else 'NOT met'}"
    )
    print(
        f"{'harness, null backend':28}{null:>20.0f}   {args.null_samples} samples: "
        f"{1e6 / null:.0f} us of harness work per sample"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
