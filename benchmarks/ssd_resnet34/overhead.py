"""How much the harness costs for SSD-ResNet34: Offline through the harness vs onnxruntime alone.

    python -m loadgen.harness.overhead --benchmark ssd_resnet34 [--samples 6] [--repeats 2]

Both sides run the embedded default's ONNX file on its pictures as coco-1200
float input (``loadgen.harness.ssd_run.overhead_comparison``).
"""

from __future__ import annotations

import argparse

from loadgen.harness import overhead, ssd_run

from . import synthetic
from .run import INPUT_NAME, OUTPUT_NAMES

add_arguments = overhead.flags(6, 1, 20000, synthetic.default_cache_dir, repeats=2)


def comparison(args: argparse.Namespace) -> overhead.Comparison:
    return ssd_run.overhead_comparison(
        args, synthetic, "SSD-ResNet34 Offline", "coco-1200", INPUT_NAME, OUTPUT_NAMES
    )
