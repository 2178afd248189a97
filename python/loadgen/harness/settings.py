"""Run options (what the CLI collects) and the TestSettings made from them.

Settings come from LoadGen's built-in mlperf.conf for the benchmark's model
name, then the benchmark's user.conf (``TestSettings.FromConfig`` with
conf_type 1 does both), then, unless ``official`` is set, the short-run
overrides, then the explicit flags (``--count``, ``--time``, ``--qps``, ...)
as the reference harness applies them.

Seeds follow the run's rules version (``--rules-version``; default: the
newest round that has the benchmark, ``loadgen.rules``): where that round's
seeds (and, for TEST05, its alternate seeds) differ from the built-in
mlperf.conf's, they are set through ``TestSettings`` and a note says so.

The short run keeps everything that decides validity (the early-stopping
rules, latency bounds, target QPS) and only shortens the run: ``min_duration``
becomes ``SHORT_MIN_DURATION_MS`` and the minimum query count
``SHORT_MIN_QUERY_COUNT``. A scenario whose rules need more queries than a
short run can issue on a slow machine (MultiStream: 662) ends INVALID, and
says so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .. import _core

SCENARIOS = ("SingleStream", "MultiStream", "Server", "Offline")
RECORD_MODES = ("auto", "exact", "streaming")
SHORT_MIN_DURATION_MS = 10_000
SHORT_MIN_QUERY_COUNT = 1


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass
class RunOptions:
    """Everything one benchmark run needs besides the benchmark itself.

    Field names follow the CLI flags (``max_latency_s`` is ``--max-latency``,
    in seconds; ``time_s`` is ``--time``). ``None`` means "from the
    configuration files" (or the benchmark's default).
    """

    scenario: str = "SingleStream"
    backend: str = "onnxruntime"
    model: str | None = None
    dataset_path: str | None = None
    accuracy: bool = False
    find_peak_performance: bool = False
    official: bool = False
    count: int | None = None
    time_s: float | None = None
    qps: float | None = None
    max_latency_s: float | None = None
    samples_per_query: int | None = None
    max_batchsize: int | None = None
    threads: int | None = None
    performance_sample_count: int | None = None
    user_conf: str | None = None
    audit_conf: str = "audit.config"
    test05: bool = False  # TEST05: LoadGen's alternate seeds (TestSettings.test05)
    # The MLPerf Inference round the run is for (loadgen.rules): its seeds. None:
    # the newest round with the benchmark.
    rules_version: str | None = None
    output: str | None = None
    cache_dir: str | None = None
    progress: bool = True
    html_report: bool = True  # report.html beside the logs (--no-report: off)
    # How LoadGen records latencies (TestSettings.record_mode): auto, exact or
    # streaming (docs/design.md, "Bounded memory").
    record_mode: str = "auto"
    # Numeric precision of the model (--precision): fp32, int8 or bf16 (harness/precision.py).
    precision: str = "fp32"
    warmup_batches: int = 3
    # Measured sizing (harness/sizing.py): a short run measures the SUT first
    # and sets the rate, expected latency and query count it needs; --count
    # runs and --official runs are not sized (``qps_auto``: an official run
    # measures its rate and expected latency, as --qps auto asks).
    sizing: bool = True
    qps_auto: bool = False
    extra: dict = field(default_factory=dict)  # benchmark-specific options

    def __post_init__(self) -> None:
        if self.scenario not in SCENARIOS:
            raise ValueError(f"scenario = {self.scenario!r}: must be one of {', '.join(SCENARIOS)}")
        for name in ("count", "samples_per_query", "max_batchsize", "threads", "performance_sample_count"):
            v = getattr(self, name)
            if v is not None and v < 1:
                raise ValueError(f"{name} = {v}: must be >= 1")
        for name in ("time_s", "qps", "max_latency_s"):
            v = getattr(self, name)
            if v is not None and not v > 0:
                raise ValueError(f"{name} = {v}: must be > 0")
        if self.record_mode not in RECORD_MODES:
            raise ValueError(f"record_mode = {self.record_mode!r}: must be one of {', '.join(RECORD_MODES)}")
        if self.precision not in ("fp32", "int8", "bf16"):
            raise ValueError(f"precision = {self.precision!r}: must be one of fp32, int8, bf16")
        if self.warmup_batches < 0:
            raise ValueError(f"warmup_batches = {self.warmup_batches}: must be >= 0")
        if self.find_peak_performance and self.scenario != "Server":
            raise ValueError("find_peak_performance needs scenario Server")
        if self.find_peak_performance and self.accuracy:
            raise ValueError("accuracy and find_peak_performance exclude each other")
        if self.qps_auto and self.qps is not None:
            raise ValueError("qps_auto measures the rate: give it or qps, not both")

    @property
    def sized(self) -> bool:
        """Whether this run measures the SUT before the timed run."""
        if self.accuracy or self.find_peak_performance or self.count is not None:
            return False
        return self.qps_auto if self.official else self.sizing


def _apply_rules_seeds(ts: _core.TestSettings, opts: RunOptions, config_model: str, notes: list[str]) -> None:
    """The seeds of the run's rules version (TEST05: and its alternate seeds)."""
    from ..rules import MODELS, resolve, seed_plan

    if opts.rules_version is None and config_model not in MODELS:
        # A model the rules tables do not know: the built-in mlperf.conf decides.
        if opts.test05:
            ts.test05 = True
            notes.append(
                "TEST05: the alternate seeds of the built-in mlperf.conf (test05_*) replace the official ones"
            )
        return
    v = resolve(config_model, opts.rules_version)
    builtin = {
        k: int(getattr(ts, k))
        for k in (
            "qsl_rng_seed",
            "sample_index_rng_seed",
            "schedule_rng_seed",
            "test05_qsl_rng_seed",
            "test05_sample_index_rng_seed",
            "test05_schedule_rng_seed",
        )
    }
    plan = seed_plan(v, builtin, opts.test05)
    for k, value in plan.fields.items():
        setattr(ts, k, value)
    if plan.note:
        notes.append(plan.note)
    if opts.test05:
        ts.test05 = True
        notes.append(f"TEST05: the alternate seeds of rules {v.name} replace the official ones")


