"""One side of the differential test: runs a test with either ``loadgen`` or the
reference ``mlperf_loadgen`` and prints what the SUT and QSL saw.

usage: python diff_worker.py {ours|ref} CONFIG_JSON OUTDIR

CONFIG_JSON: {"scenario": name, "mode": name, "total": int, "perf": int,
"settings": {TestSettings field: value}, "busy_us": int}. The SUT completes
every sample synchronously inside issue_queries (after busy-waiting busy_us
microseconds per call, to make a Server late), with 4 bytes of data derived from the QSL
index (so accuracy logs can be compared byte for byte). Output: one line
``RESULT {"phases": [...], "loads": [...], "unloads": [...]}`` where each phase
is the list of queries (lists of QSL indices) issued before one flush.
"""

from __future__ import annotations

import array
import json
import os
import sys
import time


def main() -> None:
    which, config, outdir = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    if which == "ours":
        import loadgen as lg
    else:
        import mlperf_loadgen as lg

    phases: list[list[list[int]]] = [[]]
    loads: list[list[int]] = []
    unloads: list[list[int]] = []

    busy_ns = config.get("busy_us", 0) * 1000

    def issue(samples):
        if busy_ns:
            end = time.perf_counter_ns() + busy_ns
            while time.perf_counter_ns() < end:
                pass
        indices = [s.index for s in samples]
        phases[-1].append(indices)
        # The response data is read during the call only (both LoadGens copy it).
        payload = array.array("I", [(i * 2654435761 + 12345) & 0xFFFFFFFF for i in indices])
        base, _ = payload.buffer_info()
        item = payload.itemsize
        lg.QuerySamplesComplete(
            [lg.QuerySampleResponse(s.id, base + k * item, item) for k, s in enumerate(samples)]
        )

    def flush():
        phases.append([])

    sut = lg.ConstructSUT(issue, flush)
    qsl = lg.ConstructQSL(
        config["total"], config["perf"], lambda s: loads.append(list(s)), lambda s: unloads.append(list(s))
    )
    ts = lg.TestSettings()
    ts.scenario = getattr(lg.TestScenario, config["scenario"])
    ts.mode = getattr(lg.TestMode, config["mode"])
    for key, value in config["settings"].items():
        setattr(ts, key, value)
    os.makedirs(outdir, exist_ok=True)  # the reference does not create it
    ls = lg.LogSettings()
    ls.log_output.outdir = outdir
    ls.enable_trace = False
    lg.StartTestWithLogSettings(sut, qsl, ts, ls)
    lg.DestroyQSL(qsl)
    lg.DestroySUT(sut)
    if not phases[-1]:
        phases.pop()
    print("RESULT " + json.dumps({"phases": phases, "loads": loads, "unloads": unloads}), flush=True)


if __name__ == "__main__":
    main()
