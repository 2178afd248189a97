"""How much the harness costs for SSD-ResNet34: Offline through the harness vs onnxruntime alone.

    python benchmarks/ssd_resnet34/bench_harness_overhead.py [--samples 6] [--repeats 2]

Both sides run the embedded default's ONNX file (its NMS inside the graph)
with the same session settings, worker threads, intra-op threads and batches
(built from the embedded set, coco-1200 float input):

* onnxruntime alone: worker threads take the ready-made batches from a
  shared list and call ``InferenceSession.run``; nothing else;
* harness: ``run.py``'s code path in the Offline scenario, one query of
  exactly ``--samples`` samples, LoadGen's samples/s; the payload records are
  built and completed inside the timed part.

Runs alternate so that drift in the machine's load hits both sides alike; the
medians are compared against the goal (95 %). A last row runs the harness with
the null backend: the harness's own cost per sample.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace

import numpy as np
from loadgen.harness import RunOptions, coco
from loadgen.harness.overhead import alternate, ort_session, print_table, run_batches, through_harness
from loadgen.harness.script import benchmark_folder
from loadgen.harness.settings import cpu_count

benchmark_folder(__file__)

from ssd_resnet34 import synthetic
from ssd_resnet34.run import INPUT_NAME, OUTPUT_NAMES, SPEC


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--samples",
        type=int,
        default=6,
        help="samples per run (a multiple of the batch); about 5 s each on 2 cores",
    )
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--threads", type=int, default=cpu_count(), help="worker threads (both sides)")
    ap.add_argument("--max-batchsize", type=int, default=1)
    ap.add_argument("--null-samples", type=int, default=20000, help="samples for the null-backend row")
    ap.add_argument("--cache-dir", default=str(synthetic.default_cache_dir()))
    args = ap.parse_args(argv)
    workers, batch = args.threads, args.max_batchsize
    intra = max(1, cpu_count() // workers)

    assets = synthetic.ensure_default_assets(args.cache_dir, log=lambda s: print(s, file=sys.stderr))
    data = coco.CocoDetection(str(assets.data_dir), args.cache_dir, coco.PROFILES["coco-1200"])
    data.load(range(data.total_count))
    idx = np.random.default_rng(0).integers(0, data.total_count, size=args.samples)
    batches = [data.get_batch(idx[i : i + batch].tolist()) for i in range(0, args.samples, batch)]
    sess = ort_session(str(assets.onnx_model), intra)

    with tempfile.TemporaryDirectory() as tmp:
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
        results = alternate(
            args.repeats,
            {
                "onnxruntime alone": lambda r: run_batches(
                    lambda b: sess.run(list(OUTPUT_NAMES), {INPUT_NAME: b}), batches, workers
                ),
                "harness, onnxruntime": lambda r: through_harness(
                    SPEC, replace(opts, output=f"{tmp}/ort{r}")
                ),
            },
        )
        null_opts = replace(opts, backend="null", model=None, count=args.null_samples, output=f"{tmp}/null")
        null = through_harness(SPEC, null_opts)

    print_table(
        f"SSD-ResNet34 Offline, {workers} worker(s) x {intra} intra-op thread(s), batch {batch}, "
        f"{args.samples} samples per run, {args.repeats} runs each (alternating)",
        results,
        yardstick="onnxruntime alone",
        null=(null, args.null_samples),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
