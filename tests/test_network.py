"""The network SUT (--sut kserve-http|kserve-grpc) against real servers on 127.0.0.1.

Servers: ``python -m loadgen.harness.serve`` with pytriton (a real
tritonserver, CPU) and with MLServer, each serving ResNet50's embedded
default (8 synthetic images). pytriton's Python-backend stub needs NumPy 1.x
(with NumPy 2 its outputs come back empty), so ``serve --engine pytriton``
runs itself from the NumPy-1 environment that loadgen.harness.pytriton_env
makes once under the cache (set LOADGEN_PYTRITON_PYTHON to use another
Python); the servers here start exactly as a user starts one.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("loadgen.harness")
pytest.importorskip("cv2")
pytest.importorskip("onnxruntime")
pytest.importorskip("torch")
pytest.importorskip("tritonclient.grpc")
pytest.importorskip("tritonclient.http")

from loadgen.harness import RunOptions, pytriton_env, run_benchmark
from loadgen.harness.network import NetworkOptions, network_options
from loadgen.harness.sut_kserve import wait_until_live

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
RUN_PY = BENCHMARKS / "resnet50" / "run.py"
sys.path.insert(0, str(BENCHMARKS))

from resnet50.bench_network_overhead import free_port  # p with p and p + 1 free: HTTP and gRPC
from resnet50.run import SPEC

N_IMAGES = 8
SCENARIOS = ["SingleStream", "MultiStream", "Server", "Offline"]

pytestmark = pytest.mark.slow


class Server:
    """``python -m loadgen.harness.serve`` in its own process group."""

    def __init__(self, engine: str, cache: Path, log: Path, *extra: str, python: str | None = None) -> None:
        self.engine = engine
        self.port = free_port()
        self.log = log
        if python is None:
            if engine == "pytriton":
                pytriton_env.pytriton_python()  # made here, before the server's start-up clock runs
            python = sys.executable
        cmd = [
            python,
            "-m",
            "loadgen.harness.serve",
            "--benchmark",
            str(RUN_PY),
            "--engine",
            engine,
            "--port",
            str(self.port),
            "--cache-dir",
            str(cache),
            "--synthetic-images",
            str(N_IMAGES),
            "--threads",
            "1",
            *extra,
        ]
        with open(log, "wb") as f:
            self.proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_until_live(NetworkOptions("http", self.url("http"), "resnet50"), timeout_s=180)
        except TimeoutError:
            self.kill()
            raise RuntimeError(f"{engine} server did not start:\n{self.log_tail()}") from None

    def url(self, protocol: str) -> str:
        return f"127.0.0.1:{self.port + (protocol == 'grpc')}"

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signals the whole group (pytriton's tritonserver is a child process)."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                pass
        # Whatever is left of the group (Triton's Python-backend stub ignores SIGTERM).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("network-cache")
    # The embedded default, made once here before any server reads it.
    SPEC.prepare(RunOptions(cache_dir=str(folder), extra={"synthetic_images": N_IMAGES}))
    return folder


@pytest.fixture(scope="module")
def servers(cache, tmp_path_factory) -> Iterator[dict[str, Server]]:
    logs = tmp_path_factory.mktemp("server-logs")
    started: dict[str, Server] = {}
    try:
        for engine in ("pytriton", "mlserver"):
            started[engine] = Server(engine, cache, logs / f"{engine}.log")
        yield started
    finally:
        for s in started.values():
            s.kill(signal.SIGTERM)


def options(cache: Path, out: Path, scenario: str, **extra) -> RunOptions:
    return RunOptions(
        scenario=scenario,
        accuracy=True,
        cache_dir=str(cache),
        output=str(out),
        progress=False,
        warmup_batches=1,
        samples_per_query=2,
        extra={"synthetic_images": N_IMAGES, **extra},
    )


def accuracy_data(report) -> dict[int, str]:
    entries = json.loads(Path(report.logs["accuracy"]).read_text())
    return {e["qsl_idx"]: e["data"] for e in entries}


@pytest.fixture(scope="module")
def local_run(cache, tmp_path_factory):
    report = run_benchmark(
        SPEC, options(cache, tmp_path_factory.mktemp("local"), "SingleStream"), log=lambda s: None
    )
    assert report.ok, report
    return report


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("protocol", ["http", "grpc"])
@pytest.mark.parametrize("engine", ["pytriton", "mlserver"])
def test_every_scenario_over_the_network_gives_the_local_accuracy_log(
    servers, local_run, cache, tmp_path, engine, protocol, scenario
):
    server = servers[engine]
    net = {"sut": f"kserve-{protocol}", "url": server.url(protocol), "model_name": "resnet50"}
    # MLServer reads JSON tensors (its HTTP side has no binary extension): ~0.7 s per image here.
    report = run_benchmark(
        SPEC, options(cache, tmp_path, scenario, request_timeout_s=120.0, **net), log=lambda s: None
    )
    assert report.error is None, report.error
    assert report.ok
    assert report.backend == f"kserve-{protocol}"
    assert ("JSON tensors" in report.workers) == (engine == "mlserver" and protocol == "http")
    assert any("development setup, NOT a Network-division result" in n for n in report.notes)
    assert report.accuracy is not None and report.accuracy.line == local_run.accuracy.line
    assert accuracy_data(report) == accuracy_data(local_run)
    detail = Path(report.logs["detail"]).read_text()
    assert '"key": "sut_name", "value": "Network SUT [' in detail
    assert ("triton" if engine == "pytriton" else "mlserver") in detail.split('"sut_name"')[1][:200]


def test_client_batching_is_labelled_not_conforming_and_answers_the_same(servers, local_run, cache, tmp_path):
    server = servers["pytriton"]
    net = {"sut": "kserve-grpc", "url": server.url("grpc"), "model_name": "resnet50", "client_batching": 4}
    report = run_benchmark(SPEC, options(cache, tmp_path, "Offline", **net), log=lambda s: None)
    assert report.error is None, report.error
    assert "CLIENT BATCHING up to 4 (not conforming)" in report.workers
    assert any("--client-batching 4" in n and "NOT CONFORMING" in n for n in report.notes)
    assert accuracy_data(report) == accuracy_data(local_run)


def test_client_postprocess_against_a_server_of_the_bare_model(local_run, cache, tmp_path):
    server = Server("mlserver", cache, tmp_path / "raw.log", "--raw-outputs")
    try:
        net = {"sut": "kserve-grpc", "url": server.url("grpc"), "model_name": "resnet50"}
        report = run_benchmark(
            SPEC, options(cache, tmp_path, "SingleStream", client_postprocess=True, **net), log=lambda s: None
        )
    finally:
        server.kill(signal.SIGTERM)
    assert report.error is None, report.error
    assert any("--client-postprocess" in n and "NOT CONFORMING" in n for n in report.notes)
    assert accuracy_data(report) == accuracy_data(local_run)


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(RUN_PY), "--no-progress", "--synthetic-images", str(N_IMAGES), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_a_refused_connection_is_a_one_line_error(cache, tmp_path):
    port = free_port()
    r = run_cli(
        "--cache-dir", str(cache), "--output", str(tmp_path),
        "--sut", "kserve-http", "--url", f"127.0.0.1:{port}", "--model-name", "resnet50",
    )  # fmt: skip
    assert r.returncode == 2
    errors = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert errors == [errors[0]] and f"cannot reach a KServe v2 HTTP server at 127.0.0.1:{port}" in errors[0]
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_a_wrong_model_name_is_a_one_line_error(servers, cache, tmp_path, protocol):
    server = servers["pytriton"]
    r = run_cli(
        "--cache-dir", str(cache), "--output", str(tmp_path),
        "--sut", f"kserve-{protocol}", "--url", server.url(protocol), "--model-name", "resnet-fifty",
    )  # fmt: skip
    assert r.returncode == 2, r.stderr
    assert "error: model 'resnet-fifty'" in r.stderr and "Traceback" not in r.stderr


def test_network_flags_are_checked_before_anything_runs():
    with pytest.raises(ValueError, match="needs --url"):
        network_options({"sut": "kserve-http"})
    with pytest.raises(ValueError, match="without a scheme"):
        network_options({"sut": "kserve-http", "url": "http://h:1", "model_name": "m"})
    with pytest.raises(ValueError, match="--model-name is required"):
        network_options({"sut": "kserve-grpc", "url": "h:1"})
    with pytest.raises(ValueError, match="needs --sut"):
        network_options({"url": "h:1"})
    assert network_options({}) is None
    opts = network_options({"sut": "kserve-grpc", "url": "h:1", "model_name": "m", "client_batching": 4})
    assert opts is not None and opts.protocol == "grpc" and not opts.conforming


@pytest.fixture(scope="module")
def slow_server(cache, tmp_path_factory) -> Iterator[Server]:
    """MLServer (starts fastest) with the null backend and 800 ms per batch."""
    s = Server(
        "mlserver", cache, tmp_path_factory.mktemp("slow") / "slow.log",
        "--backend", "null", "--delay-ms", "800", "--max-batchsize", "1",
    )  # fmt: skip
    yield s
    s.kill(signal.SIGTERM)


def test_a_slow_model_fails_its_samples_by_timeout_and_the_run_is_invalid(slow_server, cache, tmp_path):
    net = {
        "sut": "kserve-grpc",
        "url": slow_server.url("grpc"),
        "model_name": "resnet50",
        "request_timeout_s": 0.3,
    }
    opts = options(cache, tmp_path, "SingleStream", **net)
    opts.accuracy = False
    opts.count = 3
    t0 = time.monotonic()
    report = run_benchmark(SPEC, opts, log=lambda s: None)
    assert time.monotonic() - t0 < 60
    assert not report.ok
    assert report.performance is not None and not report.performance.valid
    assert report.error is not None and "3 of 3 samples failed: 3 x timeout after 0.3 s" in report.error
    assert any("timeout after 0.3 s" in r for r in report.performance.invalid_reasons)


def start_cli(stderr_file: Path, *args: str) -> subprocess.Popen:
    """run.py in a child whose stderr goes to ``stderr_file`` (read by ``wait_running``)."""
    # SIGINT back to its default first: a pytest started in the background hands
    # its children an ignored SIGINT, and Ctrl-C would then never reach run.py
    # (tests/test_bad_input.py says more).
    default_sigint = "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])"
    with open(stderr_file, "w") as err:
        return subprocess.Popen(
            [sys.executable, "-c", default_sigint, sys.executable, str(RUN_PY), "--no-progress",
             "--synthetic-images", str(N_IMAGES), *args],
            stdout=subprocess.PIPE, stderr=err, text=True,
        )  # fmt: skip


def wait_running(proc: subprocess.Popen, stderr_file: Path, then_s: float, timeout_s: float = 120) -> None:
    """Waits until the harness says the test runs (setup and warm-up done), then ``then_s`` more."""
    deadline = time.monotonic() + timeout_s
    while "running ResNet50" not in stderr_file.read_text():
        assert proc.poll() is None, stderr_file.read_text()
        assert time.monotonic() < deadline, "the run did not start"
        time.sleep(0.1)
    time.sleep(then_s)


def test_ctrl_c_ends_a_network_run_promptly(slow_server, cache, tmp_path):
    err_file = tmp_path / "stderr.txt"
    proc = start_cli(
        err_file, "--cache-dir", str(cache), "--output", str(tmp_path / "out"), "--scenario", "Server",
        "--time", "60", "--qps", "5", "--sut", "kserve-http", "--url", slow_server.url("http"),
        "--model-name", "resnet50",
    )  # fmt: skip
    try:
        wait_running(proc, err_file, 2.0)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 130, err_file.read_text()
    assert "interrupted" in err_file.read_text()


def test_a_server_killed_mid_run_ends_the_test_with_a_clear_error(cache, tmp_path):
    server = Server(
        "mlserver", cache, tmp_path / "dying.log", "--backend", "null", "--delay-ms", "50", "--max-batchsize", "1"
    )  # fmt: skip
    err_file = tmp_path / "stderr.txt"
    try:
        proc = start_cli(
            err_file, "--cache-dir", str(cache), "--output", str(tmp_path / "out"), "--scenario", "Server",
            "--time", "60", "--qps", "10", "--max-latency", "1",
            "--sut", "kserve-grpc", "--url", server.url("grpc"), "--model-name", "resnet50",
        )  # fmt: skip
        wait_running(proc, err_file, 3.0)
        server.kill()
        t_kill = time.monotonic()
        out, _ = proc.communicate(timeout=45)
        ended_after_s = time.monotonic() - t_kill
    finally:
        server.kill()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, err_file.read_text()
    assert ended_after_s < 30
    assert "INVALID" in out
    assert f"the server at {server.url('grpc')} stopped answering during the test" in out
    assert "samples failed" in out


def test_grpc_responses_are_read_from_typed_contents_and_from_raw_bytes():
    import numpy as np
    from loadgen.harness.sut_kserve import grpc_output_array
    from tritonclient.grpc import service_pb2

    typed = service_pb2.ModelInferResponse()
    out = typed.outputs.add(name="response", datatype="FP32", shape=[2, 1])
    out.contents.fp32_contents.extend([3.0, 7.0])
    ids = typed.outputs.add(name="ids", datatype="INT64", shape=[2])
    ids.contents.int64_contents.extend([-1, 1 << 40])
    a = grpc_output_array(typed, "response")
    assert a.dtype == np.float32 and a.tolist() == [[3.0], [7.0]]
    assert grpc_output_array(typed, "ids").tolist() == [-1, 1 << 40]
    assert grpc_output_array(typed, "absent") is None

    raw = service_pb2.ModelInferResponse()
    raw.outputs.add(name="response", datatype="FP32", shape=[2, 1])
    raw.raw_output_contents.append(np.array([3.0, 7.0], dtype=np.float32).tobytes())
    assert grpc_output_array(raw, "response").tolist() == [[3.0], [7.0]]


def test_serve_refuses_an_unknown_benchmark_and_pytriton_under_numpy_2(tmp_path):
    import numpy as np

    serve = [sys.executable, "-m", "loadgen.harness.serve", "--port", str(free_port())]
    r = subprocess.run(
        [*serve, "--benchmark", "no-such-benchmark", "--engine", "mlserver"],
        capture_output=True, text=True, timeout=60, check=False, cwd=ROOT,
    )  # fmt: skip
    assert r.returncode == 2 and r.stderr.startswith("error: benchmark 'no-such-benchmark': no run.py found")
    if int(np.__version__.split(".")[0]) >= 2:
        # Pointed at a NumPy-2 Python (this one), serve refuses instead of
        # serving empty outputs, and says how to get a working one.
        env = {**os.environ, "LOADGEN_PYTRITON_PYTHON": sys.executable}
        r = subprocess.run(
            [*serve, "--benchmark", str(RUN_PY), "--engine", "pytriton"],
            capture_output=True, text=True, timeout=60, check=False, env=env,
        )  # fmt: skip
        assert r.returncode == 2 and "--engine pytriton needs NumPy 1.x" in r.stderr
        assert "LOADGEN_PYTRITON_PYTHON" in r.stderr
