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
import sys

import numpy as np
from loadgen.harness import RunOptions
from loadgen.harness.overhead import add_overhead_arguments, compare_with_harness, ort_session, run_batches
from loadgen.harness.script import benchmark_folder
from loadgen.harness.settings import cpu_count

benchmark_folder(__file__)

from resnet50 import synthetic
from resnet50.dataset import ImageNetVal
from resnet50.run import ARGMAX_OUTPUT, INPUT_NAME, SPEC


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_overhead_arguments(ap, 320, 32, 20000, str(synthetic.default_cache_dir()))
    args = ap.parse_args(argv)
    workers, batch = args.threads, args.max_batchsize
    intra = max(1, cpu_count() // workers)

    assets = synthetic.ensure_default_assets(args.cache_dir, log=lambda s: print(s, file=sys.stderr))
    data = ImageNetVal(str(assets.data_dir), args.cache_dir)
    data.load(range(data.total_count))
    rng = np.random.default_rng(0)
    idx = rng.integers(0, data.total_count, size=args.samples)
    batches = [data.get_batch(idx[i : i + batch].tolist()) for i in range(0, args.samples, batch)]
    sess = ort_session(str(assets.onnx_model), intra)

    opts = RunOptions(
        backend="onnxruntime",
        model=str(assets.onnx_model),
        dataset_path=str(assets.data_dir),
        cache_dir=args.cache_dir,
        count=args.samples,
        threads=workers,
        max_batchsize=batch,
        warmup_batches=2,
    )
    compare_with_harness(
        SPEC,
        opts,
        "onnxruntime alone",
        lambda: run_batches(lambda b: sess.run([ARGMAX_OUTPUT], {INPUT_NAME: b}), batches, workers),
        args.repeats,
        args.null_samples,
        f"ResNet50-v1.5 Offline, {workers} worker(s) x {intra} intra-op thread(s), batch {batch}, "
        f"{args.samples} samples per run, {args.repeats} runs each (alternating)",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
