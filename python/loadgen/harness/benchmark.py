"""A benchmark's description (``BenchmarkSpec``) and the one run flow for all.

spec -> prepare(opts) -> dataset, backend -> warm-up -> QSL + SUT
     -> loadgen.run_test (progress line) -> accuracy hook -> RunReport
"""

from __future__ import annotations

import importlib
import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .. import _core
from .accuracy import AccuracyResult
from .backend import Backend, BackendOptions, create_backend
from .dataset import Dataset
from .embedded import Embedded, prepare_with_default
from .hints import server_demo_flags, short_run_hints
from .network import network_options
from .precision import apply as apply_precision
from .precision import check_supported as check_precision
from .precision import compare_with_fp32, fp32_reference, target_fractions
from .qsl import DatasetQSL
from .report import PerformanceSummary, Progress, RunReport, peak_probe_dict, report_to_json
from .settings import RunOptions, cpu_count, make_settings
from .sizing import Sizing, size_run, write_user_conf
from .sut import InlineSUT, Postprocess, Respond, SortKey, ThreadedSUT


@dataclass
class BenchmarkSpec:
    """Everything the harness needs to know about one benchmark.

    name: shown to the user ("ResNet50-v1.5").
    config_model: the model name in mlperf.conf ("resnet50").
    user_conf: the benchmark's user.conf (used unless --user-conf is given).
    make_dataset(opts): the Dataset for ``opts.dataset_path`` (and ``opts.count``).
    postprocess(outputs): a batch's backend outputs -> response data (timed).
    respond(outputs, dataset, indices): optional; replaces postprocess (which
        may then be None) for responses that need more than the outputs, e.g.
        labels or per-sample sizes from the Dataset (DLRM); ``indices`` are
        the batch's QSL indices (numpy).
    sample_weights(dataset): optional; one integer >= 1 per QSL sample. The
        batching workers then count ``max_batchsize`` in these units and never
        split a sample (DLRM: pairs per group). None: every sample weighs 1.
    accuracy(accuracy_log_path, dataset, opts): scores an accuracy log.
    prepare(opts): fills defaults before anything loads; returns the options
        to use (and may add notes through ``opts.extra["notes"]``). With
        ``embedded`` it runs after the embedded default is filled in, and
        ``spec.prepare`` is then the two in turn (``embedded.prepare_with_default``).
    embedded(opts, cache_dir): makes (once) the embedded default in
        ``cache_dir`` (``embedded_cache_dir()`` without --cache-dir) and returns
        its ``embedded.Embedded``, used when no --dataset-path is given;
        ``which_model``: what to give with --dataset-path (the error's end).
    inputs/outputs: the model's tensor names, in the order postprocess expects.
    torch_model_factory(path): the torch module for a model file (e.g.
        ``script.imported_when_called("resnet50.model:build_torch_model")``).
    null_outputs: per-sample shape and dtype of each output, for the null backend.
    performance_sample_count: the QSL's count (capped by the data set size).
    default_max_batchsize, default_threads: used when the flags are not given
        (threads: one worker per core if None).
    hint(report, opts): extra advice to print after a run (e.g. why a short
        run on a slow machine is INVALID); replaces the shared advice below.
    server_bound: the Server latency bound as the reader should know it
        ("15 ms at the 99th percentile"); given (and no ``hint``), a run gets
        the shared advice for an INVALID short run (``hints.short_run_hints``).
    server_demo: flags that relax the Server bound for a demonstration on a
        small machine; with ``server_demo_sized`` only the fallback for a run
        that measured nothing: the flags are sized from the measured latency
        (``hints.server_demo_flags``).
    backends: the benchmark's own Backend classes (or ``"module:Class"``
        strings) for some backend names, used instead of the registry's for
        this benchmark only: e.g. an encoder graph plus a decoder-step graph
        driven by a search loop, where the registry's backends run one graph.
    batch_sort_key(dataset, opts): optional; a function from QSL indices to
        integer keys (e.g. sequence lengths) by which the batching workers
        group samples (see ThreadedSUT), or None for the default batching.
    wrap_backend(backend, opts): wraps the created (not yet loaded) backend,
        for models whose sample is not one model input: e.g. 3D-UNet's
        sliding window, which cuts each volume into patches, batches patches
        of one or several volumes up to ``opts.max_batchsize`` through the
        inner backend, and returns one variable-size result per sample.
    make_sut(dataset, backend, opts, workers): the benchmark's own SUT (e.g.
        token streaming for LLMs), replacing the inline/threaded ones; with
        ``--sut openai`` it gets no backend (None): the model runs on a server.
    adjust_settings(settings, opts): last changes to the TestSettings (e.g.
        latency bounds a short run relaxes); returns notes for the reader.
    default_backend: ``--backend`` when the flag is absent.
    calibration(opts): the rules' calibration set as model inputs (a
        ``precision.CalibrationSet``) for ``--precision int8``; None: no int8.
    precision_unsupported: precision -> why this benchmark cannot run it (the
        error names the reason), e.g. an LSTM model onnxruntime's static
        quantizer does not cover.
    watchdog_timeout_ms: LoadGen's watchdog (no sample completed for this long
        while some are outstanding ends the test INVALID); None keeps LoadGen's
        60 s, a model whose one sample can take longer on a CPU sets more.
    overhead: the module of the benchmark's harness-overhead comparison
        (``python -m loadgen.harness.overhead --benchmark NAME``; see
        ``loadgen.harness.overhead``), e.g. ``"resnet50.overhead"`` (``in_folder``:
        the folder's overhead.py); None: none.
    """

    name: str
    config_model: str
    user_conf: str | None
    make_dataset: Callable[[RunOptions], Dataset]
    postprocess: Postprocess | None
    accuracy: Callable[[str, Dataset, RunOptions], AccuracyResult] | None = None
    prepare: Callable[[RunOptions], RunOptions] | None = None
    embedded: Callable[[RunOptions, str], Embedded] | None = None
    embedded_cache_dir: Callable[[], str | Path] | None = None
    which_model: str = "give a model file"
    inputs: Sequence[str] = ()
    outputs: Sequence[str] = ()
    torch_model_factory: Callable[[str], Any] | None = None
    null_outputs: Sequence[tuple[tuple[int, ...], str]] = ()
    performance_sample_count: int = 1024
    default_max_batchsize: int = 32
    default_threads: int | None = None  # None: one worker per core, as the reference
    hint: Callable[[RunReport, RunOptions], list[str]] | None = None
    respond: Respond | None = None
    sample_weights: Callable[[Dataset], np.ndarray] | None = None
    backends: Mapping[str, str | type] = field(default_factory=dict)
    batch_sort_key: Callable[[Dataset, RunOptions], SortKey | None] | None = None
    wrap_backend: Callable[[Backend, RunOptions], Backend] | None = None
    watchdog_timeout_ms: int | None = None
    make_sut: Callable[[Dataset, Any, RunOptions, int], Any] | None = None
    adjust_settings: Callable[[Any, RunOptions], list[str]] | None = None
    default_backend: str = "onnxruntime"
    calibration: Callable[[RunOptions], Any] | None = None
    precision_unsupported: Mapping[str, str] = field(default_factory=dict)
    overhead: str | None = None
    server_bound: str | None = None
    server_demo: str = "--max-latency 1 --qps 1 --time 120"
    server_demo_sized: bool = False

    def __post_init__(self) -> None:
        if self.postprocess is None and self.respond is None:
            raise ValueError(f"BenchmarkSpec {self.name!r}: give postprocess or respond")
        if self.embedded is not None:
            if self.embedded_cache_dir is None:
                raise ValueError(f"BenchmarkSpec {self.name!r}: embedded needs embedded_cache_dir")
            self.prepare = prepare_with_default(
                self.embedded, self.embedded_cache_dir, self.which_model, self.prepare
            )

    @classmethod
    def in_folder(cls, folder: str | Path, **fields: Any) -> BenchmarkSpec:
        """The spec of a benchmark folder (``benchmarks/<name>/``, importable as
        the package ``<name>``) with its parts that follow the folder's layout
        filled in where ``fields`` do not give them: ``user_conf`` its
        user.conf, ``accuracy`` accuracy.py's ``score_for_harness``,
        ``overhead`` its overhead.py, and with ``embedded`` the
        ``embedded_cache_dir`` synthetic.py's ``default_cache_dir``."""
        folder = Path(folder)

        def module(name: str) -> Any:
            return importlib.import_module(f"{folder.name}.{name}")

        fields.setdefault("user_conf", str(folder / "user.conf"))
        if "accuracy" not in fields and (folder / "accuracy.py").is_file():
            fields["accuracy"] = module("accuracy").score_for_harness
        if "overhead" not in fields and (folder / "overhead.py").is_file():
            fields["overhead"] = f"{folder.name}.overhead"
        if fields.get("embedded") is not None and "embedded_cache_dir" not in fields:
            fields["embedded_cache_dir"] = module("synthetic").default_cache_dir
        return cls(**fields)

    def open_backend(
        self, opts: RunOptions, model_path: str | None, intra_op_threads: int, precision: str = "fp32"
    ) -> Backend:
        """This benchmark's ``opts.backend`` (its own class where it has one),
        wrapped as the benchmark asks, loaded with ``model_path``."""
        backend = create_backend(opts.backend, self.backends)
        if self.wrap_backend is not None:
            backend = self.wrap_backend(backend, opts)
        backend.load(
            BackendOptions(
                model_path=model_path,
                inputs=self.inputs,
                outputs=self.outputs,
                intra_op_threads=intra_op_threads,
                model_factory=self.torch_model_factory,
                null_outputs=self.null_outputs,
                precision=precision,
            )
        )
        return backend


