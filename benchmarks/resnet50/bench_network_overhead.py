"""What the network SUT costs: LoadGen + KServeSUT vs a plain tritonclient loop.

    python benchmarks/resnet50/bench_network_overhead.py --server-python /path/to/numpy1-env/bin/python
    python benchmarks/resnet50/bench_network_overhead.py --url 127.0.0.1:8000   # a server you started

The server is ``python -m loadgen.harness.serve --benchmark resnet50 --engine
pytriton --backend null``: a real tritonserver whose model does no work (the
null backend), so what is measured is the client, the protocol and the
server's own request handling. Requests carry the real ResNet50 input (one
224x224x3 float32 image, 602 KB per request).

Both sides send the same requests (one sample each, the QSL's preprocessed
tensors) with the same tritonclient asyncio client:

* latency: one request at a time. The plain loop times ``await infer`` around
  building the request; the network SUT runs LoadGen's SingleStream (each
  query issued when the previous one completed), whose latency runs from the
  query's scheduled time to its completion. The difference is what LoadGen,
  the harness and the SUT add per query.
* throughput: ``--inflight`` requests in flight; the plain loop keeps that
  many open; the network SUT runs Offline with ``--max-inflight`` the same.
* Server: the highest target QPS whose Server run stays VALID with the 15 ms
  latency bound (bisection over short runs).

Runs alternate (plain, SUT, plain, SUT, ...) and the medians are compared.
On loopback this is a development setup, never a Network-division result.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
if __package__ in (None, ""):
    sys.path.insert(0, str(HERE.parent))

from loadgen.harness import RunOptions, run_benchmark
from loadgen.harness.network import NetworkOptions
from loadgen.harness.sut_kserve import wait_until_live

from resnet50 import synthetic
from resnet50.dataset import ImageNetVal
from resnet50.run import SPEC

INPUT = "input_tensor:0"


def free_port() -> int:
    """A port p on 127.0.0.1 with p and p + 1 free (the server's HTTP and gRPC)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            p = s.getsockname()[1]
        if p < 65000:
            with socket.socket() as s2:
                try:
                    s2.bind(("127.0.0.1", p + 1))
                except OSError:
                    continue
            return p
    raise RuntimeError("no two free ports in a row")


def start_server(python: str, port: int, cache: str, images: int, log: Path) -> subprocess.Popen:
    cmd = [
        python, "-m", "loadgen.harness.serve", "--benchmark", str(HERE / "run.py"), "--engine", "pytriton",
        "--backend", "null", "--port", str(port), "--cache-dir", cache, "--synthetic-images", str(images),
    ]  # fmt: skip
    with open(log, "wb") as f:
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_live(NetworkOptions("http", f"127.0.0.1:{port}", "resnet50"), timeout_s=180)
    except TimeoutError:
        os.killpg(proc.pid, signal.SIGKILL)
        raise RuntimeError(f"the server did not start; its log:\n{log.read_text()[-2000:]}") from None
    return proc


# ---- the yardstick: tritonclient alone ---------------------------------------


def client_module(protocol: str) -> Any:
    if protocol == "http":
        import tritonclient.http.aio as m
    else:
        import tritonclient.grpc.aio as m
    return m


async def _plain(url: str, protocol: str, samples: list[np.ndarray], n: int, inflight: int) -> list[float]:
    m = client_module(protocol)
    client = m.InferenceServerClient(url)
    latencies: list[float] = []
    next_i = iter(range(n))

    async def one(i: int) -> None:
        x = samples[i % len(samples)]
        t0 = time.perf_counter()
        inp = m.InferInput(INPUT, list(x.shape), "FP32")
        inp.set_data_from_numpy(x)
        result = await client.infer("resnet50", [inp], outputs=[m.InferRequestedOutput("response")])
        result.get_response()
        latencies.append(time.perf_counter() - t0)

    async def worker() -> None:
        for i in next_i:
            await one(i)

    try:
        for i in range(3):  # warm-up, as the SUT's
            await one(i)
        latencies.clear()
        await asyncio.gather(*[worker() for _ in range(inflight)])
    finally:
        await client.close()
    return latencies


def plain_latency_ms(url: str, protocol: str, samples: list[np.ndarray], n: int) -> tuple[float, float]:
    lat = np.array(asyncio.run(_plain(url, protocol, samples, n, 1))) * 1000
    return float(lat.mean()), float(np.percentile(lat, 99))


def plain_throughput(
    url: str, protocol: str, samples: list[np.ndarray], n: int, inflight: int
) -> tuple[float, float]:
    """(samples/s, this process's CPU ms per sample)."""
    c0, t0 = time.process_time(), time.perf_counter()
    asyncio.run(_plain(url, protocol, samples, n, inflight))
    return n / (time.perf_counter() - t0), (time.process_time() - c0) / n * 1000


# ---- the network SUT through LoadGen ------------------------------------------


def sut_run(base: RunOptions, protocol: str, url: str, **kw: Any) -> Any:
    extra = {**base.extra, "sut": f"kserve-{protocol}", "url": url, "model_name": "resnet50"}
    extra.update(kw.pop("extra", {}))
    opts = RunOptions(**{**base.__dict__, **kw, "extra": extra})
    report = run_benchmark(SPEC, opts, log=lambda s: None)
    if report.error:
        raise RuntimeError(f"the network SUT run failed: {report.error}")
    return report


def sut_latency_ms(base: RunOptions, protocol: str, url: str, n: int) -> tuple[float, float]:
    r = sut_run(base, protocol, url, scenario="SingleStream", count=n, time_s=0.001)
    return r.performance.latency_ms["mean"], r.performance.latency_ms["p99"]


def sut_throughput(base: RunOptions, protocol: str, url: str, n: int, inflight: int) -> tuple[float, float]:
    """(LoadGen's samples/s, this process's CPU ms per sample, the run's setup included)."""
    c0 = time.process_time()
    r = sut_run(
        base,
        protocol,
        url,
        scenario="Offline",
        count=n,
        time_s=0.001,
        qps=1.0,
        extra={"max_inflight": inflight},
    )
    return float(r.performance.metric), (time.process_time() - c0) / n * 1000


def peak_server_qps(
    base: RunOptions, protocol: str, url: str, hi: float, run_s: float, inflight: int, steps: int
) -> float:
    """Bisection: the highest target QPS whose Server run is VALID at 15 ms."""
    lo = 0.0
    for _ in range(steps):
        qps = (lo + hi) / 2
        # Early stopping needs about 460 queries with none late: at least 700 per run.
        r = sut_run(
            base, protocol, url, scenario="Server", qps=qps, max_latency_s=0.015,
            time_s=max(run_s, 700 / qps), extra={"max_inflight": inflight},
        )  # fmt: skip
        ok = r.performance is not None and r.performance.valid
        print(f"    Server {protocol} at {qps:8.1f} QPS: {'VALID' if ok else 'INVALID'}", flush=True)
        lo, hi = (qps, hi) if ok else (lo, qps)
    return lo


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="HTTP HOST:PORT of a running server (gRPC on PORT+1); default: start one")
    ap.add_argument("--server-python", default=os.environ.get("LOADGEN_PYTRITON_PYTHON", sys.executable))
    ap.add_argument("--protocols", default="grpc,http")
    ap.add_argument("--requests", type=int, default=300, help="requests per latency/throughput run")
    ap.add_argument("--inflight", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--server-run-s", type=float, default=5.0, help="length of each Server run in the search")
    ap.add_argument("--search-steps", type=int, default=5, help="bisection steps of the Server search")
    ap.add_argument("--images", type=int, default=64)
    ap.add_argument("--cache-dir", help="where the embedded default goes (default: the benchmark's cache)")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench-network-")  # logs and the server's log; removed at the end
    cache = args.cache_dir or str(synthetic.default_cache_dir())
    base = SPEC.prepare(RunOptions(cache_dir=cache, extra={"synthetic_images": args.images}))
    base = RunOptions(
        cache_dir=cache, output=os.path.join(tmp, "out"), progress=False, warmup_batches=3,
        performance_sample_count=args.images, extra={"synthetic_images": args.images, "request_timeout_s": 30.0},
    )  # fmt: skip
    opts = SPEC.prepare(base)
    dataset = ImageNetVal(opts.dataset_path, cache, count=args.images)
    dataset.load(list(range(args.images)))
    samples = [np.ascontiguousarray(dataset.get_batch([i])) for i in range(args.images)]

    proc = None
    if args.url:
        http_url = args.url
    else:
        port = free_port()
        print(f"starting pytriton (null model) on 127.0.0.1:{port} with {args.server_python}", flush=True)
        proc = start_server(args.server_python, port, cache, args.images, Path(tmp) / "server.log")
        http_url = f"127.0.0.1:{port}"
    host, port_s = http_url.rsplit(":", 1)
    urls = {"http": http_url, "grpc": f"{host}:{int(port_s) + 1}"}

    rows = []
    try:
        for protocol in args.protocols.split(","):
            url = urls[protocol]
            lat_plain, lat_sut, thr_plain, thr_sut = [], [], [], []
            for r in range(args.repeats):
                print(f"  {protocol} round {r + 1}/{args.repeats}", flush=True)
                lat_plain.append(plain_latency_ms(url, protocol, samples, args.requests))
                lat_sut.append(sut_latency_ms(base, protocol, url, args.requests))
                thr_plain.append(plain_throughput(url, protocol, samples, args.requests, args.inflight))
                thr_sut.append(sut_throughput(base, protocol, url, args.requests, args.inflight))
            med = statistics.median
            lp, ls = med(x[0] for x in lat_plain), med(x[0] for x in lat_sut)
            pp, ps = med(x[1] for x in lat_plain), med(x[1] for x in lat_sut)
            tp, ts = med(x[0] for x in thr_plain), med(x[0] for x in thr_sut)
            cp, cs = med(x[1] for x in thr_plain), med(x[1] for x in thr_sut)
            peak = peak_server_qps(
                base, protocol, url, tp * 1.2, args.server_run_s, args.inflight, args.search_steps
            )
            rows.append((protocol, lp, ls, pp, ps, tp, ts, cp, cs, peak))
    finally:
        if proc is not None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
            with contextlib.suppress(ProcessLookupError):  # Triton's stub ignores SIGTERM
                os.killpg(proc.pid, signal.SIGKILL)
        shutil.rmtree(tmp, ignore_errors=True)

    print()
    print(f"tritonclient {version('tritonclient')}; the server: pytriton's tritonserver, null backend")
    print(
        f"null model on pytriton, loopback, {os.cpu_count()} CPUs; medians of {args.repeats} alternating runs"
    )
    print(
        f"{args.requests} requests of one 3x224x224 float32 image per run; throughput with {args.inflight} in flight"
    )
    print()
    print("| protocol | measure | tritonclient loop | network SUT (LoadGen) | SUT vs loop |")
    print("|---|---|---:|---:|---:|")
    for protocol, lp, ls, pp, ps, tp, ts, cp, cs, peak in rows:
        print(f"| {protocol} | latency mean, 1 in flight (ms) | {lp:.2f} | {ls:.2f} | {ls - lp:+.2f} ms |")
        print(f"| {protocol} | latency p99, 1 in flight (ms) | {pp:.2f} | {ps:.2f} | {ps - pp:+.2f} ms |")
        print(
            f"| {protocol} | throughput, {args.inflight} in flight (samples/s) | {tp:.0f} | {ts:.0f} | {ts / tp:.2f}x |"
        )
        print(
            f"| {protocol} | client CPU per sample, {args.inflight} in flight (ms) | {cp:.2f} | {cs:.2f} | {cs - cp:+.2f} ms |"
        )
        print(f"| {protocol} | highest VALID Server QPS at 15 ms | | {peak:.0f} | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
