"""DLRM (the MLPerf Criteo Terabyte variant) in plain torch, its ONNX form, and
the fixed-seed model of the embedded default.

The network (facts: shared/spec/benchmarks.md §3.3):

* 26 sum-mode embedding bags of dimension 128 (``emb_l.<k>.weight``);
* the bottom MLP 13 -> 512 -> 256 -> 128, ReLU after every layer
  (``bot_l.{0,2,4}``);
* the dot interaction: the bottom output and the 26 embeddings (27 vectors),
  all pairwise dot products, the strictly lower triangle (i > j, row-major,
  351 values) after the 128 bottom features -> 479;
* the top MLP 479 -> 1024 -> 1024 -> 512 -> 256 -> 1, ReLU after all but the
  last, then a sigmoid (``top_l.{0,2,4,6,8}``).

The interface is the reference's: ``dense_x`` float32 ``[B, 13]``,
``offsets`` int64 ``[26, B]``, ``indices`` int64 ``[26, B]`` -> ``pred``
float32 ``[B, 1]``. Parameter names are the reference checkpoint's, so its
``state_dict`` loads as it is; the table sizes are read off the weights.

torch is imported at module level: import this module only where torch is
wanted (the harness reaches it through ``build_torch_model``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
from loadgen.harness.onnx_file import save_graph
from torch import nn

from .criteo import OFFICIAL_MAX_IND_RANGE, OFFICIAL_TABLE_SIZES, table_sizes_for  # noqa: F401 - re-exported

NUM_TABLES = 26
NUM_DENSE = 13
EMBEDDING_DIM = 128
BOTTOM_MLP = (NUM_DENSE, 512, 256, EMBEDDING_DIM)
TOP_MLP_HIDDEN = (1024, 1024, 512, 256, 1)
INPUT_NAMES = ("dense_x", "offsets", "indices")
OUTPUT_NAME = "pred"


def table_bytes(sizes: Sequence[int], dim: int = EMBEDDING_DIM) -> int:
    """FP32 bytes of embedding tables of these sizes."""
    return int(sum(sizes)) * dim * 4


def interaction_features(n_vectors: int = NUM_TABLES + 1, dim: int = EMBEDDING_DIM) -> int:
    return dim + n_vectors * (n_vectors - 1) // 2


def _lower_triangle(n: int) -> tuple[list[int], list[int]]:
    """Row and column of each strictly-lower-triangle entry, row-major."""
    rows = [i for i in range(n) for _ in range(i)]
    cols = [j for i in range(n) for j in range(i)]
    return rows, cols


def _mlp(sizes: Sequence[int], sigmoid_last: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        last = i == len(sizes) - 2
        layers.append(nn.Sigmoid() if (last and sigmoid_last) else nn.ReLU())
    return nn.Sequential(*layers)


class DLRM(nn.Module):
    """DLRM with the reference's parameter names and interface.

    ``forward(dense_x [B,13] float32, offsets [26,B] int64, indices [26,B] int64)``
    returns the click probability ``[B, 1]``. Table ``k``'s bags are
    ``indices[k]`` cut at ``offsets[k]`` (the reference sends one index per
    sample: offsets 0..B-1), summed.
    """

    def __init__(self, table_sizes: Sequence[int], dim: int = EMBEDDING_DIM) -> None:
        super().__init__()
        if len(table_sizes) != NUM_TABLES:
            raise ValueError(f"DLRM needs {NUM_TABLES} table sizes, got {len(table_sizes)}")
        self.table_sizes = tuple(int(n) for n in table_sizes)
        self.emb_l = nn.ModuleList(nn.EmbeddingBag(n, dim, mode="sum") for n in self.table_sizes)
        self.bot_l = _mlp((NUM_DENSE, 512, 256, dim), sigmoid_last=False)
        self.top_l = _mlp((interaction_features(NUM_TABLES + 1, dim), *TOP_MLP_HIDDEN), sigmoid_last=True)
        rows, cols = _lower_triangle(NUM_TABLES + 1)
        self.register_buffer("tri_rows", torch.tensor(rows), persistent=False)
        self.register_buffer("tri_cols", torch.tensor(cols), persistent=False)

    def forward(self, dense_x: torch.Tensor, offsets: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
        x = self.bot_l(dense_x)
        embs = [emb(indices[k], offsets[k]) for k, emb in enumerate(self.emb_l)]
        t = torch.cat([x, *embs], dim=1).view(x.shape[0], NUM_TABLES + 1, -1)
        z = torch.bmm(t, t.transpose(1, 2))
        r = torch.cat([x, z[:, self.tri_rows, self.tri_cols]], dim=1)
        return self.top_l(r)


def _state_dict_from_file(path: str | Path) -> dict[str, torch.Tensor]:
    obj = torch.load(str(path), map_location="cpu", weights_only=True)
    if isinstance(obj, Mapping) and "state_dict" in obj:  # the reference checkpoint: {"state_dict": ...}
        obj = obj["state_dict"]
    if not isinstance(obj, Mapping):
        raise TypeError(
            f"{path}: expected a state dict (or a dict with 'state_dict'), got {type(obj).__name__}"
        )
    return dict(obj)


def table_sizes_of(state: Mapping[str, torch.Tensor]) -> tuple[int, ...]:
    missing = [k for k in range(NUM_TABLES) if f"emb_l.{k}.weight" not in state]
    if missing:
        raise ValueError(f"the state dict has no emb_l.<k>.weight for tables {missing}")
    return tuple(int(state[f"emb_l.{k}.weight"].shape[0]) for k in range(NUM_TABLES))


def build_torch_model(state_dict_path: str | Path) -> DLRM:
    """The torch backend's model factory: ``DLRM`` from a state dict file (a
    plain state dict, or the reference's ``{"state_dict": ...}`` checkpoint).
    Table sizes come from ``emb_l.<k>.weight``."""
    state = _state_dict_from_file(state_dict_path)
    dim = int(state["emb_l.0.weight"].shape[1]) if "emb_l.0.weight" in state else EMBEDDING_DIM
    net = DLRM(table_sizes_of(state), dim=dim)
    net.load_state_dict(state)
    return net.eval()


# ---------------------------------------------------------------------------
# The fixed-seed model of the embedded default.


def make_fixed_seed_model(table_sizes: Sequence[int], seed: int = 0) -> DLRM:
    """DLRM with seeded random weights, initialised as the DLRM training code
    initialises it: each linear layer's weight ~ N(0, sqrt(2 / (fan_in + fan_out))),
    bias ~ N(0, sqrt(1 / fan_out)); each table ~ U(-sqrt(1/rows), sqrt(1/rows))."""
    gen = torch.Generator().manual_seed(seed)
    net = DLRM(table_sizes)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.Linear):
                fan_out, fan_in = m.weight.shape
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * (2.0 / (fan_in + fan_out)) ** 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * (1.0 / fan_out) ** 0.5)
            elif isinstance(m, nn.EmbeddingBag):
                bound = (1.0 / m.weight.shape[0]) ** 0.5
                m.weight.copy_((torch.rand(m.weight.shape, generator=gen) * 2 - 1) * bound)
    return net.eval()


# ---------------------------------------------------------------------------
# ONNX.


def export_onnx(state_dict: Mapping[str, torch.Tensor], path: str | Path, opset: int = 16) -> None:
    """Write ``DLRM`` with these weights as an ONNX file with the reference's
    interface (``dense_x``, ``offsets``, ``indices`` -> ``pred``).

    The graph is written node by node (no tracing). Each embedding bag is a
    Gather of the rows and a segment sum: the bag of every index position is
    the running count of bag starts (a ScatterElements of ones at ``offsets``,
    then CumSum) minus one, and ScatterND with reduction "add" sums the rows
    into their bags, so general offsets work, not only 0..B-1. Every bag start
    must be below B (as in the reference, where each sample has one index).
    """
    from onnx import TensorProto, helper, numpy_helper

    w = {k: v.detach().cpu().numpy() for k, v in state_dict.items()}
    table_sizes_of(state_dict)  # every table is there
    dim = int(w["emb_l.0.weight"].shape[1])
    nodes: list = []
    inits: dict[str, np.ndarray] = {}

    def const(name: str, value: np.ndarray) -> str:
        inits[name] = value
        return name

    def node(op: str, ins: list[str], out: str, **attrs) -> str:
        nodes.append(helper.make_node(op, ins, [out], **attrs))
        return out

    def mlp(x: str, prefix: str, n_layers: int, last: str) -> str:
        for i in range(n_layers):
            p = f"{prefix}.{2 * i}"
            inits[p + ".weight"] = w[p + ".weight"].astype(np.float32)
            inits[p + ".bias"] = w[p + ".bias"].astype(np.float32)
            x = node("Gemm", [x, p + ".weight", p + ".bias"], p, transB=1)
            act = last if i == n_layers - 1 else "Relu"
            x = node(act, [x], f"{p}.{act.lower()}")
        return x

    x = mlp("dense_x", "bot_l", len(BOTTOM_MLP) - 1, "Relu")
    const("one_i64", np.array(1, np.int64))
    const("minus_one_i64", np.array(-1, np.int64))
    const("zero_axis", np.array(0, np.int64))
    const("last_axis", np.array([-1], np.int64))
    const("dim", np.array([dim], np.int64))
    # Batch size B, from dense_x.
    node("Shape", ["dense_x"], "dense_shape")
    node(
        "Slice",
        ["dense_shape", const("s0", np.array([0], np.int64)), const("s1", np.array([1], np.int64))],
        "B",
    )
    node("Concat", ["B", "dim"], "bag_shape", axis=0)
    node(
        "ConstantOfShape",
        ["bag_shape"],
        "bag_zeros",
        value=helper.make_tensor("z", TensorProto.FLOAT, [1], [0]),
    )
    embs = []
    for k in range(NUM_TABLES):
        table = f"emb_l.{k}.weight"
        inits[table] = w[table].astype(np.float32)
        kk = const(f"table_{k}", np.array(k, np.int64))
        idx = node("Gather", ["indices", kk], f"indices_{k}", axis=0)
        off = node("Gather", ["offsets", kk], f"offsets_{k}", axis=0)
        rows = node("Gather", [table, idx], f"rows_{k}", axis=0)
        zeros = node("Mul", [idx, const(f"zero_{k}", np.array(0, np.int64))], f"marks0_{k}")
        ones = node("Add", [node("Mul", [off, "zero_axis"], f"off0_{k}"), "one_i64"], f"ones_{k}")
        marks = node("ScatterElements", [zeros, off, ones], f"marks_{k}", axis=0, reduction="add")
        bag = node("Add", [node("CumSum", [marks, "zero_axis"], f"cum_{k}"), "minus_one_i64"], f"bag_{k}")
        bag2 = node("Unsqueeze", [bag, "last_axis"], f"bag2_{k}")
        embs.append(node("ScatterND", ["bag_zeros", bag2, rows], f"emb_{k}", reduction="add"))
    n_vec = NUM_TABLES + 1
    t = node("Concat", [x, *embs], "T_flat", axis=1)
    t = node("Reshape", [t, const("t_shape", np.array([0, n_vec, dim], np.int64))], "T")
    tt = node("Transpose", [t], "T_t", perm=[0, 2, 1])
    z = node("MatMul", [t, tt], "Z")
    zf = node("Reshape", [z, const("z_shape", np.array([0, n_vec * n_vec], np.int64))], "Z_flat")
    rows_, cols_ = _lower_triangle(n_vec)
    tri = const("tri_index", np.array([r * n_vec + c for r, c in zip(rows_, cols_)], np.int64))
    zl = node("Gather", [zf, tri], "Z_lower", axis=1)
    r = node("Concat", [x, zl], "R", axis=1)
    top = mlp(r, "top_l", len(TOP_MLP_HIDDEN), "Sigmoid")
    node("Identity", [top], OUTPUT_NAME)

    graph = helper.make_graph(
        nodes,
        "dlrm_terabyte",
        [
            helper.make_tensor_value_info("dense_x", TensorProto.FLOAT, ["B", NUM_DENSE]),
            helper.make_tensor_value_info("offsets", TensorProto.INT64, [NUM_TABLES, "B"]),
            helper.make_tensor_value_info("indices", TensorProto.INT64, [NUM_TABLES, "B"]),
        ],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["B", 1])],
        initializer=[numpy_helper.from_array(v, k) for k, v in inits.items()],
    )
    save_graph(graph, path, opset)
