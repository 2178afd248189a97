"""What the per-benchmark test modules (test_resnet50.py, test_bert.py, ...) share.

Each of them runs its benchmark through the harness on a tiny embedded data
set: in every scenario with both backends, for accuracy, and through its
``run.py``. The options such a short run takes, the checks that every
scenario's performance run passes, and the way a ``run.py`` is called live
here once; what is particular to a model (its assets, its model file, its
accuracy figures) stays in its module.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
SCENARIOS = ["SingleStream", "MultiStream", "Server", "Offline"]
BACKENDS = ["onnxruntime", "torch"]


def every_scenario_with_both_backends(test):
    """Parametrizes ``test`` over SCENARIOS and BACKENDS (its ids: ``[scenario-backend]``)."""
    return pytest.mark.parametrize("backend", BACKENDS)(pytest.mark.parametrize("scenario", SCENARIOS)(test))


def offline_outlasting_min_duration(scenario: str) -> dict[str, Any]:
    """The options that make a short Offline run VALID: its one query must
    outlast min_duration, and at 1 ms any real inference does (the short run's
    50 ms is not outlasted by a tiny model on a quiet machine). Nothing for
    the other scenarios."""
    return {"time_s": 0.001} if scenario == "Offline" else {}


def use_benchmark(name: str) -> Path:
    """Readies a module for benchmarks/``name``: imports what every benchmark
    test needs (the harness and the ``benchmarks`` extra's torch, onnx and
    onnxruntime; a missing one fails the module, tests/conftest.py), puts
    benchmarks/ on sys.path so that ``import name`` finds the benchmark's
    package, and returns the path of its run.py."""
    for module in ("loadgen.harness", "torch", "onnx", "onnxruntime"):
        pytest.importorskip(module)
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return BENCHMARKS / name / "run.py"


def cache_fixture(name: str):
    """A module-scoped ``cache`` fixture: one folder for the module's embedded
    default and preprocessed data, made once (``cache = cache_fixture(name)``)."""

    @pytest.fixture(scope="module")
    def cache(tmp_path_factory) -> Path:
        return tmp_path_factory.mktemp(f"{name}-cache")

    return cache


# What a short run's options are unless a module says otherwise: one warm-up
# batch, small queries, two SUT threads, and 50 ms.
SHORT_RUN: dict[str, Any] = {
    "progress": False,
    "warmup_batches": 1,
    "samples_per_query": 2,
    "max_batchsize": 4,
    "threads": 2,
    "qps": 50.0,
    "time_s": 0.05,
}


def short_run_options(model, data_dir, cache: Path, tmp_path: Path, scenario: str, backend: str, **kw: Any):
    """RunOptions for a short run of ``scenario`` with ``backend`` that writes
    its logs to ``tmp_path / "out"``; ``kw`` overrides anything in SHORT_RUN."""
    from loadgen.harness import RunOptions

    where = {
        "scenario": scenario,
        "backend": backend,
        "model": str(model),
        "dataset_path": str(data_dir),
        "cache_dir": str(cache),
        "output": str(tmp_path / "out"),
    }
    return RunOptions(**{**where, **SHORT_RUN, **kw})


def unexpected_errors(report) -> list[str]:
    """The report's LoadGen errors but the one a run cut short by --count expects."""
    return [e for e in report.loadgen_errors if "Ending early: Max" not in e]


def assert_finished(report) -> None:
    """The run ended without a harness error or an unexpected LoadGen error."""
    assert report.error is None and not unexpected_errors(report)


def accuracy_of(report):
    """The accuracy result of a run that finished (assert_finished); fails when there is none."""
    assert_finished(report)
    assert report.accuracy is not None
    return report.accuracy


def check_scenario_run(report, out: Path, scenario: str, *, offline_valid: bool = True) -> None:
    """What every scenario's short performance run must show: it finished, it
    completed every sample it issued, the summary in ``out`` names the
    scenario, and (``offline_valid``) an Offline run is VALID."""
    assert_finished(report)
    p = report.performance
    assert p is not None and p.samples_completed == p.samples_issued >= 1
    summary = (out / "mlperf_log_summary.txt").read_text()
    assert f"Scenario : {scenario}" in summary
    if offline_valid and scenario == "Offline":
        assert p.valid, p.invalid_reasons


