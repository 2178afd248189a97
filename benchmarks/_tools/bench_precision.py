"""FP32 vs int8 vs bf16 of one benchmark in one run: Offline throughput and accuracy of each.

    python benchmarks/_tools/bench_precision.py --benchmark resnet50
    python benchmarks/_tools/bench_precision.py --benchmark bert --time 60
    python benchmarks/_tools/bench_precision.py --benchmark resnet50 --quick   # seconds: a smoke test

Rows: fp32 and int8 on onnxruntime, fp32 and bf16 on torch (bf16 is torch.autocast; onnxruntime's
CPU provider has no bf16 kernels). Each row is an Offline performance run (the samples/s LoadGen
reports, VALID or not) and an accuracy run (the benchmark's metric on the same data, beside the
FP32 score of the same model; an Offline run that ends before ``--time`` because the pilot
underrated the rate runs again at the rate it measured); the int8 model is made once and cached
(docs/precision.md). Extra flags after ``--`` go to every run (e.g. ``-- --dataset-path DIR --model FILE``). Timings from a
busy or shared machine are indicative only. ``--json FILE`` writes the table as JSON.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))

from loadgen.harness import run_benchmark
from loadgen.harness.cli import build_parser, options_from_args

RESIZE_ATTEMPTS = 2
ROWS = (("onnxruntime", "fp32"), ("onnxruntime", "int8"), ("torch", "fp32"), ("torch", "bf16"))


def run_rows(
    benchmark: str, time_s: float, count: int | None, extra: list[str], out: Path, log
) -> list[dict]:
    module = importlib.import_module(f"{benchmark}.run")
    spec = module.SPEC
    parser = build_parser(spec, getattr(module, "add_arguments", None))
    rows = []
    for backend, precision in ROWS:
        base = options_from_args(
            parser.parse_args(["--scenario", "Offline", "--no-report", "--no-progress", *extra])
        )
        opts = replace(base, backend=backend, precision=precision, time_s=time_s, count=count)
        row: dict = {"backend": backend, "precision": precision}
        try:
            if count is None and opts.qps is None:
                # Offline issues min_duration x expected QPS samples at once: a short pilot run
                # measures the rate, so the timed run lasts about --time, whatever the model.
                pilot = run_benchmark(
                    spec,
                    replace(opts, count=8, time_s=0.5, output=str(out / f"{backend}-{precision}-pilot")),
                    log,
                )
                if pilot.performance is not None and pilot.performance.metric > 0:
                    opts = replace(opts, qps=pilot.performance.metric)
            perf = run_benchmark(spec, replace(opts, output=str(out / f"{backend}-{precision}")), log)
            for attempt in range(RESIZE_ATTEMPTS):
                # A pilot of a few samples underrates a model's steady rate (its first batch is slow),
                # so the one Offline query ends before --time: LoadGen's advice is a higher expected
                # QPS. Size it from the rate just measured, with a 20 % allowance, and run again.
                p = perf.performance
                if p is None or p.valid or count is not None or not p.metric:
                    break
                if not any("expected QPS" in r or "min_duration" in r.lower() for r in p.invalid_reasons):
                    break
                opts = replace(opts, qps=p.metric * 1.2)
                log(f"{backend} {precision}: the run ended before --time; again at --qps {opts.qps:.2f}")
                perf = run_benchmark(
                    spec, replace(opts, output=str(out / f"{backend}-{precision}-{attempt + 2}")), log
                )
            acc = run_benchmark(
                spec,
                replace(opts, accuracy=True, count=None, output=str(out / f"{backend}-{precision}-acc")),
                log,
            )
        except (ValueError, OSError, ImportError) as e:
            row["error"] = str(e)
            rows.append(row)
            continue
        p = perf.performance
        row.update(
            samples_per_s=p.metric if p is not None else None,
            valid=p.valid if p is not None else None,
            weights=(perf.precision or {}).get("weight_data_types"),
            accuracy=acc.accuracy.value if acc.accuracy is not None else None,
            metric=acc.accuracy.metric if acc.accuracy is not None else None,
            fp32_accuracy=(acc.precision or {}).get("fp32_accuracy"),
            targets=(acc.precision or {}).get("targets"),
        )
        rows.append(row)
    fp32 = {r["backend"]: r.get("samples_per_s") for r in rows if r["precision"] == "fp32"}
    for r in rows:
        base_rate = fp32.get(r["backend"])
        if r.get("samples_per_s") and base_rate:
            r["vs_fp32"] = r["samples_per_s"] / base_rate
    return rows


def format_rows(rows: list[dict]) -> str:
    lines = [
        f"{'backend':12} {'precision':9} {'weights':12} {'samples/s':>10} {'x fp32':>7} {'valid':>6}  accuracy (fp32 of same model)"
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"{r['backend']:12} {r['precision']:9} not run: {r['error']}")
            continue
        acc = f"{r['accuracy']:.3f}" if r.get("accuracy") is not None else "-"
        if r.get("fp32_accuracy") is not None:
            held = ", ".join(f"{k} {'ok' if v else 'MISSED'}" for k, v in (r.get("targets") or {}).items())
            acc += f" (fp32 {r['fp32_accuracy']:.3f}; {held})"
        rate = r.get("samples_per_s")
        lines.append(
            f"{r['backend']:12} {r['precision']:9} {r.get('weights')!s:12} "
            f"{rate if rate is None else f'{rate:10.2f}':>10} {r.get('vs_fp32', 1.0):7.2f} {r.get('valid')!s:>6}  {acc}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1 :]
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--benchmark", required=True, help="a folder of benchmarks/ (resnet50, bert, ...)")
    p.add_argument("--time", type=float, default=20.0, help="seconds of each Offline performance run")
    p.add_argument("--quick", action="store_true", help="a smoke test: 0.5 s runs of 8 samples")
    p.add_argument("--output", help="where the runs' logs go (default: a temporary folder)")
    p.add_argument("--json", help="write the table as JSON here")
    args = p.parse_args(argv)
    time_s, count = (0.5, 8) if args.quick else (args.time, None)
    if args.quick and not any(a.startswith("--synthetic") for a in extra) and args.benchmark == "resnet50":
        extra += ["--synthetic-images", "8"]
    out = Path(args.output) if args.output else Path(tempfile.mkdtemp(prefix="bench_precision-"))

    def log(s: str) -> None:
        print(s, file=sys.stderr, flush=True)

    rows = run_rows(args.benchmark, time_s, count, extra, out, log)
    print(format_rows(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0 if all("error" not in r for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
