"""BERT for question answering as an ONNX graph with the MLPerf interface, and reading it back.

``write_onnx`` writes the network of model.py as an ONNX graph built node by
node (opset 17): inputs ``input_ids``, ``input_mask``, ``segment_ids`` (int64
``[batch, seq]``), outputs ``output_start_logits``, ``output_end_logits``
(float32 ``[batch, seq]``), the MLPerf fp32 interface. The weights go to an
external data file (``<model>.onnx.data``) written tensor by tensor, so a
BERT-Large (1.3 GB) is never held twice in memory; the initializers are named
by the state-dict keys, so ``load_onnx_weights`` gives the torch model the
same weights. ``seq`` is symbolic: the padding-free option runs batches
shorter than 384. NumPy and onnx only (no torch).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .config import (
    CONFIG_FILE,
    IGNORED_KEYS,
    INPUT_NAMES,
    MASK_VALUE,
    OUTPUT_NAMES,
    BertConfig,
    parameter_shapes,
)

_ALIGN = 4096


def write_onnx(
    weights: Iterator[tuple[str, np.ndarray]] | Mapping[str, np.ndarray],
    config: BertConfig,
    path: str | Path,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Write ``BertForQuestionAnswering`` with these weights as ``path`` (graph) and
    ``path.data`` (the weights, external data, 4 KiB-aligned).

    ``weights`` yields ``(state-dict key, float32 array)``; it may be a
    generator, so that only one tensor is in memory at a time.
    ``progress(bytes written, total bytes)`` is called after each tensor.
    """
    import onnx
    from onnx import TensorProto, helper

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data_name = path.name + ".data"
    c = config
    expected = dict(parameter_shapes(c))
    total = sum(4 * int(np.prod(s)) for s in expected.values())
    items = weights.items() if isinstance(weights, Mapping) else weights
    inits: list[TensorProto] = []
    written = 0
    tmp_data = path.with_name(data_name + ".tmp")
    with open(tmp_data, "wb") as f:
        for name, arr in items:
            if name not in expected:
                if any(part in name for part in IGNORED_KEYS):
                    continue
                raise ValueError(f"unexpected weight {name!r} for {c}")
            arr = np.ascontiguousarray(arr, dtype=np.float32)
            if arr.shape != expected[name]:
                raise ValueError(f"{name}: shape {arr.shape}, expected {expected[name]}")
            offset = f.tell()
            pad = (-offset) % _ALIGN
            if pad:
                f.write(b"\0" * pad)
                offset += pad
            arr.tofile(f)  # no copy
            t = TensorProto()
            t.name = name
            t.data_type = TensorProto.FLOAT
            t.dims.extend(arr.shape)
            t.data_location = TensorProto.EXTERNAL
            for k, v in (("location", data_name), ("offset", str(offset)), ("length", str(arr.nbytes))):
                entry = t.external_data.add()
                entry.key, entry.value = k, v
            inits.append(t)
            del expected[name]
            written += arr.nbytes
            if progress is not None:
                progress(written, total)
    if expected:
        tmp_data.unlink()
        raise ValueError(f"weights missing: {sorted(expected)[:5]}")

    nodes: list = []
    consts: list[TensorProto] = []

    def const(name: str, value: Any, dtype: Any = np.int64) -> str:
        consts.append(onnx.numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def node(op: str, ins: list[str], out: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, ins, [out], name=out, **attrs))
        return out

    h, heads, d = c.hidden_size, c.num_attention_heads, c.head_size
    ids, mask_in, seg = INPUT_NAMES
    # Shapes: [B, L]; [B, L, heads, d]; [B, L, 2].
    bl = node("Shape", [ids], "shape_bl")
    seq_len = node("Gather", [bl, const("c_one", 1)], "seq_len")  # scalar L
    shape_blhd = node("Concat", [bl, const("c_heads_d", [heads, d])], "shape_bl_heads_d", axis=0)
    shape_bl2 = node("Concat", [bl, const("c_two", [2])], "shape_bl_2", axis=0)
    shape_2d = const("c_rows_h", [-1, h])
    # Embeddings.
    e = "bert.embeddings."
    positions = node("Range", [const("c_zero", 0), seq_len, const("c_step", 1)], "positions")
    x = node("Gather", [e + "word_embeddings.weight", ids], "emb_word")
    x = node("Add", [x, node("Gather", [e + "token_type_embeddings.weight", seg], "emb_type")], "emb_wt")
    x = node("Add", [x, node("Gather", [e + "position_embeddings.weight", positions], "emb_pos")], "emb_sum")
    x = node(
        "LayerNormalization",
        [x, e + "LayerNorm.weight", e + "LayerNorm.bias"],
        "emb_ln",
        axis=-1,
        epsilon=c.layer_norm_eps,
    )
    x = node("Reshape", [x, shape_2d], "emb_2d")  # [B*L, H] from here on
    # Attention mask: [B, 1, 1, L], 0 for tokens, -10000 for padding.
    m = node("Cast", [mask_in], "mask_f", to=TensorProto.FLOAT)
    m = node("Sub", [const("c_onef", 1.0, np.float32), m], "mask_inv")
    m = node("Mul", [m, const("c_mask_value", MASK_VALUE, np.float32)], "mask_add")
    m = node("Unsqueeze", [m, const("c_axes_12", [1, 2])], "mask_b11l")
    scale = const("c_scale", 1.0 / math.sqrt(d), np.float32)
    sqrt2 = const("c_sqrt2", math.sqrt(2.0), np.float32)
    half = const("c_half", 0.5, np.float32)
    one_f = "c_onef"

    def linear(inp: str, prefix: str, out: str) -> str:
        return node("Gemm", [inp, prefix + ".weight", prefix + ".bias"], out, transB=1)

    def layer_norm(inp: str, prefix: str, out: str) -> str:
        return node(
            "LayerNormalization",
            [inp, prefix + ".weight", prefix + ".bias"],
            out,
            axis=-1,
            epsilon=c.layer_norm_eps,
        )

    def heads_first(inp: str, out: str, perm: list[int]) -> str:
        return node("Transpose", [node("Reshape", [inp, shape_blhd], out + "_4d")], out, perm=perm)

    for n in range(c.num_hidden_layers):
        p = f"bert.encoder.layer.{n}."
        t = f"l{n}_"
        q = heads_first(linear(x, p + "attention.self.query", t + "q"), t + "q_bhld", [0, 2, 1, 3])
        k = heads_first(linear(x, p + "attention.self.key", t + "k"), t + "k_bhdl", [0, 2, 3, 1])
        v = heads_first(linear(x, p + "attention.self.value", t + "v"), t + "v_bhld", [0, 2, 1, 3])
        s_ = node("Mul", [node("MatMul", [q, k], t + "qk"), scale], t + "scores")
        probs = node("Softmax", [node("Add", [s_, m], t + "scores_masked")], t + "probs", axis=-1)
        ctx = node(
            "Transpose", [node("MatMul", [probs, v], t + "ctx_bhld")], t + "ctx_blhd", perm=[0, 2, 1, 3]
        )
        ctx = node("Reshape", [ctx, shape_2d], t + "ctx")
        a = linear(ctx, p + "attention.output.dense", t + "attn_dense")
        a = layer_norm(node("Add", [a, x], t + "attn_res"), p + "attention.output.LayerNorm", t + "attn_out")
        g = linear(a, p + "intermediate.dense", t + "inter")
        # erf GELU: x * 0.5 * (1 + erf(x / sqrt(2)))
        erf = node("Erf", [node("Div", [g, sqrt2], t + "gelu_div")], t + "gelu_erf")
        g = node(
            "Mul",
            [node("Mul", [g, half], t + "gelu_half"), node("Add", [erf, one_f], t + "gelu_1p")],
            t + "gelu",
        )
        o = linear(g, p + "output.dense", t + "out_dense")
        x = layer_norm(node("Add", [o, a], t + "out_res"), p + "output.LayerNorm", t + "out")
    logits = node("Reshape", [linear(x, "qa_outputs", "qa_2d"), shape_bl2], "qa_logits")
    nodes.append(
        helper.make_node(
            "Split", [logits, const("c_split", [1, 1])], ["start_3d", "end_3d"], name="qa_split", axis=2
        )
    )
    axis2 = const("c_axis2", [2])
    node("Squeeze", ["start_3d", axis2], OUTPUT_NAMES[0])
    node("Squeeze", ["end_3d", axis2], OUTPUT_NAMES[1])

    graph = helper.make_graph(
        nodes,
        "bert_for_question_answering",
        [helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "seq"]) for name in INPUT_NAMES],
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", "seq"]) for name in OUTPUT_NAMES],
        initializer=inits + consts,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="loadgen-benchmarks"
    )
    model.ir_version = 8
    os.replace(tmp_data, path.with_name(data_name))
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(model.SerializeToString())
    onnx.checker.check_model(str(tmp))  # by path: it finds the external data beside it
    os.replace(tmp, path)
    (path.parent / CONFIG_FILE).write_text(c.to_json(), encoding="utf-8")