def every_scenario_runs_test(spec, options, count: int, more=offline_outlasting_min_duration, **check: Any):
    """The test that every scenario runs with both backends: a short run of
    ``count`` samples with the module's ``options(assets, cache, tmp_path,
    scenario, backend, **kw)`` and ``more(scenario)`` on top passes
    check_scenario_run (``check``: its keywords). A module takes it as
    ``test_every_scenario_runs_with_both_backends = every_scenario_runs_test(...)``."""

    @every_scenario_with_both_backends
    def test(assets, cache, tmp_path, scenario, backend):
        from loadgen.harness import run_benchmark

        opts = options(assets, cache, tmp_path, scenario, backend, count=count, **more(scenario))
        check_scenario_run(run_benchmark(spec, opts), tmp_path / "out", scenario, **check)

    return test


def accuracy_run(spec, options, assets, cache, tmp_path: Path, scenario: str, backend: str):
    """The accuracy of an accuracy run of ``scenario`` with ``backend`` (no
    time limit) that finished (accuracy_of); the accuracy.txt it wrote
    starts with its line."""
    from loadgen.harness import run_benchmark

    opts = options(assets, cache, tmp_path, scenario, backend, accuracy=True, time_s=None)
    acc = accuracy_of(run_benchmark(spec, opts))
    text = (tmp_path / "out" / "accuracy.txt").read_text()
    assert text.startswith(acc.line), (text, acc.line)
    return acc


def submission_flow_test(spec, options, **flow: Any):
    """The test that a benchmark's Offline onnxruntime runs go through
    performance, accuracy and its model's compliance tests, packed and
    checked (issue 15; submission_flow.check_flow, ``flow`` its keywords)."""

    def test(assets, cache, tmp_path):
        from submission_flow import check_flow

        check_flow(
            spec,
            lambda **kw: options(assets, cache, tmp_path, "Offline", "onnxruntime", **kw),
            tmp_path,
            **flow,
        )

    return test


def usage_error_without_model_test(run_py: Path, message: str = "--model"):
    """The test that run.py given the module's data set (``assets.data_dir``)
    but no model is a usage error naming ``message`` (check_usage_error_without_model)."""

    def test(assets, tmp_path):
        check_usage_error_without_model(run_py, assets.data_dir, tmp_path / "o", message)

    return test


def run_script(script: Path, *flags: object, check: bool = False, **options: object):
    """Runs a benchmark's script (run.py, accuracy.py) in this interpreter and
    captures its output. ``flags`` are passed as they are (``"--accuracy"``);
    each keyword becomes ``--name value``, with ``_`` in the name as ``-``
    (``cache_dir=path`` is ``--cache-dir path``)."""
    args = [str(f) for f in flags]
    for name, value in options.items():
        args += [f"--{name.replace('_', '-')}", str(value)]
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, check=check)


def check_usage_error_without_model(run_py: Path, data_dir: Path, out: Path, message: str) -> None:
    """run.py given a data set but no model stops with a usage error (exit
    status 2) whose message holds ``message``."""
    proc = run_script(run_py, dataset_path=data_dir, output=out)
    assert proc.returncode == 2
    assert message in proc.stderr


def run_accuracy_cli(run_py: Path, scenario: str, cache: Path, out: Path, **options: object):
    """``run.py --accuracy`` of ``scenario`` with ``cache`` for its cache
    folder (where the embedded default is made), writing to ``out``;
    ``options`` as for run_script. Fails with the script's output unless it
    exits 0; returns the finished process and the accuracy.txt it wrote."""
    proc = run_script(
        run_py, "--accuracy", "--no-progress", scenario=scenario, cache_dir=cache, output=out, **options
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc, (out / "accuracy.txt").read_text()
