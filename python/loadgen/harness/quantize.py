"""int8 by onnxruntime's post-training static quantization, and what an ONNX file holds.

The recipe (docs/precision.md): ``quant_pre_process``, then ``quantize_static``
in the QDQ format, int8 symmetric per-channel weights, uint8 asymmetric
activations, ranges calibrated on the benchmark's ``CalibrationSet`` only.
The result is cached under ``<cache>/quantized/`` with a ``.json`` beside it
saying what it was made from.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .calibration import QUANTIZER_VERSION, CalibrationReader, CalibrationSet, log_stderr

QDQ_OPS = {"QuantizeLinear", "DequantizeLinear"}
# Ops whose weights count as "the model's weights" when reading a file's data types.
WEIGHT_OPS = {"Conv", "ConvTranspose", "MatMul", "Gemm", "Gather", "Attention", "LSTM", "GRU"}


def file_digest(path: str | Path, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(chunk)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def model_digest(path: str | Path) -> str:
    """sha256 over an ONNX file and the external data files it names."""
    import onnx

    path = Path(path)
    h = hashlib.sha256(file_digest(path).encode())
    model = onnx.load(str(path), load_external_data=False)
    locations = set()
    for t in model.graph.initializer:
        for e in t.external_data:
            if e.key == "location":
                locations.add(e.value)
    for loc in sorted(locations):
        h.update(loc.encode())
        h.update(file_digest(path.parent / loc).encode())
    return h.hexdigest()


def _uses_external_data(path: Path) -> bool:
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    return any(t.data_location == onnx.TensorProto.EXTERNAL for t in model.graph.initializer)


def onnx_weight_types(path: str | Path) -> tuple[str, bool]:
    """(the data types of the weights of Conv/MatMul/Gemm/Gather... as stored,
    largest share first, e.g. ``"int8"`` or ``"int8, fp32"``; whether the
    graph has QuantizeLinear/DequantizeLinear nodes).

    A weight reached through a DequantizeLinear counts with the type it is
    stored in (int8); biases (int32 in a QDQ graph) are not counted."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    producer = {o: n for n in g.node for o in n.output}
    names = {
        onnx.TensorProto.FLOAT: "fp32",
        onnx.TensorProto.FLOAT16: "fp16",
        onnx.TensorProto.BFLOAT16: "bf16",
    }
    names.update({onnx.TensorProto.INT8: "int8", onnx.TensorProto.UINT8: "uint8"})
    counts: dict[str, int] = {}
    qdq = any(n.op_type in QDQ_OPS for n in g.node)
    for n in g.node:
        if n.op_type not in WEIGHT_OPS:
            continue
        for i, name in enumerate(n.input):
            if n.op_type == "Gather" and i != 0:
                continue
            if n.op_type in ("Conv", "ConvTranspose", "Gemm") and i > 1:
                continue  # the bias
            src = name
            p = producer.get(src)
            if p is not None and p.op_type == "DequantizeLinear":
                src = p.input[0]
            t = inits.get(src)
            if t is None:
                continue
            size = int(np.prod(t.dims)) if len(t.dims) else 1
            key = names.get(t.data_type, onnx.TensorProto.DataType.Name(t.data_type).lower())
            counts[key] = counts.get(key, 0) + size
    if not counts:
        return "fp32", qdq
    return ", ".join(k for k, _ in sorted(counts.items(), key=lambda kv: -kv[1])), qdq


def quantized_path(cache_dir: str | Path, model: str | Path, calib: CalibrationSet, digest: str) -> Path:
    key = hashlib.sha256(f"{digest}/{calib.identity}/{calib.settings_key()}".encode()).hexdigest()[:16]
    return Path(cache_dir) / "quantized" / f"{Path(model).stem}-int8-{key}.onnx"


