"""Response data that cannot be read never crashes the process (issue 20):
a Python SUT passes address 8, an unmapped page, a size past the end of a
mapping and an absurd size; the run ends, each bad sample is an error naming
it, the other samples' data is in the accuracy log. Child process, timeout."""

from __future__ import annotations

from lg_helpers import child_result, run_python

CODE = """
import ctypes, json, mmap
import loadgen as lg

def result(**kw):
    print("RESULT " + json.dumps(kw), flush=True)

libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
PAGE = mmap.PAGESIZE
PROT, FLAGS = mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
unmapped = libc.mmap(None, PAGE, PROT, FLAGS, -1, 0)
libc.munmap(unmapped, PAGE)
half = libc.mmap(None, 2 * PAGE, PROT, FLAGS, -1, 0)
libc.munmap(half + PAGE, PAGE)
good = ctypes.create_string_buffer(b"GOOD", 4)
good_addr = ctypes.addressof(good)
BAD = [(8, 4), (unmapped, 16), (half, 2 * PAGE), (good_addr, 1 << 40)]

counter = [0]
def issue(samples):
    out = []
    for s in samples:
        k = counter[0]
        counter[0] += 1
        addr, size = (good_addr, 4) if k % 5 == 0 else BAD[k % 5 - 1]
        out.append(lg.QuerySampleResponse(s.id, addr, size))
    lg.QuerySamplesComplete(out)

sut = lg.ConstructSUT(issue, lambda: None)
qsl = lg.ConstructQSL(50, 50, lambda s: None, lambda s: None)
ts = lg.TestSettings()
ts.scenario = lg.TestScenario.Offline
ts.mode = lg.TestMode.{mode}
ts.min_duration_ms = 0
ts.min_query_count = 50
ts.accuracy_log_probability = 1.0
log = lg.LogSettings()
log.log_output.outdir = "logs"
r = lg.run_test(sut, qsl, ts, log)
acc = json.load(open(r.accuracy_path))
detail = open(r.detail_path).read()
result(errors=r.num_errors, completed=r.accuracy_samples_completed if r.has_accuracy else
       r.performance[0].samples_completed, valid=r.valid, logged=len(acc),
       good=sum(e["data"] == "474F4F44" for e in acc),
       reasons=list(r.performance[0].invalid_reasons) if r.performance else [],
       addr8="0x8 is not readable" in detail, size="over max_response_bytes" in detail,
       past_end="are readable" in detail, named="Sample 1 (QSL index" in detail)
"""


def run(tmp_path, mode: str) -> dict:
    proc = run_python(CODE.replace("{mode}", mode), tmp_path, timeout=60)
    assert proc.returncode == 0, f"exit {proc.returncode}: " + proc.stderr[-3000:]
    return child_result(proc)


def test_unreadable_response_data_in_accuracy_mode_is_an_error_of_each_sample(tmp_path):
    out = run(tmp_path, "AccuracyOnly")
    assert out["completed"] == 50
    assert out["errors"] == 40
    assert out["logged"] == out["good"] == 10
    assert out["addr8"] and out["size"] and out["past_end"] and out["named"]


def test_unreadable_sampled_response_data_makes_the_performance_run_invalid(tmp_path):
    out = run(tmp_path, "PerformanceOnly")
    assert out["completed"] == 50
    assert out["valid"] is False
    assert any("40 responses had data that could not be read" in r for r in out["reasons"]), out["reasons"]
    assert out["good"] == 10
