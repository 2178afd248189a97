"""A SUT that streams from an OpenAI-compatible server (vLLM, SGLang, TGI,
llama.cpp's server, ``transformers serve``): ``--sut openai --url
http://HOST:PORT --model-name NAME``.

Requests run on one asyncio event loop in a background thread, so issuing
never blocks LoadGen's thread; at most ``max_inflight`` are in flight (the
rest wait their turn, in order). Each sample is one streaming request
(``stream: true``) to ``/v1/completions`` (the prompt text) or
``/v1/chat/completions`` (the prompt as one user message); server-sent events
are parsed by ``httpx-sse``. The first non-empty text reports the first
token (``FirstTokenComplete``); the end of the stream completes the sample
with the generated text's token ids (the benchmark's tokenizer) and the
token count (the server's ``usage`` when it sends one, else the tokenizer's).

A stream must end with a ``finish_reason`` (``data: [DONE]`` alone is not
enough: llama.cpp's server sends it on the streams it cancels when a new
request comes, unless started with ``--interrupt_requests False``); one that
does not is an error of that sample ("cut stream"), as is a connection closed
mid-answer; so are HTTP errors and timeouts. Failed samples are
completed without data, counted by kind, and make the run INVALID. A server
that cannot be reached at all (it died) aborts the test with that error.
"""

from __future__ import annotations

import asyncio
import collections
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _core, api
from .dataset import Dataset
from .sut_stream import complete_tokens, first_token


