"""loadgen: the MLPerf Inference load generator.

``import loadgen as lg`` offers every name of the reference's ``mlperf_loadgen``
module with the same signatures, so existing harnesses run unchanged after
``import loadgen as mlperf_loadgen``; plus ``run_test`` (returns the results as
data), ``AbortTest``, ``complete_samples`` (complete many samples from arrays or
buffers in one call), and subclassable ``SystemUnderTest`` /
``QuerySampleLibrary`` classes.
"""

from __future__ import annotations

from . import _core
from ._core import (
    AbortTest,
    ConfigDiagnostic,
    ConstructFastSUT,
    ConstructNumpySUT,
    ConstructQDL,
    ConstructQSL,
    ConstructSUT,
    DestroyFastSUT,
    DestroyQDL,
    DestroyQSL,
    DestroySUT,
    FirstTokenComplete,
    LatencyStats,
    LoggingMode,
    LogOutputSettings,
    LogSettings,
    PeakProbe,
    PerformanceResult,
    QuerySample,
    QuerySampleResponse,
    QuerySamplesComplete,
    RecordMode,
    StartTest,
    StartTestWithLogSettings,
    TestMode,
    TestResult,
    TestScenario,
    TestSettings,
    complete_samples,
    run_test,
)
from .api import QuerySampleLibrary, SystemUnderTest, VectorQuerySample, VectorQuerySampleResponse

__version__: str = _core.__version__
__doc__ = _core.__doc__

__all__ = [
    "AbortTest",
    "ConfigDiagnostic",
    "ConstructFastSUT",
    "ConstructNumpySUT",
    "ConstructQDL",
    "ConstructQSL",
    "ConstructSUT",
    "DestroyFastSUT",
    "DestroyQDL",
    "DestroyQSL",
    "DestroySUT",
    "FirstTokenComplete",
    "LatencyStats",
    "LogOutputSettings",
    "LogSettings",
    "LoggingMode",
    "PeakProbe",
    "PerformanceResult",
    "QuerySample",
    "QuerySampleLibrary",
    "QuerySampleResponse",
    "QuerySamplesComplete",
    "RecordMode",
    "StartTest",
    "StartTestWithLogSettings",
    "SystemUnderTest",
    "TestMode",
    "TestResult",
    "TestScenario",
    "TestSettings",
    "VectorQuerySample",
    "VectorQuerySampleResponse",
    "__version__",
    "complete_samples",
    "run_test",
]
