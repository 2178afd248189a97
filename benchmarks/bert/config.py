"""BERT's configuration, its parameter names and shapes, and the embedded default's
fixed-seed weights: what the torch network (model.py) and the ONNX writer
(onnx_export.py) share, in NumPy only.

BERT-Large: 24 layers, hidden 1024, 16 heads, intermediate 4096, erf GELU,
vocabulary 30522, 2 token types, 512 positions, LayerNorm epsilon 1e-12. The
parameter names are HuggingFace's ``BertForQuestionAnswering`` state-dict
keys (``bert.embeddings.word_embeddings.weight``, ...,
``bert.encoder.layer.<i>.attention.self.query.weight``, ..., ``qa_outputs``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

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


# Keys a HuggingFace / MLPerf checkpoint may carry that this network has no use for.
IGNORED_KEYS = ("pooler.", "position_ids", "cls.")


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
    that head by one fitted to its data (answer_head.py, ``onnx_export.replace_onnx_weights``).
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
