"""How much the harness costs: BERT Offline through the harness vs onnxruntime alone.

    python benchmarks/bert/bench_harness_overhead.py [--samples 12] [--repeats 3] [--padding-free]

Both sides run the embedded default's BERT-Large ONNX file with the same
session settings, the same worker and intra-op thread counts, and the same
batches (the same features, in the order the harness batches them):

* onnxruntime alone: the batches are made in advance; worker threads take
  them from a shared list and call ``InferenceSession.run``. Nothing else.
* harness: ``run.py``'s code path in the Offline scenario, one query of
  exactly ``--samples`` samples; LoadGen's samples per second. Batches are
  assembled, predicted, post-processed into ``[384, 2]`` responses and
  completed through LoadGen by the workers, all inside the timed part.

Runs alternate (loadgen.harness.overhead) so that drift in the machine's
load hits both sides alike; medians are compared; the goal is >= 95 %. A
last row runs the harness with the null backend (no model): the harness's
own cost per sample. The features used are the first ``--samples`` of the
data set, so both sides see exactly the same sequence lengths.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace

import numpy as np
from loadgen.harness import RunOptions
from loadgen.harness.overhead import alternate, ort_session, print_table, run_batches, through_harness
from loadgen.harness.script import benchmark_folder
from loadgen.harness.settings import cpu_count

benchmark_folder(__file__)

from bert import synthetic
from bert.dataset import SquadFeatures
from bert.run import OUTPUT_NAMES, SPEC


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=12, help="samples per run (the first N features)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=cpu_count(), help="worker threads (both sides)")
    ap.add_argument("--max-batchsize", type=int, default=SPEC.default_max_batchsize)
    ap.add_argument(
        "--padding-free", action="store_true", help="both sides run batches cut to their longest sequence"
    )
    ap.add_argument("--null-samples", type=int, default=5000, help="samples for the null-backend row")
    ap.add_argument("--cache-dir", default=str(synthetic.default_cache_dir()))
    args = ap.parse_args(argv)
    workers, batch = args.threads, args.max_batchsize
    intra = max(1, cpu_count() // workers)

    assets = synthetic.ensure_default_assets(args.cache_dir, log=lambda s: print(s, file=sys.stderr))
    data = SquadFeatures(assets.folder, args.cache_dir, padding_free=args.padding_free)
    if args.samples > data.total_count:
        ap.error(f"--samples {args.samples}: the data set has {data.total_count} features")
    idx = np.arange(args.samples)
    if args.padding_free:  # the harness's order: longest first, then cut into batches
        idx = idx[np.argsort(-data.lengths[idx], kind="stable")]
    batches = [data.get_batch(idx[i : i + batch].tolist()) for i in range(0, args.samples, batch)]
    sess = ort_session(str(assets.onnx_model), intra)
    extra = {"padding_free": True} if args.padding_free else {}

    with tempfile.TemporaryDirectory() as tmp:
        opts = RunOptions(
            backend="onnxruntime",
            model=str(assets.onnx_model),
            dataset_path=str(assets.folder),
            cache_dir=args.cache_dir,
            count=args.samples,
            threads=workers,
            max_batchsize=batch,
            warmup_batches=2,  # a batch of 1, then one of the run's size: as the yardstick's warm-up
            html_report=False,
            extra=extra,
        )
        results = alternate(
            args.repeats,
            {
                "onnxruntime alone": lambda r: run_batches(
                    lambda b: sess.run(list(OUTPUT_NAMES), b), batches, workers, warmup=1
                ),
                "harness, onnxruntime": lambda r: through_harness(
                    SPEC, replace(opts, output=f"{tmp}/ort{r}")
                ),
            },
        )
        # The null backend's query may be longer than the data set: LoadGen repeats samples.
        null_opts = replace(opts, backend="null", model=None, count=args.null_samples, output=f"{tmp}/null")
        null = through_harness(SPEC, null_opts)

    print_table(
        f"BERT-Large Offline{' padding-free' if args.padding_free else ''}, {workers} worker(s) x {intra} intra-op "
        f"thread(s), batch {batch}, {args.samples} samples per run, {args.repeats} runs each (alternating)",
        results,
        yardstick="onnxruntime alone",
        null=(null, args.null_samples),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