def write_html_report(out_dir: str, report: RunReport) -> str | None:
    """report.html beside the logs; a failure to make it is a warning of the
    run, never a failed run (the logs are what counts)."""
    from ..report import write_report

    path = os.path.join(out_dir, "report.html")
    try:
        write_report([out_dir], path)
    except ImportError as e:
        report.warnings.append(f"no report.html: {e}")
        return None
    except Exception as e:  # noqa: BLE001 - a report must never fail the run
        report.warnings.append(f"no report.html: {type(e).__name__}: {e}")
        return None
    return path


def default_output_dir(spec: BenchmarkSpec, opts: RunOptions) -> str:
    suffix = "-accuracy" if opts.accuracy else ""
    return os.path.join("output", f"{spec.config_model}-{opts.backend}-{opts.scenario}{suffix}")


def _probe_settings(
    spec: BenchmarkSpec, opts: RunOptions, scenario: str, total: int, qsl_perf: int
) -> _core.TestSettings:
    """Fresh TestSettings of this benchmark for a sizing probe in ``scenario``:
    the same configuration files, bounds and watchdog as the timed run."""
    probe = replace(
        opts,
        scenario=scenario,
        accuracy=False,
        find_peak_performance=False,
        count=None,
        time_s=None,
        test05=False,
    )
    ts = make_settings(probe, spec.config_model, opts.user_conf or spec.user_conf, total, qsl_perf).settings
    if spec.watchdog_timeout_ms is not None:
        ts.watchdog_timeout_ms = spec.watchdog_timeout_ms
    if spec.adjust_settings is not None:
        spec.adjust_settings(ts, probe)
    return ts


