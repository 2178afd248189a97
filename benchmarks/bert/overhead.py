"""How much the harness costs: BERT Offline through the harness vs onnxruntime alone.

    python -m loadgen.harness.overhead --benchmark bert [--samples 12] [--repeats 3] [--padding-free]

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

import numpy as np
from loadgen.harness.overhead import (
    Comparison,
    add_overhead_arguments,
    batches_of,
    harness_options,
    intra_threads,
    ort_session,
    run_batches,
    standard_title,
    stderr_log,
)

from . import synthetic
from .dataset import SquadFeatures
from .run import OUTPUT_NAMES, SPEC


def add_arguments(ap: argparse.ArgumentParser) -> None:
    add_overhead_arguments(
        ap,
        12,
        SPEC.default_max_batchsize,
        5000,
        str(synthetic.default_cache_dir()),
        samples_help="samples per run (the first N features)",
    )
    ap.add_argument(
        "--padding-free", action="store_true", help="both sides run batches cut to their longest sequence"
    )


def comparison(args: argparse.Namespace) -> Comparison:
    assets = synthetic.ensure_default_assets(args.cache_dir, log=stderr_log)
    data = SquadFeatures(assets.folder, args.cache_dir, padding_free=args.padding_free)
    if args.samples > data.total_count:
        raise SystemExit(f"--samples {args.samples}: the data set has {data.total_count} features")
    idx = np.arange(args.samples)
    if args.padding_free:  # the harness's order: longest first, then cut into batches
        idx = idx[np.argsort(-data.lengths[idx], kind="stable")]
    batches = batches_of(data, idx, args.max_batchsize)
    sess = ort_session(str(assets.onnx_model), intra_threads(args.threads))
    extra = {"padding_free": True} if args.padding_free else {}
    # warm-up: a batch of 1, then one of the run's size, as the yardstick's warm-up
    opts = harness_options(args, assets.onnx_model, assets.folder, html_report=False, extra=extra)
    return Comparison(
        standard_title(f"BERT-Large Offline{' padding-free' if args.padding_free else ''}", args),
        opts,
        lambda: run_batches(lambda b: sess.run(list(OUTPUT_NAMES), b), batches, args.threads, warmup=1),
        # The null backend's query may be longer than the data set: LoadGen repeats samples.
        null_samples=args.null_samples,
    )
