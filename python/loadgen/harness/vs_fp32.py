"""The FP32 score of the same model on the same data, and the accuracy targets of it.

An accuracy run of a reduced-precision model also runs the FP32 model it came
from over the same samples, outside LoadGen, scores it with the benchmark's
accuracy script, and says whether each of the rules' targets (99 %, and
99.9 % where the benchmark has one) of that FP32 score holds.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .calibration import log_stderr
from .settings import RunOptions

if TYPE_CHECKING:
    from .benchmark import BenchmarkSpec
    from .dataset import Dataset
    from .precision import PrecisionInfo


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
