"""The onnxruntime backend (CPU, or the first provider listed by the user), and
``cpu_session``: the session options every onnxruntime run here uses (the
benchmarks' own multi-graph backends and the harness-overhead yardstick too)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from .backend import Backend, BackendOptions
from .dataset import Batch


def cpu_session(model_path: str | Path, intra_op_threads: int = 0) -> ort.InferenceSession:
    """A CPU session with all graph optimisations, ``intra_op_threads`` threads
    inside one run (0: onnxruntime's default) and one across runs: parallelism
    across requests comes from the harness's workers."""
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if intra_op_threads:
        so.intra_op_num_threads = intra_op_threads
    so.inter_op_num_threads = 1
    return ort.InferenceSession(str(model_path), so, providers=["CPUExecutionProvider"])


class OnnxRuntimeBackend(Backend):
    name = "onnxruntime"
    library = "onnxruntime"

    def __init__(self) -> None:
        self.session: ort.InferenceSession | None = None
        self.input_names: list[str] = []
        self.output_names: list[str] = []

    def load(self, options: BackendOptions) -> None:
        if not options.model_path:
            raise ValueError("the onnxruntime backend needs a model file (--model)")
        self.session = cpu_session(options.model_path, options.intra_op_threads)
        model_inputs = [i.name for i in self.session.get_inputs()]
        model_outputs = [o.name for o in self.session.get_outputs()]
        for name in options.inputs:
            if name not in model_inputs:
                raise ValueError(f"{options.model_path}: no input named {name!r} (it has {model_inputs})")
        for name in options.outputs:
            if name not in model_outputs:
                raise ValueError(f"{options.model_path}: no output named {name!r} (it has {model_outputs})")
        self.input_names = list(options.inputs) or model_inputs
        self.output_names = list(options.outputs) or model_outputs

    def predict(self, batch: Batch) -> list[np.ndarray]:
        assert self.session is not None, "load() first"
        feed = dict(batch) if not isinstance(batch, np.ndarray) else {self.input_names[0]: batch}
        # InferenceSession.run is thread-safe and releases the GIL.
        return self.session.run(self.output_names, feed)

    def close(self) -> None:
        self.session = None
