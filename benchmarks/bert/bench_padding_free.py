"""What padding-free batching gains: Offline through the harness, padded to 384 vs padding-free.

    python benchmarks/bert/bench_padding_free.py [--samples 36] [--repeats 3] [--backend onnxruntime]

Both sides run ``run.py``'s code path in the Offline scenario (one query of
exactly ``--samples`` samples: the first features of the embedded default),
with the same model, workers, threads and batch size; the only difference is
``--padding-free`` (each batch cut to its longest real sequence, batches
formed longest first). Runs alternate so that drift in the machine's load
hits both sides alike, and the medians are compared.

Two figures per side: LoadGen's samples per second (wall clock), and the
process's CPU seconds per sample (all threads), which a busy shared machine
disturbs much less than the wall clock.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace

from loadgen.harness import RunOptions
from loadgen.harness.overhead import through_harness
from loadgen.harness.script import benchmark_folder
from loadgen.harness.settings import cpu_count

benchmark_folder(__file__)

from bert import synthetic
from bert.dataset import SquadFeatures
from bert.run import SPEC


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=36, help="samples per run (the first N features)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--backend", default="onnxruntime", choices=["onnxruntime", "torch"])
    ap.add_argument("--threads", type=int, default=cpu_count(), help="worker threads")
    ap.add_argument("--max-batchsize", type=int, default=SPEC.default_max_batchsize)
    ap.add_argument("--cache-dir", default=str(synthetic.default_cache_dir()))
    args = ap.parse_args(argv)

    assets = synthetic.ensure_default_assets(args.cache_dir, log=lambda s: print(s, file=sys.stderr))
    data = SquadFeatures(assets.folder, args.cache_dir)
    n = min(args.samples, data.total_count)
    lengths = data.lengths[:n]
    rates: dict[str, list[float]] = {"padded to 384": [], "padding-free": []}
    cpu: dict[str, list[float]] = {k: [] for k in rates}
    with tempfile.TemporaryDirectory() as tmp:
        base = RunOptions(
            backend=args.backend,
            model=str(assets.onnx_model),
            dataset_path=str(assets.folder),
            cache_dir=args.cache_dir,
            count=n,
            threads=args.threads,
            max_batchsize=args.max_batchsize,
            warmup_batches=1,
            html_report=False,
        )
        for r in range(args.repeats):
            for name, extra in (("padded to 384", {}), ("padding-free", {"padding_free": True})):
                opts = replace(base, output=f"{tmp}/{r}-{len(extra)}", extra=extra)
                c0 = time.process_time()
                rates[name].append(through_harness(SPEC, opts))
                cpu[name].append((time.process_time() - c0) / n)
            print(
                f"run {r + 1}/{args.repeats}: "
                + ", ".join(
                    f"{k} {v[-1]:.3f} samples/s, {cpu[k][-1]:.2f} CPU s/sample" for k, v in rates.items()
                ),
                file=sys.stderr,
                flush=True,
            )
    intra = max(1, cpu_count() // args.threads)
    print()
    print(
        f"BERT Offline ({args.backend}), {args.threads} worker(s) x {intra} intra-op thread(s), batch "
        f"{args.max_batchsize}, {n} samples per run (real length mean {lengths.mean():.0f}, min {lengths.min()}, "
        f"max {lengths.max()} tokens), {args.repeats} runs each (alternating)"
    )
    print(f"{'':18}{'samples/s (median)':>20}{'CPU s/sample (median)':>24}   samples/s runs")
    for name, side in rates.items():
        runs = " ".join(f"{x:.3f}" for x in side)
        print(f"{name:18}{statistics.median(side):>20.3f}{statistics.median(cpu[name]):>24.2f}   {runs}")
    gain = statistics.median(rates["padding-free"]) / statistics.median(rates["padded to 384"])
    cpu_gain = statistics.median(cpu["padded to 384"]) / statistics.median(cpu["padding-free"])
    print(f"{'padding-free gain':18}{gain:>19.2f}x{cpu_gain:>23.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