class SampleError(Exception):
    """A sample that failed; ``kind`` names the failure for the counts."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class OpenAIOptions:
    url: str
    model_name: str
    endpoint: str = "completions"  # or "chat"
    max_inflight: int = 8
    max_new_tokens: int = 128
    timeout_s: float = 120.0
    # Added to every request's body: server-specific sampling options, e.g.
    # llama.cpp's server applies repeat_penalty 1.1 unless told 1.0.
    extra_body: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            self.url = "http://" + self.url
        self.url = self.url.rstrip("/")
        if self.endpoint not in ("completions", "chat"):
            raise ValueError(f"endpoint {self.endpoint!r}: must be 'completions' or 'chat'")
        if self.max_inflight < 1:
            raise ValueError(f"max_inflight = {self.max_inflight}: must be >= 1")


@dataclass
class Failures:
    counts: collections.Counter = field(default_factory=collections.Counter)
    first: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, message: str) -> None:
        with self.lock:
            self.counts[kind] += 1
            self.first.setdefault(kind, message)

    def summary(self) -> str:
        with self.lock:
            parts = [f"{n} {kind} (first: {self.first[kind]})" for kind, n in self.counts.most_common()]
        return f"{sum(self.counts.values())} sample(s) failed: " + "; ".join(parts)


def check_server(opts: OpenAIOptions) -> str:
    """One round trip before the test: the models the server offers. Raises a
    one-line ConnectionError when it cannot be reached, ValueError when it does
    not serve ``model_name``."""
    import httpx

    try:
        r = httpx.get(f"{opts.url}/v1/models", timeout=10.0)
    except httpx.HTTPError as e:
        raise ConnectionError(f"cannot reach the OpenAI-compatible server at {opts.url}: {e}") from e
    if r.status_code != 200:
        raise ConnectionError(f"{opts.url}/v1/models answered HTTP {r.status_code}: {r.text[:200]}")
    ids = [m.get("id") for m in r.json().get("data", [])]
    if ids and opts.model_name not in ids:
        raise ValueError(f"the server at {opts.url} does not serve model {opts.model_name!r} (it has {ids})")
    return ", ".join(str(i) for i in ids) or "(no model list)"


class OpenAISUT(api.SystemUnderTest):
    issue_style = "numpy"

    def __init__(
        self,
        dataset: Dataset,
        opts: OpenAIOptions,
        prompt_text: Callable[[int], str],
        tokenize: Callable[[str], list[int]],
    ) -> None:
        self.dataset = dataset
        self.opts = opts
        self.prompt_text = prompt_text
        self.tokenize = tokenize
        self.models = check_server(opts)
        self.name = f"Network SUT: OpenAI-compatible {opts.url} ({opts.model_name})"
        self.queries = 0
        self.issued = 0
        self._done = 0
        self.failures = Failures()
        self.error: BaseException | None = None
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run_loop, name="openai-sut-loop", daemon=True)
        self._thread.start()
        self._ready.wait()

    # --- LoadGen's side (its issuing thread).

    @property
    def completed(self) -> int:
        return self._done

    def issue_queries(self, ids: np.ndarray, indices: np.ndarray) -> None:  # type: ignore[override]
        self.queries += 1
        self.issued += len(ids)
        pairs = list(zip(ids.tolist(), indices.tolist()))
        self._loop.call_soon_threadsafe(self._schedule, pairs)

    def flush_queries(self) -> None:
        pass

    def notes(self) -> list[str]:
        host = self.opts.url.split("//", 1)[-1]
        notes = [f"SUT: {self.name}; the server offers {self.models}"]
        if host.startswith(("127.", "localhost", "[::1]")):
            notes.append("loopback server: a development setup, not a Network-division result")
        return notes

    def close(self, timeout_s: float = 30.0) -> None:
        if self._loop.is_running():
            fut = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
            try:
                fut.result(timeout_s)
            except Exception:  # noqa: BLE001, S110 - closing best-effort
                pass
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout_s)
        if self.failures.counts and self.error is None:
            self.error = RuntimeError(self.failures.summary())

    # --- The event loop's side.

    def _run_loop(self) -> None:
        import httpx

        asyncio.set_event_loop(self._loop)
        limits = httpx.Limits(
            max_connections=self.opts.max_inflight, max_keepalive_connections=self.opts.max_inflight
        )
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(self.opts.timeout_s, connect=10.0), limits=limits
        )
        self._sem = asyncio.Semaphore(self.opts.max_inflight)
        self._tasks: set[asyncio.Task] = set()
        self._ready.set()
        self._loop.run_forever()

    async def _shutdown(self) -> None:
        for t in list(self._tasks):
            t.cancel()
        await self._client.aclose()

    def _schedule(self, pairs: list[tuple[int, int]]) -> None:
        for sample_id, index in pairs:
            task = self._loop.create_task(self._one(sample_id, index))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _request(self, index: int) -> tuple[str, dict[str, Any]]:
        text = self.prompt_text(index)
        body: dict[str, Any] = {
            "model": self.opts.model_name,
            "stream": True,
            "stream_options": {"include_usage": True},
            "max_tokens": self.opts.max_new_tokens,
            "temperature": 0.0,
            **self.opts.extra_body,
        }
        if self.opts.endpoint == "chat":
            body["messages"] = [{"role": "user", "content": text}]
            return f"{self.opts.url}/v1/chat/completions", body
        body["prompt"] = text
        return f"{self.opts.url}/v1/completions", body

    async def _one(self, sample_id: int, index: int) -> None:
        import httpx

        async with self._sem:
            try:
                text, count = await self._stream(sample_id, index)
            except SampleError as e:
                self.failures.add(e.kind, str(e))
                _core.complete_samples([sample_id])
            except httpx.RemoteProtocolError as e:
                # The connection closed mid-answer: llama.cpp's server does this to a stream it
                # cancels. That sample failed; a dead server shows as ConnectError on the next.
                self.failures.add("cut stream", f"the connection closed mid-answer ({e})")
                _core.complete_samples([sample_id])
            except httpx.ConnectError as e:
                self.failures.add("connection lost", str(e) or type(e).__name__)
                _core.complete_samples([sample_id])
                self._abort(
                    ConnectionError(f"the server at {self.opts.url} went away: {e or type(e).__name__}")
                )
            except httpx.TimeoutException as e:
                self.failures.add(
                    "timeout", f"no answer within {self.opts.timeout_s:g} s ({type(e).__name__})"
                )
                _core.complete_samples([sample_id])
            except Exception as e:  # noqa: BLE001 - a bug here must not hang the test
                self.failures.add(type(e).__name__, str(e))
                _core.complete_samples([sample_id])
                self._abort(e)
            else:
                ids = self.tokenize(text)
                complete_tokens_with_count(sample_id, ids, count)
            self._done += 1

    def _abort(self, e: BaseException) -> None:
        if self.error is None:
            self.error = e
            _core.AbortTest()

    async def _stream(self, sample_id: int, index: int) -> tuple[str, int | None]:
        from httpx_sse import aconnect_sse

        url, body = self._request(index)
        parts: list[str] = []
        finished = done = False
        usage_tokens: int | None = None
        t0 = time.monotonic()
        async with aconnect_sse(self._client, "POST", url, json=body) as source:
            r = source.response
            if r.status_code != 200:
                await r.aread()
                kind = "HTTP 5xx" if r.status_code >= 500 else f"HTTP {r.status_code}"
                raise SampleError(kind, f"HTTP {r.status_code} from {url}: {r.text[:200]}")
            async for event in source.aiter_sse():
                if event.data.strip() == "[DONE]":
                    done = True
                    break
                try:
                    chunk = json.loads(event.data)
                except json.JSONDecodeError as e:
                    raise SampleError("bad event", f"not JSON: {event.data[:100]!r}") from e
                if "error" in chunk:
                    raise SampleError("server error", str(chunk["error"])[:200])
                usage = chunk.get("usage") or {}
                if usage.get("completion_tokens") is not None:
                    usage_tokens = int(usage["completion_tokens"])
                for choice in chunk.get("choices") or []:
                    piece = choice.get("text")
                    if piece is None:
                        piece = (choice.get("delta") or {}).get("content")
                    if piece:
                        if not parts:
                            ids = self.tokenize(piece)
                            first_token(sample_id, ids[0] if ids else 0)
                        parts.append(piece)
                    if choice.get("finish_reason"):
                        finished = True
        if not finished:
            # Every OpenAI-compatible server names why an answer ended in its last chunk. A stream
            # without it was cut, [DONE] or not: llama.cpp's server sends [DONE] on the streams it
            # cancels (unless started with --interrupt_requests False).
            raise SampleError(
                "cut stream",
                f"the stream ended after {time.monotonic() - t0:.2f} s and {len(parts)} piece(s) without a "
                f"finish_reason ({'with' if done else 'without'} [DONE])",
            )
        if not parts:
            raise SampleError("empty answer", "the server generated no text")
        return "".join(parts), usage_tokens


def complete_tokens_with_count(sample_id: int, ids: list[int], count: int | None) -> None:
    """Complete with the text's token ids; the count is the server's when given."""
    if count is None or count == len(ids):
        complete_tokens(sample_id, ids)
        return
    data = np.asarray(ids, dtype=np.int32).tobytes()
    _core.complete_samples([int(sample_id)], [data], n_tokens=[count])
