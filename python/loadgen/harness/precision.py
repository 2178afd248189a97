"""``--precision fp32|int8|bf16``: quantized and reduced-precision runs.

* **int8** (``--backend onnxruntime``): post-training static quantization
  with onnxruntime's own tools (``quantize_static``, QDQ format): weights
  int8, symmetric, per output channel; activations uint8, asymmetric (the
  U8S8 pair onnxruntime's x86 kernels are fastest with, VNNI included); the
  ranges from a MinMax calibration over the benchmark's calibration set
  only, the rules' list (``BenchmarkSpec.calibration``). The model is first
  run through ``quant_pre_process`` (shape inference, and onnxruntime's
  basic graph optimizations, which fold BatchNormalization into the
  convolutions so one scale covers each fused weight).
  The result is an ordinary ONNX file, cached beside the other assets under
  ``<cache>/quantized/``, keyed by the content of the FP32 model file (and
  its external data), the calibration set's identity and the quantizer's
  settings; a second run only reads it, and a user may pass it to
  ``--model`` later. A ``.json`` beside it says what it was made from.
* **bf16** (``--backend torch``): the benchmark's torch module runs under
  ``torch.autocast("cpu", dtype=torch.bfloat16)``: matmuls and convolutions
  compute in bfloat16 from the fp32 weights, the ops autocast keeps in fp32
  stay fp32. onnxruntime's CPU provider has no bfloat16 MatMul/Conv kernels,
  so ``--backend onnxruntime --precision bf16`` is refused with that reason.

What a model file really holds is read from the file, not from the flag
(``onnx_weight_types``), and goes to results.json's ``precision`` and from
there into measurements.json.

An accuracy run of a reduced-precision model also scores the FP32 model it
came from on the same samples (outside LoadGen; ``fp32_reference``) and says
whether each of the benchmark's accuracy targets (99 %, and 99.9 % where the
rules have one) of that FP32 score holds.

This module holds the flags, the checks and ``apply``; the parts, by concern
(their names are re-exported here):

* ``calibration``: ``CalibrationSet``, finding and reading the rules' lists,
  the reader onnxruntime's calibrator pulls from;
* ``quantize``: the int8 recipe, its cache, and what an ONNX file holds;
* ``vs_fp32``: the FP32 score of the same model and the targets.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .calibration import (
    QUANTIZER_VERSION,
    CalibrationReader,
    CalibrationSet,
    dataset_feeds,
    find_calibration_list,
    list_identity,
    log_stderr,
)
from .quantize import (
    QDQ_OPS,
    WEIGHT_OPS,
    file_digest,
    int8_transformations,
    model_digest,
    onnx_weight_types,
    quantization_meta,
    quantize_int8,
    quantized_path,
)
from .settings import RunOptions
from .vs_fp32 import compare_with_fp32, fp32_reference, target_fractions, write_reference_log

if TYPE_CHECKING:
    from .benchmark import BenchmarkSpec

__all__ = [
    "PRECISIONS",
    "QDQ_OPS",
    "QUANTIZER_VERSION",
    "WEIGHT_OPS",
    "CalibrationReader",
    "CalibrationSet",
    "PrecisionInfo",
    "add_arguments",
    "apply",
    "check_supported",
    "compare_with_fp32",
    "dataset_feeds",
    "file_digest",
    "find_calibration_list",
    "fp32_reference",
    "int8_transformations",
    "list_identity",
    "log_stderr",
    "model_digest",
    "onnx_weight_types",
    "quantization_meta",
    "quantize_int8",
    "quantized_path",
    "target_fractions",
    "write_reference_log",
]

PRECISIONS = ("fp32", "int8", "bf16")

ORT_NO_BF16 = (
    "onnxruntime's CPU execution provider has no bfloat16 kernels for MatMul, Gemm or Conv (a bf16 graph fails "
    "to load); use --backend torch --precision bf16 (torch.autocast on CPU), or --precision int8"
)
TORCH_NO_INT8 = (
    "int8 is made with onnxruntime's post-training static quantization: use --backend onnxruntime --precision "
    "int8 (torch's own int8 path is not wired here: its eager-mode static quantization needs quant stubs and "
    "fused modules in each model, and its dynamic mode is not calibrated on the rules' set)"
)


@dataclass
class PrecisionInfo:
    """What ran: results.json's ``precision`` object."""

    precision: str
    model: str | None
    weight_data_types: str
    weight_transformations: str
    source_model: str | None = None  # the FP32 model a quantized file came from
    calibration: str | None = None
    fp32_accuracy: float | None = None
    targets: dict[str, bool] = field(default_factory=dict)  # "99%" -> held
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "precision": self.precision,
            "model": self.model,
            "weight_data_types": self.weight_data_types,
            "weight_transformations": self.weight_transformations,
            "source_model": self.source_model,
            "calibration": self.calibration,
            "fp32_accuracy": self.fp32_accuracy,
            "targets": dict(self.targets),
        }


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("precision (docs/precision.md)")
    g.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="fp32",
        help="int8: onnxruntime post-training static quantization calibrated on the rules' calibration set "
        "(cached); bf16: torch.autocast on CPU (--backend torch)",
    )
    g.add_argument(
        "--calibration-list",
        help="the rules' calibration list for --precision int8 (default: the one the data set folder ships, "
        "see the benchmark's README)",
    )


