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
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .settings import RunOptions

if TYPE_CHECKING:
    from .benchmark import BenchmarkSpec
    from .dataset import Dataset

PRECISIONS = ("fp32", "int8", "bf16")
QUANTIZER_VERSION = 1  # bump when the quantization recipe changes (new cache entries)
QDQ_OPS = {"QuantizeLinear", "DequantizeLinear"}
# Ops whose weights count as "the model's weights" when reading a file's data types.
WEIGHT_OPS = {"Conv", "ConvTranspose", "MatMul", "Gemm", "Gather", "Attention", "LSTM", "GRU"}

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
class CalibrationSet:
    """A benchmark's calibration samples as model inputs.

    ``source``: what they are, for people (the list file and how many);
    ``identity``: a string that changes when the samples change (the list's
    content and where the samples come from), part of the cache key;
    ``count``: how many samples; ``feeds()``: the samples, one model feed
    (input name -> array with a batch axis) at a time.
    ``op_types``: the ops to quantize (None: onnxruntime's default set,
    right for convolutional networks; transformers quantize MatMul/Gemm only,
    which keeps Softmax, LayerNorm and GELU in fp32).
    ``per_channel``: per-output-channel weight scales.
    """

    source: str
    identity: str
    count: int
    feeds: Callable[[], Iterator[Mapping[str, np.ndarray]]]
    op_types: Sequence[str] | None = None
    per_channel: bool = True
    exclude_nodes: Sequence[str] = ()
    method: str = "minmax"  # onnxruntime's CalibrationMethod: minmax, entropy or percentile

    def settings_key(self) -> str:
        ops = ",".join(sorted(self.op_types)) if self.op_types else "default"
        excl = ",".join(sorted(self.exclude_nodes))
        return f"v{QUANTIZER_VERSION}/qdq/u8s8/{self.method}/pc{int(self.per_channel)}/ops={ops}/excl={excl}"


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


def log_stderr(s: str) -> None:
    print(s, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Helpers for a benchmark's ``calibration`` hook.


def find_calibration_list(opts: RunOptions, names: Sequence[str], folders: Sequence[str | Path]) -> Path:
    """``--calibration-list`` if given, else the first of ``names`` found in
    ``folders``; FileNotFoundError naming what was looked for."""
    given = opts.extra.get("calibration_list")
    if given:
        p = Path(given)
        if not p.is_file():
            raise FileNotFoundError(f"--calibration-list {p} does not exist")
        return p
    tried = []
    for folder in folders:
        for name in names:
            p = Path(folder) / name
            tried.append(str(p))
            if p.is_file():
                return p
    raise FileNotFoundError(
        f"--precision int8 needs the rules' calibration list: none of {', '.join(tried)} exists; "
        f"give it with --calibration-list"
    )


def list_identity(path: Path, *extra: object) -> str:
    """A cache identity for a calibration list: its content and where its samples come from."""
    h = hashlib.sha256(path.read_bytes())
    for e in extra:
        h.update(str(e).encode())
    return h.hexdigest()


def dataset_feeds(
    dataset: Dataset, input_names: Sequence[str], batch_size: int = 1
) -> Iterator[Mapping[str, np.ndarray]]:
    """A Dataset's samples as model feeds, ``batch_size`` at a time (loaded and
    unloaded as it goes)."""
    n = dataset.total_count
    for start in range(0, n, batch_size):
        idx = list(range(start, min(n, start + batch_size)))
        dataset.load(idx)
        try:
            batch = dataset.get_batch(idx)
        finally:
            dataset.unload(idx)
        if isinstance(batch, np.ndarray):
            yield {input_names[0]: batch}
        else:
            yield dict(batch)


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


# ---------------------------------------------------------------------------
# Files: content hashes and what an ONNX file holds.


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


# ---------------------------------------------------------------------------
# int8: onnxruntime static quantization.


class _Reader:
    """onnxruntime's CalibrationDataReader protocol over a CalibrationSet, with progress."""

    def __init__(self, calib: CalibrationSet, input_names: Sequence[str], log: Callable[[str], None]) -> None:
        self.calib = calib
        self.input_names = list(input_names)
        self.log = log
        self.it: Iterator[Mapping[str, np.ndarray]] = iter(calib.feeds())
        self.done = 0
        self.t0 = time.monotonic()
        self.last = 0.0

    def get_next(self) -> dict[str, np.ndarray] | None:
        try:
            feed = next(self.it)
        except StopIteration:
            self.log(
                f"calibration: {self.done}/{self.calib.count} samples in {time.monotonic() - self.t0:.1f} s"
            )
            return None
        missing = [n for n in self.input_names if n not in feed]
        if missing:
            raise ValueError(f"calibration feed lacks the model input(s) {missing} (it has {sorted(feed)})")
        self.done += next(iter(feed.values())).shape[0] if feed else 0
        now = time.monotonic()
        if now - self.last > 5.0:
            self.last = now
            self.log(f"calibration: {self.done}/{self.calib.count} samples ({now - self.t0:.0f} s)")
        return {n: np.ascontiguousarray(feed[n]) for n in self.input_names}

    def rewind(self) -> None:
        self.it = iter(self.calib.feeds())
        self.done = 0


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
        reader = _Reader(calib, input_names, log)
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


def _int8_transformations(meta: Mapping[str, Any] | None, qdq: bool) -> str:
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
                _int8_transformations(meta, qdq),
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
            _int8_transformations(meta, True),
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
            _int8_transformations(meta, qdq),
            str(meta["source_model"]) if meta else None,
            meta.get("calibration") if meta else None,
        )
    return opts, PrecisionInfo("fp32", model, "fp32", "none")


