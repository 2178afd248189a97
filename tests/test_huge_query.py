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
    # Streaming mode cannot help an Offline query, and the message says so.
    assert "Offline query is issued at once" in msg


def test_huge_server_run_is_not_refused_in_auto_mode_but_is_in_exact(tmp_path):
    # 3e9 Server queries: the exact records would need ~100 GB; auto mode
    # streams them in a bounded window, so the memory check lets the run
    # start (stopped at once by max_query_count). Exact mode is refused and
    # the message points at record_mode.
    import loadgen as lg
    from lg_helpers import log_settings_in, quick_settings

    sut = lg.ConstructNumpySUT(lambda ids, idx: lg.complete_samples(ids), lambda: None)
    qsl = lg.ConstructQSL(64, 64, lambda s: None, lambda s: None)
    ts = quick_settings(lg, "Server", min_query_count=3_000_000_000, max_query_count=1000)
    result = lg.run_test(sut, qsl, ts, log_settings_in(lg, tmp_path / "auto"))
    perf = result.performance[0]
    assert perf.record_mode == "streaming" and perf.streaming_from_sample == 0
    assert perf.samples_completed == 1000
    ts.record_mode = lg.RecordMode.Exact
    try:
        lg.run_test(sut, qsl, ts, log_settings_in(lg, tmp_path / "exact"))
    except ValueError as e:
        assert "record_mode" in str(e) and "min_query_count = 3000000000" in str(e)
    else:
        raise AssertionError("exact mode should be refused")
