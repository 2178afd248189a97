"""The network SUT: a Query Dispatch Library over the KServe v2 / Open Inference Protocol.

Every sample LoadGen issues becomes one inference request to a server
(Triton, KServe, MLServer, Ray Serve, ...) through ``tritonclient``, over
HTTP/REST or gRPC; the response tensor's bytes become the sample's response.
What the Network division lets the client do, and no more
(docs/network.md): it marshals the QSL's sample as it is, sends it, and
hands back what the server returned. It does not batch (the server's
dynamic or adaptive batcher does), pad, pre- or post-process, or cache.
``--client-batching`` and ``--client-postprocess`` exist for users outside
the rules and are labelled NOT CONFORMING wherever the run is described.

Threads: ``issue_queries`` runs on LoadGen's thread and only hands the ids to
an asyncio loop in a thread of its own (``call_soon_threadsafe``), so issuing
never waits for the network. That loop keeps at most ``max_inflight``
requests open; the rest wait in a FIFO. Responses are completed from the
loop thread with ``loadgen.complete_samples``.

Failures are results: a request that times out or gets an error (HTTP 5xx,
gRPC UNAVAILABLE, ...) completes its samples without data and is counted by
kind; after the test ``error`` says how many failed and why, and the harness
marks the run INVALID. A connection-level error triggers a liveness probe:
if the server is gone, the test is aborted at once (``AbortTest``) and every
outstanding sample is completed, so nothing waits for a dead server.

The protocol calls are in ``kserve_transport`` (what both share, and how a
failure is named), ``kserve_http`` and ``kserve_grpc``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import threading
import time
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any, Callable, TypeVar

import numpy as np

from .. import _core, api
from .dataset import Dataset
from .kserve_grpc import GrpcTransport, grpc_output_array
from .kserve_http import HttpTransport
from .kserve_transport import Transport, error_kind, first_line
from .network import NetworkOptions, is_loopback

__all__ = ["KServeSUT", "NetworkSUTError", "ServerUnreachable", "grpc_output_array", "wait_until_live"]

T = TypeVar("T")

SETUP_TIMEOUT_S = 10.0  # connecting, metadata and warm-up requests before the test
LIVENESS_TIMEOUT_S = 2.0


class NetworkSUTError(Exception):
    """Samples failed at the server, or the server went away during the test."""


class ServerUnreachable(ConnectionError):
    """The server could not be reached before the test."""


def _transport_for(opts: NetworkOptions) -> Transport:
    return HttpTransport(opts) if opts.protocol == "http" else GrpcTransport(opts)


class KServeSUT(api.SystemUnderTest):
    """A LoadGen SUT whose samples are answered by a KServe v2 server.

    ``postprocess``: only with ``--client-postprocess`` (not conforming): the
    benchmark's post-processing applied on the client to the outputs named in
    ``output_names``. Otherwise the server's one response tensor (or
    ``--output-name``) is sent to LoadGen as it came.
    """

    issue_style = "numpy"

    def __init__(
        self,
        dataset: Dataset,
        opts: NetworkOptions,
        input_names: Sequence[str] = (),
        output_names: Sequence[str] = (),
        postprocess: Callable[[list[np.ndarray]], Any] | None = None,
        warmup_requests: int = 0,
    ) -> None:
        self.dataset = dataset
        self.opts = opts
        self._spec_inputs = list(input_names)
        self._spec_outputs = list(output_names)
        if opts.client_postprocess and postprocess is None:
            raise ValueError("--client-postprocess: this benchmark has no postprocess to run on the client")
        self._postprocess = postprocess if opts.client_postprocess else None
        self.loopback = is_loopback(opts.host)
        self.queries = 0  # LoadGen's thread only
        self.issued = 0
        self.completed = 0  # loop thread only
        self.failed = 0
        self.failures: collections.Counter[str] = collections.Counter()
        self.failure_examples: dict[str, str] = {}
        self.fatal: str | None = None
        self._pending: collections.deque[tuple[np.ndarray, np.ndarray]] = collections.deque()
        self._inflight: set[asyncio.Task[None]] = set()
        self._probing = False
        self._closed = False
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kserve-client", daemon=True)
        self._thread.start()
        try:
            self._transport = self._call(self._make_transport(), SETUP_TIMEOUT_S)
            self._call(self._connect(), SETUP_TIMEOUT_S)
            self.warmup(warmup_requests)
        except BaseException:
            self.close()
            raise

    # ---- setup (before the test) ----------------------------------------

    def _call(self, coro: Coroutine[Any, Any, T], timeout_s: float) -> T:
        fut = asyncio.run_coroutine_threadsafe(asyncio.wait_for(coro, timeout_s), self._loop)
        try:
            return fut.result(timeout_s + 1.0)
        except BaseException:
            fut.cancel()
            raise

    async def _make_transport(self) -> Transport:
        return _transport_for(self.opts)  # aiohttp wants to be created inside the loop

    async def _connect(self) -> None:
        o, t = self.opts, self._transport
        where = f"{o.protocol.upper()} server at {o.url}"
        try:
            live = await t.live()
        except Exception as e:  # noqa: BLE001 - every way of not answering is the same error
            raise ServerUnreachable(f"cannot reach a KServe v2 {where}: {first_line(e)}") from None
        if not live:
            raise ServerUnreachable(f"the {where} answers but says it is not live")
        self.server = await t.server_metadata()
        extensions = self.server.get("extensions") or []
        if o.protocol == "http":
            t.binary = o.tensor_format == "binary" or (
                o.tensor_format == "auto" and "binary_tensor_data" in extensions
            )
        try:
            ready = await t.model_ready()
            self.model = await t.model_metadata() if ready else {}
        except Exception as e:  # noqa: BLE001
            ready, why = False, first_line(e)
        else:
            why = "the server says it is not ready"
        if not ready:
            names = await t.model_names()
            served = f"; it serves {', '.join(map(repr, names))}" if names else ""
            raise ValueError(
                f"model {o.model_name!r} (version {o.model_version or 'any'}) at the {where}: {why}{served}"
            )
        self.input_meta = {x["name"]: x for x in self.model.get("inputs", [])}
        output_meta = [x["name"] for x in self.model.get("outputs", [])]
        if self._postprocess is not None:
            missing = [n for n in self._spec_outputs if n not in output_meta]
            if missing:
                raise ValueError(
                    f"--client-postprocess needs the model's outputs {self._spec_outputs}, but model "
                    f"{o.model_name!r} has {output_meta}"
                )
            self.output_names = list(self._spec_outputs)
        elif o.output_name is not None:
            if o.output_name not in output_meta:
                raise ValueError(f"--output-name {o.output_name!r}: model {o.model_name!r} has {output_meta}")
            self.output_names = [o.output_name]
        elif len(output_meta) == 1:
            self.output_names = output_meta
        else:
            raise ValueError(
                f"model {o.model_name!r} has outputs {output_meta}: say which one is the response with "
                f"--output-name (or, outside the rules, --client-postprocess)"
            )

    @property
    def name(self) -> str:  # type: ignore[override]
        """Asks the server for its name (one round trip), as the Network division's Name() must."""
        try:
            md = self._call(self._transport.server_metadata(), LIVENESS_TIMEOUT_S)
            node = f"{md.get('name', '?')} {md.get('version', '')}".strip()
        except Exception as e:  # noqa: BLE001 - the name must not fail the run
            node = f"unanswered ({first_line(e)})"
        return f"Network SUT [{node} at {self.opts.url}, model {self.opts.model_name}]"

    @property
    def server_description(self) -> str:
        return f"{self.server.get('name', '?')} {self.server.get('version', '')}".strip()

    def describe(self) -> str:
        o = self.opts
        fmt = "binary tensors" if o.protocol == "grpc" or self._transport.binary else "JSON tensors"
        batching = (
            f"CLIENT BATCHING up to {o.client_batching} (not conforming)"
            if o.client_batching > 1
            else "one sample per request"
        )
        return f"{o.protocol.upper()} {o.url}, model {o.model_name}, {fmt}, {batching}, max {o.max_inflight} in flight"

    def notes(self) -> list[str]:
        out = []
        if self.loopback:
            out.append(
                f"network SUT on loopback ({self.opts.url}): a development setup, NOT a Network-division "
                f"result (the rules need the LoadGen node and the SUT on physically separate systems)"
            )
        if self.opts.client_batching > 1:
            out.append(
                f"--client-batching {self.opts.client_batching}: the client batches queries, which the "
                f"Network division forbids: NOT CONFORMING"
            )
        if self._postprocess is not None:
            out.append(
                "--client-postprocess: the client post-processes responses, which the Network division "
                "forbids: NOT CONFORMING"
            )
        return out

    def warmup(self, requests: int = 3) -> None:
        """Sends sample 0 a few times (untimed): checks that inputs and the
        response fit before the test, and warms the connection and the model."""
        if requests <= 0:
            return
        self.dataset.load([0])
        try:
            for _ in range(requests):
                ids = np.zeros(1, dtype=np.uint64)
                # The setup timeout, not --request-timeout: first calls may be slow.
                self._call(self._request(ids, np.zeros(1, dtype=np.uint64), SETUP_TIMEOUT_S), SETUP_TIMEOUT_S)
        except ValueError as e:
            raise ValueError(f"the warm-up request to {self.opts.url} failed: {e}") from None
        except Exception as e:  # noqa: BLE001 - a one-line error before the test, not a traceback
            kind, _ = error_kind(e, SETUP_TIMEOUT_S)
            raise ValueError(
                f"the warm-up request to {self.opts.url} failed: {kind}: {first_line(e)}"
            ) from None
        finally:
            self.dataset.unload([0])

    # ---- one request ------------------------------------------------------

    def _inputs(self, batch: Any, n: int) -> list[tuple[str, np.ndarray]]:
        if isinstance(batch, Mapping):
            named = list(batch.items())
        else:
            if len(self.input_meta) == 1:
                name = next(iter(self.input_meta))
            elif self._spec_inputs and self._spec_inputs[0] in self.input_meta:
                name = self._spec_inputs[0]
            else:
                raise ValueError(
                    f"model {self.opts.model_name!r} has inputs {list(self.input_meta)}; the data set "
                    f"gives one tensor ({self._spec_inputs[:1] or 'unnamed'})"
                )
            named = [(name, batch)]
        out = []
        for name, arr in named:
            meta = self.input_meta.get(name)
            if meta is None:
                raise ValueError(
                    f"model {self.opts.model_name!r} has no input {name!r} ({list(self.input_meta)})"
                )
            arr = np.ascontiguousarray(arr)
            if len(meta["shape"]) == arr.ndim - 1 and n == 1:
                arr = arr[0]  # a model without a batch dimension (max_batch_size 0)
            out.append((name, arr))
        return out

    def _response(self, outputs: list[np.ndarray], n: int) -> Any:
        if self._postprocess is not None:
            return self._postprocess(outputs)
        (out,) = outputs
        if out.dtype == np.object_:
            flat = out.reshape(-1)
            if len(flat) != n:
                raise ValueError(f"BYTES output with {len(flat)} elements for {n} sample(s)")
            return [bytes(x) for x in flat]
        if out.ndim == 0 or (out.shape[0] != n and n == 1):
            out = out.reshape(1, -1)  # no batch dimension
        if out.shape[0] != n:
            raise ValueError(
                f"output of shape {out.shape} for {n} sample(s): the first axis must be the batch"
            )
        return np.ascontiguousarray(out).reshape(n, -1)

    async def _request(self, ids: np.ndarray, indices: np.ndarray, timeout_s: float | None = None) -> Any:
        n = len(ids)
        batch = self.dataset.get_batch(indices.tolist())
        outputs = await asyncio.wait_for(
            self._transport.infer(self._inputs(batch, n), self.output_names),
            timeout_s or self.opts.request_timeout_s,
        )
        return self._response(outputs, n)

    # ---- issuing (LoadGen's thread) and the loop ---------------------------

    def issue_queries(self, ids: np.ndarray, indices: np.ndarray) -> None:  # type: ignore[override]
        self.queries += 1
        self.issued += len(ids)
        self._loop.call_soon_threadsafe(self._enqueue, ids, indices)

    def flush_queries(self) -> None:
        pass

    def _enqueue(self, ids: np.ndarray, indices: np.ndarray) -> None:
        if self.fatal is not None:
            self._fail_ids(ids, "not sent: server gone", None)
            return
        per = max(1, self.opts.client_batching)
        if per == 1:
            for i in range(len(ids)):
                self._pending.append((ids[i : i + 1], indices[i : i + 1]))
        else:
            self._pending.append((ids, indices))
        self._pump()

    def _take(self) -> tuple[np.ndarray, np.ndarray]:
        per = max(1, self.opts.client_batching)
        ids, idx = self._pending.popleft()
        if per == 1:
            return ids, idx
        parts_ids, parts_idx, total = [ids[:per]], [idx[:per]], min(len(ids), per)
        if len(ids) > per:
            self._pending.appendleft((ids[per:], idx[per:]))
        while self._pending and total < per:  # queries merged: what the rules forbid
            more_ids, more_idx = self._pending.popleft()
            k = per - total
            parts_ids.append(more_ids[:k])
            parts_idx.append(more_idx[:k])
            total += min(k, len(more_ids))
            if len(more_ids) > k:
                self._pending.appendleft((more_ids[k:], more_idx[k:]))
        return np.concatenate(parts_ids), np.concatenate(parts_idx)

    def _pump(self) -> None:
        while self._pending and len(self._inflight) < self.opts.max_inflight and self.fatal is None:
            ids, idx = self._take()
            task = self._loop.create_task(self._send(ids, idx))
            self._inflight.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        self._pump()

    async def _send(self, ids: np.ndarray, idx: np.ndarray) -> None:
        try:
            data = await self._request(ids, idx)
        except asyncio.CancelledError:
            self._fail_ids(ids, "not answered: server gone" if self.fatal else "cancelled", None)
            raise
        except Exception as e:  # noqa: BLE001 - every failure is counted, none is lost
            kind, maybe_gone = error_kind(e, self.opts.request_timeout_s)
            self._fail_ids(ids, kind, e)
            if maybe_gone and not self._probing and self.fatal is None:
                self._probing = True
                self._loop.create_task(self._probe(kind, e))
            return
        if isinstance(data, np.ndarray):
            _core.complete_samples(ids, data)
        elif data is None:
            _core.complete_samples(ids)
        else:
            _core.complete_samples(ids, list(data))
        self.completed += len(ids)

    def _fail_ids(self, ids: np.ndarray, kind: str, e: BaseException | None) -> None:
        if kind == "cancelled":  # closing after the test: there is no run to complete them in
            return
        _core.complete_samples(ids)
        self.completed += len(ids)
        self.failed += len(ids)
        self.failures[kind] += len(ids)
        if e is not None and kind not in self.failure_examples:
            self.failure_examples[kind] = first_line(e)

    async def _probe(self, kind: str, e: BaseException) -> None:
        """After a connection-level error: is the server still there?"""
        try:
            alive = await asyncio.wait_for(self._transport.live(), LIVENESS_TIMEOUT_S)
        except Exception:  # noqa: BLE001
            alive = False
        self._probing = False
        if not alive and self.fatal is None:
            self._abort(
                f"the server at {self.opts.url} stopped answering during the test ({kind}: {first_line(e)})"
            )

    def _abort(self, why: str) -> None:
        """Ends the test: LoadGen stops issuing, every outstanding sample completes."""
        self.fatal = why
        _core.AbortTest()
        while self._pending:
            ids, _ = self._pending.popleft()
            self._fail_ids(ids, "not sent: server gone", None)
        for task in list(self._inflight):
            task.cancel()

    # ---- after the test -------------------------------------------------------

    @property
    def error(self) -> BaseException | None:
        """What went wrong during the test, with counts; None if every sample was answered."""
        if self.fatal is None and not self.failed:
            return None
        parts = []
        for kind, count in self.failures.most_common():
            # After a fatal error its message already says what the failures looked like.
            example = None if self.fatal else self.failure_examples.get(kind)
            parts.append(f"{count} x {kind}" + (f" ({example})" if example else ""))
        counts = f"{self.failed} of {self.issued} samples failed" + (": " + "; ".join(parts) if parts else "")
        return NetworkSUTError(f"{self.fatal}; {counts}" if self.fatal else counts)

    def close(self, timeout_s: float = 5.0) -> None:
        """Cancels what is still in flight, closes the connection and stops the loop thread."""
        if self._closed:
            return
        self._closed = True

        async def shutdown() -> None:
            self._pending.clear()
            for task in list(self._inflight):
                task.cancel()
            if self._inflight:
                await asyncio.wait(list(self._inflight), timeout=timeout_s)
            transport = getattr(self, "_transport", None)
            if transport is not None:
                await transport.close()

        if self._loop.is_running():
            fut = asyncio.run_coroutine_threadsafe(shutdown(), self._loop)
            with contextlib.suppress(Exception):  # closing must not raise over the run's own error
                fut.result(timeout_s + 1.0)
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout_s)
        if not self._thread.is_alive():
            self._loop.close()


def wait_until_live(opts: NetworkOptions, timeout_s: float) -> None:
    """Polls the server until it is live and the model ready (for scripts that start one)."""
    deadline = time.monotonic() + timeout_s
    last: BaseException | None = None

    async def check() -> bool:
        t = _transport_for(opts)
        try:
            return await t.live() and await t.model_ready()
        finally:
            await t.close()

    while time.monotonic() < deadline:
        try:
            if asyncio.run(asyncio.wait_for(check(), LIVENESS_TIMEOUT_S)):
                return
        except Exception as e:  # noqa: BLE001
            last = e
        time.sleep(0.2)
    raise TimeoutError(
        f"no live server with model {opts.model_name!r} at {opts.url} after {timeout_s:g} s ({last})"
    )