def warmup(dataset: Dataset, backend: Any, batch_sizes: Sequence[int]) -> None:
    """A few predictions on sample 0 before the test (untimed): first-call costs
    (allocations, kernel selection) stay out of the measured latencies."""
    if not batch_sizes:
        return
    dataset.load([0])
    try:
        for bs in batch_sizes:
            backend.predict(dataset.get_batch([0] * bs))
    finally:
        dataset.unload([0])


def _score_fp32(
    spec: BenchmarkSpec,
    opts: RunOptions,
    dataset: Dataset,
    precision: Any,
    report: RunReport,
    out_dir: str,
    intra: int,
    log: Callable[[str], None],
) -> None:
    """A reduced-precision accuracy run: the FP32 source model's score on the
    same samples, and which of the rules' targets (fractions of it) hold."""
    assert report.accuracy is not None
    try:
        ref = fp32_reference(spec, opts, dataset, precision, out_dir, intra, log)
    except (OSError, ValueError) as e:
        report.warnings.append(f"no FP32 comparison: {e}")
        return
    precision.fp32_accuracy = ref.value
    precision.targets = compare_with_fp32(
        report.accuracy.value, ref.value, target_fractions(spec.config_model)
    )
    report.precision = precision.to_json()
    held = ", ".join(f"{k} {'PASSED' if v else 'FAILED'}" for k, v in precision.targets.items())
    line = (
        f"{precision.precision} {report.accuracy.metric} {report.accuracy.value:.3f} vs FP32 {ref.value:.3f} "
        f"of the same model on the same samples ({report.accuracy.value / ref.value * 100 if ref.value else 0:.2f} "
        f"%): {held}"
    )
    with open(os.path.join(out_dir, "accuracy.txt"), "a", encoding="utf-8") as f:
        f.write(line + "\n")


