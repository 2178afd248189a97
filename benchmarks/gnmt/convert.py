"""Convert the reference GNMT checkpoint (TensorFlow variable names) into a model folder.

    python benchmarks/gnmt/convert.py --checkpoint gnmt_variables.npz --out models/gnmt
    python benchmarks/gnmt/convert.py --checkpoint ende_gnmt_model_4_layer/translate.ckpt --out models/gnmt

``--checkpoint`` is either a NumPy ``.npz`` whose keys are the TF variable
names (``dynamic_seq2seq/encoder/bidirectional_rnn/fw/basic_lstm_cell/kernel``,
with or without ``:0``), or a TF checkpoint prefix, read with
``tf.train.load_checkpoint`` when TensorFlow is installed (it is not a
dependency of this project; the ``.npz`` route needs only NumPy: dump the
variables once on a machine with TensorFlow, e.g. ``{n: r.get_tensor(n) for
n, _ in tf.train.list_variables(prefix)}``).

The output folder holds ``gnmt.json`` (sizes), ``gnmt.pt`` (torch) and the two
ONNX graphs. The mapping (model.py's docstring has the table):

* ``BasicLSTMCell`` ``kernel`` ``[in + H, 4H]`` (gates i, j, f, o; input rows
  first, then the hidden-state rows) and ``bias`` ``[4H]`` -> torch
  ``weight_ih`` ``[4H, in]``, ``weight_hh`` ``[4H, H]`` (gates i, f, g=j, o),
  ``bias_ih`` = ``bias`` with the forget bias (1.0) added to the f gate,
  ``bias_hh`` = 0;
* dense kernels ``[in, out]`` -> torch ``weight`` ``[out, in]``;
* embeddings and the attention's ``attention_v``, ``attention_g``,
  ``attention_b`` as they are.

Optimizer slots (``.../Adam``, ``.../Adam_1``) and ``global_step`` are ignored.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path

import numpy as np

FORGET_BIAS = 1.0
_TF_TO_TORCH_GATES = (0, 2, 1, 3)  # TF i, j, f, o -> torch i, f, g(=j), o

_DEC = "decoder/multi_rnn_cell/"
_ATT = _DEC + "cell_0_attention/attention/bahdanau_attention/"
# torch LSTM prefix -> (TF cell scope, torch parameter suffix)
LSTM_MAP = {
    "encoder.bi.": [
        ("encoder/bidirectional_rnn/fw/basic_lstm_cell", "_l0"),
        ("encoder/bidirectional_rnn/bw/basic_lstm_cell", "_l0_reverse"),
    ],
    "encoder.uni.0.": [("encoder/rnn/multi_rnn_cell/cell_0/basic_lstm_cell", "_l0")],
    "encoder.uni.1.": [("encoder/rnn/multi_rnn_cell/cell_1/basic_lstm_cell", "_l0")],
    "encoder.uni.2.": [("encoder/rnn/multi_rnn_cell/cell_2/basic_lstm_cell", "_l0")],
    "decoder.cells.0.": [(_DEC + "cell_0_attention/attention/basic_lstm_cell", "")],
    "decoder.cells.1.": [(_DEC + "cell_1/basic_lstm_cell", "")],
    "decoder.cells.2.": [(_DEC + "cell_2/basic_lstm_cell", "")],
    "decoder.cells.3.": [(_DEC + "cell_3/basic_lstm_cell", "")],
}
# torch name -> (TF name suffix, transpose)
PLAIN_MAP = {
    "encoder.embedding.weight": ("encoder/embedding_encoder", False),
    "decoder.embedding.weight": ("decoder/embedding_decoder", False),
    "encoder.memory_layer.weight": ("decoder/memory_layer/kernel", True),
    "decoder.attention.query_layer.weight": (_ATT + "query_layer/kernel", True),
    "decoder.attention.v": (_ATT + "attention_v", False),
    "decoder.attention.g": (_ATT + "attention_g", False),
    "decoder.attention.b": (_ATT + "attention_b", False),
    "decoder.projection.weight": ("decoder/output_projection/kernel", True),
}


class _Names:
    """TF variables by name; a wanted name matches a stored one that ends with it at a '/' boundary."""

    def __init__(self, variables: Mapping[str, np.ndarray]) -> None:
        self.vars = {}
        for name, value in variables.items():
            n = name.removesuffix(":0")
            if n.endswith(("/Adam", "/Adam_1")) or n.split("/")[-1] in ("global_step",):
                continue
            self.vars[n] = np.asarray(value)
        self.used: set[str] = set()

    def get(self, suffix: str) -> np.ndarray:
        hits = [n for n in self.vars if n == suffix or n.endswith("/" + suffix)]
        if not hits:
            raise KeyError(f"checkpoint has no variable named like '.../{suffix}'")
        if len(hits) > 1:
            raise KeyError(f"checkpoint has several variables named like '.../{suffix}': {hits}")
        self.used.add(hits[0])
        return self.vars[hits[0]]


def _gates(a: np.ndarray, h: int) -> np.ndarray:
    return np.concatenate([a[..., g * h : (g + 1) * h] for g in _TF_TO_TORCH_GATES], axis=-1)


def tf_variables_to_state_dict(
    variables: Mapping[str, np.ndarray], forget_bias: float = FORGET_BIAS
) -> tuple[dict[str, int], dict[str, np.ndarray]]:
    """TF GNMT variables -> (GNMTConfig fields, torch state dict as float32 NumPy arrays).

    Raises KeyError naming a missing variable, ValueError for a shape that does not fit."""
    names = _Names(variables)
    sd: dict[str, np.ndarray] = {}
    for torch_name, (tf_name, transpose) in PLAIN_MAP.items():
        a = names.get(tf_name).astype(np.float32)
        sd[torch_name] = np.ascontiguousarray(a.T if transpose else a)
    h = sd["decoder.projection.weight"].shape[1]
    for prefix, cells in LSTM_MAP.items():
        for scope, suf in cells:
            kernel = names.get(scope + "/kernel").astype(np.float32)
            bias = names.get(scope + "/bias").astype(np.float32)
            if kernel.ndim != 2 or kernel.shape[1] != 4 * h or bias.shape != (4 * h,):
                raise ValueError(
                    f"{scope}: kernel {kernel.shape} / bias {bias.shape} do not fit an LSTM of {h} units"
                )
            n_in = kernel.shape[0] - h
            k = _gates(kernel, h)
            b = _gates(bias, h).copy()
            b[h : 2 * h] += forget_bias  # torch's f gate block
            sd[f"{prefix}weight_ih{suf}"] = np.ascontiguousarray(k[:n_in].T)
            sd[f"{prefix}weight_hh{suf}"] = np.ascontiguousarray(k[n_in:].T)
            sd[f"{prefix}bias_ih{suf}"] = b
            sd[f"{prefix}bias_hh{suf}"] = np.zeros(4 * h, dtype=np.float32)
    sd["decoder.attention.g"] = sd["decoder.attention.g"].reshape(())
    cfg = {
        "src_vocab_size": int(sd["encoder.embedding.weight"].shape[0]),
        "tgt_vocab_size": int(sd["decoder.embedding.weight"].shape[0]),
        "units": int(h),
        "embedding_size": int(sd["encoder.embedding.weight"].shape[1]),
        "attention_units": int(sd["encoder.memory_layer.weight"].shape[0]),
    }
    return cfg, sd


def state_dict_to_tf_variables(sd: Mapping[str, np.ndarray], forget_bias: float = FORGET_BIAS) -> dict:
    """The inverse mapping (torch state dict -> TF names under ``dynamic_seq2seq/``), for tests."""
    out: dict[str, np.ndarray] = {}
    inverse_gates = np.argsort(_TF_TO_TORCH_GATES)
    for torch_name, (tf_name, transpose) in PLAIN_MAP.items():
        a = np.asarray(sd[torch_name], dtype=np.float32)
        out["dynamic_seq2seq/" + tf_name] = np.ascontiguousarray(a.T if transpose else a)
    h = np.asarray(sd["decoder.projection.weight"]).shape[1]

    def to_tf(a: np.ndarray) -> np.ndarray:
        return np.concatenate([a[..., g * h : (g + 1) * h] for g in inverse_gates], axis=-1)

    for prefix, cells in LSTM_MAP.items():
        for scope, suf in cells:
            w_ih = np.asarray(sd[f"{prefix}weight_ih{suf}"], dtype=np.float32)
            w_hh = np.asarray(sd[f"{prefix}weight_hh{suf}"], dtype=np.float32)
            b = np.asarray(sd[f"{prefix}bias_ih{suf}"], dtype=np.float32) + np.asarray(
                sd[f"{prefix}bias_hh{suf}"], dtype=np.float32
            )
            b = b.copy()
            b[h : 2 * h] -= forget_bias
            out[f"dynamic_seq2seq/{scope}/kernel"] = to_tf(np.concatenate([w_ih.T, w_hh.T], axis=0))
            out[f"dynamic_seq2seq/{scope}/bias"] = to_tf(b)
    return out


def write_model_folder(cfg: Mapping[str, int], sd: Mapping[str, np.ndarray], folder: str | Path) -> Path:
    """gnmt.json, gnmt.pt and the two ONNX graphs into ``folder``."""
    import torch

    from .graphs import export_onnx
    from .model import GNMT, GNMTConfig, save_model

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config = GNMTConfig(**cfg)
    model = GNMT(config)
    model.load_state_dict({k: torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in sd.items()})
    save_model(model, folder / "gnmt.pt")
    export_onnx({k: np.asarray(v, dtype=np.float32) for k, v in sd.items()}, folder)
    (folder / "gnmt.json").write_text(json.dumps(asdict(config), indent=2) + "\n", encoding="utf-8")
    return folder


def read_checkpoint(path: str | Path) -> dict[str, np.ndarray]:
    p = Path(path)
    if p.suffix == ".npz":
        with np.load(p) as z:
            return {k: z[k] for k in z.files}
    try:
        import tensorflow as tf  # type: ignore[import-not-found]
    except ImportError:
        raise ImportError(
            f"{path}: reading a TF checkpoint needs tensorflow; or give an .npz of its variables"
        ) from None
    reader = tf.train.load_checkpoint(str(p))
    return {n: reader.get_tensor(n) for n, _ in tf.train.list_variables(str(p))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", required=True, help=".npz of TF variables, or a TF checkpoint prefix")
    ap.add_argument("--out", required=True, help="model folder to write")
    args = ap.parse_args(argv)
    try:
        cfg, sd = tf_variables_to_state_dict(read_checkpoint(args.checkpoint))
    except (KeyError, ValueError, OSError, ImportError) as e:
        print(f"error: {args.checkpoint}: {e}", file=sys.stderr)
        return 2
    folder = write_model_folder(cfg, sd, args.out)
    print(f"wrote {folder} ({cfg})")
    return 0


if __name__ == "__main__":
    if __package__ in (None, ""):
        from loadgen.harness.script import benchmark_folder

        benchmark_folder(__file__)
        from gnmt.convert import main as _main

        sys.exit(_main())
    sys.exit(main())
