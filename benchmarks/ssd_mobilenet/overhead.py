"""How much the harness costs for SSD-MobileNet-v1: Offline through the harness vs onnxruntime alone.

    python -m loadgen.harness.overhead --benchmark ssd_mobilenet [--samples 160] [--repeats 3]

Both sides run the embedded default's ONNX file on its pictures as coco-300
uint8 input (``loadgen.harness.ssd_run.overhead_comparison``).
"""

from __future__ import annotations

import argparse

from loadgen.harness import overhead, ssd_run

from . import synthetic
from .run import INPUT_NAME, OUTPUT_NAMES

add_arguments = overhead.flags(160, 8, 20000, synthetic.default_cache_dir)


def comparison(args: argparse.Namespace) -> overhead.Comparison:
    return ssd_run.overhead_comparison(
        args, synthetic, "SSD-MobileNet-v1 Offline", "coco-300", INPUT_NAME, OUTPUT_NAMES
    )