def run_benchmark(spec: BenchmarkSpec, opts: RunOptions, log: Callable[[str], None] = print) -> RunReport:
    """Runs one test and returns its report. Raises for setup errors (missing
    files, bad settings); failures during the test are in the report."""
    t_start = time.monotonic()
    net = network_options(opts.extra)  # None: the model runs here (--sut local)
    check_precision(spec, opts)
    if spec.prepare is not None:
        opts = spec.prepare(opts)
    opts, precision = apply_precision(spec, opts, log)
    max_bs = opts.max_batchsize or spec.default_max_batchsize
    threads = opts.threads or spec.default_threads or cpu_count()
    inline = opts.scenario == "SingleStream"
    workers = 1 if inline else threads
    intra = max(1, cpu_count() // workers)
    opts = replace(opts, max_batchsize=max_bs, threads=threads)
    out_dir = opts.output or default_output_dir(
        spec,
        replace(opts, backend=net.kind)
        if net is not None
        else replace(opts, backend="openai")
        if opts.extra.get("sut") == "openai"
        else opts,
    )
    os.makedirs(out_dir, exist_ok=True)

    dataset = spec.make_dataset(opts)
    qsl_perf = min(dataset.total_count, opts.performance_sample_count or spec.performance_sample_count)
    plan = make_settings(
        opts, spec.config_model, opts.user_conf or spec.user_conf, dataset.total_count, qsl_perf
    )
    notes = list(opts.extra.get("notes", [])) + plan.notes
    if spec.watchdog_timeout_ms is not None:
        plan.settings.watchdog_timeout_ms = spec.watchdog_timeout_ms
    if spec.adjust_settings is not None:
        notes += spec.adjust_settings(plan.settings, opts)
    streaming_server = opts.extra.get("sut") == "openai"  # the benchmark's own SUT talks to a server

    qsl = DatasetQSL(dataset, qsl_perf)
    sut: Any
    if net is not None:
        from .sut_kserve import KServeSUT

        log(f"connecting to {net.url} ({net.protocol}), model {net.model_name}")
        sut = KServeSUT(dataset, net, spec.inputs, spec.outputs, spec.postprocess, opts.warmup_batches)
        notes += sut.notes()
        backend_name, backend_version, workers_text = net.kind, sut.server_description, sut.describe()
    elif streaming_server:
        if spec.make_sut is None:
            raise ValueError("--sut openai is for token-streaming benchmarks (an LLM); this one has none")
        sut = spec.make_sut(dataset, None, opts, workers)
        notes += sut.notes()
        backend_name, backend_version = "openai", str(opts.extra.get("url"))
        workers_text = f"up to {opts.extra.get('max_inflight') or 32} requests in flight"
    else:
        log(f"loading {opts.backend} model {opts.model or '(none)'}")
        backend = spec.open_backend(opts, opts.model, intra, opts.precision)
        sizes = [1] + [min(max_bs, 8)] * max(0, opts.warmup_batches - 1) if opts.warmup_batches else []
        warmup(dataset, backend, sizes)
        if spec.make_sut is not None:
            sut = spec.make_sut(dataset, backend, opts, workers)
        elif inline:
            sut = InlineSUT(dataset, backend, spec.postprocess, respond=spec.respond)
        else:
            weights = spec.sample_weights(dataset) if spec.sample_weights is not None else None
            sort_key = spec.batch_sort_key(dataset, opts) if spec.batch_sort_key is not None else None
            sut = ThreadedSUT(
                dataset,
                backend,
                spec.postprocess,
                max_bs,
                threads,
                respond=spec.respond,
                sample_weights=weights,
                sort_key=sort_key,
            )
        backend_name, backend_version = opts.backend, backend.version
        workers_text = ("inline (SingleStream)" if inline else f"{threads} worker(s)") + (
            f" x {intra} thread(s), max batch {1 if inline else max_bs}"
        )

    sizing: Sizing | None = None
    given = opts.extra.get("sized")  # values a compliance flow's baseline chose
    if given:
        for k, v in given.items():
            setattr(plan.settings, k, v)
        notes.append(
            "sizing: the values its baseline performance run measured ("
            + ", ".join(f"{k} = {v:g}" for k, v in given.items())
            + ")"
        )
    elif opts.sized:
        sizing = size_run(
            plan.settings,
            lambda scenario: _probe_settings(spec, opts, scenario, dataset.total_count, qsl_perf),
            sut,
            qsl,
            opts,
            spec.config_model,
            workers,
            log,
        )
        notes += sizing.notes
        for line in sizing.notes:  # now, before a run that may be long: what was chosen and how long
            log(line)
        if hasattr(sut, "reset_counters"):
            sut.reset_counters()
        if sizing.conf:
            conf_path = os.path.join(out_dir, "user.conf")
            write_user_conf(conf_path, spec.config_model, opts.scenario, sizing)
            notes.append(f"sizing: the measured values are in {conf_path} (--user-conf it with --official)")

    ls = _core.LogSettings()
    ls.log_output.outdir = out_dir
    ls.log_output.copy_summary_to_stdout = False
    report = RunReport(
        benchmark=spec.name,
        scenario=opts.scenario,
        mode=plan.settings.mode.name,
        backend=backend_name,
        backend_version=backend_version,
        workers=workers_text,
        official=opts.official,
        output_dir=out_dir,
        notes=notes,
        warnings=plan.warnings,
        config_model=spec.config_model,
        model=opts.model,
        sizing=sizing.to_json() if sizing is not None else None,
        precision=precision.to_json() if precision is not None else None,
    )
    log(f"running {spec.name} {opts.scenario} ({report.mode}), logs in {out_dir}")
    try:
        if opts.progress:
            with Progress(lambda: (sut.queries, sut.issued, sut.completed)):
                result = _core.run_test(sut, qsl, plan.settings, ls, opts.audit_conf)
        else:
            result = _core.run_test(sut, qsl, plan.settings, ls, opts.audit_conf)
    finally:
        sut.close()
    if sut.error is not None:
        report.error = f"{type(sut.error).__name__}: {sut.error}"
    if result.performance:
        report.performance = PerformanceSummary.from_result(result.performance[-1])
        if (
            net is not None or streaming_server
        ) and sut.error is not None:  # failed samples count as unanswered
            report.performance.valid = False
            report.performance.invalid_reasons.append(str(sut.error))
    if result.aborted:
        report.aborted = result.abort_reason
    report.loadgen_errors = list(result.errors)
    if plan.settings.mode == _core.TestMode.FindPeakPerformance:
        report.peak_qps = float(result.peak_qps)
        report.peak_probes = [peak_probe_dict(p) for p in result.peak_probes]
    report.logs = {
        k: v
        for k, v in (
            ("summary", result.summary_path),
            ("summary_json", result.summary_json_path),
            ("detail", result.detail_path),
            ("accuracy", result.accuracy_path),
        )
        if v
    }

    if opts.accuracy:
        report.accuracy_samples = int(result.accuracy_samples_completed)
        if spec.accuracy is not None and result.accuracy_path and report.error is None:
            acc = spec.accuracy(result.accuracy_path, dataset, opts)
            report.accuracy = acc
            acc_txt = os.path.join(out_dir, "accuracy.txt")
            with open(acc_txt, "w", encoding="utf-8") as f:
                f.write(acc.line + "\n" + acc.target_line() + "\n")
            report.logs["accuracy.txt"] = acc_txt
            if precision is not None and precision.precision != "fp32" and precision.source_model:
                _score_fp32(spec, opts, dataset, precision, report, out_dir, intra, log)
    if spec.hint is not None:
        report.hints = spec.hint(report, opts)
    elif spec.server_bound is not None:
        demo = server_demo_flags(report, spec.server_demo) if spec.server_demo_sized else spec.server_demo
        report.hints = short_run_hints(report, opts, spec.config_model, spec.server_bound, demo)
    report.wall_s = time.monotonic() - t_start
    results_json = os.path.join(out_dir, "results.json")
    Path(results_json).write_text(json.dumps(report_to_json(report), indent=2) + "\n", encoding="utf-8")
    report.logs["results.json"] = results_json
    if opts.html_report and result.summary_path:
        html_report = write_html_report(out_dir, report)
        if html_report is not None:
            report.logs["report"] = html_report
            Path(results_json).write_text(
                json.dumps(report_to_json(report), indent=2) + "\n", encoding="utf-8"
            )
    if net is None and not streaming_server:
        backend.close()
    return report
