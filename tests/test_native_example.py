"""The C++ example SUT, built against the installed wheel's CMake package.

This is what a native SUT author does: ask ``python -m loadgen --cmake-dir``
where the package is, configure with find_package(loadgen CONFIG), build, run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lg_helpers import skip_for_system_piece

EXAMPLE_DIR = Path(__file__).resolve().parents[1] / "loadgen_cpp" / "examples"


def _run(cmd: list[str], timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, cmd))} exited {proc.returncode}\n"
            f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
        )
    return proc


def _which(tool: str) -> str | None:
    # The test extra installs cmake and ninja beside this interpreter, which
    # is not on PATH when a virtual environment is used without activating it.
    return shutil.which(tool) or shutil.which(tool, path=str(Path(sys.executable).parent))


def _cmake() -> str:
    cmake = _which("cmake")
    assert cmake is not None, "cmake comes with the test extra (pip install '.[test]') but is not found"
    cxx = os.environ.get("CXX") or shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
    if cxx is None:
        skip_for_system_piece("a C++ compiler (c++, g++, clang++ or $CXX)", "apt-get install g++")
    return cmake


def _generator() -> list[str]:
    ninja = _which("ninja")
    return ["-G", "Ninja", f"-DCMAKE_MAKE_PROGRAM={ninja}"] if ninja else []


def _cmake_dir() -> str:
    return _run([sys.executable, "-m", "loadgen", "--cmake-dir"]).stdout.strip()


@pytest.fixture(scope="module")
def null_sut(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cmake = _cmake()
    build = tmp_path_factory.mktemp("null_sut_build")
    _run(
        [
            cmake,
            "-S",
            str(EXAMPLE_DIR),
            "-B",
            str(build),
            *_generator(),
            "-DCMAKE_BUILD_TYPE=Release",
            f"-Dloadgen_DIR={_cmake_dir()}",
        ]
    )
    _run([cmake, "--build", str(build)])
    exe = build / "loadgen_null_sut"
    assert exe.is_file()
    return exe


def test_cmake_dir_holds_the_package_config() -> None:
    cmake_dir = Path(_cmake_dir())
    assert (cmake_dir / "loadgenConfig.cmake").is_file()
    assert (cmake_dir / "loadgenConfigVersion.cmake").is_file()
    assert (cmake_dir.parent.parent / "libloadgen.a").is_file()


def test_package_dir_works_as_cmake_prefix_path(tmp_path: Path) -> None:
    cmake = _cmake()
    package_dir = Path(_cmake_dir()).parents[2]  # <site-packages>/loadgen
    _run(
        [
            cmake,
            "-S",
            str(EXAMPLE_DIR),
            "-B",
            str(tmp_path),
            *_generator(),
            f"-DCMAKE_PREFIX_PATH={package_dir}",
        ]
    )


# SingleStream and MultiStream are closed loops: with enough queries they are
# VALID whatever the machine's speed. Server's verdict depends on scheduling
# delays, so only the run is checked. The null SUT finishes the one Offline
# query far sooner than min_duration_ms, which the rules make INVALID.
CASES = {
    "SingleStream": (["--duration-ms", "200", "--require-valid"], "VALID"),
    "MultiStream": (["--duration-ms", "200", "--require-valid"], "VALID"),
    "Server": (["--duration-ms", "300", "--qps", "2000"], None),
    "Offline": (["--duration-ms", "200", "--qps", "1000"], "INVALID"),
}


@pytest.mark.parametrize("scenario", sorted(CASES))
def test_null_sut_runs_and_writes_a_summary(null_sut: Path, tmp_path: Path, scenario: str) -> None:
    args, verdict = CASES[scenario]
    proc = _run([str(null_sut), scenario, "--outdir", str(tmp_path), *args], timeout=120)
    summary = (tmp_path / "mlperf_log_summary.txt").read_text()
    assert f"Scenario : {scenario}" in summary
    assert "Result is :" in summary
    assert (tmp_path / "mlperf_log_detail.txt").is_file()
    assert f"scenario: {scenario}" in proc.stdout
    if verdict is not None:
        assert f"Result is : {verdict}" in summary
        assert f"result: {verdict} " in proc.stdout


def test_null_sut_rejects_an_unknown_scenario(null_sut: Path) -> None:
    proc = subprocess.run([str(null_sut), "Batch"], check=False, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "unknown scenario 'Batch'" in proc.stderr
