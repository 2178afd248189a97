"""Type stubs for the compiled ``loadgen._core`` extension (python/src/bindings.cc and its bind_*.cc parts).

Handles (the ints that Construct* return) stand for objects owned by the
extension until the matching Destroy* call. Wherever a SUT or QSL is taken,
a handle or an object with the SystemUnderTest / QuerySampleLibrary shape
(see loadgen.api) is accepted.
"""

from collections.abc import Callable, Sequence
from typing import Any, ClassVar, overload

import numpy as np
import numpy.typing as npt
from typing_extensions import TypeAlias

__version__: str

# --- Enums (pybind11 enums: compare by identity or ==, int() gives the value).

class _Enum:
    """What every pybind11 enum below has (no such class exists at runtime)."""

    def __init__(self, value: int) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...
    def __int__(self) -> int: ...
    def __index__(self) -> int: ...
    def __eq__(self, other: object) -> bool: ...
    def __ne__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class TestScenario(_Enum):
    SingleStream: ClassVar[TestScenario]
    MultiStream: ClassVar[TestScenario]
    Server: ClassVar[TestScenario]
    Offline: ClassVar[TestScenario]
    __members__: ClassVar[dict[str, TestScenario]]

class TestMode(_Enum):
    SubmissionRun: ClassVar[TestMode]
    AccuracyOnly: ClassVar[TestMode]
    PerformanceOnly: ClassVar[TestMode]
    FindPeakPerformance: ClassVar[TestMode]
    __members__: ClassVar[dict[str, TestMode]]

class LoggingMode(_Enum):
    AsyncPoll: ClassVar[LoggingMode]
    EndOfTestOnly: ClassVar[LoggingMode]
    Synchronous: ClassVar[LoggingMode]
    __members__: ClassVar[dict[str, LoggingMode]]

class RecordMode(_Enum):
    Auto: ClassVar[RecordMode]
    Exact: ClassVar[RecordMode]
    Streaming: ClassVar[RecordMode]
    __members__: ClassVar[dict[str, RecordMode]]

# --- Settings.

