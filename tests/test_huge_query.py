"""A query too large for memory is refused with a ValueError that says why
(issue 20), instead of a bare MemoryError (ours before) or a hang (the
reference). Runs in a child process under a timeout."""

from __future__ import annotations

from lg_helpers import child_result, run_python


def test_huge_offline_query_raises_value_error_naming_setting_samples_and_bytes(tmp_path):
    code = """
import json
import loadgen as lg

def result(**kw):
    print("RESULT " + json.dumps(kw), flush=True)

def meminfo_available():
    for line in open("/proc/meminfo"):
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0

# The issue's 3e9 samples (96 GB of records), or more on a machine that has that.
n = 3_000_000_000 if meminfo_available() < 90e9 else 300_000_000_000
issued = []
sut = lg.ConstructSUT(lambda s: issued.append(len(s)), lambda: None)
qsl = lg.ConstructQSL(1024, 1024, lambda s: None, lambda s: None)
ts = lg.TestSettings()
ts.scenario = lg.TestScenario.Offline
ts.min_query_count = n
ts.min_duration_ms = 0
log = lg.LogSettings()
log.log_output.outdir = "logs"
try:
    lg.StartTestWithLogSettings(sut, qsl, ts, log)
    result(exc=None, n=n)
except Exception as e:
    result(exc=type(e).__name__, msg=str(e), n=n, issued=issued)
"""
    proc = run_python(code, tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = child_result(proc)
    assert out["exc"] == "ValueError", out
    msg = out["msg"]
    assert f"min_query_count = {out['n']}" in msg
    assert f"{out['n']} samples" in msg
    assert f"{out['n'] * 32} bytes" in msg
    assert "available" in msg
    assert out["issued"] == []
