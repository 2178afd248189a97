"""How much the harness costs for RNN-T: Offline through the harness vs the
benchmark's onnxruntime backend alone on the same kind of batches.

    python benchmarks/rnnt/bench_harness_overhead.py [--samples 64] [--repeats 3]

RNN-T's "runtime alone" is more than one graph call: the backend's
``predict`` (torch features on the padded batch, the encoder graph, the
greedy loop over the prediction + joint graph). The yardstick calls exactly
that on batches padded in advance, from worker threads taking them from a
shared list; nothing else is timed. The harness side is ``run.py``'s code
path in the Offline scenario, one query of exactly ``--samples`` samples
(LoadGen's samples per second): batches assembled and padded from the loaded
waveforms, predicted, post-processed into int64 responses and completed
through LoadGen, all inside the timed part. Same model, workers, intra-op
threads and batch size; the sample indices are drawn at random on both
sides (LoadGen draws its own), so the lengths mix alike.

Runs alternate (alone, harness, alone, ...) so that drift in the machine's
load hits both sides alike; the medians are compared. Goal: the harness at
>= 95 % of the backend alone. A last row runs the harness with the null
backend (no model): its inverse is the harness's own cost per sample.
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

from rnnt import synthetic
from rnnt.dataset import LibriSpeech
from rnnt.decoder import RNNTOnnxBackend
from rnnt.run import SPEC


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add_overhead_arguments(ap, 64, SPEC.default_max_batchsize, 5000, str(synthetic.default_cache_dir()))
    args = ap.parse_args(argv)
    workers, batch = args.threads, args.max_batchsize
    intra = max(1, cpu_count() // workers)

    assets = synthetic.ensure_default_assets(args.cache_dir, log=lambda s: print(s, file=sys.stderr))
    data = LibriSpeech(assets.data_dir)
    data.load(range(data.total_count))
    rng = np.random.default_rng(0)
    idx = rng.integers(0, data.total_count, size=args.samples)
    batches = [data.get_batch(idx[i : i + batch].tolist()) for i in range(0, args.samples, batch)]
    backend = RNNTOnnxBackend()
    backend.load(BackendOptions(model_path=str(assets.onnx_dir), intra_op_threads=intra))

    opts = RunOptions(
        backend="onnxruntime",
        model=str(assets.onnx_dir),
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
        "rnnt onnxruntime backend alone",
        lambda: run_batches(backend.predict, batches, workers),
        args.repeats,
        args.null_samples,
        f"RNN-T Offline (embedded default), {workers} worker(s) x {intra} intra-op thread(s), batch {batch}, "
        f"{args.samples} samples per run, {args.repeats} runs each (alternating)",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
