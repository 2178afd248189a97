"""How much the harness costs for GNMT: Offline through the harness vs the beam-search backend alone.

    python -m loadgen.harness.overhead --benchmark gnmt [--samples 256] [--repeats 3]

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

from loadgen.harness import overhead

from . import synthetic
from .backends import GnmtOnnxBackend
from .dataset import NewsTest
from .run import SPEC

add_arguments = overhead.flags(256, SPEC.default_max_batchsize, 20000, synthetic.default_cache_dir)


def comparison(args: argparse.Namespace) -> overhead.Comparison:
    assets = synthetic.ensure_default_assets(args.cache_dir, log=overhead.stderr_log)
    return overhead.random_batch_comparison(
        args,
        f"GNMT Offline (embedded default, {assets.units} units, beam 10)",
        assets.model_dir,
        assets.data_dir,
        NewsTest(assets.data_dir),  # its sentences are held from the start: load() only checks
        overhead.backend_predict(GnmtOnnxBackend(), assets.model_dir, args),
        alone_name="beam search + onnxruntime alone",
    )
