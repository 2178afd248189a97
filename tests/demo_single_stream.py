"""A SingleStream harness written the way reference-LoadGen users write them:
handles from ConstructSUT/ConstructQSL, responses that point at numpy and
array buffers, a worker thread that answers, StartTestWithLogSettings.

It runs unchanged against our package (``import loadgen as mlperf_loadgen``,
the default) or, with --reference, against the reference module.

usage: python demo_single_stream.py --outdir DIR [--reference]
"""

from __future__ import annotations

import argparse
import array
import json
import queue
import threading

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--outdir", required=True)
parser.add_argument("--reference", action="store_true")
args = parser.parse_args()

if args.reference:
    import mlperf_loadgen
else:
    import loadgen as mlperf_loadgen

TOTAL_SAMPLES = 1024
PERFORMANCE_SAMPLES = 128

dataset: dict[int, np.ndarray] = {}
loaded_count = 0
work: queue.Queue = queue.Queue()


def load_samples_to_ram(indices):
    global loaded_count
    loaded_count += len(indices)
    for i in indices:
        dataset[i] = np.full(4, i, dtype=np.float32)


def unload_samples_from_ram(indices):
    for i in indices:
        dataset.pop(i, None)


def answer_queries():
    """The 'accelerator': answers each query from its own thread."""
    while True:
        samples = work.get()
        if samples is None:
            return
        responses = []
        keep_alive = []
        for s in samples:
            # Odd indices answer from a numpy array, even ones from array.array,
            # as both styles appear in existing harnesses.
            if s.index % 2:
                out = dataset[s.index] * 2.0
                keep_alive.append(out)
                responses.append(mlperf_loadgen.QuerySampleResponse(s.id, out.ctypes.data, out.nbytes))
            else:
                out = array.array("f", dataset[s.index].tolist())
                keep_alive.append(out)
                address, length = out.buffer_info()
                responses.append(mlperf_loadgen.QuerySampleResponse(s.id, address, length * out.itemsize))
        mlperf_loadgen.QuerySamplesComplete(responses)


def issue_queries(query_samples):
    work.put(query_samples)


def flush_queries():
    pass


worker = threading.Thread(target=answer_queries)
worker.start()

settings = mlperf_loadgen.TestSettings()
settings.scenario = mlperf_loadgen.TestScenario.SingleStream
settings.mode = mlperf_loadgen.TestMode.PerformanceOnly
# The reference pre-generates queries at this rate; a low value keeps it from
# running out when the SUT answers quickly.
settings.single_stream_expected_latency_ns = 10000
settings.min_query_count = 200
settings.min_duration_ms = 200

log_settings = mlperf_loadgen.LogSettings()
log_settings.log_output.outdir = args.outdir
log_settings.log_output.copy_summary_to_stdout = False
log_settings.enable_trace = False

sut = mlperf_loadgen.ConstructSUT(issue_queries, flush_queries)
qsl = mlperf_loadgen.ConstructQSL(
    TOTAL_SAMPLES, PERFORMANCE_SAMPLES, load_samples_to_ram, unload_samples_from_ram
)
mlperf_loadgen.StartTestWithLogSettings(sut, qsl, settings, log_settings)
work.put(None)
worker.join()
mlperf_loadgen.DestroyQSL(qsl)
mlperf_loadgen.DestroySUT(sut)

print(
    "RESULT "
    + json.dumps(
        {"module": mlperf_loadgen.__name__.split(".")[0], "loaded": loaded_count, "unloaded_all": not dataset}
    )
)
