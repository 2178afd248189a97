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

from loadgen.harness.overhead import Comparison, flags, random_batch_comparison, session_predict, stderr_log

from . import synthetic
from .dataset import ImageNetVal
from .run import ARGMAX_OUTPUT, INPUT_NAME

add_arguments = flags(320, 32, 20000, synthetic.default_cache_dir)


def comparison(args: argparse.Namespace) -> Comparison:
    assets = synthetic.ensure_default_assets(args.cache_dir, log=stderr_log)
    return random_batch_comparison(
        args,
        "ResNet50-v1.5 Offline",
        assets.onnx_model,
        assets.data_dir,
        ImageNetVal(str(assets.data_dir), args.cache_dir),
        session_predict(assets.onnx_model, args, [ARGMAX_OUTPUT], INPUT_NAME),
    )
