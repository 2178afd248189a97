"""A SUT for token-streaming models (LLMs): the first token is reported as it
exists, the whole answer with its token count at the end.

``TokenStreamSUT`` queues samples over ``workers`` threads; each worker owns
one generator (``backend.generator()``), whose ``stream(prompt, max_new_tokens)``
yields token ids. For every sample the worker calls ``FirstTokenComplete``
with the first token (int32) as soon as it is generated, then completes the
sample with all generated token ids (int32) and their count, from which
LoadGen derives TTFT and TPOT. One sequence per worker at a time: backends
that batch across sequences give their own SUT.

A generator that raises fails that sample (completed without data), aborts
the test (it ends INVALID) and is reported as the run's error; nothing hangs.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Iterator
from typing import Any, Protocol

import numpy as np

from .. import _core
from .backend import Backend
from .dataset import Dataset
from .sut import HarnessSUT


class TokenGenerator(Protocol):
    def stream(self, prompt: Any, max_new_tokens: int) -> Iterator[int]: ...


def first_token(sample_id: int, token: int) -> None:
    """Report a sample's first token (int32 payload) to LoadGen."""
    arr = np.array([token], dtype=np.int32)
    _core.FirstTokenComplete([_core.QuerySampleResponse(int(sample_id), int(arr.ctypes.data), arr.nbytes)])


def complete_tokens(sample_id: int, tokens: list[int]) -> None:
    """Complete a sample with its generated token ids (int32) and their count."""
    data = np.asarray(tokens, dtype=np.int32).tobytes()
    _core.complete_samples([int(sample_id)], [data], n_tokens=[len(tokens)])


class TokenStreamSUT(HarnessSUT):
    def __init__(self, dataset: Dataset, backend: Backend, workers: int, max_new_tokens: int) -> None:
        if workers < 1:
            raise ValueError(f"workers = {workers}: must be >= 1")
        if max_new_tokens < 1:
            raise ValueError(f"max_new_tokens = {max_new_tokens}: must be >= 1")
        super().__init__(dataset, backend, lambda outputs: None, 1, "harness-token-stream-sut")
        self.max_new_tokens = max_new_tokens
        self._queue: collections.deque[tuple[int, int]] = collections.deque()
        self._cv = threading.Condition()
        self._stopping = False
        self._done = [0] * workers
        make = getattr(backend, "generator", None)
        if make is None:
            raise TypeError(f"backend {type(backend).__name__} has no generator(): it cannot stream tokens")
        self._workers = []
        for i in range(workers):
            t = threading.Thread(target=self._work, args=(i, make()), name=f"harness-stream-{i}", daemon=True)
            self._workers.append(t)
            t.start()

    @property
    def completed(self) -> int:
        return sum(self._done)

    def issue_queries(self, ids: np.ndarray, indices: np.ndarray) -> None:  # type: ignore[override]
        self.queries += 1
        self.issued += len(ids)
        with self._cv:
            self._queue.extend(zip(ids.tolist(), indices.tolist()))
            self._cv.notify(min(len(self._workers), len(ids)))

    def _take(self) -> tuple[int, int] | None:
        with self._cv:
            while not self._queue:
                if self._stopping:
                    return None
                self._cv.wait()
            return self._queue.popleft()

    def _work(self, slot: int, gen: TokenGenerator) -> None:
        while (item := self._take()) is not None:
            sample_id, index = item
            tokens: list[int] = []
            try:
                batch: Any = self.dataset.get_batch([index])  # a list of prompts
                prompt = batch[0]
                for tok in gen.stream(prompt, self.max_new_tokens):
                    if not tokens:
                        first_token(sample_id, tok)
                    tokens.append(tok)
            except BaseException as e:  # noqa: BLE001 - reported through _record_error
                self._record_error(e)
                _core.complete_samples([sample_id])
            else:
                complete_tokens(sample_id, tokens)
            self._done[slot] += 1

    def close(self, timeout_s: float = 30.0) -> None:
        with self._cv:
            self._stopping = True
            self._queue.clear()
            self._cv.notify_all()
        for t in self._workers:
            t.join(timeout_s)
