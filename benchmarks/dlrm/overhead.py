"""How much the harness costs for DLRM: Offline through the harness vs onnxruntime alone.

    python -m loadgen.harness.overhead --benchmark dlrm [--groups 600] [--repeats 3]

DLRM is cheap per user-item pair, so this is where the harness's own work
(assembling batches of groups, splitting the output into one [prediction,
label] response per group, completing through LoadGen) shows most.

Both sides run the embedded default's ONNX model with the same session
settings, worker threads and intra-op threads, on the same pairs:

* onnxruntime alone: the first ``--groups`` groups, packed in order into
  batches of whole groups of at most ``--max-batchsize`` pairs (as the
  harness packs them), stacked in advance; worker threads take them from a
  shared list and call ``InferenceSession.run``. Nothing else.
* harness: ``run.py``'s code path in the Offline scenario with ``--count``
  = ``--groups``, so the data set is those groups and the one query holds
  each of them once (in LoadGen's order). LoadGen's samples (groups) per
  second times the pairs per group is its pairs per second.

Runs alternate so that drift in the machine's load hits both sides alike;
the medians are compared. The goal is at least 95 % of onnxruntime alone. A
last row runs the harness with the null backend (no model) over all groups:
the harness's own cost per group.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from loadgen.harness import RunOptions
from loadgen.harness.overhead import (
    Comparison,
    intra_threads,
    ort_session,
    run_batches,
    stderr_log,
    through_harness,
)
from loadgen.harness.settings import cpu_count

from . import synthetic
from .criteo import CriteoTerabyte
from .run import OUTPUT_NAME, SPEC


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--groups", type=int, default=600, help="groups (QSL samples) per run")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=cpu_count(), help="worker threads (both sides)")
    ap.add_argument("--max-batchsize", type=int, default=2048, help="pairs per batch")
    ap.add_argument("--cache-dir", default=str(synthetic.default_cache_dir()))


def comparison(args: argparse.Namespace) -> Comparison:
    workers, max_pairs = args.threads, args.max_batchsize
    intra = intra_threads(workers)
    m = synthetic.DEFAULT_MAX_IND_RANGE
    assets = synthetic.ensure_default_assets(args.cache_dir, log=stderr_log)
    data = CriteoTerabyte(assets.data_dir, args.cache_dir, m, count=args.groups, log=lambda s: None)
    groups = data.total_count
    pairs = data.pairs
    data.load(range(groups))
    batches, current, weight = [], [], 0
    for g in range(groups):
        size = int(data.sizes[g])
        if current and weight + size > max_pairs:
            batches.append(data.get_batch(current))
            current, weight = [], 0
        current.append(g)
        weight += size
    batches.append(data.get_batch(current))
    sess = ort_session(str(assets.onnx_model), intra)
    opts = RunOptions(
        backend="onnxruntime",
        model=str(assets.onnx_model),
        dataset_path=str(assets.data_dir),
        cache_dir=args.cache_dir,
        count=groups,
        threads=workers,
        max_batchsize=max_pairs,
        warmup_batches=2,
        extra={"max_ind_range": m},
    )
    all_groups = CriteoTerabyte(assets.data_dir, args.cache_dir, m, log=lambda s: None).total_count
    return Comparison(
        f"DLRM Offline, {workers} worker(s) x {intra} intra-op thread(s), batches of whole groups up to "
        f"{max_pairs} pairs, {groups} groups = {pairs} pairs per run, {args.repeats} runs each "
        f"(alternating); rates in pairs/s",
        opts,
        lambda: run_batches(lambda b: sess.run([OUTPUT_NAME], b), batches, workers),
        # LoadGen's samples (groups) per second times the pairs per group
        harness=lambda o: through_harness(SPEC, o) * pairs / groups,
        null_run=lambda out: through_harness(
            SPEC, replace(opts, backend="null", model=None, count=all_groups, output=out)
        ),
        null_row=lambda null: (
            f"{'harness, null backend':30}{null:>20.0f}   groups/s over {all_groups} groups: "
            f"{1e6 / null:.0f} us of harness work per group"
        ),
    )
