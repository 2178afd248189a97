"""How much the harness costs for 3D-UNet: Offline through the harness vs
onnxruntime alone running the same sliding window.

    python benchmarks/unet3d/bench_harness_overhead.py [--embedded tiny] [--passes 20] [--repeats 3]

Both sides run the same ONNX model with the same session settings (one
worker, every core for intra-op threads), the same sliding window
(``sliding.sliding_window``: patches, importance map, weighted sums,
arg-max) and the same number of patches per model call, over the same cases:

* onnxruntime alone: the preprocessed cases, loaded in advance, go through
  ``sliding_window`` with ``InferenceSession.run`` in a plain loop,
  ``--passes`` times. Nothing else.
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
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if __package__ in (None, ""):
    sys.path.insert(0, str(HERE.parent))

from loadgen.harness import RunOptions, run_benchmark
from loadgen.harness.settings import cpu_count

from unet3d import synthetic
from unet3d.dataset import KiTS19
from unet3d.run import SPEC
from unet3d.sliding import importance_map, sliding_window


def ort_alone(model: str, volumes: list, passes: int, patch: int, batch: int, intra: int) -> float:
    """Cases/s of the sliding window over bare ``InferenceSession.run``."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = intra
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    gauss = importance_map(patch)

    def predict(x):
        return sess.run(["output"], {"input": x})[0]

    predict(volumes[0][:, :patch, :patch, :patch][None])  # the same one-patch warm-up the harness does
    t0 = time.perf_counter()
    for _ in range(passes):
        for v in volumes:  # one case per call, as the harness's batches of max_batchsize 1 case
            sliding_window(predict, [v], patch, batch, gauss)
    return passes * len(volumes) / (time.perf_counter() - t0)


def through_harness(
    backend: str, model: str | None, assets, cache: str, out: str, passes: int, batch: int
) -> float:
    """LoadGen's Offline samples/s for one query of ``passes`` x the cases."""
    n = len(assets.profile.cases)
    opts = RunOptions(
        scenario="Offline",
        backend=backend,
        model=model,
        dataset_path=str(assets.data_dir),
        cache_dir=cache,
        output=out,
        progress=False,
        time_s=1.0,
        qps=passes * n / 1.1,  # the query: 1.1 x duration x qps samples
        threads=1,
        max_batchsize=batch,
        extra={"patch_size": assets.profile.patch},
    )
    report = run_benchmark(SPEC, opts, log=lambda s: None)
    p = report.performance
    assert p is not None and report.error is None, report.error
    assert p.samples_completed == passes * n, (p.samples_completed, passes * n)
    return p.metric


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
    volumes = [data.get_item(i) for i in range(data.total_count)]

    alone: list[float] = []
    harness: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeats):
            alone.append(ort_alone(str(assets.onnx_model), volumes, args.passes, patch, batch, intra))
            harness.append(
                through_harness(
                    "onnxruntime",
                    str(assets.onnx_model),
                    assets,
                    args.cache_dir,
                    f"{tmp}/o{r}",
                    args.passes,
                    batch,
                )
            )
            print(
                f"run {r + 1}/{args.repeats}: alone {alone[-1]:.2f}, harness {harness[-1]:.2f} cases/s",
                file=sys.stderr,
            )
        null = through_harness("null", None, assets, args.cache_dir, f"{tmp}/null", args.null_passes, batch)

    def runs(v: list[float]) -> str:
        return " ".join(f"{x:.2f}" for x in v)

    med_alone, med_harness = statistics.median(alone), statistics.median(harness)
    ratio = med_harness / med_alone
    n = len(volumes)
    print()
    print(
        f"3D-UNet ({args.embedded}: channels {assets.profile.channels}, {patch}^3 patches) Offline, 1 worker x "
        f"{intra} intra-op thread(s), {batch} patch(es) per call, {args.passes} x {n} cases per run, "
        f"{args.repeats} runs each (alternating)"
    )
    print(f"{'':28}{'cases/s (median)':>20}   runs")
    print(f"{'onnxruntime alone':28}{med_alone:>20.2f}   {runs(alone)}")
    print(f"{'harness, onnxruntime':28}{med_harness:>20.2f}   {runs(harness)}")
    print(
        f"{'harness / alone':28}{ratio * 100:>19.1f}%   goal >= 95%: {'met' if ratio >= 0.95 else 'NOT met'}"
    )
    print(
        f"{'harness, null backend':28}{null:>20.1f}   {args.null_passes} x {n} cases: "
        f"{1e3 / null:.1f} ms of harness work per case (sliding-window sums included)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
