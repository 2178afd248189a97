"""BERT for question answering in plain torch, and its ONNX form with the MLPerf interface.

``BertForQuestionAnswering`` has the parameter names of HuggingFace's class of
that name (``bert.embeddings.word_embeddings.weight``, ...,
``bert.encoder.layer.<i>.attention.self.query.weight``, ..., ``qa_outputs``),
so the MLPerf ``model.pytorch`` state dict loads as it is; ``BertModel`` (the
encoder alone) has those names without the ``bert.`` prefix, as HuggingFace's
``BertModel``. BERT-Large: 24 layers, hidden 1024, 16 heads, intermediate
4096, erf GELU, vocabulary 30522, 2 token types, 512 positions, LayerNorm
epsilon 1e-12.

``write_onnx`` writes the same network as an ONNX graph built node by node
(opset 17): inputs ``input_ids``, ``input_mask``, ``segment_ids`` (int64
``[batch, seq]``), outputs ``output_start_logits``, ``output_end_logits``
(float32 ``[batch, seq]``), the MLPerf fp32 interface. The weights go to an
external data file (``<model>.onnx.data``) written tensor by tensor, so a
BERT-Large (1.3 GB) is never held twice in memory; the initializers are named
by the state-dict keys, so ``load_onnx_weights`` gives the torch model the
same weights. ``seq`` is symbolic: the padding-free option runs batches
shorter than 384.

torch is imported at module level: import this module only where torch is
wanted; ``write_onnx`` needs only NumPy and onnx.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

INPUT_NAMES = ("input_ids", "input_mask", "segment_ids")
OUTPUT_NAMES = ("output_start_logits", "output_end_logits")
MASK_VALUE = -10000.0  # added to the attention scores of padding positions
CONFIG_FILE = "bert_config.json"


@dataclass(frozen=True)
class BertConfig:
    vocab_size: int = 30522
    hidden_size: int = 1024
    num_hidden_layers: int = 24
    num_attention_heads: int = 16
    intermediate_size: int = 4096
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12

    def __post_init__(self) -> None:
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"hidden_size {self.hidden_size} is not a multiple of num_attention_heads {self.num_attention_heads}"
            )

    @property
    def head_size(self) -> int:
        return self.hidden_size // self.num_attention_heads

    @classmethod
    def from_json(cls, path: str | Path) -> BertConfig:
        """A ``bert_config.json`` (Google's names) or HuggingFace ``config.json``."""
        d = json.loads(Path(path).read_text(encoding="utf-8"))
        names = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in d.items() if k in names})

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"


BERT_LARGE = BertConfig()


# ---------------------------------------------------------------------------
# The network.


