"""Serve a benchmark's own model on an existing inference server, on 127.0.0.1.

    python -m loadgen.harness.serve --benchmark resnet50 --engine pytriton --port 8000
    python -m loadgen.harness.serve --benchmark resnet50 --engine mlserver --port 8080 --backend torch

The served model is the benchmark's backend (onnxruntime, torch or null)
followed by the benchmark's post-processing, so its one output ``response``
carries exactly the bytes the local run puts in the accuracy log, and the
client (``--sut kserve-http|kserve-grpc``) passes them on untouched: the
SUT post-processes, as the Network division allows, and the client does not.
Batching is the server's: Triton's dynamic batcher (pytriton) or MLServer's
adaptive batching, up to ``--max-batchsize`` samples waiting at most
``--batch-delay-us``.

HTTP listens on ``--port``, gRPC on ``--grpc-port`` (default port + 1).
``--delay-ms`` adds a sleep to every batch: a slow model, for tests of
timeouts. Ctrl-C stops the server.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import signal
import sys
import sysconfig
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from .backend import BackendOptions, create_backend, registered_backends
from .benchmark import BenchmarkSpec
from .settings import RunOptions, cpu_count

ENGINES = ("pytriton", "mlserver")
RESPONSE = "response"
HOST = "127.0.0.1"  # loopback only: this is a development server


def find_benchmark(name: str, benchmarks_dir: str | None = None) -> Path:
    """The run.py of a benchmark: a path to run.py or its folder, or a name under
    ``--benchmarks-dir`` (default: ./benchmarks, then LOADGEN_BENCHMARKS)."""
    p = Path(name)
    if p.suffix == ".py" and p.is_file():
        return p.resolve()
    if (p / "run.py").is_file():
        return (p / "run.py").resolve()
    roots = [benchmarks_dir] if benchmarks_dir else ["benchmarks", os.environ.get("LOADGEN_BENCHMARKS", "")]
    for root in filter(None, roots):
        cand = Path(root) / name / "run.py"
        if cand.is_file():
            return cand.resolve()
    raise FileNotFoundError(
        f"benchmark {name!r}: no run.py found (looked in {', '.join(r for r in roots if r)}); run from the "
        f"repository root, or give --benchmarks-dir or the path to the benchmark's run.py"
    )


def load_benchmark(run_py: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"loadgen_served_{run_py.parent.name}", run_py)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {run_py}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not isinstance(getattr(module, "SPEC", None), BenchmarkSpec):
        raise TypeError(f"{run_py} defines no SPEC (a loadgen.harness.BenchmarkSpec)")
    return module


class ServedModel:
    """A benchmark's backend + post-processing as one function of a batch.

    ``inputs``/``outputs``: (name, per-sample shape, dtype) of each input and
    output, learnt from the benchmark's sample 0 (which also warms up). The one
    output is ``response`` (the post-processed bytes), or with ``raw_outputs``
    the backend's outputs under the benchmark's tensor names, as a server of
    the bare model file would return them.
    """

    def __init__(
        self,
        spec: BenchmarkSpec,
        opts: RunOptions,
        delay_ms: float = 0.0,
        threads: int = 0,
        raw_outputs: bool = False,
    ) -> None:
        self.raw_outputs = raw_outputs
        if raw_outputs and len(spec.outputs) < 1:
            raise ValueError(f"--raw-outputs: {spec.name} names no output tensors (BenchmarkSpec.outputs)")
        if spec.postprocess is None and not raw_outputs:
            raise ValueError(
                f"{spec.name} builds its responses from the data set (BenchmarkSpec.respond), which a server "
                f"that sees only the input tensors cannot do: serve supports benchmarks with a postprocess"
            )
        self.postprocess = spec.postprocess
        self.spec = spec
        self.delay_s = delay_ms / 1000.0
        if spec.prepare is not None:
            opts = spec.prepare(opts)
        self.opts = opts
        self.backend = create_backend(opts.backend, spec.backends)
        if spec.wrap_backend is not None:
            self.backend = spec.wrap_backend(self.backend, opts)
        self.backend.load(
            BackendOptions(
                model_path=opts.model,
                inputs=spec.inputs,
                outputs=spec.outputs,
                intra_op_threads=threads,
                model_factory=spec.torch_model_factory,
                null_outputs=spec.null_outputs,
            )
        )
        dataset = spec.make_dataset(opts)
        dataset.load([0])
        try:
            sample = dataset.get_batch([0])
        finally:
            dataset.unload([0])
        named = dict(sample) if isinstance(sample, Mapping) else {(spec.inputs or ("input",))[0]: sample}
        self.single_input = not isinstance(sample, Mapping)
        self.inputs = [(k, tuple(v.shape[1:]), v.dtype) for k, v in named.items()]
        out = self(named)
        self.outputs = [(k, tuple(v.shape[1:]), v.dtype) for k, v in out.items()]

    def __call__(self, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        batch: Any = next(iter(inputs.values())) if self.single_input else dict(inputs)
        n = len(next(iter(inputs.values())))
        outputs = self.backend.predict(batch)
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.raw_outputs:
            return {name: np.asarray(o) for name, o in zip(self.spec.outputs, outputs)}
        assert self.postprocess is not None
        data = self.postprocess(outputs)
        if data is None:
            return {RESPONSE: np.zeros((n, 0), dtype=np.uint8)}
        if isinstance(data, np.ndarray):
            return {RESPONSE: data}
        return {RESPONSE: np.array([bytes(x) for x in data], dtype=np.object_).reshape(n, 1)}


def _python_libdir_on_ld_path() -> None:
    """pytriton's Python-backend stub links libpython dynamically; it must load
    the library of the Python that runs this server, not whatever the system
    has, so that folder goes first on LD_LIBRARY_PATH (the server inherits it)."""
    libdir = sysconfig.get_config_var("LIBDIR")
    if not libdir:
        return
    current = os.environ.get("LD_LIBRARY_PATH", "")
    if libdir not in current.split(":"):
        os.environ["LD_LIBRARY_PATH"] = libdir + (":" + current if current else "")


def check_pytriton_numpy() -> None:
    if int(np.__version__.split(".")[0]) >= 2:
        raise RuntimeError(
            f"--engine pytriton needs NumPy 1.x in this Python ({sys.executable} has {np.__version__}): "
            f"pytriton's Triton Python-backend stub is built against NumPy 1.x and returns empty outputs "
            f"under NumPy 2. Unset LOADGEN_PYTRITON_PYTHON to let serve make its own NumPy-1 environment "
            f"(docs/network.md), point it at a Python with numpy<2 and nvidia-pytriton, or use "
            f"--engine mlserver"
        )


_REEXEC = "LOADGEN_PYTRITON_REEXEC"


def run_in_pytriton_env(argv: Sequence[str]) -> None:
    """Under NumPy 2, replaces this process with the same command in the
    NumPy-1 environment of loadgen.harness.pytriton_env (made once). Returns
    only if this Python can already serve pytriton; raises if the other
    environment is NumPy 2 as well (LOADGEN_PYTRITON_PYTHON set to one)."""
    from .pytriton_env import numpy_is_1, pytriton_python

    if numpy_is_1():
        return
    if os.environ.get(_REEXEC):
        check_pytriton_numpy()  # raises: the environment we were sent to is NumPy 2 too
    python = pytriton_python()
    print(f"serving from the pytriton environment: {python}", file=sys.stderr, flush=True)
    sys.stdout.flush()
    os.environ[_REEXEC] = "1"
    os.execv(python, [python, "-m", "loadgen.harness.serve", *argv])


def serve_pytriton(
    model: ServedModel, name: str, port: int, grpc_port: int, max_batch: int, delay_us: int, ready: Any = None
) -> None:
    check_pytriton_numpy()
    _python_libdir_on_ld_path()
    from pytriton.model_config import DynamicBatcher, ModelConfig, Tensor
    from pytriton.triton import Triton, TritonConfig

    def infer(requests: Sequence[Mapping[str, np.ndarray]]) -> list[dict[str, np.ndarray]]:
        # Triton's dynamic batcher hands over several requests at once: one
        # predict on all of them, then each request gets its own rows back.
        sizes = [len(next(iter(r.values()))) for r in requests]
        joined = {k: np.concatenate([np.asarray(r[k]) for r in requests]) for k, _, _ in model.inputs}
        out = model(joined)
        bounds = np.cumsum([0] + sizes)
        return [{k: v[a:b] for k, v in out.items()} for a, b in zip(bounds[:-1], bounds[1:])]

    config = TritonConfig(
        http_address=HOST,
        http_port=port,
        grpc_address=HOST,
        grpc_port=grpc_port,
        allow_metrics=False,
        exit_timeout_secs=2,
        log_verbose=0,
    )
    with Triton(config=config) as triton:
        triton.bind(
            model_name=name,
            infer_func=infer,
            inputs=[Tensor(name=n, dtype=dt, shape=s) for n, s, dt in model.inputs],
            outputs=[Tensor(name=n, dtype=dt, shape=s) for n, s, dt in model.outputs],
            config=ModelConfig(
                max_batch_size=max_batch, batcher=DynamicBatcher(max_queue_delay_microseconds=delay_us)
            ),
            strict=False,
        )
        triton.run()
        _announce(name, port, grpc_port, "pytriton (Triton Inference Server)", ready)
        _wait_for_signal()
        helpers = _descendants(os.getpid())
    # Triton's Python-backend stub ignores SIGTERM and can outlive a server
    # that stopped in a hurry: end whatever of ours is left.
    for pid in helpers:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (Linux /proc; empty elsewhere)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.parent.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def serve_mlserver(
    model: ServedModel, name: str, port: int, grpc_port: int, max_batch: int, delay_us: int, ready: Any = None
) -> None:
    import asyncio

    from mlserver import MLServer
    from mlserver.settings import ModelParameters, ModelSettings, Settings
    from mlserver.types import MetadataTensor

    from . import serve_mlserver

    serve_mlserver.SERVED[name] = model
    from tritonclient.utils import np_to_triton_dtype

    def meta(n: str, shape: tuple[int, ...], dtype: np.dtype) -> MetadataTensor:
        dt = "BYTES" if dtype == np.object_ else np_to_triton_dtype(dtype)
        return MetadataTensor(name=n, datatype=dt, shape=[-1, *shape])

    settings = Settings(
        host=HOST,
        http_port=port,
        grpc_port=grpc_port,
        metrics_endpoint=None,
        parallel_workers=0,
        debug=False,
        grpc_max_message_length=64 << 20,
    )
    model_settings = ModelSettings(
        name=name,
        implementation=serve_mlserver.BenchmarkRuntime,
        max_batch_size=max_batch,
        max_batch_time=delay_us / 1e6,
        inputs=[meta(n, s, dt) for n, s, dt in model.inputs],
        outputs=[meta(n, s, dt) for n, s, dt in model.outputs],
        parameters=ModelParameters(version="1"),
    )
    server = MLServer(settings)

    async def main() -> None:
        task = asyncio.create_task(server.start([model_settings]))
        while not (task.done() or await _port_open(port)):
            await asyncio.sleep(0.1)
        if not task.done():
            # MLServer's own handlers (installed by now) stop the servers but
            # leave the process waiting; these stop them and then exit.
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, lambda: _stop_mlserver(server))
            _announce(name, port, grpc_port, "MLServer", ready)
        await task

    asyncio.run(main())
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # MLServer leaves non-daemon threads behind; nothing is left to clean up


def _stop_mlserver(server: Any) -> None:
    import asyncio

    killer = threading.Timer(10.0, lambda: os._exit(1))  # if stopping itself hangs
    killer.daemon = True
    killer.start()
    asyncio.ensure_future(server.stop())


async def _port_open(port: int) -> bool:
    import asyncio

    try:
        _, w = await asyncio.open_connection(HOST, port)
    except OSError:
        return False
    w.close()
    return True


def _announce(name: str, port: int, grpc_port: int, engine: str, ready: Any) -> None:
    print(
        f"serving model {name!r} with {engine} on HTTP {HOST}:{port} and gRPC {HOST}:{grpc_port} "
        f"(development setup, loopback only); Ctrl-C stops it",
        flush=True,
    )
    if ready is not None:
        ready.set()


def _wait_for_signal() -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description="Serve a benchmark's model on pytriton or MLServer (KServe v2 protocol), on 127.0.0.1.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--benchmark", required=True, help="name under ./benchmarks, or a path to its run.py")
    p.add_argument("--benchmarks-dir", help="folder holding the benchmarks (default: ./benchmarks)")
    p.add_argument("--engine", choices=ENGINES, required=True, help="the inference server")
    p.add_argument("--port", type=int, default=8000, help="HTTP port")
    p.add_argument("--grpc-port", type=int, help="gRPC port (default: --port + 1)")
    p.add_argument("--model-name", help="name to serve the model under (default: the benchmark's model name)")
    p.add_argument(
        "--backend", choices=registered_backends(), default="onnxruntime", help="inference backend"
    )
    p.add_argument("--model", help="model file (default: the embedded default model)")
    p.add_argument("--dataset-path", help="data set (only sample 0 is read: input shapes and warm-up)")
    p.add_argument("--cache-dir", help="where the embedded default goes")
    p.add_argument("--max-batchsize", type=int, help="largest server-side batch (default: the benchmark's)")
    p.add_argument(
        "--batch-delay-us",
        type=int,
        default=500,
        help="how long the server waits to fill a batch (microseconds)",
    )
    p.add_argument(
        "--threads", type=int, default=0, help="intra-op threads of the backend (0: the library's)"
    )
    p.add_argument("--delay-ms", type=float, default=0.0, help="sleep added to every batch (a slow model)")
    p.add_argument(
        "--raw-outputs",
        action="store_true",
        help="serve the backend's outputs under the model's tensor names, without the benchmark's "
        "post-processing (as a server of the bare model file would; clients then need --client-postprocess)",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    pre, _ = build_parser().parse_known_args(argv)
    try:
        module = load_benchmark(find_benchmark(pre.benchmark, pre.benchmarks_dir))
    except (OSError, ImportError, TypeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    spec: BenchmarkSpec = module.SPEC
    parser = build_parser()
    add = getattr(module, "add_arguments", None)
    if add is not None:
        add(parser.add_argument_group(f"{spec.name} options"))
    ns = parser.parse_args(argv)
    own = {a.dest for a in build_parser()._actions}
    extra = {k: v for k, v in vars(ns).items() if k not in own}
    max_batch = ns.max_batchsize or spec.default_max_batchsize
    name = ns.model_name or spec.config_model
    grpc_port = ns.grpc_port or ns.port + 1
    try:
        opts = RunOptions(
            backend=ns.backend,
            model=ns.model,
            dataset_path=ns.dataset_path,
            cache_dir=ns.cache_dir,
            extra=extra,
        )
        if ns.engine == "pytriton":
            run_in_pytriton_env(argv)
            check_pytriton_numpy()
        print(f"loading {spec.name} on {ns.backend} ...", file=sys.stderr, flush=True)
        model = ServedModel(spec, opts, ns.delay_ms, ns.threads or max(1, cpu_count()), ns.raw_outputs)
        serve = serve_pytriton if ns.engine == "pytriton" else serve_mlserver
        serve(model, name, ns.port, grpc_port, max_batch, ns.batch_delay_us)
    except KeyboardInterrupt:
        return 130
    except (ValueError, OSError, ImportError, RuntimeError, TypeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
