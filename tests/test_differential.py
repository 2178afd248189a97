"""Differential test: the same settings and the same recording SUT, run once
with ``loadgen`` and once with the reference ``mlperf_loadgen`` (each in its
own interpreter), must load the same sets, issue the same samples in the same
order and the same query sizes, follow the same Server schedule, and log the
same accuracy entries.

The reference pre-generates a finite list of SingleStream/MultiStream queries
and, with a SUT faster than the expected latency, runs out of them before the
minimum duration; we generate lazily and keep going. For those performance
phases the reference's stream must be a prefix of ours.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from lg_helpers import ACCURACY, DETAIL, child_env, child_result, detail_values, read_accuracy, read_detail

pytest.importorskip("mlperf_loadgen")

WORKER = Path(__file__).with_name("diff_worker.py")
TIMEOUT_S = 60

BASE = {
    "qsl_rng_seed": 12345,
    "sample_index_rng_seed": 777,
    "schedule_rng_seed": 99,
    "min_duration_ms": 100,
    "min_query_count": 50,
    "single_stream_expected_latency_ns": 1000000,
    "multi_stream_expected_latency_ns": 2000000,
    "server_target_qps": 500,
    "offline_expected_qps": 1000,
}
OFFICIAL_V60_SEEDS = {
    "qsl_rng_seed": 1780908523862526354,
    "sample_index_rng_seed": 14771362308971278857,
    "schedule_rng_seed": 18209322760996052031,
}
SCENARIOS = ["SingleStream", "MultiStream", "Server", "Offline"]


@dataclass
class Case:
    scenario: str
    mode: str
    extra: dict[str, Any] = field(default_factory=dict)
    total: int = 100
    perf: int = 40
    label: str = ""
    busy_us: int = 0  # the SUT's service time per issue call

    @property
    def id(self) -> str:
        return f"{self.scenario}-{self.mode}" + (f"-{self.label}" if self.label else "")

    def config(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "mode": self.mode,
            "total": self.total,
            "perf": self.perf,
            "busy_us": self.busy_us,
            "settings": {**BASE, **self.extra},
        }


def cases() -> list[Case]:
    out = []
    for scen in SCENARIOS:
        for mode in ["PerformanceOnly", "AccuracyOnly", "SubmissionRun"]:
            out.append(Case(scen, mode))
        out.append(
            Case(scen, "PerformanceOnly", {"sample_concatenate_permutation": True}, label="equal-issue")
        )
        out.append(Case(scen, "PerformanceOnly", {"performance_issue_unique": True}, label="issue-unique"))
        out.append(
            Case(
                scen,
                "PerformanceOnly",
                {"performance_issue_same": True, "performance_issue_same_index": 3},
                label="issue-same",
            )
        )
        for mode in ["PerformanceOnly", "AccuracyOnly"]:
            out.append(Case(scen, mode, dict(OFFICIAL_V60_SEEDS), label="v6.0-seeds"))
        out.append(
            Case(scen, "PerformanceOnly", {"performance_sample_count_override": 25}, label="perf-override-25")
        )
        out.append(Case(scen, "PerformanceOnly", total=30, perf=64, label="perf-count-above-total"))
    for mode in ["PerformanceOnly", "AccuracyOnly"]:
        out.append(Case("MultiStream", mode, {"multi_stream_samples_per_query": 3}, label="spq3"))
    out.append(Case("SingleStream", "AccuracyOnly", total=40, perf=16, label="three-sets"))
    out.append(
        Case(
            "SingleStream",
            "PerformanceOnly",
            {"qsl_rng_seed": 1, "sample_index_rng_seed": 2},
            label="small-seeds",
        )
    )
    out.append(Case("Server", "PerformanceOnly", {"server_coalesce_queries": True}, label="coalesce"))
    out.append(
        Case(
            "Server",
            "PerformanceOnly",
            {"server_coalesce_queries": True, "server_target_qps": 2000},
            busy_us=2000,
            label="coalesce-late-sut",
        )
    )
    out.append(
        Case(
            "Server", "PerformanceOnly", {"server_target_qps": 2000, "min_query_count": 100}, label="2000qps"
        )
    )
    return out


def sampling_cases() -> list[Case]:
    sampled = {"accuracy_log_probability": 0.3, "accuracy_log_rng_seed": 720381539243781796}
    out = [Case(scen, "PerformanceOnly", dict(sampled), label="acc-log-sampling") for scen in SCENARIOS]
    out += [
        Case(scen, "SubmissionRun", dict(sampled), label="acc-log-sampling") for scen in ["Server", "Offline"]
    ]
    return out


def run_both(case: Case, tmp_path: Path) -> dict[str, tuple[dict[str, Any], Path]]:
    """Runs the case with both LoadGens at once; returns {side: (worker output, outdir)}."""
    procs = {}
    for side in ["ours", "ref"]:
        outdir = tmp_path / side
        procs[side] = (
            subprocess.Popen(
                [sys.executable, str(WORKER), side, json.dumps(case.config()), str(outdir)],
                cwd=tmp_path,
                env=child_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
            outdir,
        )
    results = {}
    try:
        for side, (proc, outdir) in procs.items():
            stdout, stderr = proc.communicate(timeout=TIMEOUT_S)
            done = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
            results[side] = (child_result(done), outdir)
            assert proc.returncode == 0, f"{side} exited with {proc.returncode}:\n{stderr[-2000:]}"
    finally:
        for proc, _ in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    return results


def is_performance_phase(case: Case, phase_index: int, phase_count: int) -> bool:
    if case.mode == "PerformanceOnly":
        return True
    return case.mode == "SubmissionRun" and phase_index == phase_count - 1


def sample_count(phases: list[list[list[int]]]) -> int:
    return sum(len(q) for phase in phases for q in phase)


def entries(path: Path) -> set[tuple[int, int, str]]:
    return {(e["seq_id"], e["qsl_idx"], e["data"]) for e in read_accuracy(path)}


def expected_data_hex(qsl_idx: int) -> str:
    value = (qsl_idx * 2654435761 + 12345) & 0xFFFFFFFF
    return value.to_bytes(4, "little").hex().upper()


def check_same_stream(case: Case, ours: dict[str, Any], ref: dict[str, Any]) -> None:
    assert ours["loads"] == ref["loads"], "different loaded sets"
    assert ours["unloads"] == ref["unloads"], "different unloaded sets"
    assert len(ours["phases"]) == len(ref["phases"]), "different number of flushes"
    count = len(ref["phases"])
    for i, (mine, theirs) in enumerate(zip(ours["phases"], ref["phases"])):
        assert theirs, f"the reference issued nothing in phase {i}; the case tests nothing"
        perf = is_performance_phase(case, i, count)
        if perf and case.scenario == "Server" and case.extra.get("server_coalesce_queries"):
            # How many scheduled queries one call merges depends on timing;
            # the samples and their order do not.
            assert [s for q in mine for s in q] == [s for q in theirs for s in q], f"phase {i}"
        elif perf and case.scenario in ("SingleStream", "MultiStream"):
            assert len(mine) >= len(theirs), f"phase {i}: we issued fewer queries than the reference"
            assert mine[: len(theirs)] == theirs, (
                f"phase {i}: the reference's queries are not a prefix of ours"
            )
        else:
            assert mine == theirs, f"phase {i}"


def check_schedule(case: Case, ours_dir: Path, ref_dir: Path) -> None:
    mine, theirs = read_detail(ours_dir / DETAIL), read_detail(ref_dir / DETAIL)
    for key in ["generated_query_count", "generated_query_duration"]:
        assert detail_values(mine, key) == detail_values(theirs, key), key


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.id)
def test_same_loads_samples_and_query_sizes_as_reference(case, tmp_path):
    out = run_both(case, tmp_path)
    (ours, ours_dir), (ref, ref_dir) = out["ours"], out["ref"]
    check_same_stream(case, ours, ref)
    if case.busy_us:  # the case is meant to make the Server coalesce
        assert max(len(q) for q in ours["phases"][-1]) > 1
        assert max(len(q) for q in ref["phases"][-1]) > 1
    if case.scenario == "Server" or case.mode == "AccuracyOnly":
        check_schedule(case, ours_dir, ref_dir)
    if case.mode != "PerformanceOnly":
        mine, theirs = entries(ours_dir / ACCURACY), entries(ref_dir / ACCURACY)
        assert mine == theirs
        # Every sample is logged; MultiStream also logs the padding samples
        # that complete its last query of a set, like the reference.
        assert {idx for _, idx, _ in mine} == set(range(case.total))
        assert all(data == expected_data_hex(idx) for _, idx, data in mine)


@pytest.mark.parametrize("case", sampling_cases(), ids=lambda c: c.id)
def test_performance_mode_samples_the_same_responses_into_the_accuracy_log(case, tmp_path):
    out = run_both(case, tmp_path)
    (ours, ours_dir), (ref, ref_dir) = out["ours"], out["ref"]
    check_same_stream(case, ours, ref)
    mine, theirs = entries(ours_dir / ACCURACY), entries(ref_dir / ACCURACY)
    # We may issue more SS/MS queries than the reference (see the module
    # docstring); sequence ids beyond the reference's last sample have no
    # counterpart.
    issued_by_ref = sample_count(ref["phases"])
    assert {e for e in mine if e[0] < issued_by_ref} == theirs
    perf_start = sample_count(ref["phases"][:-1])  # after a SubmissionRun's accuracy part
    sampled = [e for e in theirs if e[0] >= perf_start]
    assert 0 < len(sampled) < issued_by_ref - perf_start, "the case must sample some responses, not all"
