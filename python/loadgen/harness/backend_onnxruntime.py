"""The onnxruntime backend (CPU, or the first provider listed by the user)."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort

from .backend import Backend, BackendOptions
from .dataset import Batch


class OnnxRuntimeBackend(Backend):
    name = "onnxruntime"

    def __init__(self) -> None:
        self.session: ort.InferenceSession | None = None
        self.input_names: list[str] = []
        self.output_names: list[str] = []

    @property
    def version(self) -> str:
        return str(ort.__version__)

    def load(self, options: BackendOptions) -> None:
        if not options.model_path:
            raise ValueError("the onnxruntime backend needs a model file (--model)")
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if options.intra_op_threads:
            so.intra_op_num_threads = options.intra_op_threads
        # Parallelism across requests comes from the harness's workers.
        so.inter_op_num_threads = 1
        self.session = ort.InferenceSession(options.model_path, so, providers=["CPUExecutionProvider"])
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
