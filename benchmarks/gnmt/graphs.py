"""GNMT as two ONNX graphs: the encoder, and one decoder step.

Built node by node from the torch state dict (model.py's names), with ONNX's
``LSTM`` operator for every LSTM layer (gates reordered from torch's i, f, g, o
to ONNX's i, o, f, c), so the graphs are a second, independent implementation
of the same network: the torch and onnxruntime backends agreeing is a check
of both.

``gnmt_encoder.onnx``
    inputs  ``source_ids`` int64 [B, S] (padding past a sentence's length is
            ignored), ``source_lengths`` int64 [B] (>= 1)
    outputs ``memory`` [B, S, H] (zero past the length), ``keys`` [B, S, A]
            (the attention's memory layer applied), ``encoder_h``,
            ``encoder_c`` [4, B, H] (the decoder's initial state)

``gnmt_decoder_step.onnx``, on N = B * K rows (K rows per sentence, in order)
    inputs  ``tokens`` int64 [N], ``context`` [N, H], ``h``, ``c`` [4, N, H],
            ``memory``, ``keys``, ``source_lengths`` (as the encoder gave them,
            for the B sentences), ``k`` int64 [1]
    outputs ``topk_logprobs`` [N, k], ``topk_ids`` int64 [N, k] (the best
            non-``</s>`` tokens), ``eos_logprobs`` [N], ``context_out``,
            ``h_out``, ``c_out``
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
from loadgen.harness.onnx_file import save_graph

ENCODER_FILE = "gnmt_encoder.onnx"
STEP_FILE = "gnmt_decoder_step.onnx"
OPSET = 17
EOS_ID = 2
ENCODER_INPUTS = ("source_ids", "source_lengths")
ENCODER_OUTPUTS = ("memory", "keys", "encoder_h", "encoder_c")
STEP_INPUTS = ("tokens", "context", "h", "c", "memory", "keys", "source_lengths", "k")
STEP_OUTPUTS = ("topk_logprobs", "topk_ids", "eos_logprobs", "context_out", "h_out", "c_out")

_TORCH_TO_ONNX_GATES = (0, 3, 1, 2)  # torch i, f, g, o -> ONNX i, o, f, c


class _Graph:
    """A small builder: constants, nodes with generated output names."""

    def __init__(self, sd: Mapping[str, np.ndarray]) -> None:
        from onnx import helper, numpy_helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.sd = sd
        self.nodes: list = []
        self.inits: list = []
        self.count = 0

    def const(self, value: np.ndarray, name: str | None = None) -> str:
        self.count += 1
        name = name or f"const_{self.count}"
        value = np.asarray(value)  # keeps 0-d scalars 0-d (ascontiguousarray would not)
        if not value.flags.c_contiguous:
            value = value.copy(order="C")
        self.inits.append(self.numpy_helper.from_array(value, name))
        return name

    def ints(self, *values: int) -> str:
        return self.const(np.array(values, dtype=np.int64))

    def node(self, op: str, inputs: list[str], n_out: int = 1, **attrs) -> list[str]:
        self.count += 1
        outs = [f"{op.lower()}_{self.count}_{i}" for i in range(n_out)]
        self.nodes.append(self.helper.make_node(op, inputs, outs, name=f"{op}_{self.count}", **attrs))
        return outs

    def op(self, op: str, *inputs: str, **attrs) -> str:
        return self.node(op, list(inputs), 1, **attrs)[0]

    def lstm_weights(self, prefix: str, suffixes: tuple[str, ...]) -> tuple[str, str, str]:
        """W [D, 4H, in], R [D, 4H, H], B [D, 8H] for torch LSTM parameters ``prefix + name + suffix``."""
        ws, rs, bs = [], [], []
        for suf in suffixes:
            w_ih, w_hh = self.sd[f"{prefix}weight_ih{suf}"], self.sd[f"{prefix}weight_hh{suf}"]
            b_ih, b_hh = self.sd[f"{prefix}bias_ih{suf}"], self.sd[f"{prefix}bias_hh{suf}"]
            h = w_hh.shape[1]

            def gates(a: np.ndarray, h: int = h) -> np.ndarray:
                return np.concatenate([a[g * h : (g + 1) * h] for g in _TORCH_TO_ONNX_GATES])

            ws.append(gates(w_ih))
            rs.append(gates(w_hh))
            bs.append(np.concatenate([gates(b_ih), gates(b_hh)]))
        return (
            self.const(np.stack(ws).astype(np.float32)),
            self.const(np.stack(rs).astype(np.float32)),
            self.const(np.stack(bs).astype(np.float32)),
        )

    def lstm(
        self,
        x: str,
        prefix: str,
        suffixes: tuple[str, ...],
        hidden: int,
        lengths: str = "",
        h0: str = "",
        c0: str = "",
    ) -> tuple[str, str, str]:
        w, r, b = self.lstm_weights(prefix, suffixes)
        direction = "bidirectional" if len(suffixes) == 2 else "forward"
        y, yh, yc = self.node(
            "LSTM", [x, w, r, b, lengths, h0, c0], 3, hidden_size=hidden, direction=direction
        )
        return y, yh, yc

    def save(self, path: Path, name: str, inputs: list, outputs: list) -> None:
        graph = self.helper.make_graph(self.nodes, name, inputs, outputs, self.inits)
        save_graph(graph, path, OPSET, producer="loadgen-gnmt")


def _sizes(sd: Mapping[str, np.ndarray]) -> tuple[int, int, int]:
    h = sd["encoder.bi.weight_hh_l0"].shape[1]
    a = sd["encoder.memory_layer.weight"].shape[0]
    v = sd["decoder.projection.weight"].shape[0]
    return h, a, v


def export_encoder(sd: Mapping[str, np.ndarray], path: str | Path) -> None:
    from onnx import TensorProto, helper

    g = _Graph(sd)
    h, a, _ = _sizes(sd)
    emb = g.op("Gather", g.const(sd["encoder.embedding.weight"].astype(np.float32)), "source_ids")
    x = g.op("Transpose", emb, perm=[1, 0, 2])  # [S, B, E]
    lens = g.op("Cast", "source_lengths", to=TensorProto.INT32)
    y, yh, yc = g.lstm(x, "encoder.bi.", ("_l0", "_l0_reverse"), h, lens)  # Y [S, 2, B, H]
    x = g.op("Reshape", g.op("Transpose", y, perm=[0, 2, 1, 3]), g.ints(0, 0, -1))  # [S, B, 2H]
    one = g.ints(1)
    hs = [g.op("Gather", yh, one, axis=0)]  # [1, B, H]: the backward direction
    cs = [g.op("Gather", yc, one, axis=0)]
    axis1 = g.ints(1)
    for i in range(3):
        y, yh, yc = g.lstm(x, f"encoder.uni.{i}.", ("_l0",), h, lens)
        y = g.op("Squeeze", y, axis1)  # [S, B, H]
        x = g.op("Add", y, x) if i >= 1 else y
        hs.append(yh)
        cs.append(yc)
    memory = g.op("Transpose", x, perm=[1, 0, 2])
    wm = g.const(np.ascontiguousarray(sd["encoder.memory_layer.weight"].T.astype(np.float32)))
    g.nodes.append(helper.make_node("Identity", [memory], ["memory"]))
    g.nodes.append(helper.make_node("MatMul", ["memory", wm], ["keys"]))
    g.nodes.append(helper.make_node("Concat", hs, ["encoder_h"], axis=0))
    g.nodes.append(helper.make_node("Concat", cs, ["encoder_c"], axis=0))
    f = TensorProto.FLOAT
    g.save(
        Path(path),
        "gnmt_encoder",
        [
            helper.make_tensor_value_info("source_ids", TensorProto.INT64, ["B", "S"]),
            helper.make_tensor_value_info("source_lengths", TensorProto.INT64, ["B"]),
        ],
        [
            helper.make_tensor_value_info("memory", f, ["B", "S", h]),
            helper.make_tensor_value_info("keys", f, ["B", "S", a]),
            helper.make_tensor_value_info("encoder_h", f, [4, "B", h]),
            helper.make_tensor_value_info("encoder_c", f, [4, "B", h]),
        ],
    )


def export_step(sd: Mapping[str, np.ndarray], path: str | Path) -> None:
    from onnx import TensorProto, helper

    g = _Graph(sd)
    h, a, v = _sizes(sd)
    axis0, axis1 = g.ints(0), g.ints(1)
    emb = g.op("Gather", g.const(sd["decoder.embedding.weight"].astype(np.float32)), "tokens")  # [N, E]

    def layer_state(name: str, i: int) -> str:
        return g.op("Gather", name, g.ints(i), axis=0)  # [1, N, H]

    def cell(i: int, inp: str) -> tuple[str, str]:
        x = g.op("Unsqueeze", inp, axis0)  # [1, N, in]
        _, yh, yc = g.lstm(x, f"decoder.cells.{i}.", ("",), h, h0=layer_state("h", i), c0=layer_state("c", i))
        return yh, yc  # [1, N, H]

    yh0, yc0 = cell(0, g.op("Concat", emb, "context", axis=1))
    h0 = g.op("Squeeze", yh0, axis0)  # [N, H]

    # Normalised Bahdanau attention; the query's rows are grouped per sentence.
    att = "decoder.attention."
    vv = sd[att + "v"].astype(np.float64)
    normed_v = (float(sd[att + "g"]) * vv / np.sqrt((vv * vv).sum())).astype(np.float32)
    wq = g.const(np.ascontiguousarray(sd[att + "query_layer.weight"].T.astype(np.float32)))
    q = g.op("MatMul", h0, wq)  # [N, A]
    mem_shape = g.op("Shape", "memory")
    batch = g.op("Slice", mem_shape, g.ints(0), g.ints(1))
    q = g.op("Reshape", q, g.op("Concat", batch, g.ints(-1), g.ints(a), axis=0))  # [B, K, A]
    t = g.op("Add", g.op("Unsqueeze", "keys", axis1), g.op("Unsqueeze", q, g.ints(2)))  # [B, K, S, A]
    t = g.op("Tanh", g.op("Add", t, g.const(sd[att + "b"].astype(np.float32))))
    score = g.op("Squeeze", g.op("MatMul", t, g.const(normed_v.reshape(a, 1))), g.ints(3))  # [B, K, S]
    s_len = g.op("Squeeze", g.op("Slice", mem_shape, g.ints(1), g.ints(2)), axis0)
    positions = g.op(
        "Range", g.const(np.array(0, dtype=np.int64)), s_len, g.const(np.array(1, dtype=np.int64))
    )
    valid = g.op("Less", g.op("Unsqueeze", positions, axis0), g.op("Unsqueeze", "source_lengths", axis1))
    score = g.op(
        "Where", g.op("Unsqueeze", valid, axis1), score, g.const(np.array(-np.inf, dtype=np.float32))
    )
    context = g.op("MatMul", g.op("Softmax", score, axis=-1), "memory")  # [B, K, H]
    g.nodes.append(helper.make_node("Reshape", [context, g.ints(-1, h)], ["context_out"]))

    hs, cs, out = [yh0], [yc0], h0
    for i in range(1, 4):
        yh, yc = cell(i, g.op("Concat", out, "context_out", axis=1))
        hi = g.op("Squeeze", yh, axis0)
        out = g.op("Add", hi, out) if i >= 2 else hi
        hs.append(yh)
        cs.append(yc)
    wp = g.const(np.ascontiguousarray(sd["decoder.projection.weight"].T.astype(np.float32)))
    logp = g.op("LogSoftmax", g.op("MatMul", out, wp), axis=1)  # [N, V]
    g.nodes.append(
        helper.make_node(
            "Gather", [logp, g.const(np.array(EOS_ID, dtype=np.int64))], ["eos_logprobs"], axis=1
        )
    )
    eos_mask = np.zeros(v, dtype=np.float32)
    eos_mask[EOS_ID] = -np.inf
    masked = g.op("Add", logp, g.const(eos_mask))
    g.nodes.append(
        helper.make_node("TopK", [masked, "k"], ["topk_logprobs", "topk_ids"], axis=-1, largest=1, sorted=1)
    )
    g.nodes.append(helper.make_node("Concat", hs, ["h_out"], axis=0))
    g.nodes.append(helper.make_node("Concat", cs, ["c_out"], axis=0))
    f, i64 = TensorProto.FLOAT, TensorProto.INT64
    g.save(
        Path(path),
        "gnmt_decoder_step",
        [
            helper.make_tensor_value_info("tokens", i64, ["N"]),
            helper.make_tensor_value_info("context", f, ["N", h]),
            helper.make_tensor_value_info("h", f, [4, "N", h]),
            helper.make_tensor_value_info("c", f, [4, "N", h]),
            helper.make_tensor_value_info("memory", f, ["B", "S", h]),
            helper.make_tensor_value_info("keys", f, ["B", "S", a]),
            helper.make_tensor_value_info("source_lengths", i64, ["B"]),
            helper.make_tensor_value_info("k", i64, [1]),
        ],
        [
            helper.make_tensor_value_info("topk_logprobs", f, ["N", "k"]),
            helper.make_tensor_value_info("topk_ids", i64, ["N", "k"]),
            helper.make_tensor_value_info("eos_logprobs", f, ["N"]),
            helper.make_tensor_value_info("context_out", f, ["N", h]),
            helper.make_tensor_value_info("h_out", f, [4, "N", h]),
            helper.make_tensor_value_info("c_out", f, [4, "N", h]),
        ],
    )


def export_onnx(sd: Mapping[str, np.ndarray], folder: str | Path) -> None:
    """Write ``gnmt_encoder.onnx`` and ``gnmt_decoder_step.onnx`` into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    export_encoder(sd, folder / ENCODER_FILE)
    export_step(sd, folder / STEP_FILE)
