"""The llama.cpp backend: a harness Backend that makes streaming generators.

``generator()`` gives each SUT worker its own llama.cpp context (they are not
thread-safe); ``predict`` (used only by the harness's warm-up) generates a
few tokens for each prompt of a batch.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from loadgen.harness import Backend, BackendOptions

from llama3_1_8b.model import LlamaCppGenerator


class LlamaCppBackend(Backend):
    name = "llamacpp"
    library = "llama_cpp"

    def __init__(self) -> None:
        self.model_path: str | None = None
        self.threads = 1
        self._warm: LlamaCppGenerator | None = None
        self._lock = threading.Lock()

    def load(self, options: BackendOptions) -> None:
        if not options.model_path:
            raise ValueError("the llamacpp backend needs a GGUF model file (--model)")
        self.model_path = options.model_path
        self.threads = max(1, options.intra_op_threads or 1)
        self._warm = LlamaCppGenerator(self.model_path, n_threads=self.threads)

    def generator(self) -> LlamaCppGenerator:
        assert self.model_path is not None, "load() first"
        return LlamaCppGenerator(self.model_path, n_threads=self.threads)

    def predict(self, batch: Any) -> list[np.ndarray]:
        assert self._warm is not None, "load() first"
        with self._lock:
            return [np.asarray(list(self._warm.stream(prompt, 4)), dtype=np.int32) for prompt in batch]

    def close(self) -> None:
        self._warm = None