@dataclass
class SettingsPlan:
    """The settings, and what a reader of the output should know about them."""

    settings: _core.TestSettings
    notes: list[str]
    warnings: list[str]


def user_conf_fields(config_model: str, scenario: str, user_conf: str | None) -> dict[str, str]:
    """TestSettings fields that the user's own user.conf sets (not the built-in
    mlperf.conf), each with where and how: ``file:line (key = value)``."""
    if not user_conf:
        return {}
    from ..config import explain

    path = os.path.realpath(user_conf)
    out = {}
    for f in explain(config_model, scenario, user_conf):
        if f.get("file") and os.path.realpath(str(f["file"])) == path:
            out[str(f["field"])] = f"{f['where']} ({f['key']} = {f['written_value']})"
    return out


def make_settings(
    opts: RunOptions,
    config_model: str,
    user_conf: str | None,
    total_samples: int,
    qsl_performance_samples: int,
) -> SettingsPlan:
    ts = _core.TestSettings()
    ts.scenario = getattr(_core.TestScenario, opts.scenario)
    ts.record_mode = getattr(_core.RecordMode, opts.record_mode.capitalize())
    notes: list[str] = []
    warnings: list[str] = []

    if user_conf is not None:
        if not os.path.isfile(user_conf):
            raise FileNotFoundError(f"user.conf {user_conf!r} does not exist")
        rc = ts.FromConfig(user_conf, config_model, opts.scenario)
    else:
        rc = ts.FromConfig("", config_model, opts.scenario, 0)
    for d in ts.config_diagnostics:
        warnings.append(f"{d.file}:{d.line}: {'error' if d.is_error else 'warning'}: {d.message}")
    if rc != 0:
        raise ValueError(
            f"reading {user_conf or 'the built-in mlperf.conf'} failed (code {rc}): " + "; ".join(warnings)
        )

    if opts.accuracy:
        ts.mode = _core.TestMode.AccuracyOnly
    elif opts.find_peak_performance:
        ts.mode = _core.TestMode.FindPeakPerformance
    else:
        ts.mode = _core.TestMode.PerformanceOnly
    _apply_rules_seeds(ts, opts, config_model, notes)

    if not opts.official:
        # A short run's length replaces mlperf.conf's, never a value of the user's own user.conf.
        mine = user_conf_fields(config_model, opts.scenario, user_conf)
        if "min_duration_ms" not in mine:
            ts.min_duration_ms = SHORT_MIN_DURATION_MS
        if "min_query_count" not in mine:
            ts.min_query_count = SHORT_MIN_QUERY_COUNT
        if not opts.accuracy:
            notes.append(
                f"SHORT RUN, not an official result: min_duration {ts.min_duration_ms / 1000:g} s and "
                f"min_query_count {ts.min_query_count} replace the rules' values; the rules' early "
                f"stopping and latency bounds still decide VALID. Add --official for a full run."
            )
            for k in ("min_duration_ms", "min_query_count"):
                if k in mine:
                    notes.append(f"short run: {k} is yours, from {mine[k]}")

    # Explicit flags, as the reference harness applies them.
    if opts.count is not None:
        ts.min_query_count = opts.count
        ts.max_query_count = opts.count
    if opts.time_s is not None:
        ts.min_duration_ms = int(opts.time_s * 1000)
        # Offline issues its one query at once, so max_duration has nothing
        # to stop there (LoadGen waits for a tail that keeps completing); a
        # stalled SUT is ended by the watchdog either way.
        if opts.scenario != "Offline":
            ts.max_duration_ms = int(opts.time_s * 1000)
    if opts.qps is not None:
        ts.server_target_qps = opts.qps
        ts.offline_expected_qps = opts.qps
    if opts.max_latency_s is not None:
        ts.server_target_latency_ns = int(opts.max_latency_s * 1e9)
        ts.multi_stream_expected_latency_ns = int(opts.max_latency_s * 1e9)
    if opts.samples_per_query is not None:
        ts.multi_stream_samples_per_query = opts.samples_per_query
    if opts.performance_sample_count is not None:
        ts.performance_sample_count_override = opts.performance_sample_count
    elif ts.performance_sample_count_override > total_samples:
        notes.append(
            f"performance_sample_count {ts.performance_sample_count_override} (mlperf.conf) exceeds "
            f"the {total_samples} samples of this data set; using {total_samples}"
        )
        ts.performance_sample_count_override = total_samples

    loadable = min(total_samples, ts.performance_sample_count_override or qsl_performance_samples)
    if opts.scenario == "MultiStream" and ts.multi_stream_samples_per_query > loadable:
        raise ValueError(
            f"MultiStream queries have {ts.multi_stream_samples_per_query} samples but only {loadable} "
            f"can be loaded: use a larger data set or --samples-per-query {loadable}"
        )
    return SettingsPlan(ts, notes, warnings)