# ---------------------------------------------------------------------------
# Which precisions a benchmark and backend support.


def check_supported(spec: BenchmarkSpec, opts: RunOptions) -> None:
    """Raises ValueError naming why ``opts.precision`` cannot run here."""
    p = opts.precision
    if p == "fp32":
        return
    reason = dict(spec.precision_unsupported).get(p)
    if reason:
        raise ValueError(f"{spec.name}: --precision {p} is not available: {reason}")
    if opts.extra.get("sut") in ("kserve-http", "kserve-grpc", "openai"):
        raise ValueError(
            f"--precision {p} is for a model run here; a served model's precision is the server's"
        )
    if p == "int8":
        if opts.backend == "torch":
            raise ValueError(f"{spec.name}: --precision int8 with --backend torch: {TORCH_NO_INT8}")
        if opts.backend != "onnxruntime":
            raise ValueError(f"--precision int8 needs --backend onnxruntime (not {opts.backend!r})")
        if spec.calibration is None:
            raise ValueError(f"{spec.name}: --precision int8 is not available: no calibration set is wired")
    if p == "bf16":
        if opts.backend == "onnxruntime":
            raise ValueError(f"{spec.name}: --precision bf16 with --backend onnxruntime: {ORT_NO_BF16}")
        if opts.backend != "torch":
            raise ValueError(f"--precision bf16 needs --backend torch (not {opts.backend!r})")
        if opts.backend in spec.backends:
            raise ValueError(
                f"{spec.name}: --precision bf16 is not available: its torch backend is the benchmark's own "
                f"({spec.backends[opts.backend]}), which does not run under autocast"
            )


def apply(
    spec: BenchmarkSpec, opts: RunOptions, log: Callable[[str], None] = log_stderr
) -> tuple[RunOptions, PrecisionInfo | None]:
    """The options to run with (``model`` replaced by the int8 file for
    ``--precision int8``) and what will run; None for the null backend, a
    served model, or a model that is not one ONNX/torch file the harness reads."""
    if opts.backend == "null" or opts.extra.get("sut") in ("kserve-http", "kserve-grpc", "openai"):
        return opts, None
    model = opts.model
    if opts.precision == "int8":
        assert spec.calibration is not None  # check_supported
        if model is None:
            raise ValueError("--precision int8 needs a model file (--model)")
        weights, qdq = onnx_weight_types(model)
        if qdq:
            meta = quantization_meta(model)
            source = str(meta["source_model"]) if meta else None
            log(f"--precision int8: {model} is quantized already; running it as it is")
            return opts, PrecisionInfo(
                "int8",
                model,
                weights,
                int8_transformations(meta, qdq),
                source,
                str(meta.get("calibration")) if meta else None,
            )
        calib = spec.calibration(opts)
        cache_dir = Path(opts.cache_dir) if opts.cache_dir else Path(model).parent
        q = quantize_int8(model, calib, cache_dir, log)
        meta = quantization_meta(q)
        qweights, _ = onnx_weight_types(q)
        info = PrecisionInfo(
            "int8",
            str(q),
            qweights,
            int8_transformations(meta, True),
            str(Path(model).resolve()),
            calib.source,
        )
        return replace(opts, model=str(q)), info
    if opts.precision == "bf16":
        return opts, PrecisionInfo(
            "bf16",
            model,
            "bf16",
            "fp32 weights cast to bfloat16 at run time by torch.autocast on CPU (matmuls, convolutions); the "
            "ops autocast keeps in fp32 stay fp32; no retraining",
            model,
        )
    # fp32: still say what the file holds (a quantized --model is not fp32).
    if model and opts.backend == "onnxruntime" and str(model).endswith(".onnx") and os.path.isfile(model):
        weights, qdq = onnx_weight_types(model)
        meta = quantization_meta(model) if qdq else None
        return opts, PrecisionInfo(
            "int8" if qdq else "fp32",
            model,
            weights,
            int8_transformations(meta, qdq),
            str(meta["source_model"]) if meta else None,
            meta.get("calibration") if meta else None,
        )
    return opts, PrecisionInfo("fp32", model, "fp32", "none")
