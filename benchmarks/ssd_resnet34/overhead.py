"""How much the harness costs for SSD-ResNet34: Offline through the harness vs onnxruntime alone.

    python -m loadgen.harness.overhead --benchmark ssd_resnet34 [--samples 6] [--repeats 2]

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

from loadgen.harness import coco
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
from .run import INPUT_NAME, OUTPUT_NAMES


def add_arguments(ap: argparse.ArgumentParser) -> None:
    add_overhead_arguments(ap, 6, 1, 20000, str(synthetic.default_cache_dir()))
    ap.set_defaults(repeats=2)


def comparison(args: argparse.Namespace) -> Comparison:
    assets = synthetic.ensure_default_assets(args.cache_dir, log=stderr_log)
    data = coco.CocoDetection(str(assets.data_dir), args.cache_dir, coco.PROFILES["coco-1200"])
    data.load(range(data.total_count))
    batches = random_batches(data, args.samples, args.max_batchsize)
    sess = ort_session(str(assets.onnx_model), intra_threads(args.threads))
    return Comparison(
        standard_title("SSD-ResNet34 Offline", args),
        harness_options(args, assets.onnx_model, assets.data_dir),
        lambda: run_batches(lambda b: sess.run(list(OUTPUT_NAMES), {INPUT_NAME: b}), batches, args.threads),
        null_samples=args.null_samples,
    )
