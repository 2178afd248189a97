"""_core.pyi must describe exactly what the compiled _core exports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ALLOWLIST = Path(__file__).with_name("stubtest_allowlist.txt")


def test_core_stubs_match_the_extension() -> None:
    # stubtest imports the installed module and compares every name, class
    # member and (where the runtime exposes one) signature with the stub.
    proc = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "loadgen._core", "--allowlist", str(ALLOWLIST)],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
