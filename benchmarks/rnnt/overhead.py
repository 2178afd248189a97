"""How much the harness costs for RNN-T: Offline through the harness vs the
benchmark's onnxruntime backend alone on the same kind of batches.

    python -m loadgen.harness.overhead --benchmark rnnt [--samples 64] [--repeats 3]

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

from loadgen.harness import overhead

from . import synthetic
from .dataset import LibriSpeech
from .decoder import RNNTOnnxBackend
from .run import SPEC

add_arguments = overhead.flags(64, SPEC.default_max_batchsize, 5000, synthetic.default_cache_dir)


def comparison(args: argparse.Namespace) -> overhead.Comparison:
    assets = synthetic.ensure_default_assets(args.cache_dir, log=overhead.stderr_log)
    return overhead.random_batch_comparison(
        args,
        "RNN-T Offline (embedded default)",
        assets.onnx_dir,
        assets.data_dir,
        LibriSpeech(assets.data_dir),
        overhead.backend_predict(RNNTOnnxBackend(), assets.onnx_dir, args),
        alone_name="rnnt onnxruntime backend alone",
    )
