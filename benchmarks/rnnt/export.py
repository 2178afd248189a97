"""Write the two ONNX graphs of an RNN-T checkpoint for the onnxruntime backend.

    python benchmarks/rnnt/export.py rnnt.pt rnnt-onnx/
    python benchmarks/rnnt/run.py --model rnnt-onnx/ --dataset-path ... --scenario Offline

``rnnt.pt`` is the reference checkpoint (renamed as the reference does) or a
state dict saved from ``rnnt.model.RNNT``. The folder receives
``rnnt_encoder.onnx`` and ``rnnt_decoder.onnx`` (see model.py).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from loadgen.harness.script import benchmark_folder

benchmark_folder(__file__)

from rnnt.model import count_parameters, export_onnx, load_model


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Export an RNN-T checkpoint as two ONNX graphs")
    p.add_argument("checkpoint", help="rnnt.pt (the reference's) or a state dict file")
    p.add_argument("output", help="folder for rnnt_encoder.onnx and rnnt_decoder.onnx")
    args = p.parse_args(argv)
    try:
        model = load_model(args.checkpoint)
        enc, dec = export_onnx(model, args.output)
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"{args.checkpoint}: {count_parameters(model) / 1e6:.1f} M parameters, {model.cfg}")
    print(f"wrote {enc} and {dec}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
