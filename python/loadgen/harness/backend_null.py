"""The null backend: no model, fixed (zero) outputs. Measures the harness itself."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .backend import Backend, BackendOptions
from .dataset import Batch


class NullBackend(Backend):
    name = "null"

    def __init__(self) -> None:
        self.specs: Sequence[tuple[tuple[int, ...], str]] = ()
        self._cache: dict[int, list[np.ndarray]] = {}

    @property
    def version(self) -> str:
        return "0"

    def load(self, options: BackendOptions) -> None:
        self.specs = tuple(options.null_outputs) or (((), "float32"),)

    def predict(self, batch: Batch) -> list[np.ndarray]:
        first = batch if isinstance(batch, np.ndarray) else next(iter(batch.values()))
        n = int(first.shape[0])
        out = self._cache.get(n)
        if out is None:
            # Built once per batch size; read-only afterwards, so sharing is safe.
            out = [np.zeros((n, *shape), dtype=dtype) for shape, dtype in self.specs]
            self._cache[n] = out
        return out
