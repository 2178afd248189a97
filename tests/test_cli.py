"""``python -m loadgen``: installation paths, errors and the demo."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import loadgen
import pytest


def _loadgen(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loadgen", *args],
        check=False,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_version_matches_the_module() -> None:
    proc = _loadgen("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == loadgen.__version__


def test_include_dir_holds_the_public_headers() -> None:
    proc = _loadgen("--include-dir")
    assert proc.returncode == 0
    include = Path(proc.stdout.strip())
    for header in (
        "loadgen.h",
        "query_sample.h",
        "query_sample_library.h",
        "system_under_test.h",
        "test_settings.h",
    ):
        assert (include / "loadgen" / header).is_file(), header


@pytest.mark.parametrize("args", [["--bogus"], ["demo", "--scenario", "Batch"], ["--version", "demo"]])
def test_usage_errors_are_one_line_and_exit_2(args: list[str]) -> None:
    proc = _loadgen(*args)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "error:" in proc.stderr


# Offline is the scenario a SUT that answers at once cannot pass; the demo
# SUT's steady rate makes its one query last 1.1x the minimum duration.
@pytest.mark.parametrize("scenario", ["SingleStream", "Offline"])
def test_demo_is_valid_and_prints_the_summary(tmp_path: Path, scenario: str) -> None:
    proc = _loadgen("demo", "--scenario", scenario, "--duration-ms", "500", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"Scenario : {scenario}" in proc.stdout
    assert "Result is : VALID" in proc.stdout
    assert (tmp_path / "loadgen_demo" / "mlperf_log_summary.txt").is_file()
