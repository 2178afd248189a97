"""benchmarks/_loadgen_speed/bench.py runs and reports, at tiny sizes.

No figure is checked against a bound here: timings belong to the benchmark's
own output (docs/performance.md), not to tests on noisy machines.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lg_helpers import run_command

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "_loadgen_speed" / "bench.py"
HAVE_REF = importlib.util.find_spec("mlperf_loadgen") is not None
HAVE_CMAKE = bool(shutil.which("cmake") or shutil.which("cmake", path=str(Path(sys.executable).parent)))


def _bench(*args: str) -> subprocess.CompletedProcess[str]:
    return run_command(sys.executable, BENCH, *args, timeout=180)


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    proc = _bench("--quick", "--json", str(out))
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc.stdout, json.loads(out.read_text())


def test_quick_run_prints_every_table(quick: tuple[str, dict]) -> None:
    table, _ = quick
    for title in (
        "### Offline: samples/s",
        "### Offline: peak RSS",
        "### SingleStream",
        "### Server (",
        "### Server: highest VALID target",
        "### Targets",
    ):
        assert title in table
    assert "| loadgen fast path " in table
    assert ("| reference " in table) == HAVE_REF
    assert ("| loadgen native C++ " in table) == HAVE_CMAKE
    assert "failed" not in table


def test_quick_run_writes_every_run_and_the_derived_figures(quick: tuple[str, dict]) -> None:
    _, doc = quick
    assert doc["schema"] == "loadgen.bench/1"
    assert doc["quick"] is True
    impls = {"ours", "fast"} | ({"ref"} if HAVE_REF else set()) | ({"native"} if HAVE_CMAKE else set())
    assert set(doc["implementations"]) == impls
    runs = doc["runs"]
    assert all(r["ok"] for r in runs), [r for r in runs if not r["ok"]]
    seen = {(r["case"]["impl"], r["case"]["scenario"], r["case"]["sut"]) for r in runs}
    for impl in impls:
        for scenario in ("Offline", "SingleStream", "MultiStream", "Server"):
            assert (impl, scenario, "sync") in seen
    assert ("ours", "Server", "thread") in seen
    # Offline sends all its samples in one query, and every run is measured.
    for r in runs:
        if r["case"]["scenario"] == "Offline":
            assert r["query_count"] == 1
            assert r["samples_per_s"] > 0 and r["peak_rss_mib"] > 0
    derived = doc["derived"]
    for key in (
        "offline_samples_per_s",
        "single_stream_qps",
        "multi_stream_qps",
        "offline_bytes_per_sample",
        "server_highest_valid_qps",
        "targets",
    ):
        assert key in derived
    assert len(derived["targets"]) == 8
    assert {"name", "value", "unit", "bound", "met"} <= set(derived["targets"][0])


def test_only_and_scenarios_limit_what_runs(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = _bench("--quick", "--only", "ours", "--scenarios", "Offline", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    assert {(r["case"]["impl"], r["case"]["scenario"]) for r in doc["runs"]} == {("ours", "Offline")}
    assert "### Server" not in proc.stdout


def test_unknown_implementation_is_a_usage_error() -> None:
    proc = _bench("--only", "ours,tensorrt")
    assert proc.returncode == 2
    assert "tensorrt" in proc.stderr


LONG_RUN = BENCH.parent / "bench_long_run.py"


def test_long_run_benchmark_compares_exact_and_streaming_records(tmp_path: Path) -> None:
    # The Python null SUT only (no native build here): 1 and 2 s at 20k qps
    # in both record modes; the table and the JSON say which mode ran.
    out = tmp_path / "long.json"
    proc = run_command(sys.executable, LONG_RUN, "--quick", "--suts", "python", "--json", out, timeout=180)
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    rows = json.loads(out.read_text())
    assert [(r["mode"], r["duration_s"]) for r in rows] == [
        ("exact", 1.0),
        ("streaming", 1.0),
        ("exact", 2.0),
        ("streaming", 2.0),
    ]
    assert all(r["ran"] and r["record_mode"] == r["mode"] and r["samples"] > 10_000 for r in rows)
    assert all(r["peak_rss_mib"] > 0 for r in rows)
    assert "| python | streaming | 2 s at 20,000 qps |" in proc.stdout


def test_long_run_benchmark_skips_exact_runs_that_cannot_fit(tmp_path: Path) -> None:
    proc = run_command(
        *(sys.executable, LONG_RUN, "--quick", "--suts", "python", "--modes", "exact"),
        *("--memory-limit-gib", "1e-6"),
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("skipped: exact records need about") >= 2


def test_against_an_unknown_commit_is_a_clear_error(tmp_path: Path) -> None:
    proc = run_command(
        *(sys.executable, BENCH, "--quick", "--only", "ours", "--against", "no-such-rev-0123"),
        timeout=60,
        env={"LOADGEN_CACHE_DIR": str(tmp_path)},
    )
    assert proc.returncode == 2
    assert "--against no-such-rev-0123: no such commit" in proc.stderr


def test_against_builds_another_commit_and_prints_both(tmp_path: Path) -> None:
    # HEAD's own wheel, built into a venv under the cache (a minute or two),
    # then one Offline size through both builds, side by side.
    out = tmp_path / "bench.json"
    cmd = [sys.executable, str(BENCH), "--quick", "--only", "ours", "--scenarios", "Offline"]
    proc = run_command(
        *cmd,
        "--against",
        "HEAD",
        "--json",
        out,
        timeout=900,
        env={"LOADGEN_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    doc = json.loads(out.read_text())
    assert doc["implementations"] == ["ours", "base"]
    assert doc["against"]["rev"] == "HEAD" and len(doc["against"]["commit"]) == 40
    built = list((tmp_path / "cache" / "bench-against").iterdir())
    assert [p.name for p in built] == [doc["against"]["commit"]]
    assert (built[0] / "ready").is_file()
    impls = {r["case"]["impl"] for r in doc["runs"] if r["ok"]}
    assert impls == {"ours", "base"}
    assert "| loadgen @HEAD " in proc.stdout
    assert "### This tree against @HEAD" in proc.stdout
