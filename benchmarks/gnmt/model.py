"""GNMT (the TensorFlow NMT "gnmt" configuration, ``gnmt_v2`` attention) in plain torch.

Architecture (shared/spec/benchmarks.md §6.2), ``H`` = ``units`` (1024 in the
MLPerf model), ``E`` = ``embedding_size`` (1024), ``A`` = ``attention_units``
(1024), separate source and target embeddings:

* encoder: embedding -> layer 1 bidirectional LSTM (forward and backward
  outputs concatenated, 2H) -> three unidirectional LSTM layers; the top two
  add their input to their output (residual);
* decoder, one step (``GNMT.step``): the bottom LSTM takes the target
  embedding concatenated with the previous context vector; its output is the
  query of a normalised Bahdanau attention over the top encoder outputs
  (``score = sum(g * v / |v| * tanh(keys + W_q q + b))``, keys = ``W_m``
  memory, padding masked, softmax, context = weighted sum of the memory); the
  new context is concatenated to the input of each of the three upper layers;
  the top two add their non-attention input (residual); the top output goes
  through the projection to the target vocabulary (no bias) and a log-softmax;
* initial decoder state: layer 1 starts from the backward LSTM's final state,
  layers 2-4 from the final states of encoder layers 2-4 (TF NMT's
  ``pass_hidden_state``); the first context vector is zero; the first input
  is ``<s>``.

The step returns what beam search needs rather than the full distribution:
the ``k`` best non-``</s>`` log-probabilities and their ids, and the ``</s>``
log-probability (see beam.py for why that is exact).

LSTM cells are TF's ``BasicLSTMCell`` (gates i, j, f, o; forget bias 1.0),
written as torch LSTMs: the forget bias is folded into ``bias_ih`` and
``bias_hh`` is zero (convert.py).

Parameter names (the torch state dict; convert.py maps the TF checkpoint):

==========================================  ==============================  =========================================================
torch name                                  shape                           TF variable (under ``dynamic_seq2seq/``)
==========================================  ==============================  =========================================================
encoder.embedding.weight                    [V_src, E]                      ``encoder/embedding_encoder`` (or ``embeddings/encoder/...``)
encoder.bi.{weight_ih,weight_hh,bias_ih,    [4H, E], [4H, H], [4H], [4H]    ``encoder/bidirectional_rnn/fw/basic_lstm_cell/{kernel,bias}``
bias_hh}_l0 (``_reverse``: backward)                                        (``.../bw/...`` for ``_reverse``)
encoder.uni.{0,1,2}.*_l0                    in 2H (layer 0) or H            ``encoder/rnn/multi_rnn_cell/cell_{0,1,2}/basic_lstm_cell/...``
encoder.memory_layer.weight                 [A, H]                          ``decoder/memory_layer/kernel`` (transposed)
decoder.embedding.weight                    [V_tgt, E]                      ``decoder/embedding_decoder``
decoder.cells.0.{weight_ih,weight_hh,...}   [4H, E + H], [4H, H], ...       ``decoder/multi_rnn_cell/cell_0_attention/attention/basic_lstm_cell/...``
decoder.cells.{1,2,3}.*                     [4H, 2H], [4H, H], ...          ``decoder/multi_rnn_cell/cell_{1,2,3}/basic_lstm_cell/...``
decoder.attention.query_layer.weight        [A, H]                          ``.../attention/bahdanau_attention/query_layer/kernel`` (transposed)
decoder.attention.v, .g, .b                 [A], [], [A]                    ``.../bahdanau_attention/attention_{v,g,b}``
decoder.projection.weight                   [V_tgt, H]                      ``decoder/output_projection/kernel`` (transposed)
==========================================  ==============================  =========================================================

A model file (``gnmt.pt``) is ``{"config": GNMTConfig fields, "state_dict": ...}``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

EOS_ID = 2
DECODER_LAYERS = 4
TORCH_FILE = "gnmt.pt"


@dataclass(frozen=True)
class GNMTConfig:
    """Sizes. The MLPerf model: 1024 everywhere and the 32000-merge BPE vocabularies."""

    src_vocab_size: int
    tgt_vocab_size: int
    units: int = 1024
    embedding_size: int = 1024
    attention_units: int = 1024

    def __post_init__(self) -> None:
        for name, v in asdict(self).items():
            if v < 1:
                raise ValueError(f"GNMTConfig.{name} = {v}: must be >= 1")
        if self.tgt_vocab_size < 4:
            raise ValueError(
                f"GNMTConfig.tgt_vocab_size = {self.tgt_vocab_size}: needs <unk> <s> </s> and a word"
            )


class GNMTEncoder(nn.Module):
    def __init__(self, cfg: GNMTConfig) -> None:
        super().__init__()
        h = cfg.units
        self.embedding = nn.Embedding(cfg.src_vocab_size, cfg.embedding_size)
        self.bi = nn.LSTM(cfg.embedding_size, h, bidirectional=True)
        self.uni = nn.ModuleList([nn.LSTM(2 * h, h), nn.LSTM(h, h), nn.LSTM(h, h)])
        self.memory_layer = nn.Linear(h, cfg.attention_units, bias=False)

    def forward(
        self, source_ids: torch.Tensor, source_lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """[B, S] ids, [B] lengths -> memory [B, S, H], keys [B, S, A], h and c [4, B, H]."""
        s = source_ids.shape[1]
        x = self.embedding(source_ids).transpose(0, 1)  # [S, B, E]
        packed = pack_padded_sequence(x, source_lengths.cpu(), enforce_sorted=False)
        out, (h, c) = self.bi(packed)
        hs, cs = [h[1]], [c[1]]  # the backward direction's final state
        for i, lstm in enumerate(self.uni):
            y, (h, c) = lstm(out)
            out = y._replace(data=y.data + out.data) if i >= 1 else y
            hs.append(h[0])
            cs.append(c[0])
        memory = pad_packed_sequence(out, total_length=s)[0].transpose(0, 1).contiguous()
        return memory, self.memory_layer(memory), torch.stack(hs), torch.stack(cs)


class NormedBahdanauAttention(nn.Module):
    def __init__(self, query_size: int, units: int) -> None:
        super().__init__()
        self.query_layer = nn.Linear(query_size, units, bias=False)
        self.v = nn.Parameter(torch.empty(units))
        self.g = nn.Parameter(torch.tensor(units**-0.5))
        self.b = nn.Parameter(torch.zeros(units))

    def normed_v(self) -> torch.Tensor:
        return self.g * self.v * torch.rsqrt((self.v * self.v).sum())

    def forward(
        self, query: torch.Tensor, keys: torch.Tensor, memory: torch.Tensor, source_lengths: torch.Tensor
    ) -> torch.Tensor:
        """query [N, H] with N = B * K rows (K per sentence) -> context [N, H]."""
        b, s, a = keys.shape
        q = self.query_layer(query).view(b, -1, a)  # [B, K, A]
        score = (self.normed_v() * torch.tanh(keys[:, None] + q[:, :, None] + self.b)).sum(-1)  # [B, K, S]
        valid = torch.arange(s, device=keys.device)[None, :] < source_lengths[:, None]  # [B, S]
        score = score.masked_fill(~valid[:, None, :], float("-inf"))
        context = torch.softmax(score, dim=-1) @ memory  # [B, K, H]
        return context.reshape(-1, memory.shape[-1])


class GNMTDecoder(nn.Module):
    def __init__(self, cfg: GNMTConfig) -> None:
        super().__init__()
        h = cfg.units
        self.embedding = nn.Embedding(cfg.tgt_vocab_size, cfg.embedding_size)
        self.cells = nn.ModuleList(
            [nn.LSTMCell(cfg.embedding_size + h, h)] + [nn.LSTMCell(2 * h, h) for _ in range(3)]
        )
        self.attention = NormedBahdanauAttention(h, cfg.attention_units)
        self.projection = nn.Linear(h, cfg.tgt_vocab_size, bias=False)


class GNMT(nn.Module):
    def __init__(self, cfg: GNMTConfig) -> None:
        super().__init__()
        self.config = cfg
        self.encoder = GNMTEncoder(cfg)
        self.decoder = GNMTDecoder(cfg)

    def encode(
        self, source_ids: torch.Tensor, source_lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.encoder(source_ids, source_lengths)

    def step_logprobs(
        self,
        tokens: torch.Tensor,
        context: torch.Tensor,
        h: torch.Tensor,
        c: torch.Tensor,
        memory: torch.Tensor,
        keys: torch.Tensor,
        source_lengths: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """One decoder step on N rows: log-probabilities [N, V], new context, h, c."""
        d = self.decoder
        h0, c0 = d.cells[0](torch.cat([d.embedding(tokens), context], 1), (h[0], c[0]))
        context = d.attention(h0, keys, memory, source_lengths)
        hs, cs, out = [h0], [c0], h0
        for i in range(1, DECODER_LAYERS):
            hi, ci = d.cells[i](torch.cat([out, context], 1), (h[i], c[i]))
            out = hi + out if i >= 2 else hi
            hs.append(hi)
            cs.append(ci)
        logp = torch.log_softmax(d.projection(out), dim=-1)
        return logp, context, torch.stack(hs), torch.stack(cs)

    def step(
        self,
        tokens: torch.Tensor,
        context: torch.Tensor,
        h: torch.Tensor,
        c: torch.Tensor,
        memory: torch.Tensor,
        keys: torch.Tensor,
        source_lengths: torch.Tensor,
        k: int,
    ) -> tuple[torch.Tensor, ...]:
        """One step -> (top-k non-EOS log-probs [N, k], their ids, EOS log-prob [N], context, h, c)."""
        logp, context, h, c = self.step_logprobs(tokens, context, h, c, memory, keys, source_lengths)
        eos = logp[:, EOS_ID]
        masked = logp.clone()
        masked[:, EOS_ID] = float("-inf")
        top_v, top_i = masked.topk(k, dim=-1)
        return top_v, top_i, eos, context, h, c


def make_fixed_seed_model(cfg: GNMTConfig, seed: int = 0) -> GNMT:
    """An untrained GNMT whose beam search still makes clear, varied choices.

    Weights are uniform in [-w, w]: TF NMT's initialiser has w = 0.1, which
    leaves an untrained model repeating one token; here the LSTM and attention
    weights have w = 0.8 (lively, input-dependent states), the embeddings 1.0
    and the projection 2.0 (peaked next-token distributions: clear choices,
    not near-ties that float rounding could flip between backends), with the
    </s> row 1.5 x wider so that some translations end before the length limit.
    These widths are for up to 64 units; for ``units`` H > 64 the LSTM,
    attention and projection widths are scaled by sqrt(64 / H), so that a larger model's
    pre-activations stay alike (unscaled, 1024 units saturate every gate and
    the backends' rounding differences grow into different translations)."""
    gen = torch.Generator().manual_seed(seed)
    model = GNMT(cfg)
    scale = min(1.0, (64 / cfg.units) ** 0.5)  # the widths below are for <= 64 units
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name == "decoder.projection.weight":
                width = 2.0 * scale
            elif "embedding" in name:
                width = 1.0
            else:
                width = 0.8 * scale
            p.copy_((torch.rand(p.shape, generator=gen) * 2 - 1) * width)
        model.decoder.projection.weight[EOS_ID] *= 1.5
        model.decoder.attention.g.fill_(cfg.attention_units**-0.5)
        model.decoder.attention.b.zero_()
        for name, p in model.named_parameters():
            if "bias_hh" in name:  # TF's cells have one bias: keep the model convertible both ways
                p.zero_()
    return model.eval()


def save_model(model: GNMT, path: str | Path) -> None:
    torch.save({"config": asdict(model.config), "state_dict": model.state_dict()}, str(path))


def load_model(path: str | Path) -> GNMT:
    """A ``gnmt.pt`` file, or a folder holding one."""
    p = Path(path)
    if p.is_dir():
        p = p / TORCH_FILE
    if not p.is_file():
        raise FileNotFoundError(f"{p}: no GNMT torch model (a {TORCH_FILE} file written by convert.py)")
    blob = torch.load(str(p), map_location="cpu", weights_only=True)
    if not isinstance(blob, dict) or "config" not in blob or "state_dict" not in blob:
        raise ValueError(f"{p}: not a GNMT model file (expected a dict with 'config' and 'state_dict')")
    model = GNMT(GNMTConfig(**blob["config"]))
    missing, unexpected = model.load_state_dict(blob["state_dict"], strict=False)
    if missing or unexpected:
        raise ValueError(f"{p}: state dict does not match GNMT: missing {missing}, unexpected {unexpected}")
    return model.eval()
