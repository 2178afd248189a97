"""How much the harness costs for GNMT: Offline through the harness vs the beam-search backend alone.

    python benchmarks/gnmt/bench_harness_overhead.py [--samples 256] [--repeats 3]

Both sides run the embedded default's model with onnxruntime (encoder graph,
decoder-step graph, beam search width 10), the same number of worker threads
and intra-op threads, and batches of the same size:

* backend alone: batches of sentences drawn at random (fixed seed) from the
  data set are built in advance; worker threads take them from a shared list
  and call the backend's ``predict`` (encoder + beam search). Nothing else.
* harness: ``run.py``'s code path in the Offline scenario, one query of
  exactly ``--samples`` samples, which LoadGen draws from the performance set;
  batches are assembled, predicted, turned into UTF-8 translations and
  completed through LoadGen by the workers, all inside the timed part.

A translation's cost depends on the sentence (its length, when its beams
finish), and the two sides translate different random draws of the same
sentences: with a few hundred samples the mix is close, not identical, so
expect a few per cent of noise either way. Runs alternate so that drift in
the machine's load hits both sides alike; the medians are compared (goal:
95 %). A last row runs the harness with the null backend: the harness's own
cost per sample.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from loadgen.harness import BackendOptions, RunOptions
from loadgen.harness.overhead import add_overhead_arguments, compare_with_harness, run_batches
from loadgen.harness.script import benchmark_folder
from loadgen.harness.settings import cpu_count

benchmark_folder(__file__)

from gnmt import synthetic
from gnmt.backends import GnmtOnnxBackend
from gnmt.dataset import NewsTest
from gnmt.run import SPEC


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_overhead_arguments(ap, 256, SPEC.default_max_batchsize, 20000, str(synthetic.default_cache_dir()))
    args = ap.parse_args(argv)
    workers, batch = args.threads, args.max_batchsize
    intra = max(1, cpu_count() // workers)

    assets = synthetic.ensure_default_assets(args.cache_dir, log=lambda s: print(s, file=sys.stderr))
    data = NewsTest(assets.data_dir)
    rng = np.random.default_rng(0)
    idx = rng.integers(0, data.total_count, size=args.samples)
    batches = [data.get_batch(idx[i : i + batch].tolist()) for i in range(0, args.samples, batch)]
    backend = GnmtOnnxBackend()
    backend.load(BackendOptions(model_path=str(assets.model_dir), intra_op_threads=intra))

    opts = RunOptions(
        backend="onnxruntime",
        model=str(assets.model_dir),
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
        "beam search + onnxruntime alone",
        lambda: run_batches(backend.predict, batches, workers),
        args.repeats,
        args.null_samples,
        f"GNMT Offline (embedded default, {assets.units} units, beam 10), {workers} worker(s) x {intra} "
        f"intra-op thread(s), batch {batch}, {args.samples} samples per run, {args.repeats} runs each (alternating)",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
