"""How much the harness costs: Offline through the harness vs onnxruntime alone.

    python -m loadgen.harness.overhead --benchmark resnet50 [--samples 320] [--repeats 3]

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

from loadgen.harness.overhead import (
    Comparison,
    add_overhead_arguments,
    harness_options,
    intra_threads,
    ort_session,
    random_batches,
    run_batches,
    standard_title,
    stderr_log,
)

from . import synthetic
from .dataset import ImageNetVal
from .run import ARGMAX_OUTPUT, INPUT_NAME


def add_arguments(ap: argparse.ArgumentParser) -> None:
    add_overhead_arguments(ap, 320, 32, 20000, str(synthetic.default_cache_dir()))


def comparison(args: argparse.Namespace) -> Comparison:
    assets = synthetic.ensure_default_assets(args.cache_dir, log=stderr_log)
    data = ImageNetVal(str(assets.data_dir), args.cache_dir)
    data.load(range(data.total_count))
    batches = random_batches(data, args.samples, args.max_batchsize)
    sess = ort_session(str(assets.onnx_model), intra_threads(args.threads))
    return Comparison(
        standard_title("ResNet50-v1.5 Offline", args),
        harness_options(args, assets.onnx_model, assets.data_dir),
        lambda: run_batches(lambda b: sess.run([ARGMAX_OUTPUT], {INPUT_NAME: b}), batches, args.threads),
        null_samples=args.null_samples,
    )
