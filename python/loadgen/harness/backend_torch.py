"""The PyTorch backend: a module built by the benchmark's factory, CPU, eval mode.

With ``BackendOptions.precision == "bf16"`` each call runs under
``torch.autocast("cpu", dtype=torch.bfloat16)``; bfloat16 outputs are
returned as float32 arrays (numpy has no bfloat16).
"""

from __future__ import annotations

import numpy as np
import torch

from .backend import Backend, BackendOptions
from .dataset import Batch


class TorchBackend(Backend):
    name = "torch"
    library = "torch"

    def __init__(self) -> None:
        self.model: torch.nn.Module | None = None
        self.input_names: list[str] = []
        self.bf16 = False

    def load(self, options: BackendOptions) -> None:
        if options.model_factory is None:
            raise ValueError("the torch backend needs a model factory from the benchmark")
        if not options.model_path:
            raise ValueError("the torch backend needs a model file (--model)")
        if options.intra_op_threads:
            # Process-wide in torch: one setting for all workers.
            torch.set_num_threads(options.intra_op_threads)
        model = options.model_factory(options.model_path)
        self.model = model.eval()
        self.input_names = list(options.inputs)
        if options.precision not in ("fp32", "bf16"):
            raise ValueError(f"the torch backend runs fp32 or bf16, not {options.precision!r}")
        self.bf16 = options.precision == "bf16"

    def predict(self, batch: Batch) -> list[np.ndarray]:
        assert self.model is not None, "load() first"
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            if isinstance(batch, np.ndarray):
                out = self.model(torch.from_numpy(batch))
            else:
                names = self.input_names or list(batch)
                out = self.model(*(torch.from_numpy(batch[n]) for n in names))
        if isinstance(out, torch.Tensor):
            out = (out,)
        return [(t.float() if t.dtype == torch.bfloat16 else t).numpy() for t in out]

    def close(self) -> None:
        self.model = None
