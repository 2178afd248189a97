"""Bad input never hangs or crashes LoadGen (spec/reference-loadgen.md §6, where
the reference hangs or segfaults): invalid settings are rejected up front,
SUT faults are counted as errors of the run, a SUT that stops answering ends
the test, exceptions and Ctrl-C come back to the caller with the logs written.

Every case that could hang or crash runs in a child interpreter under a
timeout; a hang fails the test with subprocess.TimeoutExpired.
"""

from __future__ import annotations

import re
import select
import signal
import subprocess
import sys
from pathlib import Path

import loadgen as lg
import pytest
from lg_helpers import (
    ACCURACY,
    DETAIL,
    SUMMARY,
    child_env,
    child_result,
    detail_errors,
    read_accuracy,
    read_detail,
    run_python,
    summary_error_count,
    summary_value,
)

TESTS = Path(__file__).resolve().parent

# The start of every child script: a recording SUT/QSL and a settings helper.
PRELUDE = f"""
import json, os, sys, threading
sys.path.insert(0, {str(TESTS)!r})
import loadgen as lg
from lg_helpers import log_settings_in, settings_with

calls = []

def result(**kw):
    print("RESULT " + json.dumps(kw), flush=True)

SHORT = dict(min_duration_ms=20, min_query_count=20, single_stream_expected_latency_ns=100000,
             server_target_qps=1000, offline_expected_qps=1000, watchdog_timeout_ms=2000)

def settings(scenario="SingleStream", mode="PerformanceOnly", **fields):
    return settings_with(lg, scenario, mode, **{{**SHORT, **fields}})

def logs(outdir="logs"):
    return log_settings_in(lg, outdir)

def complete(samples):
    lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in samples])
"""


