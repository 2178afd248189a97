"""How much the harness costs for SSD-ResNet34: Offline through the harness vs onnxruntime alone.

    python -m loadgen.harness.overhead --benchmark ssd_resnet34 [--samples 6] [--repeats 2]

Both sides run the embedded default's ONNX file (its NMS inside the graph) on
batches of its pictures as coco-1200 float input, with the same session settings, worker
threads, intra-op threads and batches; on the harness side the payload records
are built and completed inside the timed part. How the sides run and are
compared: ``loadgen.harness.overhead`` (``random_batch_comparison``).
"""

from __future__ import annotations

import argparse

from loadgen.harness import overhead, ssd_run

from . import synthetic
from .run import INPUT_NAME, OUTPUT_NAMES


def add_arguments(ap: argparse.ArgumentParser) -> None:
    overhead.add_overhead_arguments(ap, 6, 1, 20000, str(synthetic.default_cache_dir()))
    ap.set_defaults(repeats=2)


def comparison(args: argparse.Namespace) -> overhead.Comparison:
    return ssd_run.overhead_comparison(
        args, synthetic, "SSD-ResNet34 Offline", "coco-1200", INPUT_NAME, OUTPUT_NAMES
    )