def replace_onnx_weights(path: str | Path, weights: Mapping[str, np.ndarray]) -> None:
    """Overwrite these initializers of a ``write_onnx`` file in its external data file,
    in place (same names, shapes and offsets; the graph is untouched)."""
    import onnx
    from onnx import TensorProto

    path = Path(path)
    m = onnx.load(str(path), load_external_data=False)
    todo = dict(weights)
    for t in m.graph.initializer:
        if t.name not in todo:
            continue
        arr = np.ascontiguousarray(todo.pop(t.name), dtype="<f4")
        info = {e.key: e.value for e in t.external_data}
        if t.data_location != TensorProto.EXTERNAL or arr.shape != tuple(t.dims):
            raise ValueError(f"{path}: {t.name} is not an external float tensor of shape {arr.shape}")
        if int(info["length"]) != arr.nbytes:
            raise ValueError(f"{path}: {t.name} holds {info['length']} bytes, not {arr.nbytes}")
        with open(path.parent / info["location"], "r+b") as f:
            f.seek(int(info.get("offset", 0)))
            f.write(arr.tobytes())
    if todo:
        raise ValueError(f"{path}: no initializers {sorted(todo)}")


def onnx_input_shapes(path: str | Path) -> dict[str, list[int | str | None]]:
    """The declared input shapes of an ONNX file (a dimension: int, symbol or None)."""
    import onnx

    m = onnx.load(str(path), load_external_data=False)
    out: dict[str, list[int | str | None]] = {}
    for inp in m.graph.input:
        dims: list[int | str | None] = []
        for dim in inp.type.tensor_type.shape.dim:
            dims.append(dim.dim_value if dim.HasField("dim_value") else (dim.dim_param or None))
        out[inp.name] = dims
    return out


def load_onnx_weights(path: str | Path) -> dict[str, np.ndarray]:
    """The float32 initializers of an ONNX file (external data read from its files)."""
    import onnx
    from onnx import TensorProto, numpy_helper

    path = Path(path)
    m = onnx.load(str(path), load_external_data=False)
    out: dict[str, np.ndarray] = {}
    for t in m.graph.initializer:
        if t.data_type != TensorProto.FLOAT or not t.dims:
            continue
        shape = tuple(int(d) for d in t.dims)
        if t.data_location == TensorProto.EXTERNAL:
            info = {e.key: e.value for e in t.external_data}
            offset, count = int(info.get("offset", 0)), int(np.prod(shape))
            arr = np.fromfile(path.parent / info["location"], dtype="<f4", count=count, offset=offset)
            if arr.size != count:
                raise ValueError(f"{path}: external data of {t.name} is truncated")
            out[t.name] = arr.reshape(shape)
        else:
            out[t.name] = numpy_helper.to_array(t).astype(np.float32, copy=False)
    return out