def child(code: str, tmp_path: Path, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return run_python(PRELUDE + code, tmp_path, timeout=timeout)


def mentions_value(message: str, value) -> bool:
    text = format(value, "g") if isinstance(value, float) else str(value)
    return re.search(rf"(?<![\w.]){re.escape(text)}(?![\w.])", message) is not None


def squash(text: str) -> str:
    return text.lower().replace("_", "").replace(" ", "")


# (scenario, field, value). Each is rejected before any callback.
INVALID_SETTINGS = [
    ("Server", "server_target_qps", 0.0),
    ("Server", "server_target_qps", -5.0),
    ("Offline", "offline_expected_qps", -1.0),
    ("SingleStream", "single_stream_expected_latency_ns", 0.0),
    ("SingleStream", "single_stream_expected_latency_ns", -1000.0),
    ("MultiStream", "multi_stream_expected_latency_ns", 0.0),
    ("MultiStream", "multi_stream_samples_per_query", 0),
    ("MultiStream", "multi_stream_samples_per_query", 41),  # more than the 40 loadable samples
    # A latency percentile must lie strictly between 0 and 1.
    *[
        (scenario, f"{prefix}_target_latency_percentile", value)
        for scenario, prefix in [
            ("SingleStream", "single_stream"),
            ("MultiStream", "multi_stream"),
            ("Server", "server"),
        ]
        for value in (0.0, 1.0, 1.5)
    ],
    ("SingleStream", "performance_issue_same_index", 40),
    ("MultiStream", "performance_issue_same_index", 45),
    ("SingleStream", "accuracy_log_probability", 1.5),
]


def rejected(
    tmp_path: Path, scenario: str, fields: dict, total: int = 100, perf: int = 40, mode="PerformanceOnly"
):
    """Runs StartTest with these settings in a child; returns what it raised
    and which callbacks ran."""
    code = f"""
sut = lg.ConstructSUT(lambda s: (calls.append("issue"), complete(s)), lambda: calls.append("flush"))
qsl = lg.ConstructQSL({total}, {perf}, lambda s: calls.append("load"), lambda s: calls.append("unload"))
ts = settings({scenario!r}, {mode!r}, **{fields!r})
try:
    lg.StartTestWithLogSettings(sut, qsl, ts, logs())
    result(exc=None, calls=calls)
except Exception as e:
    result(exc=type(e).__name__, msg=str(e), calls=calls, logs=os.path.isdir("logs"))
"""
    proc = child(code, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return child_result(proc)


@pytest.mark.parametrize(
    ("scenario", "field", "value"), INVALID_SETTINGS, ids=[f"{f}={v}" for _, f, v in INVALID_SETTINGS]
)
def test_invalid_setting_raises_value_error_naming_field_and_value_before_any_callback(
    scenario, field, value, tmp_path
):
    extra = {"performance_issue_same": True} if field == "performance_issue_same_index" else {}
    if scenario == "MultiStream":
        extra["multi_stream_samples_per_query"] = extra.get("multi_stream_samples_per_query", 4)
    out = rejected(tmp_path, scenario, {**extra, field: value})
    assert out["exc"] == "ValueError", out
    assert field in out["msg"], out["msg"]
    assert mentions_value(out["msg"], value), out["msg"]
    assert out["calls"] == []


def test_issue_unique_and_issue_same_together_are_rejected(tmp_path):
    out = rejected(
        tmp_path, "SingleStream", {"performance_issue_unique": True, "performance_issue_same": True}
    )
    assert out["exc"] == "ValueError", out
    assert "performance_issue_unique" in out["msg"] and "performance_issue_same" in out["msg"]
    assert out["calls"] == []


@pytest.mark.parametrize("scenario", ["SingleStream", "MultiStream", "Server", "Offline"])
@pytest.mark.parametrize("mode", ["PerformanceOnly", "AccuracyOnly"])
def test_qsl_without_samples_is_rejected(scenario, mode, tmp_path):
    out = rejected(tmp_path, scenario, {}, total=0, perf=0, mode=mode)
    assert out["exc"] == "ValueError", out
    assert "totalsamplecount" in squash(out["msg"]) and mentions_value(out["msg"], 0), out["msg"]
    assert out["calls"] == []


@pytest.mark.parametrize("scenario", ["SingleStream", "MultiStream", "Server", "Offline"])
def test_performance_sample_count_zero_is_rejected(scenario, tmp_path):
    out = rejected(tmp_path, scenario, {}, total=16, perf=0)
    assert out["exc"] == "ValueError", out
    assert "performancesamplecount" in squash(out["msg"]) and mentions_value(out["msg"], 0), out["msg"]
    assert out["calls"] == []


# How a SUT can answer with an id LoadGen never issued.
BOGUS_IDS = {
    "123456789": "123456789",
    "zero": "0",
    "index-not-id": "s.index",
}


@pytest.mark.parametrize("bogus", BOGUS_IDS.values(), ids=BOGUS_IDS.keys())
@pytest.mark.parametrize("scenario", ["SingleStream", "Server", "Offline"])
def test_unknown_response_id_is_counted_as_an_error_not_a_crash(bogus, scenario, tmp_path):
    code = f"""
bogus = []
def issue(samples):
    for s in samples:
        bogus.append(1)
        lg.QuerySamplesComplete([lg.QuerySampleResponse({bogus}, 0, 0)])
    complete(samples)
sut = lg.ConstructSUT(issue, lambda: None)
qsl = lg.ConstructQSL(100, 40, lambda s: None, lambda s: None)
r = lg.run_test(sut, qsl, settings({scenario!r}, min_query_count=150), logs())
p = r.performance[0]
result(bogus=len(bogus), errors=r.num_errors, completed=p.samples_completed, issued=p.samples_issued,
       never=p.samples_never_completed, aborted=r.aborted)
"""
    proc = child(code, tmp_path)
    out = child_result(proc)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert out["bogus"] >= 150
    assert out["errors"] == out["bogus"]
    assert out["completed"] == out["issued"] and out["never"] == 0 and not out["aborted"]
    summary = (tmp_path / "logs" / SUMMARY).read_text()
    assert summary_error_count(summary) == out["bogus"]
    records = detail_errors(read_detail(tmp_path / "logs" / DETAIL))
    assert any("unknown response id" in str(r["value"]).lower() for r in records)


@pytest.mark.parametrize("scenario", ["SingleStream", "Server", "Offline"])
def test_duplicate_completion_is_counted_as_an_error(scenario, tmp_path):
    code = f"""
dups = []
def issue(samples):
    complete(samples)
    complete(samples)
    dups.append(len(samples))
sut = lg.ConstructSUT(issue, lambda: None)
qsl = lg.ConstructQSL(100, 40, lambda s: None, lambda s: None)
r = lg.run_test(sut, qsl, settings({scenario!r}, min_query_count=120), logs())
p = r.performance[0]
result(dups=sum(dups), errors=r.num_errors, completed=p.samples_completed, issued=p.samples_issued)
"""
    proc = child(code, tmp_path)
    out = child_result(proc)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert out["dups"] >= 120
    assert out["errors"] == out["dups"]
    assert out["completed"] == out["issued"]
    summary = (tmp_path / "logs" / SUMMARY).read_text()
    assert summary_error_count(summary) == out["dups"]
    records = detail_errors(read_detail(tmp_path / "logs" / DETAIL))
    assert any("twice" in str(r["value"]) for r in records)


def test_offline_duplicate_of_one_sample_and_another_never_completed_ends(tmp_path):
    # The reference hangs here: its count of completions reaches the total
    # while one sample is still outstanding.
    code = """
def issue(samples):
    lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in samples[:-1]])
    lg.QuerySamplesComplete([lg.QuerySampleResponse(samples[0].id, 0, 0)])
sut = lg.ConstructSUT(issue, lambda: None)
qsl = lg.ConstructQSL(100, 40, lambda s: None, lambda s: None)
r = lg.run_test(sut, qsl, settings("Offline", watchdog_timeout_ms=500), logs())
p = r.performance[0]
result(valid=p.valid, never=p.samples_never_completed, errors=r.num_errors)
"""
    out = child_result(child(code, tmp_path))
    assert out["valid"] is False
    assert out["never"] == 1
    assert out["errors"] >= 2  # the duplicate and the missing sample


def test_completion_outside_any_test_is_ignored_without_crashing(tmp_path):
    code = """
import numpy as np
lg.QuerySamplesComplete([])
lg.QuerySamplesComplete([lg.QuerySampleResponse(123456789, 0, 0)])
lg.QuerySamplesComplete([lg.QuerySampleResponse(0, 0, 0)])
lg.FirstTokenComplete([lg.QuerySampleResponse(42, 0, 0)])
lg.complete_samples([1, 2, 3])
lg.complete_samples(np.array([7], dtype=np.uint64), [b"abc"])
# Stale ids from a finished test.
kept = []
def issue(samples):
    kept.extend(samples)
    complete(samples)
sut = lg.ConstructSUT(issue, lambda: None)
qsl = lg.ConstructQSL(10, 10, lambda s: None, lambda s: None)
r1 = lg.run_test(sut, qsl, settings(), logs())
lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in kept])
r2 = lg.run_test(sut, qsl, settings(), logs("logs2"))
result(first=r1.valid, second=r2.valid, second_errors=r2.num_errors)
"""
    proc = child(code, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = child_result(proc)
    assert out == {"first": True, "second": True, "second_errors": 0}


# A SUT that never answers. The test must end on its own, INVALID, saying how
# many samples never completed. ("watchdog": the no-progress timer; "max":
# watchdog off, max_duration_ms bounds the run.)
STALL_BOUNDS = {
    "watchdog": {"watchdog_timeout_ms": 500},
    "max-duration": {"watchdog_timeout_ms": 0, "max_duration_ms": 1000},
}


@pytest.mark.parametrize("bound", STALL_BOUNDS.values(), ids=STALL_BOUNDS.keys())
@pytest.mark.parametrize("scenario", ["SingleStream", "Server", "Offline"])
def test_sut_that_never_completes_ends_invalid_within_bounded_time(scenario, bound, tmp_path):
    code = f"""
issued = []
sut = lg.ConstructSUT(lambda s: issued.extend(s), lambda: None)
qsl = lg.ConstructQSL(100, 40, lambda s: None, lambda s: None)
r = lg.run_test(sut, qsl, settings({scenario!r}, min_duration_ms=200, **{bound!r}), logs())
p = r.performance[0]
result(issued=len(issued), valid=p.valid, never=p.samples_never_completed, reasons=list(p.invalid_reasons),
       errors=list(r.errors))
"""
    proc = child(code, tmp_path, timeout=30)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = child_result(proc)
    assert out["issued"] > 0
    assert out["valid"] is False
    assert out["never"] == out["issued"]
    assert any(f"{out['issued']} issued samples never completed" in e for e in out["errors"]), out["errors"]
    summary = (tmp_path / "logs" / SUMMARY).read_text()
    assert summary_value(summary, "Result is") == "INVALID"


@pytest.mark.parametrize("callback", ["issue_queries", "flush_queries", "load_samples"])
@pytest.mark.parametrize("scenario", ["SingleStream", "Server"])
def test_exception_in_callback_is_reraised_and_a_second_test_works(callback, scenario, tmp_path):
    code = f"""
class Boom(Exception):
    pass

armed = [True]
def maybe_raise(where):
    if where == {callback!r} and armed[0]:
        armed[0] = False
        raise Boom("raised in " + where)

def issue(samples):
    maybe_raise("issue_queries")
    complete(samples)
sut = lg.ConstructSUT(issue, lambda: maybe_raise("flush_queries"))
qsl = lg.ConstructQSL(100, 40, lambda s: maybe_raise("load_samples"), lambda s: None)
try:
    lg.StartTestWithLogSettings(sut, qsl, settings({scenario!r}), logs("first"))
    first = None
except Boom as e:
    first = str(e)
summary_written = os.path.getsize("first/mlperf_log_summary.txt") > 0
r = lg.run_test(sut, qsl, settings({scenario!r}), logs("second"))
result(first=first, summary_written=summary_written, second_valid=r.valid, second_errors=r.num_errors)
"""
    proc = child(code, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = child_result(proc)
    assert out["first"] == f"raised in {callback}"
    assert out["summary_written"]
    assert out["second_errors"] == 0
    if scenario == "SingleStream":
        assert out["second_valid"]
    records = detail_errors(read_detail(tmp_path / "first" / DETAIL))
    assert any(f"raised in {callback}" in str(r["value"]) for r in records)


# Ctrl-C while StartTest blocks: issuing flat out, sleeping until the next
# Server arrival, and waiting for a SUT that does not answer.
#
# The child sets Python's own SIGINT handler first. A process inherits an
# ignored SIGINT from whatever started it in the background (a shell's `&`,
# nohup, some CI agents), and Python then installs no handler at all: the
# signal is dropped, the 10-minute test runs on, and this test used to time
# out after 5 s when pytest itself had been started that way (and pass in a
# foreground rerun). So the child is started with SIGINT ignored, always, and
# must restore the handler, as a real harness that wants Ctrl-C does.
INTERRUPTED_RUNS = {
    "singlestream-busy": ("SingleStream", "complete(samples)"),
    "server-sleeping": ("Server", "complete(samples)"),
    "waiting-for-sut": ("SingleStream", "pass"),
}


@pytest.mark.parametrize(("scenario", "answer"), INTERRUPTED_RUNS.values(), ids=INTERRUPTED_RUNS.keys())
def test_sigint_ends_a_long_test_promptly_with_keyboard_interrupt(scenario, answer, tmp_path):
    code = (
        PRELUDE
        + f"""
import signal
signal.signal(signal.SIGINT, signal.default_int_handler)
started = []
def issue(samples):
    if not started:
        started.append(1)
        print("STARTED", flush=True)
    {answer}
sut = lg.ConstructSUT(issue, lambda: None)
qsl = lg.ConstructQSL(100, 40, lambda s: None, lambda s: None)
ts = settings({scenario!r}, min_duration_ms=600000, server_target_qps=5, watchdog_timeout_ms=0)
try:
    lg.StartTestWithLogSettings(sut, qsl, ts, logs())
    outcome = "returned"
except KeyboardInterrupt:
    outcome = "KeyboardInterrupt"
summary = os.path.getsize("logs/mlperf_log_summary.txt") > 0
# The process can run another test afterwards.
sut2 = lg.ConstructSUT(complete, lambda: None)
after = lg.run_test(sut2, qsl, settings(), logs("after"))
result(outcome=outcome, summary=summary, after_valid=after.valid)
"""
    )
    script = tmp_path / "long.py"
    script.write_text(code)
    # Started with SIGINT ignored, as a background start leaves it (exec keeps
    # an ignored disposition).
    ignoring = "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); os.execv(sys.argv[1], sys.argv[1:])"
    proc = subprocess.Popen(
        [sys.executable, "-c", ignoring, sys.executable, str(script)],
        cwd=tmp_path,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready and proc.stdout.readline().strip() == "STARTED", "the test never started"
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=5)  # "promptly": well under the 10 min test
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    out = child_result(subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr))
    assert out == {"outcome": "KeyboardInterrupt", "summary": True, "after_valid": True}
    assert proc.returncode == 0


def test_missing_log_directory_is_created(tmp_path):
    outdir = tmp_path / "does" / "not" / "exist"

    def issue(samples):
        lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in samples])

    sut = lg.ConstructSUT(issue, lambda: None)
    qsl = lg.ConstructQSL(10, 10, lambda s: None, lambda s: None)
    ts = lg.TestSettings()
    ts.min_duration_ms, ts.min_query_count = 10, 10
    ls = lg.LogSettings()
    ls.log_output.outdir = str(outdir)
    try:
        lg.StartTestWithLogSettings(sut, qsl, ts, ls)
    finally:
        lg.DestroySUT(sut)
        lg.DestroyQSL(qsl)
    assert (outdir / SUMMARY).stat().st_size > 0


def test_unusable_log_directory_raises_before_any_callback(tmp_path):
    (tmp_path / "a_file").write_text("not a directory")
    code = """
sut = lg.ConstructSUT(lambda s: (calls.append("issue"), complete(s)), lambda: calls.append("flush"))
qsl = lg.ConstructQSL(10, 10, lambda s: calls.append("load"), lambda s: None)
try:
    lg.StartTestWithLogSettings(sut, qsl, settings(), logs("a_file/logs"))
    result(exc=None)
except Exception as e:
    result(exc=type(e).__name__, msg=str(e), calls=calls)
"""
    proc = child(code, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = child_result(proc)
    assert out["exc"] is not None
    assert "a_file/logs" in out["msg"]
    assert out["calls"] == []


def test_second_test_started_while_one_runs_raises_runtime_error(tmp_path):
    code = """
second = {}
def start_second():
    s2 = lg.ConstructSUT(lambda s: complete(s), lambda: None)
    q2 = lg.ConstructQSL(10, 10, lambda s: None, lambda s: None)
    try:
        lg.StartTestWithLogSettings(s2, q2, settings(), logs("second"))
        second["exc"] = None
    except Exception as e:
        second["exc"] = type(e).__name__
        second["msg"] = str(e)

def issue(samples):
    if not second:
        t = threading.Thread(target=start_second)
        t.start()
        t.join()
    complete(samples)

sut = lg.ConstructSUT(issue, lambda: None)
qsl = lg.ConstructQSL(100, 40, lambda s: None, lambda s: None)
r1 = lg.run_test(sut, qsl, settings(), logs("first"))
r3 = lg.run_test(sut, qsl, settings(), logs("third"))
result(second=second, first_valid=r1.valid, third_valid=r3.valid)
"""
    proc = child(code, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = child_result(proc)
    assert out["second"]["exc"] == "RuntimeError", out
    assert "already running" in out["second"]["msg"]
    assert out["first_valid"] and out["third_valid"]
    assert not (tmp_path / "second").exists()


def test_destroyed_or_bogus_handles_raise_value_error():
    calls = []
    sut = lg.ConstructSUT(lambda s: calls.append(s), lambda: None)
    qsl = lg.ConstructQSL(10, 10, lambda s: calls.append(s), lambda s: None)
    ts = lg.TestSettings()
    with pytest.raises(ValueError):
        lg.StartTest(123456789, qsl, ts)
    with pytest.raises(ValueError):
        lg.StartTest(sut, 987654321, ts)
    with pytest.raises(ValueError):
        lg.StartTest(qsl, sut, ts)  # swapped handles
    lg.DestroySUT(sut)
    with pytest.raises(ValueError):
        lg.StartTest(sut, qsl, ts)
    with pytest.raises(ValueError):
        lg.DestroySUT(sut)
    lg.DestroyQSL(qsl)
    with pytest.raises(ValueError):
        lg.DestroyQSL(qsl)
    assert calls == []


def test_non_callable_to_construct_functions_raises_type_error():
    with pytest.raises(TypeError):
        lg.ConstructSUT(1, 2)
    with pytest.raises(TypeError):
        lg.ConstructSUT(lambda s: None, None)
    with pytest.raises(TypeError):
        lg.ConstructFastSUT("issue", lambda: None)
    with pytest.raises(TypeError):
        lg.ConstructQSL(10, 10, "load", lambda s: None)


def test_object_without_sut_methods_is_rejected_with_type_error(tmp_path):
    qsl = lg.ConstructQSL(10, 10, lambda s: None, lambda s: None)
    try:
        with pytest.raises(TypeError):
            lg.run_test(object(), qsl, lg.TestSettings())
    finally:
        lg.DestroyQSL(qsl)


@pytest.mark.parametrize("scenario", ["SingleStream", "Offline"])
def test_exception_in_response_callback_reaches_the_caller_and_every_sample_still_completes(
    scenario, tmp_path
):
    code = f"""
class CallbackError(Exception):
    pass

def response_cb(response):
    raise CallbackError("from the response callback")

caught = []
def issue(samples):
    try:
        lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in samples], response_cb)
    except CallbackError:
        caught.append(len(samples))
sut = lg.ConstructSUT(issue, lambda: None)
qsl = lg.ConstructQSL(30, 30, lambda s: None, lambda s: None)
r = lg.run_test(sut, qsl, settings({scenario!r}, "AccuracyOnly"), logs())
result(caught=sum(caught), calls=len(caught), issued=r.accuracy_samples_issued,
       completed=r.accuracy_samples_completed, aborted=r.aborted, errors=list(r.errors))
"""
    proc = child(code, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = child_result(proc)
    assert out["caught"] == out["issued"] == 30  # every call raised, once
    assert out["completed"] == 30
    assert not out["aborted"], out["errors"]
    assert len(read_accuracy(tmp_path / "logs" / ACCURACY)) == 30


COMPLETE_WITH_TOKENS = {
    "QuerySamplesComplete": "lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0, 5) for s in samples])",
    "complete_samples": "lg.complete_samples([s.id for s in samples], n_tokens=[5] * len(samples))",
}


@pytest.mark.parametrize("complete", COMPLETE_WITH_TOKENS.values(), ids=COMPLETE_WITH_TOKENS.keys())
@pytest.mark.parametrize("scenario", ["SingleStream", "MultiStream", "Server", "Offline"])
def test_completion_before_first_token_is_an_error_except_in_offline(scenario, complete, tmp_path):
    # With use_token_latencies the SUT must report the first token first (the
    # reference logs one error per such sample; in SingleStream it segfaults).
    # Offline does not require first tokens.
    code = f"""
def issue(samples):
    {complete}
sut = lg.ConstructSUT(issue, lambda: None)
qsl = lg.ConstructQSL(100, 40, lambda s: None, lambda s: None)
r = lg.run_test(sut, qsl, settings({scenario!r}, use_token_latencies=True, multi_stream_samples_per_query=4), logs())
p = r.performance[0]
result(samples=p.samples_completed, errors=r.num_errors, messages=list(r.errors[:3]))
"""
    proc = child(code, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = child_result(proc)
    assert out["samples"] > 0
    if scenario == "Offline":
        assert out["errors"] == 0, out["messages"]
    else:
        assert out["errors"] == out["samples"], out["messages"]
        assert all("first token" in m for m in out["messages"])


@pytest.mark.parametrize(
    "call",
    [
        lambda: lg.complete_samples([1, 2], [b"a"]),  # one buffer for two ids
        lambda: lg.complete_samples([1, 2, 3], b"abcd"),  # 4 bytes do not split over 3 ids
        lambda: lg.complete_samples([1, 2], b"abcd", offsets=[0, 2]),  # needs len(ids) + 1 offsets
        lambda: lg.complete_samples([1, 2], b"abcd", offsets=[0, 3, 2]),  # decreasing
        lambda: lg.complete_samples([1, 2], b"abcd", offsets=[0, 2, 9]),  # beyond the data
        lambda: lg.complete_samples([1, 2], n_tokens=[5]),  # one count for two ids
    ],
    ids=[
        "too-few-buffers",
        "uneven-split",
        "short-offsets",
        "decreasing-offsets",
        "offsets-past-end",
        "short-n-tokens",
    ],
)
def test_complete_samples_rejects_inconsistent_arguments_with_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_a_flood_of_bad_ids_does_not_hide_why_the_run_is_invalid(tmp_path):
    # 300 unknown ids exceed the per-sample error records kept (100), yet the
    # records saying that samples never completed and that the watchdog ended
    # the test must still reach the detail log, and every error is counted.
    code = """
def issue(samples):
    lg.QuerySamplesComplete([lg.QuerySampleResponse(10**9 + i, 0, 0) for i in range(300)])
    lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in samples[:-2]])
sut = lg.ConstructSUT(issue, lambda: None)
qsl = lg.ConstructQSL(100, 40, lambda s: None, lambda s: None)
r = lg.run_test(sut, qsl, settings("Offline", watchdog_timeout_ms=300), logs())
detail = open("logs/mlperf_log_detail.txt").read()
result(errors=r.num_errors, never=r.performance[0].samples_never_completed,
       never_logged="never completed" in detail, watchdog_logged="Watchdog" in detail,
       unknown_records=detail.count("unknown response id"))
"""
    out = child_result(child(code, tmp_path))
    assert out["never"] == 2
    assert out["errors"] >= 302
    assert out["never_logged"] and out["watchdog_logged"]
    assert out["unknown_records"] == 100


def test_a_sut_still_answering_after_max_duration_is_waited_for(tmp_path):
    # max_duration stops issuing, but a tail that keeps completing is waited
    # for, as the reference does (an Offline query always outlives it).
    code = """
import threading, time
def issue(samples):
    def work():
        for i in range(0, len(samples), 20):
            time.sleep(0.2)
            complete(samples[i:i + 20])
    threading.Thread(target=work).start()
sut = lg.ConstructSUT(issue, lambda: None)
qsl = lg.ConstructQSL(100, 40, lambda s: None, lambda s: None)
r = lg.run_test(sut, qsl, settings("Offline", min_query_count=200, min_duration_ms=500, offline_expected_qps=1,
                                   max_duration_ms=500, watchdog_timeout_ms=5000), logs())
p = r.performance[0]
result(aborted=r.aborted, never=p.samples_never_completed, valid=p.valid, done=p.samples_completed)
"""
    out = child_result(child(code, tmp_path))
    assert out["aborted"] is False
    assert out["never"] == 0 and out["done"] == 200
    assert out["valid"] is True
