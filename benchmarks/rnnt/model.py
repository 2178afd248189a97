"""The MLPerf RNN-T in plain torch, its two ONNX graphs, and the fixed-seed model.

Architecture (shared/spec/benchmarks.md §4.3, ``rnnt.toml``), sizes of the
reference in brackets:

* encoder: LSTM 240 -> H [1024], ``pre`` [2] layers; time stacking x2 (the
  valid frames zeroed past each utterance's end, padded to even, adjacent
  frames concatenated -> 2H, length ``ceil(T / 2)``); LSTM 2H -> H, ``post``
  [3] layers;
* prediction net: an embedding of the 28 non-blank symbols to P [320]; LSTM
  P -> P, [2] layers; the first step feeds a zero vector from a zero state;
* joint: ``[encoder frame (H), prediction output (P)]`` -> Linear -> J [512]
  -> ReLU -> (dropout, inactive) -> Linear -> 29 logits (blank = 28).

Parameter names are the reference's after its renames, so the reference
checkpoint (``rnnt.pt``: a dict whose ``state_dict`` uses ``joint_net.*`` and
carries the featurizer's ``fb`` and ``window``) loads with
``load_reference_checkpoint``: ``encoder.pre_rnn.lstm.*``,
``encoder.post_rnn.lstm.*``, ``prediction.embed.weight``,
``prediction.dec_rnn.lstm.*``, ``joint.net.0.*`` and ``joint.net.3.*``. The
sizes are read off the weights (``RNNTConfig.from_state_dict``), so the same
code runs the reference model, the embedded default's smaller one and the
tests' tiny ones.

Two graphs serve both backends, and the greedy loop (decoder.py) drives them:

* ``EncoderGraph``: features ``[T, B, 240]`` and lengths ``[B]`` ->
  encoded ``[T', B, H]`` and lengths ``[B]``;
* ``DecoderStep`` (prediction + joint, one step): an encoder frame
  ``[B, H]``, the last symbol ``[B]`` (``SOS`` = 28 = the blank id, which is
  never fed otherwise, stands for "no symbol yet": a zero embedding) and the
  prediction state ``h, c [L, B, P]`` -> logits ``[B, 29]`` and the state
  after the symbol.

``export_onnx`` writes both as ONNX files (``rnnt_encoder.onnx``,
``rnnt_decoder.onnx``) with torch's TorchScript-based exporter, from a
batch-2 example so that no LSTM batch size is fixed at 1.
"""

from __future__ import annotations

import io
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

N_CLASSES = 29  # 28 symbols + blank
BLANK = 28
SOS = BLANK  # fed to the prediction net before the first symbol: a zero embedding
ENCODER_FILE = "rnnt_encoder.onnx"
DECODER_FILE = "rnnt_decoder.onnx"
ENCODER_INPUTS = ("features", "feature_lengths")
ENCODER_OUTPUTS = ("encoded", "encoded_lengths")
DECODER_INPUTS = ("encoder_frame", "symbol", "h_in", "c_in")
DECODER_OUTPUTS = ("logits", "h_out", "c_out")


@dataclass(frozen=True)
class RNNTConfig:
    """Sizes; the defaults are the reference's (45.3 M parameters)."""

    in_features: int = 240
    enc_hidden: int = 1024
    pre_layers: int = 2
    post_layers: int = 3
    stack_factor: int = 2
    pred_hidden: int = 320
    pred_layers: int = 2
    joint_hidden: int = 512
    n_classes: int = N_CLASSES

    @classmethod
    def from_state_dict(cls, sd: Mapping[str, torch.Tensor]) -> RNNTConfig:
        def layers(prefix: str) -> int:
            n = 0
            while f"{prefix}.lstm.weight_ih_l{n}" in sd:
                n += 1
            if n == 0:
                raise ValueError(f"state dict has no {prefix}.lstm.weight_ih_l0")
            return n

        try:
            enc_hidden = int(sd["encoder.pre_rnn.lstm.weight_hh_l0"].shape[1])
            return cls(
                in_features=int(sd["encoder.pre_rnn.lstm.weight_ih_l0"].shape[1]),
                enc_hidden=enc_hidden,
                pre_layers=layers("encoder.pre_rnn"),
                post_layers=layers("encoder.post_rnn"),
                stack_factor=int(sd["encoder.post_rnn.lstm.weight_ih_l0"].shape[1]) // enc_hidden,
                pred_hidden=int(sd["prediction.embed.weight"].shape[1]),
                pred_layers=layers("prediction.dec_rnn"),
                joint_hidden=int(sd["joint.net.0.weight"].shape[0]),
                n_classes=int(sd["joint.net.3.weight"].shape[0]),
            )
        except KeyError as e:
            raise ValueError(f"not an RNN-T state dict: no {e.args[0]!r}") from None


