"""The suite's skip policy: a test may skip only for a missing system piece.

Everything a test needs from PyPI comes from the README's test command
(``pip install ".[test]"``), so a test that skips because a Python package is
missing hides a broken install: it is reported as a failure instead. The one
kind of skip kept is a system piece that pip cannot install (Debian's
chromium, a C++ compiler), raised through ``lg_helpers.skip_for_system_piece``,
whose reason names the piece and the command that installs it.
(tests/test_requirements.py checks statically that every package a test
imports is one the test extra brings.)
"""

from __future__ import annotations

import pytest
from lg_helpers import SYSTEM_PIECE_SKIP


def _allowed(report: pytest.CollectReport | pytest.TestReport) -> bool:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return SYSTEM_PIECE_SKIP in str(reason)


def _as_failure(report: pytest.CollectReport | pytest.TestReport) -> None:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    report.outcome = "failed"
    report.longrepr = (
        f"skipped for a reason other than a missing system piece: {reason}\n"
        f'Every Python package a test needs must come from `pip install ".[test]"` '
        f"(pyproject.toml); only lg_helpers.skip_for_system_piece may skip (tests/conftest.py)."
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail") and not _allowed(report):
        _as_failure(report)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not _allowed(report):
        _as_failure(report)
