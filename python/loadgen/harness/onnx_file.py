"""Writing a hand-built ONNX model as every embedded default (and converter) does.

``save_graph(graph, path, opset)``: the model around ``graph`` with the one
opset, IR version 8 (readable by every onnxruntime since 1.10), checked by
``onnx.checker``, then written through a temporary file and a rename
(``cache.atomic_write_bytes``), so that an interrupted build leaves no
half-written model. Needs the ``onnx`` package (imported when called).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .cache import atomic_write_bytes

IR_VERSION = 8  # readable by every onnxruntime since 1.10


def save_model(model: Any, path: str | Path) -> None:
    """``model`` (an ``onnx.ModelProto``) at IR version 8, checked, written atomically."""
    import onnx

    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    atomic_write_bytes(path, model.SerializeToString())


def save_graph(graph: Any, path: str | Path, opset: int, producer: str = "loadgen-benchmarks") -> None:
    """The model of ``graph`` (an ``onnx.GraphProto``) with the default domain's ``opset``, saved by ``save_model``."""
    from onnx import helper

    save_model(
        helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name=producer), path
    )
