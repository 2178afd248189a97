"""How much the harness costs for SSD-MobileNet-v1: Offline through the harness vs onnxruntime alone.

    python -m loadgen.harness.overhead --benchmark ssd_mobilenet [--samples 160] [--repeats 3]

Both sides run the embedded default's ONNX file (its NMS inside the graph) on
batches of its pictures as coco-300 uint8 input, with the same session settings, worker
threads, intra-op threads and batches; on the harness side the payload records
are built and completed inside the timed part. How the sides run and are
compared: ``loadgen.harness.overhead`` (``random_batch_comparison``).
"""

from __future__ import annotations

import argparse

from loadgen.harness import coco, overhead

from . import synthetic
from .run import INPUT_NAME, OUTPUT_NAMES


def add_arguments(ap: argparse.ArgumentParser) -> None:
    overhead.add_overhead_arguments(ap, 160, 8, 20000, str(synthetic.default_cache_dir()))


def comparison(args: argparse.Namespace) -> overhead.Comparison:
    assets = synthetic.ensure_default_assets(args.cache_dir, log=overhead.stderr_log)
    return overhead.random_batch_comparison(
        args,
        "SSD-MobileNet-v1 Offline",
        assets.onnx_model,
        assets.data_dir,
        coco.CocoDetection(str(assets.data_dir), args.cache_dir, coco.PROFILES["coco-300"]),
        overhead.session_predict(assets.onnx_model, args, OUTPUT_NAMES, INPUT_NAME),
    )
