"""Backends: load a model, predict a batch. A registry maps names to classes.

The registry holds ``"module:Class"`` strings, so that naming a backend costs
nothing and ``import loadgen`` never imports torch or onnxruntime: the module
is imported by ``create_backend`` only.
"""

from __future__ import annotations

import abc
import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .dataset import Batch


@dataclass
class BackendOptions:
    """What a backend needs to load a model.

    ``inputs``/``outputs`` name the model's tensors (backends that have names);
    ``predict`` returns the outputs in this order. ``intra_op_threads`` is the
    number of threads one ``predict`` call may use (0: the library's default).
    ``model_factory`` builds a torch module from ``model_path`` (torch only).
    ``precision``: ``"bf16"`` runs a torch model under CPU autocast
    (harness/precision.py); the other backends take the precision from the file.
    ``null_outputs`` describes the fixed outputs of the null backend: one
    ``(per-sample shape, dtype name)`` per output.
    """

    model_path: str | None = None
    inputs: Sequence[str] = ()
    outputs: Sequence[str] = ()
    intra_op_threads: int = 0
    model_factory: Callable[[str], Any] | None = None
    null_outputs: Sequence[tuple[tuple[int, ...], str]] = ()
    precision: str = "fp32"

    def __post_init__(self) -> None:
        if self.intra_op_threads < 0:
            raise ValueError(f"BackendOptions.intra_op_threads = {self.intra_op_threads}: must be >= 0")


class Backend(abc.ABC):
    """One loaded model.

    ``predict`` may be called from several worker threads at once; a backend
    whose library is not thread-safe must serialise inside.
    """

    name: str = "backend"
    # The Python module whose ``__version__`` is this backend's version (imported
    # when asked, so naming it costs nothing); None: "unknown" unless ``version`` is overridden.
    library: str | None = None

    @property
    def version(self) -> str:
        if self.library is None:
            return "unknown"
        return str(importlib.import_module(self.library).__version__)

    @abc.abstractmethod
    def load(self, options: BackendOptions) -> None:
        """Load the model (before the test; untimed)."""

    @abc.abstractmethod
    def predict(self, batch: Batch) -> list[np.ndarray]:
        """Run the model on one batch; one array per output, first axis = batch."""

    def close(self) -> None:
        """Release the model."""


_BACKENDS: dict[str, str | type] = {
    "onnxruntime": "loadgen.harness.backend_onnxruntime:OnnxRuntimeBackend",
    "torch": "loadgen.harness.backend_torch:TorchBackend",
    "null": "loadgen.harness.backend_null:NullBackend",
}

# The package a backend's module needs, for the error message.
_REQUIRES = {"onnxruntime": "onnxruntime", "torch": "torch"}


def register_backend(name: str, target: str | type) -> None:
    """Register a backend class, or a ``"module:Class"`` string imported on first use."""
    _BACKENDS[name] = target


def registered_backends() -> list[str]:
    return sorted(_BACKENDS)


def create_backend(name: str, overrides: Mapping[str, str | type] | None = None) -> Backend:
    """A new, unloaded backend. Raises ValueError for an unknown name and
    ImportError (saying what to install) when its library is missing.

    ``overrides`` (a benchmark's ``BenchmarkSpec.backends``) maps backend names
    to the benchmark's own classes (or ``"module:Class"`` strings), which are
    used instead of the registry's for those names: e.g. a model that runs as
    several graphs (an encoder and a decoder step) under ``onnxruntime``."""
    try:
        target = (overrides or {}).get(name) or _BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown backend {name!r}; choose one of {registered_backends()}") from None
    if isinstance(target, str):
        module_name, _, cls_name = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as e:
            pkg = _REQUIRES.get(name, e.name or module_name)
            raise ImportError(
                f"backend {name!r} needs the {pkg!r} package ({e}); "
                f"install it, e.g. pip install 'loadgen[benchmarks]'"
            ) from e
        target = getattr(module, cls_name)
    backend = target()
    if not isinstance(backend, Backend):
        raise TypeError(f"backend {name!r} ({target!r}) is not a loadgen.harness.Backend")
    return backend