class LstmStack(nn.Module):
    """The reference's LSTM wrapper: the ``torch.nn.LSTM`` is its ``lstm``."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int) -> None:
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers)


class Encoder(nn.Module):
    def __init__(self, cfg: RNNTConfig) -> None:
        super().__init__()
        if cfg.stack_factor != 2:
            raise ValueError(f"time stacking x{cfg.stack_factor}: only x2 (the reference's) is implemented")
        self.pre_rnn = LstmStack(cfg.in_features, cfg.enc_hidden, cfg.pre_layers)
        self.post_rnn = LstmStack(cfg.stack_factor * cfg.enc_hidden, cfg.enc_hidden, cfg.post_layers)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``[T, B, F]``, ``[B]`` -> ``[ceil(T/2), B, H]``, ``ceil(lengths / 2)``."""
        y, _ = self.pre_rnn.lstm(x)
        steps = torch.arange(y.shape[0], device=y.device).unsqueeze(1)  # [T, 1]
        y = y * (steps < lengths.unsqueeze(0)).unsqueeze(2).to(y.dtype)
        # Frame t next to frame t + 1 (a zero frame past the end), every second kept.
        following = torch.cat((y[1:], torch.zeros_like(y[:1])), dim=0)
        stacked = torch.cat((y, following), dim=2)[::2]
        out, _ = self.post_rnn.lstm(stacked)
        return out, torch.div(lengths + 1, 2, rounding_mode="floor")


class Prediction(nn.Module):
    def __init__(self, cfg: RNNTConfig) -> None:
        super().__init__()
        self.embed = nn.Embedding(cfg.n_classes - 1, cfg.pred_hidden)
        self.dec_rnn = LstmStack(cfg.pred_hidden, cfg.pred_hidden, cfg.pred_layers)


class Joint(nn.Module):
    def __init__(self, cfg: RNNTConfig) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(cfg.enc_hidden + cfg.pred_hidden, cfg.joint_hidden),
            nn.ReLU(),
            nn.Dropout(0.0),  # the reference trains with dropout here; inactive in inference
            nn.Linear(cfg.joint_hidden, cfg.n_classes),
        )