def quantize_int8(
    model: str | Path,
    calib: CalibrationSet,
    cache_dir: str | Path,
    log: Callable[[str], None] = log_stderr,
) -> Path:
    """The int8 QDQ model of ``model`` calibrated on ``calib``: from the cache,
    or made now (written in a temporary folder and renamed into place)."""
    import onnxruntime as ort
    from onnxruntime.quantization import (
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quant_pre_process,
        quantize_static,
    )

    model = Path(model)
    if not model.is_file():
        raise FileNotFoundError(f"--precision int8: the model {model} does not exist")
    if calib.count < 1:
        raise ValueError(f"--precision int8: the calibration set {calib.source} is empty")
    digest = model_digest(model)
    out = quantized_path(cache_dir, model, calib, digest)
    meta_path = out.with_suffix(".json")
    if out.is_file() and meta_path.is_file():
        log(f"int8 model (cached): {out}")
        return out
    external = _uses_external_data(model)
    log(
        f"quantizing {model.name} to int8 (once; onnxruntime {ort.__version__}, QDQ, per-channel weights), "
        f"calibrated on {calib.source}"
    )
    t0 = time.monotonic()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=out.stem + ".", dir=out.parent))
    try:
        pre = tmp / "preprocessed.onnx"
        quant_pre_process(
            str(model),
            str(pre),
            skip_symbolic_shape=True,
            save_as_external_data=external,
            all_tensors_to_one_file=True,
            external_data_location="preprocessed.onnx.data" if external else None,
        )
        session = ort.InferenceSession(str(pre), providers=["CPUExecutionProvider"])
        input_names = [i.name for i in session.get_inputs()]
        del session
        reader = CalibrationReader(calib, input_names, log)
        q = tmp / out.name
        quantize_static(
            str(pre),
            str(q),
            reader,
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=list(calib.op_types) if calib.op_types else None,
            per_channel=calib.per_channel,
            reduce_range=False,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=list(calib.exclude_nodes) or None,
            use_external_data_format=external,
            calibrate_method={
                "minmax": CalibrationMethod.MinMax,
                "entropy": CalibrationMethod.Entropy,
                "percentile": CalibrationMethod.Percentile,
            }[calib.method],
            extra_options={"ActivationSymmetric": False, "WeightSymmetric": True},
        )
        if reader.done == 0:
            raise ValueError(f"--precision int8: the calibration set {calib.source} yielded no samples")
        weights, qdq = onnx_weight_types(q)
        meta = {
            "what": "int8 QDQ model made by loadgen.harness.precision (onnxruntime quantize_static)",
            "quantizer_version": QUANTIZER_VERSION,
            "onnxruntime": ort.__version__,
            "source_model": str(model.resolve()),
            "source_sha256": digest,
            "calibration": calib.source,
            "calibration_identity": calib.identity,
            "calibration_samples": reader.done,
            "settings": calib.settings_key(),
            "op_types": list(calib.op_types) if calib.op_types else "onnxruntime's default QDQ set",
            "kept_fp32_nodes": len(calib.exclude_nodes),
            "weight_data_types": weights,
            "qdq": qdq,
            "seconds": round(time.monotonic() - t0, 1),
        }
        (tmp / meta_path.name).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        # Into place: the data file first, the model, and the description last (it marks the entry complete).
        if external:
            (tmp / (out.name + ".data")).replace(out.parent / (out.name + ".data"))
        q.replace(out)
        (tmp / meta_path.name).replace(meta_path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log(f"int8 model: {out} ({time.monotonic() - t0:.0f} s)")
    return out


def quantization_meta(model: str | Path) -> dict[str, Any] | None:
    """The description beside a model this module quantized, if there is one."""
    p = Path(model).with_suffix(".json")
    if not p.is_file():
        return None
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return d if isinstance(d, dict) and "source_sha256" in d else None


def int8_transformations(meta: Mapping[str, Any] | None, qdq: bool) -> str:
    if meta is not None:
        ops = meta.get("op_types")
        ops_text = ", ".join(ops) if isinstance(ops, list) else str(ops)
        kept = int(meta.get("kept_fp32_nodes") or 0)
        return (
            f"post-training static quantization, onnxruntime {meta.get('onnxruntime')} quantize_static: QDQ, "
            f"int8 symmetric per-channel weights, uint8 asymmetric activations, MinMax ranges calibrated on "
            f"{meta.get('calibration')} only; ops quantized: {ops_text}"
            + (f" ({kept} node(s) kept fp32)" if kept else "")
            + "; graph first optimized by quant_pre_process (shape inference, BatchNormalization folded into "
            "Conv where present); no retraining"
        )
    if qdq:
        return "quantized (QDQ) model file given as --model; how it was made is not recorded here"
    return "none"
