"""BERT for question answering in plain torch, and loading its weights (state dict or ONNX file).

``BertForQuestionAnswering`` has the parameter names of HuggingFace's class of
that name (``bert.embeddings.word_embeddings.weight``, ...,
``bert.encoder.layer.<i>.attention.self.query.weight``, ..., ``qa_outputs``),
so the MLPerf ``model.pytorch`` state dict loads as it is; ``BertModel`` (the
encoder alone) has those names without the ``bert.`` prefix, as HuggingFace's
``BertModel``. BERT-Large: 24 layers, hidden 1024, 16 heads, intermediate
4096, erf GELU, vocabulary 30522, 2 token types, 512 positions, LayerNorm
epsilon 1e-12.

The configuration and parameter shapes are in config.py, the ONNX form in
onnx_export.py; ``build_torch_model`` reads either a state dict or an ONNX
file written there.

torch is imported at module level: import this module only where torch is
wanted.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from . import config as cfg
from .config import BertConfig
from .onnx_export import load_onnx_weights

INPUT_NAMES, OUTPUT_NAMES = cfg.INPUT_NAMES, cfg.OUTPUT_NAMES

# The network's interface (input and output names, configuration) travels with it.
__all__ = [
    "INPUT_NAMES",
    "OUTPUT_NAMES",
    "BertConfig",
    "BertForQuestionAnswering",
    "BertModel",
    "build_torch_model",
]


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
        mask = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * cfg.MASK_VALUE
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


def load_state_dict(model: nn.Module, sd: Mapping[str, torch.Tensor], source: str) -> None:
    """Strict loading, except for keys of parts this network does not have (pooler,
    pre-training heads, position_ids); a clear error names what is missing or extra."""
    kept = {k: v for k, v in sd.items() if not any(part in k for part in cfg.IGNORED_KEYS)}
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
    for name in (cfg.CONFIG_FILE, "config.json"):
        if (path.parent / name).is_file():
            return BertConfig.from_json(path.parent / name)
    return None


def build_torch_model(path: str | Path) -> BertForQuestionAnswering:
    """The torch backend's model factory.

    ``path`` is a state dict with HuggingFace ``BertForQuestionAnswering``
    names (the MLPerf ``model.pytorch``; ``.pt``/``.pth``/``.pytorch``) or an
    ONNX file written by ``onnx_export.write_onnx`` (its initializers carry those names).
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
    config = _config_beside(path) or cfg.config_from_state_dict(sd)
    with torch.device("meta"):
        model = BertForQuestionAnswering(config)
    load_state_dict(model, sd, str(path))
    return model.eval()
