"""The llama.cpp backend: a harness Backend that makes streaming generators.

``generator()`` gives each SUT worker its own llama.cpp context (they are not
thread-safe); ``predict`` (used only by the harness's warm-up) generates a
few tokens for each prompt of a batch. ``StreamingBackend`` is what the
llama.cpp and transformers backends share: that warm-up generator and its lock.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from loadgen.harness import Backend, BackendOptions

from llama3_1_8b.model import LlamaCppGenerator


class StreamingBackend(Backend):
    """A backend whose model streams tokens: ``load`` sets ``_warm``, a generator
    (with ``stream(prompt, max_new_tokens)``) that ``predict`` shares under a lock."""

    def __init__(self) -> None:
        self._warm: Any = None
        self._lock = threading.Lock()

    def predict(self, batch: Any) -> list[np.ndarray]:
        assert self._warm is not None, "load() first"
        with self._lock:
            return [np.asarray(list(self._warm.stream(prompt, 4)), dtype=np.int32) for prompt in batch]

    def close(self) -> None:
        self._warm = None


class LlamaCppBackend(StreamingBackend):
    name = "llamacpp"
    library = "llama_cpp"

    def __init__(self) -> None:
        super().__init__()
        self.model_path: str | None = None
        self.threads = 1

    def load(self, options: BackendOptions) -> None:
        if not options.model_path:
            raise ValueError("the llamacpp backend needs a GGUF model file (--model)")
        self.model_path = options.model_path
        self.threads = max(1, options.intra_op_threads or 1)
        self._warm = LlamaCppGenerator(self.model_path, n_threads=self.threads)

    def generator(self) -> LlamaCppGenerator:
        assert self.model_path is not None, "load() first"
        return LlamaCppGenerator(self.model_path, n_threads=self.threads)
