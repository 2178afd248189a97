"""The torch backend: transformers' ``LlamaForCausalLM`` on the GGUF converted to safetensors.

``--backend torch --model FILE.gguf`` converts the GGUF once with transformers
(convert.py, dequantised FP32, cached); ``--model FOLDER`` takes a
transformers folder as is (config.json + safetensors, e.g. a real
Llama-3.1-8B-Instruct checkout). The token ids are the GGUF's own: the data
set's ``tok_input`` goes straight in, the generated ids come straight out.

Decoding is greedy (arg-max of the last position's logits, no sampling, no
repetition penalty) with a KV cache: the prompt in one forward pass, then one
token per pass. Generation stops at an end-of-generation id (not sent: the
ids in generation_config.json, which the conversion takes from the GGUF's
eos/eot/eom) or after ``max_new_tokens``, as the llama.cpp backend does.

All workers share one model (its weights are read-only in inference; each
stream has its own cache); each decodes one sequence at a time, so the SUT
queues samples over its workers, no batching across sequences.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from loadgen.harness import BackendOptions

from llama3_1_8b.backend import StreamingBackend
from llama3_1_8b.convert import ensure_converted, is_converted


def _eos_ids(model: Any) -> frozenset[int]:
    ids: set[int] = set()
    for value in (model.generation_config.eos_token_id, model.config.eos_token_id):
        if value is None:
            continue
        ids.update(int(v) for v in (value if isinstance(value, (list, tuple)) else [value]))
    if not ids:
        raise ValueError("the model's config names no eos_token_id: generation could not stop")
    return frozenset(ids)


def load_model(path: str, dtype: str = "float32") -> Any:
    """A LlamaForCausalLM from a transformers folder, or from a GGUF (converted once)."""
    import torch
    from transformers import LlamaForCausalLM

    p = Path(path)
    if p.is_dir():
        if not is_converted(p):
            raise FileNotFoundError(f"{p}: not a transformers model folder (no config.json + *.safetensors)")
        folder = p
    elif p.suffix == ".gguf":
        folder = ensure_converted(p, dtype=dtype)
    else:
        raise ValueError(f"{p}: the torch backend takes a .gguf file or a transformers folder")
    model = LlamaForCausalLM.from_pretrained(str(folder), dtype=getattr(torch, dtype))
    model.eval()
    return model


class TransformersGenerator:
    """Greedy streaming generation with transformers (one sequence at a time)."""

    name = "torch"

    def __init__(self, model: Any, max_context: int | None = None) -> None:
        self.model = model
        self.eos = _eos_ids(model)
        self.max_context = int(max_context or model.config.max_position_embeddings)

    def is_end(self, token: int) -> bool:
        return token in self.eos

    def stream(self, prompt: Sequence[int], max_new_tokens: int) -> Iterator[int]:
        """Yields generated token ids, greedily, until an end token or the limit."""
        import torch
        from transformers import DynamicCache

        if not prompt:
            raise ValueError("an empty prompt: nothing to continue")
        if len(prompt) + max_new_tokens > self.max_context:
            raise ValueError(
                f"prompt of {len(prompt)} tokens + {max_new_tokens} new exceeds the context {self.max_context}"
            )
        with torch.inference_mode():
            cache = DynamicCache(config=self.model.config)
            ids = torch.tensor([list(prompt)], dtype=torch.long)
            for n in range(1, max_new_tokens + 1):
                # The cache grows in place; only the last position's logits are needed.
                out = self.model(input_ids=ids, cache=cache, use_cache=True, logits_to_keep=1)
                tok = int(out.logits[0, -1].argmax())
                if tok in self.eos:
                    return
                yield tok
                if n >= max_new_tokens:
                    return
                ids = torch.tensor([[tok]], dtype=torch.long)


class TransformersBackend(StreamingBackend):
    name = "torch"

    def __init__(self) -> None:
        super().__init__()
        self.model: Any = None

    @property
    def version(self) -> str:
        import torch
        import transformers

        return f"transformers {transformers.__version__}, torch {torch.__version__}"

    def load(self, options: BackendOptions) -> None:
        import torch

        if not options.model_path:
            raise ValueError("the torch backend needs a GGUF file or a transformers folder (--model)")
        if options.intra_op_threads:
            torch.set_num_threads(options.intra_op_threads)
        self.model = load_model(options.model_path)
        self._warm = TransformersGenerator(self.model)

    def generator(self) -> TransformersGenerator:
        assert self.model is not None, "load() first"
        return TransformersGenerator(self.model)

    def close(self) -> None:
        super().close()
        self.model = None