# ---------------------------------------------------------------------------
# The FP32 score of the same model on the same data.


def _rows(data: Any, n: int) -> list[bytes]:
    if data is None:
        return [b""] * n
    if isinstance(data, np.ndarray):
        data = np.ascontiguousarray(data)
        return [data[i].tobytes() for i in range(n)]
    return [bytes(memoryview(d)) if not isinstance(d, (bytes, bytearray)) else bytes(d) for d in data]


def write_reference_log(
    spec: BenchmarkSpec,
    dataset: Dataset,
    backend: Any,
    path: str | Path,
    batch_size: int,
    indices: Iterable[int] | None = None,
    log: Callable[[str], None] = log_stderr,
) -> Path:
    """Run ``backend`` over the samples (all of the data set by default) outside
    LoadGen and write the responses as an accuracy log (one record per sample,
    the format of mlperf_log_accuracy.json), for the benchmark's accuracy script."""
    order = list(range(dataset.total_count)) if indices is None else list(indices)
    records: list[dict[str, Any]] = []
    t0 = time.monotonic()
    last = t0
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        dataset.load(chunk)
        try:
            outputs = backend.predict(dataset.get_batch(chunk))
            if spec.respond is not None:
                data = spec.respond(outputs, dataset, np.asarray(chunk, dtype=np.uint64))
            else:
                assert spec.postprocess is not None
                data = spec.postprocess(outputs)
        finally:
            dataset.unload(chunk)
        for i, row in zip(chunk, _rows(data, len(chunk))):
            records.append({"seq_id": len(records), "qsl_idx": i, "data": row.hex().upper()})
        now = time.monotonic()
        if now - last > 5.0:
            last = now
            log(f"fp32 reference: {start + len(chunk)}/{len(order)} samples ({now - t0:.0f} s)")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(records) + "\n", encoding="utf-8")
    return path


def target_fractions(config_model: str) -> dict[str, float]:
    """The rules' accuracy targets of a model as fractions of FP32: {"99%": 0.99, "99.9%": 0.999}."""
    from ..rules import resolve

    try:
        found = resolve(config_model).benchmarks_of(config_model)
    except ValueError:
        return {"99%": 0.99}
    return {f"{frac * 100:g}%": frac for frac in sorted({b.fraction for b in found})} or {"99%": 0.99}


def compare_with_fp32(value: float, fp32: float, fractions: Mapping[str, float]) -> dict[str, bool]:
    """Which targets hold: ``value >= fraction * fp32`` (every metric here is higher-is-better)."""
    return {name: bool(value >= frac * fp32 - 1e-9) for name, frac in fractions.items()}


def fp32_reference(
    spec: BenchmarkSpec,
    opts: RunOptions,
    dataset: Dataset,
    info: PrecisionInfo,
    out_dir: str | Path,
    intra_op_threads: int,
    log: Callable[[str], None] = log_stderr,
) -> Any:
    """Score the FP32 source model on the data set the run used; returns its AccuracyResult.

    The same backend kind as the run (onnxruntime for int8, torch for bf16, the
    latter without autocast), the same post-processing and accuracy script."""
    assert spec.accuracy is not None
    src = info.source_model
    if not src or not os.path.isfile(src):
        raise FileNotFoundError(f"the FP32 model {src!r} this model came from is not here")
    log(f"scoring the FP32 model {src} on the same {dataset.total_count} samples (outside LoadGen)")
    backend = spec.open_backend(opts, src, intra_op_threads)
    try:
        path = write_reference_log(
            spec,
            dataset,
            backend,
            Path(out_dir) / "fp32_reference" / "mlperf_log_accuracy.json",
            opts.max_batchsize or spec.default_max_batchsize,
            log=log,
        )
    finally:
        backend.close()
    result = spec.accuracy(str(path), dataset, opts)
    (path.parent / "accuracy.txt").write_text(result.line + "\n", encoding="utf-8")
    return result
