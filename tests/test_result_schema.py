"""One machine-readable result: mlperf_log_summary.json (schema
loadgen.summary/N). The harness's results.json names and embeds it instead
of repeating its figures under other names; a failed log write reaches the
caller."""

from __future__ import annotations

import json
import os
from pathlib import Path

import loadgen as lg
import numpy as np
import pytest
from harness_toys import toy_options
from lg_helpers import run_in_process, settings_with
from loadgen.harness import BenchmarkSpec, Dataset, RunOptions, run_benchmark
from loadgen.harness.report import RESULTS_SCHEMA


class TinyDataset(Dataset):
    """Sample i is the float32 value i."""

    name = "tiny"

    @property
    def total_count(self) -> int:
        return 8

    def load(self, indices) -> None:
        pass

    def unload(self, indices) -> None:
        pass

    def get_batch(self, indices) -> np.ndarray:
        return np.array(indices, dtype=np.float32).reshape(-1, 1)


def tiny_spec() -> BenchmarkSpec:
    return BenchmarkSpec(
        name="Tiny",
        config_model="tiny",
        user_conf=None,
        make_dataset=lambda opts: TinyDataset(),
        postprocess=lambda outputs: outputs[0].astype(np.float32),
        accuracy=None,
        null_outputs=(((1,), "float32"),),
        performance_sample_count=8,
    )


def tiny_options(tmp_path, scenario: str) -> RunOptions:
    # The null backend answers with zeros of null_outputs' shape.
    return toy_options(tmp_path, backend="null", samples_per_query=2, scenario=scenario, count=8)


# Names the summary JSON gives LoadGen's figures; results.json must not carry
# a second copy of them at its top level.
LOADGEN_FIGURES = {
    "performance",
    "peak_qps",
    "loadgen_errors",
    "aborted",
    "accuracy_samples",
    "valid",
    "metric",
}


@pytest.mark.parametrize("scenario", ["Offline", "SingleStream"])
def test_results_json_embeds_the_summary_json_and_repeats_none_of_its_figures(tmp_path, scenario):
    report = run_benchmark(tiny_spec(), tiny_options(tmp_path, scenario))
    out = tmp_path / "out"
    results = json.loads((out / "results.json").read_text())
    summary = json.loads((out / "mlperf_log_summary.json").read_text())
    assert results["schema"] == RESULTS_SCHEMA
    assert summary["schema"] == "loadgen.summary/1"
    assert results["loadgen_summary"] == summary
    assert results["logs"]["summary_json"] == str(out / "mlperf_log_summary.json")
    assert not LOADGEN_FIGURES & set(results), sorted(LOADGEN_FIGURES & set(results))
    # The harness's own verdict agrees with LoadGen's.
    perf = summary["performance"][-1]
    assert report.performance is not None
    assert results["ok"] == (perf["result"] == "VALID" and not summary["aborted"])
    assert report.performance.samples_completed == perf["samples_completed"]


# A null SUT's Offline run of 8 samples.
OFFLINE_8 = {"min_duration_ms": 0, "min_query_count": 8}


def test_test_result_names_the_summary_json(tmp_path):
    r = run_in_process(lg, settings_with(lg, "Offline", **OFFLINE_8), tmp_path)
    doc = json.loads(Path(r.summary_json_path).read_text())
    assert r.summary_json_path == str(tmp_path / "mlperf_log_summary.json")
    p, q = r.performance[0], doc["performance"][0]
    for name in ("samples_issued", "samples_completed", "queries_issued", "metric_name", "early_end_reason"):
        assert getattr(p, name) == q[name], name


@pytest.mark.skipif(
    not os.path.exists("/dev/full"), reason="missing system piece: /dev/full (a Linux device; not on this OS)"
)
def test_a_log_file_that_cannot_be_written_raises_naming_it(tmp_path):
    (tmp_path / "mlperf_log_detail.txt").symlink_to("/dev/full")
    with pytest.raises(RuntimeError, match="cannot write the log file .*mlperf_log_detail.txt"):
        run_in_process(lg, settings_with(lg, "Offline", **OFFLINE_8), tmp_path)
