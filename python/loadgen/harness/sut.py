"""SUTs that drive a Backend over a Dataset.

* ``InlineSUT`` (SingleStream): runs each query inside ``issue_queries``, on
  LoadGen's issuing thread, and completes it before returning.
* ``ThreadedSUT`` (MultiStream, Server, Offline): ``issue_queries`` cuts the
  query into batches of at most ``max_batchsize`` samples and queues them; a
  pool of worker threads takes batches (a worker that finds several small
  ones queued, as in Server, merges them up to ``max_batchsize``), predicts,
  and calls ``loadgen.complete_samples`` itself.

Both use the numpy issue style (ids and indices as two uint64 arrays) and
hand responses to LoadGen as one array per batch, one row per sample, which
``complete_samples`` splits without a per-sample Python object.

A failure in the dataset, backend or post-processing does not hang the test:
the batch's samples are completed without data, the test is aborted (so it
ends INVALID), and the first exception is kept in ``error`` for the caller.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Sequence
from typing import Any, Callable, Union

import numpy as np

from .. import _core, api
from .backend import Backend
from .dataset import Dataset

# Turns a batch's outputs into response data: an array whose first axis is the
# batch (row i is sample i's response bytes), a list of bytes-like (one per
# sample), or None (no response data).
ResponseData = Union[np.ndarray, Sequence[Any], None]
Postprocess = Callable[[list[np.ndarray]], ResponseData]
# The batch-aware form, for responses that need more than the outputs (DLRM:
# each group's labels and size): (outputs, dataset, the batch's QSL indices).
Respond = Callable[[list[np.ndarray], Dataset, np.ndarray], ResponseData]
# Maps a query's QSL indices to integer sort keys (e.g. sequence lengths): with
# one, ThreadedSUT batches samples of similar keys together (see ThreadedSUT).
SortKey = Callable[[np.ndarray], np.ndarray]


class _BatchRunner:
    """get_batch -> predict -> postprocess -> complete, for one batch."""

    def __init__(
        self,
        dataset: Dataset,
        backend: Backend,
        postprocess: Postprocess | None,
        on_error: Callable[[BaseException], None],
        respond: Respond | None = None,
    ) -> None:
        self.dataset = dataset
        self.backend = backend
        self.postprocess = postprocess
        self.respond = respond
        self.on_error = on_error
        self.completed = 0  # written by the one thread that owns this runner

    def run(self, ids: np.ndarray, indices: np.ndarray) -> None:
        n = len(ids)
        try:
            outputs = self.backend.predict(self.dataset.get_batch(indices.tolist()))
            if self.respond is not None:
                data = self.respond(outputs, self.dataset, indices)
            else:
                assert self.postprocess is not None, "a SUT needs postprocess or respond"
                data = self.postprocess(outputs)
            if isinstance(data, np.ndarray) and (data.ndim == 0 or data.shape[0] != n):
                raise ValueError(
                    f"postprocess returned an array of shape {data.shape} for a batch of {n}: "
                    f"the first axis must be the batch"
                )
        except BaseException as e:  # noqa: BLE001 - reported through on_error
            self.on_error(e)
            _core.complete_samples(ids)
            self.completed += n
            return
        if data is None:
            _core.complete_samples(ids)
        elif isinstance(data, np.ndarray):
            _core.complete_samples(ids, np.ascontiguousarray(data))
        else:
            _core.complete_samples(ids, list(data))
        self.completed += n


class HarnessSUT(api.SystemUnderTest):
    """Common state: counters for the progress display, the first error."""

    issue_style = "numpy"

    def __init__(
        self,
        dataset: Dataset,
        backend: Backend,
        postprocess: Postprocess | None,
        max_batchsize: int,
        name: str,
        respond: Respond | None = None,
    ) -> None:
        if max_batchsize < 1:
            raise ValueError(f"max_batchsize = {max_batchsize}: must be >= 1")
        self.dataset = dataset
        self.backend = backend
        self.postprocess = postprocess
        self.respond = respond
        self.max_batchsize = max_batchsize
        self.name = name
        # Written on LoadGen's issuing thread only.
        self.queries = 0  # issue_queries calls
        self.issued = 0  # samples received
        self.error: BaseException | None = None
        self._error_lock = threading.Lock()
        self._runners: list[_BatchRunner] = []

    def _new_runner(self) -> _BatchRunner:
        r = _BatchRunner(self.dataset, self.backend, self.postprocess, self._record_error, self.respond)
        self._runners.append(r)
        return r

    def _record_error(self, e: BaseException) -> None:
        with self._error_lock:
            first = self.error is None
            if first:
                self.error = e
        if first:
            _core.AbortTest()

    @property
    def completed(self) -> int:
        """Samples completed so far (a sum of per-thread counters; may lag by a batch)."""
        return sum(r.completed for r in self._runners)

    def reset_counters(self) -> None:
        """Zero the progress counters (after the sizing probes; no query is in flight)."""
        self.queries = 0
        self.issued = 0
        for r in self._runners:
            r.completed = 0

    def flush_queries(self) -> None:
        pass

    def close(self) -> None:
        pass


class InlineSUT(HarnessSUT):
    """Predicts inside ``issue_queries``; for SingleStream."""

    def __init__(
        self,
        dataset: Dataset,
        backend: Backend,
        postprocess: Postprocess | None,
        max_batchsize: int = 1,
        respond: Respond | None = None,
    ) -> None:
        super().__init__(dataset, backend, postprocess, max_batchsize, "harness-inline-sut", respond)
        self._runner = self._new_runner()

    # With issue_style "numpy" LoadGen passes (ids, indices), not the base
    # class's one list of QuerySample objects.
    def issue_queries(self, ids: np.ndarray, indices: np.ndarray) -> None:  # type: ignore[override]
        n = len(ids)
        self.queries += 1
        self.issued += n
        bs = self.max_batchsize
        for start in range(0, n, bs):
            self._runner.run(ids[start : start + bs], indices[start : start + bs])


class ThreadedSUT(HarnessSUT):
    """A pool of ``threads`` workers taking batches of up to ``max_batchsize``.

    ``sample_weights`` (optional, one number >= 1 per QSL index): batches are
    then packed by weight instead of by count: a batch holds whole samples
    whose weights add up to at most ``max_batchsize`` (a sample heavier than
    that is a batch of its own). DLRM uses it so that ``max_batchsize`` counts
    user-item pairs and a group of pairs is never split.

    ``sort_key`` (optional; e.g. each sample's sequence length): a query is
    sorted by key, largest first, before it is cut into batches, and a worker
    merging queued pieces (Server) takes only pieces whose key does not exceed
    that of the oldest one, which leads the batch: length-bucketed batches for
    models whose cost follows the key (BERT's padding-free option).
    """

    def __init__(
        self,
        dataset: Dataset,
        backend: Backend,
        postprocess: Postprocess | None,
        max_batchsize: int,
        threads: int,
        respond: Respond | None = None,
        sample_weights: np.ndarray | None = None,
        sort_key: SortKey | None = None,
    ) -> None:
        if threads < 1:
            raise ValueError(f"threads = {threads}: must be >= 1")
        super().__init__(dataset, backend, postprocess, max_batchsize, "harness-threaded-sut", respond)
        self._weights: np.ndarray | None = None
        if sample_weights is not None:
            w = np.asarray(sample_weights)
            if w.ndim != 1 or len(w) != dataset.total_count or (len(w) and int(w.min()) < 1):
                raise ValueError(
                    f"sample_weights: need one integer >= 1 per sample ({dataset.total_count}), "
                    f"got shape {w.shape}" + (f", smallest {w.min()}" if w.size else "")
                )
            self._weights = w.astype(np.int64)
        self.sort_key = sort_key
        # Queued batches: (ids, indices, weight, key); weight = sample count when unweighted;
        # key = the largest sort key of the batch (0 without sort_key).
        self._queue: collections.deque[tuple[np.ndarray, np.ndarray, int, int]] = collections.deque()
        self._cv = threading.Condition()
        self._stopping = False
        self._workers = []
        for i in range(threads):
            runner = self._new_runner()
            t = threading.Thread(target=self._work, args=(runner,), name=f"harness-worker-{i}", daemon=True)
            self._workers.append(t)
            t.start()

    def _pieces(self, ids: np.ndarray, indices: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, int]]:
        n = len(ids)
        bs = self.max_batchsize
        if self._weights is None:
            return [(ids[s : s + bs], indices[s : s + bs], min(bs, n - s)) for s in range(0, n, bs)]
        weights = self._weights[indices].tolist()
        if sum(weights) <= bs:
            return [(ids, indices, sum(weights))]
        pieces = []
        start, total = 0, 0
        for i, w in enumerate(weights):
            if total and total + w > bs:
                pieces.append((ids[start:i], indices[start:i], total))
                start, total = i, 0
            total += w
        pieces.append((ids[start:], indices[start:], total))
        return pieces

    # With issue_style "numpy" LoadGen passes (ids, indices), not the base
    # class's one list of QuerySample objects.
    def issue_queries(self, ids: np.ndarray, indices: np.ndarray) -> None:  # type: ignore[override]
        self.queries += 1
        self.issued += len(ids)
        if self.sort_key is None:
            pieces = [(i, x, w, 0) for i, x, w in self._pieces(ids, indices)]
        else:
            # Longest first, so that batches hold samples of similar cost and
            # the longest ones do not make the tail.
            order = np.argsort(-np.asarray(self.sort_key(indices)), kind="stable")
            ids, indices = ids[order], indices[order]
            key = self.sort_key
            pieces = [(i, x, w, int(np.max(key(x)))) for i, x, w in self._pieces(ids, indices)]
        with self._cv:
            self._queue.extend(pieces)
            self._cv.notify(min(len(self._workers), len(pieces)))

    def _take(self) -> tuple[np.ndarray, np.ndarray] | None:
        with self._cv:
            while not self._queue:
                if self._stopping:
                    return None
                self._cv.wait()
            ids, idx, total, key = self._queue.popleft()
            if total < self.max_batchsize and self._queue:
                # Merge small queued pieces (Server's one-sample queries).
                parts_ids, parts_idx = [ids], [idx]
                if self.sort_key is None:
                    while self._queue and total + self._queue[0][2] <= self.max_batchsize:
                        more_ids, more_idx, more, _ = self._queue.popleft()
                        parts_ids.append(more_ids)
                        parts_idx.append(more_idx)
                        total += more
                else:
                    # Length buckets: the oldest piece leads; only queued pieces whose key
                    # does not exceed its key join it (the rest keep their places).
                    kept: collections.deque[tuple[np.ndarray, np.ndarray, int, int]] = collections.deque()
                    while self._queue and total < self.max_batchsize:
                        piece = self._queue.popleft()
                        if piece[3] <= key and total + piece[2] <= self.max_batchsize:
                            parts_ids.append(piece[0])
                            parts_idx.append(piece[1])
                            total += piece[2]
                        else:
                            kept.append(piece)
                    kept.extend(self._queue)
                    self._queue = kept
                if len(parts_ids) > 1:
                    ids, idx = np.concatenate(parts_ids), np.concatenate(parts_idx)
            return ids, idx

    def _work(self, runner: _BatchRunner) -> None:
        while True:
            item = self._take()
            if item is None:
                return
            runner.run(*item)

    def close(self, timeout_s: float = 30.0) -> None:
        """Stop the workers (dropping queued batches); waits up to ``timeout_s`` per worker."""
        with self._cv:
            self._stopping = True
            self._queue.clear()  # left over only when the test was aborted
            self._cv.notify_all()
        for t in self._workers:
            t.join(timeout_s)
