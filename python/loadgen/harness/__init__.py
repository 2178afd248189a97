"""The benchmark harness shared by every model folder under ``benchmarks/``.

A benchmark describes itself with a ``BenchmarkSpec`` (its Dataset, how
backend outputs become responses, its accuracy script, its user.conf) and
calls ``main(spec)``; the harness does the rest: settings from mlperf.conf and
user.conf, a QSL over the Dataset, an inline SUT (SingleStream) or a pool of
batching workers (the other scenarios), warm-up, progress, the result table
and accuracy scoring. See docs/benchmarks.md.

Nothing here imports torch or onnxruntime until a backend of that name is
created.
"""

from __future__ import annotations

from .accuracy import AccuracyResult, decode, first_response_per_sample, read_accuracy_log
from .backend import Backend, BackendOptions, create_backend, register_backend, registered_backends
from .benchmark import BenchmarkSpec, run_benchmark, warmup
from .cli import build_parser, main
from .dataset import Batch, Dataset, ItemDataset, create_dataset, register_dataset, registered_datasets
from .qsl import DatasetQSL
from .report import PerformanceSummary, Progress, RunReport, format_report
from .settings import SHORT_MIN_DURATION_MS, SHORT_MIN_QUERY_COUNT, RunOptions, make_settings
from .sut import HarnessSUT, InlineSUT, ThreadedSUT

__all__ = [
    "SHORT_MIN_DURATION_MS",
    "SHORT_MIN_QUERY_COUNT",
    "AccuracyResult",
    "Backend",
    "BackendOptions",
    "Batch",
    "BenchmarkSpec",
    "Dataset",
    "DatasetQSL",
    "HarnessSUT",
    "InlineSUT",
    "ItemDataset",
    "PerformanceSummary",
    "Progress",
    "RunOptions",
    "RunReport",
    "ThreadedSUT",
    "build_parser",
    "create_backend",
    "create_dataset",
    "decode",
    "first_response_per_sample",
    "format_report",
    "main",
    "make_settings",
    "read_accuracy_log",
    "register_backend",
    "register_dataset",
    "registered_backends",
    "registered_datasets",
    "run_benchmark",
    "warmup",
]