class _Embeddings(nn.Module):
    def __init__(self, c: BertConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab_size, c.hidden_size)
        self.position_embeddings = nn.Embedding(c.max_position_embeddings, c.hidden_size)
        self.token_type_embeddings = nn.Embedding(c.type_vocab_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
        seq = input_ids.shape[1]
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        x = x + self.position_embeddings.weight[:seq]
        return self.LayerNorm(x)


class _SelfAttention(nn.Module):
    def __init__(self, c: BertConfig) -> None:
        super().__init__()
        self.heads = c.num_attention_heads
        self.query = nn.Linear(c.hidden_size, c.hidden_size)
        self.key = nn.Linear(c.hidden_size, c.hidden_size)
        self.value = nn.Linear(c.hidden_size, c.hidden_size)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, s, h = x.shape

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(b, s, self.heads, h // self.heads).transpose(1, 2)

        ctx = F.scaled_dot_product_attention(
            split(self.query(x)), split(self.key(x)), split(self.value(x)), mask
        )
        return ctx.transpose(1, 2).reshape(b, s, h)


class _DenseNorm(nn.Module):
    """dense -> + residual -> LayerNorm (HuggingFace's BertSelfOutput / BertOutput)."""

    def __init__(self, c: BertConfig, in_size: int) -> None:
        super().__init__()
        self.dense = nn.Linear(in_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dense(x) + residual)


class _Attention(nn.Module):
    def __init__(self, c: BertConfig) -> None:
        super().__init__()
        self.self = _SelfAttention(c)
        self.output = _DenseNorm(c, c.hidden_size)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.output(self.self(x, mask), x)


class _Intermediate(nn.Module):
    def __init__(self, c: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.intermediate_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(self.dense(x))  # the erf form


class _Layer(nn.Module):
    def __init__(self, c: BertConfig) -> None:
        super().__init__()
        self.attention = _Attention(c)
        self.intermediate = _Intermediate(c)
        self.output = _DenseNorm(c, c.intermediate_size)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        a = self.attention(x, mask)
        return self.output(self.intermediate(a), a)


class _Encoder(nn.Module):
    def __init__(self, c: BertConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(_Layer(c) for _ in range(c.num_hidden_layers))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        for layer in self.layer:
            x = layer(x, mask)
        return x


class BertModel(nn.Module):
    """The encoder: token ids, attention mask, segment ids -> last hidden states ``[B, L, H]``."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.config = config
        self.embeddings = _Embeddings(config)
        self.encoder = _Encoder(config)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        # [B, 1, 1, L]: 0 for real tokens, -10000 for padding, added to the scores.
        mask = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * MASK_VALUE
        return self.encoder(self.embeddings(input_ids, token_type_ids), mask)


class BertForQuestionAnswering(nn.Module):
    """``BertModel`` and a linear ``qa_outputs`` head: (start logits, end logits), each ``[B, L]``.

    Takes the MLPerf inputs in their order: ``input_ids``, ``input_mask``
    (HuggingFace's ``attention_mask``), ``segment_ids`` (``token_type_ids``).
    """

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.config = config
        self.bert = BertModel(config)
        self.qa_outputs = nn.Linear(config.hidden_size, 2)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.qa_outputs(self.bert(input_ids, attention_mask, token_type_ids))
        return logits[..., 0].contiguous(), logits[..., 1].contiguous()


# ---------------------------------------------------------------------------
# State dicts.

# Keys a HuggingFace / MLPerf checkpoint may carry that this network has no use for.
_IGNORED = ("pooler.", "position_ids", "cls.")


def config_from_state_dict(
    sd: Mapping[str, Any], prefix: str = "bert.", heads: int | None = None
) -> BertConfig:
    """The configuration a state dict implies. The head count is not in the shapes:
    ``heads`` if given, else hidden / 64 (BERT-Base and -Large both have 64-wide heads)."""
    try:
        vocab, hidden = sd[prefix + "embeddings.word_embeddings.weight"].shape
        positions = sd[prefix + "embeddings.position_embeddings.weight"].shape[0]
        types = sd[prefix + "embeddings.token_type_embeddings.weight"].shape[0]
        inter = sd[prefix + "encoder.layer.0.intermediate.dense.weight"].shape[0]
    except KeyError as e:
        raise ValueError(f"not a BERT state dict with HuggingFace names: no {e.args[0]!r}") from None
    layers = 0
    while f"{prefix}encoder.layer.{layers}.attention.self.query.weight" in sd:
        layers += 1
    return BertConfig(
        vocab_size=int(vocab),
        hidden_size=int(hidden),
        num_hidden_layers=layers,
        num_attention_heads=heads or max(1, int(hidden) // 64),
        intermediate_size=int(inter),
        max_position_embeddings=int(positions),
        type_vocab_size=int(types),
    )


def load_state_dict(model: nn.Module, sd: Mapping[str, torch.Tensor], source: str) -> None:
    """Strict loading, except for keys of parts this network does not have (pooler,
    pre-training heads, position_ids); a clear error names what is missing or extra."""
    kept = {k: v for k, v in sd.items() if not any(part in k for part in _IGNORED)}
    own = model.state_dict()
    missing = sorted(set(own) - set(kept))
    extra = sorted(set(kept) - set(own))
    if missing or extra:
        raise ValueError(
            f"{source}: the weights do not fit {type(model).__name__}: missing {missing[:5]}"
            f"{' ...' if len(missing) > 5 else ''}, unexpected {extra[:5]}{' ...' if len(extra) > 5 else ''}"
        )
    for k, v in kept.items():
        if tuple(v.shape) != tuple(own[k].shape):
            raise ValueError(
                f"{source}: {k} has shape {tuple(v.shape)}, the model wants {tuple(own[k].shape)}"
            )
    model.load_state_dict({k: v.to(torch.float32) for k, v in kept.items()}, assign=True)


def _config_beside(path: Path) -> BertConfig | None:
    for name in (CONFIG_FILE, "config.json"):
        if (path.parent / name).is_file():
            return BertConfig.from_json(path.parent / name)
    return None


def build_torch_model(path: str | Path) -> BertForQuestionAnswering:
    """The torch backend's model factory.

    ``path`` is a state dict with HuggingFace ``BertForQuestionAnswering``
    names (the MLPerf ``model.pytorch``; ``.pt``/``.pth``/``.pytorch``) or an
    ONNX file written by ``write_onnx`` (its initializers carry those names).
    The configuration comes from a ``bert_config.json`` or ``config.json``
    beside the file, else from the weights' shapes (heads: hidden / 64).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file {path} does not exist")
    if path.suffix == ".onnx":
        sd = {k: torch.from_numpy(v) for k, v in load_onnx_weights(path).items()}
    else:
        sd = torch.load(str(path), map_location="cpu", weights_only=True)
        if isinstance(sd, Mapping) and "state_dict" in sd and isinstance(sd["state_dict"], Mapping):
            sd = sd["state_dict"]
        if not isinstance(sd, Mapping):
            raise ValueError(f"{path}: expected a state dict, found a {type(sd).__name__}")
    config = _config_beside(path) or config_from_state_dict(sd)
    with torch.device("meta"):
        model = BertForQuestionAnswering(config)
    load_state_dict(model, sd, str(path))
    return model.eval()


# ---------------------------------------------------------------------------
# The fixed-seed model of the embedded default.


def parameter_shapes(c: BertConfig, prefix: str = "bert.") -> Iterator[tuple[str, tuple[int, ...]]]:
    """Every parameter of ``BertForQuestionAnswering(c)``, in state-dict order."""
    h, i = c.hidden_size, c.intermediate_size
    e = prefix + "embeddings."
    yield e + "word_embeddings.weight", (c.vocab_size, h)
    yield e + "position_embeddings.weight", (c.max_position_embeddings, h)
    yield e + "token_type_embeddings.weight", (c.type_vocab_size, h)
    yield e + "LayerNorm.weight", (h,)
    yield e + "LayerNorm.bias", (h,)
    for n in range(c.num_hidden_layers):
        p = f"{prefix}encoder.layer.{n}."
        for lin in (
            "attention.self.query",
            "attention.self.key",
            "attention.self.value",
            "attention.output.dense",
        ):
            yield p + lin + ".weight", (h, h)
            yield p + lin + ".bias", (h,)
        yield p + "attention.output.LayerNorm.weight", (h,)
        yield p + "attention.output.LayerNorm.bias", (h,)
        yield p + "intermediate.dense.weight", (i, h)
        yield p + "intermediate.dense.bias", (i,)
        yield p + "output.dense.weight", (h, i)
        yield p + "output.dense.bias", (h,)
        yield p + "output.LayerNorm.weight", (h,)
        yield p + "output.LayerNorm.bias", (h,)
    yield "qa_outputs.weight", (2, h)
    yield "qa_outputs.bias", (2,)


def fixed_seed_weights(c: BertConfig, seed: int = 0) -> Iterator[tuple[str, np.ndarray]]:
    """Seeded weights, one tensor at a time (so a writer never holds them all).

    BERT's initialisation: normal with std 0.02 for matrices and embeddings,
    zero biases, LayerNorm 1/0; the answer head is scaled so that its logits
    spread over a few units (std about 2). The embedded default then replaces
    that head by one fitted to its data (answer_head.py, ``replace_onnx_weights``).
    """
    rng = np.random.default_rng(seed)
    for name, shape in parameter_shapes(c):
        if name.endswith("LayerNorm.weight"):
            arr = np.ones(shape, np.float32)
        elif name.endswith(".bias"):
            arr = np.zeros(shape, np.float32)
        elif name == "qa_outputs.weight":
            arr = rng.standard_normal(shape, dtype=np.float32) * np.float32(2.0 / math.sqrt(c.hidden_size))
        else:
            arr = rng.standard_normal(shape, dtype=np.float32) * np.float32(0.02)
        yield name, arr


# ---------------------------------------------------------------------------
# ONNX.

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
                if any(part in name for part in _IGNORED):
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