class ConfigDiagnostic:
    """One problem found by TestSettings.FromConfig (read-only)."""

    @property
    def is_error(self) -> bool: ...
    @property
    def file(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def key(self) -> str: ...
    @property
    def message(self) -> str: ...

class TestSettings:
    scenario: TestScenario
    mode: TestMode
    single_stream_expected_latency_ns: float
    single_stream_target_latency_percentile: float
    multi_stream_expected_latency_ns: float
    multi_stream_target_latency_percentile: float
    multi_stream_samples_per_query: int
    server_target_qps: float
    server_target_latency_ns: int
    server_target_latency_percentile: float
    server_coalesce_queries: bool
    server_find_peak_qps_decimals_of_precision: int
    server_find_peak_qps_boundary_step_size: float
    server_find_peak_stop_early: bool
    server_find_peak_min_probe_fraction: float
    server_max_async_queries: int
    server_num_issue_query_threads: int
    offline_expected_qps: float
    sample_concatenate_permutation: bool
    min_duration_ms: int
    max_duration_ms: int
    min_query_count: int
    max_query_count: int
    qsl_rng_seed: int
    sample_index_rng_seed: int
    schedule_rng_seed: int
    accuracy_log_rng_seed: int
    accuracy_log_probability: float
    accuracy_log_sampling_target: int
    test05: bool
    test05_qsl_rng_seed: int
    test05_sample_index_rng_seed: int
    test05_schedule_rng_seed: int
    print_timestamps: bool
    performance_issue_unique: bool
    performance_issue_same: bool
    performance_issue_same_index: int
    performance_sample_count_override: int
    accuracy_sample_count_override: int
    use_token_latencies: bool
    ttft_latency: int  # the C++ field server_ttft_latency, in ns
    tpot_latency: int  # the C++ field server_tpot_latency, in ns
    infer_token_latencies: bool
    token_latency_scaling_factor: int
    watchdog_timeout_ms: int
    max_response_bytes: int
    record_mode: RecordMode
    exact_record_budget_bytes: int
    streaming_window_samples: int
    def __init__(self) -> None: ...
    @property
    def config_diagnostics(self) -> list[ConfigDiagnostic]: ...
    def FromConfig(self, path: str, model: str, scenario: str, conf_type: int = 1) -> int: ...

class LogOutputSettings:
    outdir: str
    prefix: str
    suffix: str
    prefix_with_datetime: bool
    copy_detail_to_stdout: bool
    copy_summary_to_stdout: bool
    def __init__(self) -> None: ...

class LogSettings:
    log_output: LogOutputSettings
    log_mode: LoggingMode
    log_mode_async_poll_interval_ms: int
    enable_trace: bool
    def __init__(self) -> None: ...

# --- Samples and responses.

class QuerySample:
    id: int
    index: int
    @overload
    def __new__(cls) -> QuerySample: ...
    @overload
    def __new__(cls, id: int, index: int, /) -> QuerySample: ...
    def __reduce__(self) -> tuple[type[QuerySample], tuple[int, int]]: ...

class QuerySampleResponse:
    id: int
    data: int  # the address of the response bytes
    size: int  # in bytes
    n_tokens: int
    @overload
    def __new__(cls) -> QuerySampleResponse: ...
    @overload
    def __new__(cls, id: int, data: int, size: int, /) -> QuerySampleResponse: ...
    @overload
    def __new__(cls, id: int, data: int, size: int, n_tokens: int, /) -> QuerySampleResponse: ...
    def __reduce__(self) -> tuple[type[QuerySampleResponse], tuple[int, int, int, int]]: ...

# --- Results (read-only).

class LatencyStats:
    @property
    def count(self) -> int: ...
    @property
    def min_ns(self) -> int: ...
    @property
    def max_ns(self) -> int: ...
    @property
    def mean_ns(self) -> int: ...
    @property
    def percentiles(self) -> list[float]: ...
    @property
    def percentile_ns(self) -> list[int]: ...

class PerformanceResult:
    @property
    def scenario(self) -> str: ...
    @property
    def valid(self) -> bool: ...
    @property
    def min_duration_met(self) -> bool: ...
    @property
    def min_queries_met(self) -> bool: ...
    @property
    def perf_constraints_met(self) -> bool: ...
    @property
    def early_stopping_met(self) -> bool: ...
    @property
    def early_end_reason(self) -> str: ...
    @property
    def invalid_reasons(self) -> list[str]: ...
    @property
    def queries_issued(self) -> int: ...
    @property
    def samples_issued(self) -> int: ...
    @property
    def samples_completed(self) -> int: ...
    @property
    def samples_never_completed(self) -> int: ...
    @property
    def target_qps(self) -> float: ...
    @property
    def metric(self) -> float: ...
    @property
    def metric_name(self) -> str: ...
    @property
    def final_query_scheduled_s(self) -> float: ...
    @property
    def final_query_issued_s(self) -> float: ...
    @property
    def final_query_done_s(self) -> float: ...
    @property
    def max_latency_s(self) -> float: ...
    @property
    def qps_with_loadgen_overhead(self) -> float: ...
    @property
    def qps_without_loadgen_overhead(self) -> float: ...
    @property
    def scheduled_samples_per_sec(self) -> float: ...
    @property
    def completed_samples_per_sec(self) -> float: ...
    @property
    def samples_per_sec(self) -> float: ...
    @property
    def overlatency_query_count(self) -> int: ...
    @property
    def early_stopping_latency_ss(self) -> int: ...
    @property
    def early_stopping_latency_ms(self) -> int: ...
    @property
    def early_stopping_lines(self) -> list[str]: ...
    @property
    def sample_latency(self) -> LatencyStats: ...
    @property
    def query_latency(self) -> LatencyStats: ...
    @property
    def issue_lag(self) -> LatencyStats: ...
    @property
    def first_token(self) -> LatencyStats: ...
    @property
    def first_token_target_percentile_ns(self) -> int: ...
    @property
    def time_per_output_token(self) -> LatencyStats: ...
    @property
    def token_count(self) -> int: ...
    @property
    def record_mode(self) -> str: ...
    @property
    def latency_relative_error(self) -> float: ...
    @property
    def streaming_from_sample(self) -> int: ...
    @property
    def streaming_window(self) -> int: ...
    @property
    def stragglers(self) -> int: ...

class PeakProbe:
    """One FindPeakPerformance probe (not an official performance run)."""

    @property
    def target_qps(self) -> float: ...
    @property
    def passed(self) -> bool: ...
    @property
    def decided_by(self) -> str:
        """ "pass"/"fail" (stopped once decided) or "duration" (ran it all)."""
    @property
    def reason(self) -> str: ...
    @property
    def queries_issued(self) -> int: ...
    @property
    def queries_completed(self) -> int: ...
    @property
    def decided_queries(self) -> int: ...
    @property
    def overlatency_queries(self) -> int: ...
    @property
    def full_probe_queries(self) -> int: ...
    @property
    def seconds(self) -> float: ...

class TestResult:
    @property
    def performance(self) -> list[PerformanceResult]: ...
    @property
    def has_accuracy(self) -> bool: ...
    @property
    def accuracy_samples_issued(self) -> int: ...
    @property
    def accuracy_samples_completed(self) -> int: ...
    @property
    def num_errors(self) -> int: ...
    @property
    def num_warnings(self) -> int: ...
    @property
    def errors(self) -> list[str]: ...
    @property
    def aborted(self) -> bool: ...
    @property
    def abort_reason(self) -> str: ...
    @property
    def peak_qps(self) -> float: ...
    @property
    def peak_probes(self) -> list[PeakProbe]: ...
    @property
    def summary_path(self) -> str: ...
    @property
    def detail_path(self) -> str: ...
    @property
    def accuracy_path(self) -> str: ...
    @property
    def summary_json_path(self) -> str: ...
    @property
    def trace_path(self) -> str: ...
    @property
    def valid(self) -> bool:
        """Not aborted, and the last performance run was VALID."""

# --- The reference API.

# A SUT or QSL: a handle from Construct*, or an object with the methods of
# loadgen.SystemUnderTest / loadgen.QuerySampleLibrary.
_Sut: TypeAlias = int | Any
_Qsl: TypeAlias = int | Any
_ResponseCallback: TypeAlias = Callable[[QuerySampleResponse], object] | None

def ConstructSUT(
    issue_cb: Callable[[list[QuerySample]], object], flush_queries_cb: Callable[[], object], /
) -> int: ...
def DestroySUT(sut: int, /) -> None: ...
def ConstructFastSUT(
    fast_issue_cb: Callable[[list[int], list[int]], object], flush_queries_cb: Callable[[], object], /
) -> int:
    """The issue callback receives (ids, indices) as two lists."""

def DestroyFastSUT(sut: int, /) -> None: ...
def ConstructQDL(
    issue_cb: Callable[[list[QuerySample]], object],
    flush_queries_cb: Callable[[], object],
    name_cb: Callable[[], str],
    /,
) -> int: ...
def DestroyQDL(qdl: int, /) -> None: ...
def ConstructQSL(
    total_sample_count: int,
    performance_sample_count: int,
    load_samples_to_ram_cb: Callable[[list[int]], object],
    unload_samples_from_ram_cb: Callable[[list[int]], object],
    /,
) -> int: ...
def DestroyQSL(qsl: int, /) -> None: ...
def StartTest(
    sut: _Sut, qsl: _Qsl, test_settings: TestSettings, audit_config_filename: str = "audit.config"
) -> None: ...
def StartTestWithLogSettings(
    sut: _Sut,
    qsl: _Qsl,
    test_settings: TestSettings,
    log_settings: LogSettings,
    audit_config_filename: str = "audit.config",
) -> None: ...
def QuerySamplesComplete(
    responses: Sequence[QuerySampleResponse], response_cb: _ResponseCallback = None
) -> None:
    """Thread-safe; call from any thread. ``responses`` must be a list or tuple."""

def FirstTokenComplete(
    responses: Sequence[QuerySampleResponse], response_cb: _ResponseCallback = None
) -> None: ...

# --- Extensions.

def AbortTest() -> None: ...
def run_test(
    sut: _Sut,
    qsl: _Qsl,
    settings: TestSettings,
    log_settings: LogSettings | None = None,
    audit_config_filename: str = "audit.config",
) -> TestResult: ...
def complete_samples(
    ids: Sequence[int] | npt.NDArray[np.integer[Any]],
    data: Sequence[Any] | npt.NDArray[Any] | bytes | bytearray | memoryview | None = None,
    offsets: Sequence[int] | npt.NDArray[np.integer[Any]] | None = None,
    n_tokens: Sequence[int] | npt.NDArray[np.integer[Any]] | None = None,
) -> None:
    """Complete many samples in one call: ``data`` is None, one bytes-like per id,
    or one buffer split evenly (or at ``offsets``, ``len(ids) + 1`` entries)."""

def ConstructNumpySUT(
    issue_cb: Callable[[npt.NDArray[np.uint64], npt.NDArray[np.uint64]], object],
    flush_queries_cb: Callable[[], object],
    /,
) -> int:
    """The issue callback receives (ids, indices) as two uint64 arrays."""

# --- Configuration internals (used by loadgen.config).

def builtin_mlperf_conf() -> str: ...
def known_config_keys() -> list[str]: ...
def explain_config(user_conf: str, model: str, scenario: str, audit_config: str = "") -> dict[str, Any]: ...
