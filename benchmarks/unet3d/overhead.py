"""How much the harness costs for 3D-UNet: Offline through the harness vs
onnxruntime alone running the same sliding window.

    python -m loadgen.harness.overhead --benchmark unet3d [--embedded tiny] [--passes 20] [--repeats 3]

Both sides run the same ONNX model with the same session settings (one
worker, every core for intra-op threads), the same sliding window
(``sliding.sliding_window``: patches, importance map, weighted sums,
arg-max) and the same number of patches per model call, over the same cases:

* onnxruntime alone: the preprocessed cases, loaded in advance, go through
  ``sliding_window`` with ``InferenceSession.run``, one case per call,
  ``--passes`` times (``loadgen.harness.overhead.run_batches``, one worker).
  Nothing else.
* harness: ``run.py``'s code path (``run_benchmark``) in the Offline
  scenario, one query of ``--passes`` x the cases (mlperf.conf's equal issue
  makes it whole passes); its metric is LoadGen's samples per second. The
  sliding-window backend, the response lists and LoadGen's completion are
  all inside the timed part.

Runs alternate (alone, harness, alone, ...) and the medians are compared.
The goal is a harness throughput of at least 95 % of onnxruntime alone.
``--embedded tiny`` (default) uses the tiny network, whose patches take
milliseconds, so the harness's share is as large as it can be;
``--embedded default`` runs the full network (minutes per run).

A last row runs the harness with the null backend (zero logits): the
harness's own cost per case, sliding-window accumulation included.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np
from loadgen.harness import RunOptions, run_benchmark
from loadgen.harness.overhead import Comparison, ort_session, run_batches, stderr_log
from loadgen.harness.settings import cpu_count

from . import synthetic
from .dataset import KiTS19
from .run import INPUT_NAME, OUTPUT_NAME, SPEC
from .sliding import importance_map, sliding_window


def through_harness_passes(opts: RunOptions, passes: int, cases: int) -> float:
    """LoadGen's Offline samples/s for one query of ``passes`` x ``cases`` samples
    (``overhead.through_harness`` pins the query to one pass of ``count``)."""
    opts = replace(opts, scenario="Offline", time_s=1.0, qps=passes * cases / 1.1, progress=False)
    report = run_benchmark(SPEC, opts, log=lambda s: None)
    p = report.performance
    if p is None or report.error is not None:
        raise RuntimeError(f"the harness run failed: {report.error}")
    if p.samples_completed != passes * cases:
        raise RuntimeError(f"the harness completed {p.samples_completed} of {passes * cases} samples")
    return float(p.metric)


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--embedded", choices=sorted(synthetic.PROFILES), default="tiny")
    ap.add_argument("--passes", type=int, default=20, help="passes over the cases per run")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--max-batchsize", type=int, default=1, help="patches per model call (both sides)")
    ap.add_argument("--null-passes", type=int, default=50, help="passes for the null-backend row")
    ap.add_argument("--cache-dir", default=str(synthetic.default_cache_dir()))


def comparison(args: argparse.Namespace) -> Comparison:
    batch, intra = args.max_batchsize, cpu_count()
    assets = synthetic.ensure_default_assets(args.cache_dir, args.embedded, log=stderr_log)
    patch = assets.profile.patch
    data = KiTS19(str(assets.data_dir), args.cache_dir, patch=patch, log=lambda s: None)
    n = data.total_count
    # One case per batch, as the harness's batches are with --max-batchsize below a case's patches.
    cases = [data.get_item(i) for i in range(n)]
    batches = [cases[i : i + 1] for _ in range(args.passes) for i in range(n)]
    sess = ort_session(str(assets.onnx_model), intra)
    gauss = importance_map(patch)

    def model(x: np.ndarray) -> np.ndarray:
        return sess.run([OUTPUT_NAME], {INPUT_NAME: x})[0]

    opts = RunOptions(
        backend="onnxruntime",
        model=str(assets.onnx_model),
        dataset_path=str(assets.data_dir),
        cache_dir=args.cache_dir,
        threads=1,
        max_batchsize=batch,
        extra={"patch_size": patch},
    )
    return Comparison(
        f"3D-UNet ({args.embedded}: channels {assets.profile.channels}, {patch}^3 patches) Offline, 1 worker x "
        f"{intra} intra-op thread(s), {batch} patch(es) per call, {args.passes} x {n} cases per run, "
        f"{args.repeats} runs each (alternating); rates in cases/s",
        opts,
        lambda: run_batches(lambda b: sliding_window(model, b, patch, batch, gauss), batches, 1, warmup=1),
        harness=lambda o: through_harness_passes(o, args.passes, n),
        null_run=lambda out: through_harness_passes(
            replace(opts, backend="null", model=None, output=out), args.null_passes, n
        ),
        null_row=lambda null: (
            f"{'harness, null backend':30}{null:>20.1f}   {args.null_passes} x {n} cases: "
            f"{1e3 / null:.1f} ms of harness work per case (sliding-window sums included)"
        ),
    )
