"""How much the harness costs for 3D-UNet: Offline through the harness vs
onnxruntime alone running the same sliding window.

    python benchmarks/unet3d/bench_harness_overhead.py [--embedded tiny] [--passes 20] [--repeats 3]

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
import sys
import tempfile
from dataclasses import replace

import numpy as np
from loadgen.harness import RunOptions, run_benchmark
from loadgen.harness.overhead import alternate, ort_session, print_table, run_batches
from loadgen.harness.script import benchmark_folder
from loadgen.harness.settings import cpu_count

benchmark_folder(__file__)

from unet3d import synthetic
from unet3d.dataset import KiTS19
from unet3d.run import INPUT_NAME, OUTPUT_NAME, SPEC
from unet3d.sliding import importance_map, sliding_window


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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--embedded", choices=sorted(synthetic.PROFILES), default="tiny")
    ap.add_argument("--passes", type=int, default=20, help="passes over the cases per run")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--max-batchsize", type=int, default=1, help="patches per model call (both sides)")
    ap.add_argument("--null-passes", type=int, default=50, help="passes for the null-backend row")
    ap.add_argument("--cache-dir", default=str(synthetic.default_cache_dir()))
    args = ap.parse_args(argv)
    batch, intra = args.max_batchsize, cpu_count()

    assets = synthetic.ensure_default_assets(
        args.cache_dir, args.embedded, log=lambda s: print(s, file=sys.stderr)
    )
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

    with tempfile.TemporaryDirectory() as tmp:
        opts = RunOptions(
            backend="onnxruntime",
            model=str(assets.onnx_model),
            dataset_path=str(assets.data_dir),
            cache_dir=args.cache_dir,
            threads=1,
            max_batchsize=batch,
            extra={"patch_size": patch},
        )
        results = alternate(
            args.repeats,
            {
                "onnxruntime alone": lambda r: run_batches(
                    lambda b: sliding_window(model, b, patch, batch, gauss), batches, 1, warmup=1
                ),
                "harness, onnxruntime": lambda r: through_harness_passes(
                    replace(opts, output=f"{tmp}/ort{r}"), args.passes, n
                ),
            },
        )
        null = through_harness_passes(
            replace(opts, backend="null", model=None, output=f"{tmp}/null"), args.null_passes, n
        )

    print_table(
        f"3D-UNet ({args.embedded}: channels {assets.profile.channels}, {patch}^3 patches) Offline, 1 worker x "
        f"{intra} intra-op thread(s), {batch} patch(es) per call, {args.passes} x {n} cases per run, "
        f"{args.repeats} runs each (alternating); rates in cases/s",
        results,
        yardstick="onnxruntime alone",
    )
    print(
        f"{'harness, null backend':30}{null:>20.1f}   {args.null_passes} x {n} cases: "
        f"{1e3 / null:.1f} ms of harness work per case (sliding-window sums included)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
