"""Faults found when LoadGen was tried against SUTs no one here wrote (issue 8):
a guard must never end a run that the reference reports VALID, a typo in
user.conf must not be silent through the compatible API, and the reference's
vector names must exist."""

from __future__ import annotations

import json
from pathlib import Path

import loadgen as lg
import pytest
from lg_helpers import child_result, run_in_process, run_python, settings_with, summary_value

# A worker-pool SUT as a new user writes one: issue_queries queues the
# samples, two threads each take batches and answer a batch after
# `batch_seconds`, so completions arrive in bursts more than 1 s apart.
POOL_SUT = """
import json, queue, threading, time
import loadgen as lg

def result(**kw):
    print("RESULT " + json.dumps(kw), flush=True)

BATCH, BATCH_SECONDS, WORKERS = {batch}, {batch_seconds}, 2
work = queue.Queue()
answered = []

def worker():
    while True:
        batch = work.get()
        if batch is None:
            return
        time.sleep(BATCH_SECONDS)
        lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in batch])
        answered.append(len(batch))

threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
for t in threads:
    t.start()

def issue(samples):
    for i in range(0, len(samples), BATCH):
        work.put(samples[i:i + BATCH])

sut = lg.ConstructSUT(issue, lambda: None)
qsl = lg.ConstructQSL({samples}, {samples}, lambda s: None, lambda s: None)
ts = lg.TestSettings()
ts.scenario = lg.TestScenario.Offline
ts.mode = lg.TestMode.PerformanceOnly
ts.offline_expected_qps = {samples} / 1.1 / ({duration_ms} / 1000)  # one query of `samples` samples
ts.min_duration_ms = {duration_ms}
ts.max_duration_ms = {duration_ms}  # min = max, as the reference harnesses' --time does
{extra}
log = lg.LogSettings()
log.log_output.outdir = "logs"
log.enable_trace = False
r = lg.run_test(sut, qsl, ts, log)
for _ in threads:
    work.put(None)
for t in threads:
    t.join()
p = r.performance[0]
result(valid=p.valid, aborted=r.aborted, completed=p.samples_completed, never=p.samples_never_completed,
       answered=sum(answered), errors=list(r.errors))
"""


def pool_sut(tmp_path: Path, **kw) -> tuple[dict, str]:
    params = {"batch": 32, "batch_seconds": 1.3, "samples": 128, "duration_ms": 1000, "extra": ""}
    params.update(kw)
    proc = run_python(POOL_SUT.format(**params), tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return child_result(proc), proc.stderr


def test_batching_worker_pool_slower_than_max_duration_is_waited_for_and_valid(tmp_path):
    # Four batches of 32, two workers, 1.3 s a batch: completions at 1.3 s and
    # 2.6 s, the last one 1.6 s after max_duration. The reference waits for the
    # tail and reports VALID; every response must be counted.
    out, stderr = pool_sut(tmp_path)
    assert out["aborted"] is False, out["errors"]
    assert out["valid"] is True, out["errors"]
    assert out["completed"] == 128 and out["never"] == 0
    assert out["answered"] == 128
    assert "while no test is running" not in stderr
    assert summary_value((tmp_path / "logs" / "mlperf_log_summary.txt").read_text(), "Result is") == "VALID"


def test_batching_sut_with_the_watchdog_off_is_still_waited_for_while_it_completes(tmp_path):
    # With the watchdog off, max_duration bounds only a tail that has stopped
    # for max_duration: bursts 1.3 s apart with max_duration 2 s are waited for.
    out, _ = pool_sut(
        tmp_path, duration_ms=2000, batch_seconds=1.3, samples=192, extra="ts.watchdog_timeout_ms = 0"
    )
    assert out["valid"] is True, out["errors"]
    assert out["completed"] == 192


def test_from_config_typo_is_warned_on_stderr_naming_file_line_and_suggestion(tmp_path, capfd):
    conf = tmp_path / "user.conf"
    conf.write_text("# my settings\n*.Offline.target_qsp = 100\n")
    ts = lg.TestSettings()
    assert ts.FromConfig(str(conf), "resnet50", "Offline") == 0
    err = capfd.readouterr().err
    lines = [line for line in err.splitlines() if "target_qsp" in line]
    assert len(lines) == 1, err
    assert f"{conf}:2" in lines[0]
    assert "did you mean target_qps?" in lines[0]
    assert lines[0].startswith("loadgen: warning:")


def test_from_config_typo_also_reaches_the_detail_log(tmp_path):
    code = f"""
import loadgen as lg
ts = lg.TestSettings()
ts.FromConfig({str(tmp_path / "user.conf")!r}, "resnet50", "Offline")
ts.scenario = lg.TestScenario.Offline
ts.min_duration_ms = 10
ts.offline_expected_qps = 100
sut = lg.ConstructSUT(lambda s: lg.QuerySamplesComplete([lg.QuerySampleResponse(x.id, 0, 0) for x in s]),
                      lambda: None)
qsl = lg.ConstructQSL(10, 10, lambda s: None, lambda s: None)
log = lg.LogSettings()
log.log_output.outdir = "logs"
lg.StartTestWithLogSettings(sut, qsl, ts, log)
"""
    (tmp_path / "user.conf").write_text("*.Offline.target_qsp = 100\n")
    proc = run_python(code, tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "user.conf:1" in proc.stderr and "target_qps?" in proc.stderr
    records = [
        json.loads(line.split(":::MLLOG ", 1)[1])
        for line in (tmp_path / "logs" / "mlperf_log_detail.txt").read_text().splitlines()
        if line.startswith(":::MLLOG ")
    ]
    assert any("target_qsp" in str(r["value"]) and "user.conf:1" in str(r["value"]) for r in records)


def test_a_clean_from_config_prints_nothing(tmp_path, capfd):
    conf = tmp_path / "user.conf"
    conf.write_text("*.Offline.target_qps = 100\n")
    ts = lg.TestSettings()
    assert ts.FromConfig(str(conf), "resnet50", "Offline") == 0
    assert capfd.readouterr().err == ""
    assert ts.offline_expected_qps == 100


def test_vector_query_sample_and_response_hold_their_type_and_complete_samples(tmp_path):
    samples = lg.VectorQuerySample()
    responses = lg.VectorQuerySampleResponse([lg.QuerySampleResponse(1, 0, 0)])
    responses.append(lg.QuerySampleResponse(2, 0, 0))
    assert len(samples) == 0 and len(responses) == 2
    with pytest.raises(TypeError, match="QuerySampleResponse"):
        responses.append(42)
    with pytest.raises(TypeError):
        lg.VectorQuerySample([lg.QuerySampleResponse(1, 0, 0)])

    got: list[int] = []

    def issue(batch):
        vec = lg.VectorQuerySampleResponse()
        for s in batch:
            vec.append(lg.QuerySampleResponse(s.id, 0, 0))
        got.append(len(vec))
        lg.QuerySamplesComplete(vec)

    ts = settings_with(lg, "Offline", min_duration_ms=10, offline_expected_qps=100)
    r = run_in_process(lg, ts, tmp_path, issue, total=10, perf=10)
    p = r.performance[0]
    assert p.samples_never_completed == 0 and r.num_errors == 0
    assert sum(got) == p.samples_issued == p.samples_completed