class RNNT(nn.Module):
    """The three parts with the reference's parameter names."""

    def __init__(self, cfg: RNNTConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or RNNTConfig()
        self.encoder = Encoder(self.cfg)
        self.prediction = Prediction(self.cfg)
        self.joint = Joint(self.cfg)


class EncoderGraph(nn.Module):
    """The encoder as the first graph: (features, lengths) -> (encoded, lengths)."""

    def __init__(self, model: RNNT) -> None:
        super().__init__()
        self.encoder = model.encoder

    def forward(self, features: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.encoder(features, lengths)


class DecoderStep(nn.Module):
    """Prediction net + joint for one step, as the second graph."""

    def __init__(self, model: RNNT) -> None:
        super().__init__()
        self.lstm = model.prediction.dec_rnn.lstm
        self.joint = model.joint.net
        emb = model.prediction.embed.weight
        # Row SOS (= blank) is the zero vector the reference feeds before the first symbol.
        self.register_buffer("table", torch.cat((emb.detach(), emb.new_zeros(1, emb.shape[1]))), False)

    def forward(
        self, frame: torch.Tensor, symbol: torch.Tensor, h: torch.Tensor, c: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        emb = torch.nn.functional.embedding(symbol, self.table).unsqueeze(0)  # [1, B, P]
        g, (h2, c2) = self.lstm(emb, (h, c))
        return self.joint(torch.cat((frame, g[0]), dim=1)), h2, c2


class FusedDecoderStep(nn.Module):
    """``DecoderStep``'s arithmetic written out (one ``addmm`` pair per LSTM
    layer, the gates by hand), for the torch backend's greedy loop: the step
    is so small that ``nn.LSTM``'s per-call overhead dominates it (measured:
    about 0.4 ms against 1.1 ms per step, small model, one thread). Same
    weights, same results up to float rounding; ``DecoderStep`` stays the
    source of the ONNX graph."""

    def __init__(self, model: RNNT) -> None:
        super().__init__()
        step = DecoderStep(model)
        lstm = step.lstm
        self.register_buffer("table", step.table, False)
        self.layers = lstm.num_layers
        for i in range(self.layers):
            w_ih = getattr(lstm, f"weight_ih_l{i}").detach()
            w_hh = getattr(lstm, f"weight_hh_l{i}").detach()
            bias = (getattr(lstm, f"bias_ih_l{i}") + getattr(lstm, f"bias_hh_l{i}")).detach()
            self.register_buffer(f"w_ih{i}", w_ih.T.contiguous(), False)
            self.register_buffer(f"w_hh{i}", w_hh.T.contiguous(), False)
            self.register_buffer(f"b{i}", bias, False)
        first, last = model.joint.net[0], model.joint.net[3]
        self.register_buffer("j0_w", first.weight.detach().T.contiguous(), False)
        self.register_buffer("j0_b", first.bias.detach().clone(), False)
        self.register_buffer("j3_w", last.weight.detach().T.contiguous(), False)
        self.register_buffer("j3_b", last.bias.detach().clone(), False)

    def forward(
        self, frame: torch.Tensor, symbol: torch.Tensor, h: torch.Tensor, c: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = torch.nn.functional.embedding(symbol, self.table)
        hs, cs = [], []
        for i in range(self.layers):
            gates = torch.addmm(getattr(self, f"b{i}"), x, getattr(self, f"w_ih{i}"))
            gates = gates.addmm_(h[i], getattr(self, f"w_hh{i}"))
            in_gate, forget, cell, out_gate = gates.chunk(4, 1)  # torch's gate order
            c_new = torch.sigmoid(forget) * c[i] + torch.sigmoid(in_gate) * torch.tanh(cell)
            x = torch.sigmoid(out_gate) * torch.tanh(c_new)
            hs.append(x)
            cs.append(c_new)
        hidden = torch.relu(torch.addmm(self.j0_b, torch.cat((frame, x), dim=1), self.j0_w))
        return torch.addmm(self.j3_b, hidden, self.j3_w), torch.stack(hs), torch.stack(cs)


# ---------------------------------------------------------------------------
# Loading.


def migrate_reference_state_dict(sd: Mapping[str, Any]) -> dict[str, torch.Tensor]:
    """The reference's renames: ``joint_net`` -> ``joint.net``; the featurizer's
    buffers (``audio_preprocessor.featurizer.fb``/``.window``) dropped. A
    ``module.`` prefix (a DistributedDataParallel wrapper) is removed too."""
    out: dict[str, torch.Tensor] = {}
    for key, value in sd.items():
        key = key.removeprefix("module.")
        if key.startswith("audio_preprocessor."):
            continue
        out[key.replace("joint_net", "joint.net")] = value
    return out


def load_state_dict_file(path: str | Path) -> dict[str, torch.Tensor]:
    """A state dict from a file: our ``torch.save(model.state_dict())``, or the
    reference checkpoint (a dict with ``state_dict``), migrated."""
    try:
        obj = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - pickles with more than tensors: see below
        # The reference checkpoint was written by an older torch and may hold
        # objects the safe loader refuses; the file is one the user named.
        print(
            f"note: {path}: safe loading failed ({type(e).__name__}); loading it as a full pickle",
            file=sys.stderr,
        )
        obj = torch.load(str(path), map_location="cpu", weights_only=False)
    if isinstance(obj, Mapping) and "state_dict" in obj:
        obj = obj["state_dict"]
    if not isinstance(obj, Mapping):
        raise ValueError(f"{path}: expected a state dict or a checkpoint dict with 'state_dict'")  # noqa: TRY004
    return migrate_reference_state_dict(obj)


def build_model(state_dict: Mapping[str, torch.Tensor]) -> RNNT:
    model = RNNT(RNNTConfig.from_state_dict(state_dict))
    missing, unexpected = model.load_state_dict(dict(state_dict), strict=False)
    if missing or unexpected:
        raise ValueError(f"RNN-T state dict mismatch: missing {missing}, unexpected {unexpected}")
    return model.eval()


def load_model(path: str | Path) -> RNNT:
    return build_model(load_state_dict_file(path))


# ---------------------------------------------------------------------------
# The fixed-seed model of the embedded default.

EMBEDDED_CONFIGS = {
    # The reference's layers at a quarter of its width: a 2-core machine runs
    # it well inside the Server bound (the full size is ~16x the arithmetic).
    "small": RNNTConfig(enc_hidden=256, pred_hidden=128, joint_hidden=256),
    "full": RNNTConfig(),
    # The same layers, tiny: for the tests.
    "tiny": RNNTConfig(enc_hidden=32, pred_hidden=16, joint_hidden=96),
}


def make_fixed_seed_model(
    cfg: RNNTConfig, calibration: list[tuple[torch.Tensor, torch.Tensor]], seed: int = 0
) -> RNNT:
    """An RNN-T with seeded weights whose greedy output behaves like a trained
    model's: a few symbols per second, no runaway repeats.

    The encoder and prediction net keep torch's default initialisation
    (seeded). The joint (at least ``3 x 28`` hidden units) is built from
    seeded random projections, calibrated on ``calibration`` only (features
    ``[T, 1, 240]`` and lengths of a few utterances):

    * each symbol ``k`` gets a score ``A_k(frame)``: a random projection of
      the encoder frame, standardised per symbol over the calibration frames
      and scaled (wide arg-max margins, so decisions do not flip between
      backends or batch sizes); the symbol logits are these scores (the
      space favoured a little, so words are a few letters long);
    * the blank logit is a threshold (set so that about a third of the
      calibration frames emit) plus ``relu(A_k(frame) - M (1 - r_k(pred)))``
      summed over ``k``, where ``r(pred)`` is a least-squares read-out of the
      last emitted symbol from the prediction output: once a frame's best
      symbol has been emitted, blank wins, so a frame emits at most about one
      symbol and a symbol held over several frames is emitted once.

    A fixed, deterministic function of the seed and the calibration audio.
    """
    n_sym = cfg.n_classes - 1
    if cfg.joint_hidden < 3 * n_sym:
        raise ValueError(f"the fixed-seed model needs joint_hidden >= {3 * n_sym}, got {cfg.joint_hidden}")
    torch_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        model = RNNT(cfg).eval()
    finally:
        torch.random.set_rng_state(torch_state)
    gen = torch.Generator().manual_seed(seed + 1)
    first, last = model.joint.net[0], model.joint.net[3]
    h_enc = cfg.enc_hidden
    scale, gate = 3.0, 12.0
    with torch.no_grad():
        frames = []
        for feats, lens in calibration:
            enc, enc_len = model.encoder(feats, lens)
            frames.append(enc[: int(enc_len[0]), 0])
        f = torch.cat(frames)
        proj = torch.randn(n_sym, h_enc, generator=gen)
        scores = f @ proj.T
        mu, sd = scores.mean(0), scores.std(0).clamp_min(1e-6)
        w_a = proj * (scale / sd).unsqueeze(1)  # A(f) = w_a f + b_a
        b_a = -mu * scale / sd

        # Read the last symbol off the prediction output (least squares).
        hist = torch.randint(0, n_sym, (64, 24), generator=gen)
        g, _ = model.prediction.dec_rnn.lstm(model.prediction.embed(hist.T))  # [24, 64, P]
        g = g.reshape(-1, cfg.pred_hidden)
        target = torch.nn.functional.one_hot(hist.T.reshape(-1), n_sym).to(g.dtype)
        design = torch.cat((g, torch.ones(len(g), 1)), 1)
        sol = torch.linalg.lstsq(design, target).solution  # [P + 1, n_sym]
        w_r, b_r = sol[:-1].T, sol[-1]

        first.weight.zero_()
        first.bias.zero_()
        last.weight.zero_()
        last.bias.zero_()
        k = torch.arange(n_sym)
        first.weight[k, :h_enc] = w_a
        first.bias[k] = b_a
        first.weight[n_sym + k, :h_enc] = -w_a
        first.bias[n_sym + k] = -b_a
        first.weight[2 * n_sym + k, :h_enc] = w_a
        first.weight[2 * n_sym + k, h_enc:] = gate * w_r
        first.bias[2 * n_sym + k] = b_a + gate * (b_r - 1.0)
        last.weight[k, k] = 1.0
        last.weight[k, n_sym + k] = -1.0
        last.weight[BLANK, 2 * n_sym + k] = 1.0
        bias = torch.zeros(cfg.n_classes)
        bias[0] = 0.5 * scale  # the space
        a = f @ w_a.T + b_a + bias[:n_sym]
        bias[BLANK] = float(torch.quantile(a.max(1).values, 0.4))
        last.bias.copy_(bias)
    return model


# ---------------------------------------------------------------------------
# ONNX.


def export_onnx(model: RNNT, folder: str | Path, opset: int = 17) -> tuple[Path, Path]:
    """Write ``rnnt_encoder.onnx`` and ``rnnt_decoder.onnx`` into ``folder``.

    Time and batch axes are symbolic. The example batch is 2: exported from
    a batch of 1, an LSTM's batch can end up fixed at 1.
    """
    import onnx

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cfg = model.cfg
    enc_args = (torch.randn(9, 2, cfg.in_features), torch.tensor([9, 6], dtype=torch.int64))
    h = torch.zeros(cfg.pred_layers, 2, cfg.pred_hidden)
    dec_args = (torch.randn(2, cfg.enc_hidden), torch.tensor([SOS, 3], dtype=torch.int64), h, h.clone())
    jobs = (
        (
            EncoderGraph(model),
            enc_args,
            ENCODER_FILE,
            ENCODER_INPUTS,
            ENCODER_OUTPUTS,
            {
                "features": {0: "T", 1: "B"},
                "feature_lengths": {0: "B"},
                "encoded": {0: "T2", 1: "B"},
                "encoded_lengths": {0: "B"},
            },
        ),
        (
            DecoderStep(model),
            dec_args,
            DECODER_FILE,
            DECODER_INPUTS,
            DECODER_OUTPUTS,
            {
                "encoder_frame": {0: "B"},
                "symbol": {0: "B"},
                "h_in": {1: "B"},
                "c_in": {1: "B"},
                "logits": {0: "B"},
                "h_out": {1: "B"},
                "c_out": {1: "B"},
            },
        ),
    )
    paths = []
    for module, args, name, inputs, outputs, axes in jobs:
        buf = io.BytesIO()
        with warnings.catch_warnings():
            # The TorchScript-based exporter is deprecated in favour of the
            # dynamo one, which needs onnxscript; its LSTM batch note is what
            # the batch-2 example addresses.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                module.eval(),
                args,
                buf,
                input_names=list(inputs),
                output_names=list(outputs),
                dynamic_axes=axes,
                opset_version=opset,
                dynamo=False,
            )
        proto = onnx.load_from_string(buf.getvalue())
        onnx.checker.check_model(proto)
        path = folder / name
        tmp = path.with_suffix(".tmp")
        onnx.save(proto, str(tmp))
        tmp.replace(path)
        paths.append(path)
    return paths[0], paths[1]


def count_parameters(model: nn.Module) -> int:
    return sum(int(np.prod(p.shape)) for p in model.parameters())
