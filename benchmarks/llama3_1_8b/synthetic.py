"""The embedded default: a small summarisation set in the real file format.

Articles are real English prose that every Python installation has: the
longer docstrings of standard-library modules, cut into paragraphs and
joined into articles of a few hundred words. Each prompt is the reference's
summarisation request in the model's chat format, tokenised by the model's
own tokenizer; each reference summary is the model's own greedy output
(llama.cpp, temperature 0, at most ``max_new_tokens`` tokens). So the model
scores ROUGE 100 on it by construction: a pipeline check, not a CNN-DailyMail
result.

    <cache>/synthetic-v2-<n>-<model stem>-<max_new_tokens>/cnn_eval.json, dataset.json
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import warnings
from collections.abc import Callable
from pathlib import Path

from loadgen.harness.cache import build_once
from loadgen.harness.cache import default_cache_dir as _cache_dir

VERSION = 2  # 2: references generated from scratch per sample (no cached prefix)
DEFAULT_COUNT = 8
# Standard-library modules with long, plain-prose docstrings.
SOURCES = (
    "argparse",
    "asyncio",
    "collections",
    "concurrent.futures",
    "contextlib",
    "csv",
    "dataclasses",
    "decimal",
    "difflib",
    "email",
    "enum",
    "fractions",
    "functools",
    "heapq",
    "http.cookies",
    "inspect",
    "ipaddress",
    "itertools",
    "json",
    "logging",
    "mailbox",
    "numbers",
    "optparse",
    "pickle",
    "pydoc",
    "random",
    "shelve",
    "statistics",
    "string",
    "subprocess",
    "tarfile",
    "textwrap",
    "threading",
    "unittest",
    "uuid",
    "zipfile",
)


def default_cache_dir() -> Path:
    return _cache_dir("llama3_1_8b")


def prose_paragraphs() -> list[str]:
    """Paragraphs of prose (no code, tables or lists) from module and class docstrings."""
    out: list[str] = []
    for name in SOURCES:
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        with warnings.catch_warnings():  # some modules' attributes warn when touched
            warnings.simplefilter("ignore")
            docs = [inspect.getdoc(mod) or ""]
            docs += [
                inspect.getdoc(obj) or "" for _, obj in sorted(vars(mod).items()) if inspect.isclass(obj)
            ]
        for doc in docs:
            for para in re.split(r"\n\s*\n", doc):
                text = " ".join(para.split())
                words = text.split()
                if len(words) < 25 or any(c in text for c in "{}[]>|=_`"):
                    continue
                if sum(w.isalpha() for w in words) / len(words) < 0.7:
                    continue
                out.append(text)
    seen: set[str] = set()
    return [p for p in out if not (p in seen or seen.add(p))]


def articles(count: int) -> list[str]:
    """``count`` articles of 120-320 words, each from consecutive paragraphs."""
    paras = prose_paragraphs()
    if not paras:
        raise RuntimeError("no prose found in the standard library's docstrings (python -OO strips them)")
    out: list[str] = []
    i = 0
    while len(out) < count:
        words: list[str] = []
        parts: list[str] = []
        while len(words) < 120 and i < len(paras) * 4:
            p = paras[(i * 7) % len(paras)]  # a fixed walk through the paragraphs
            i += 1
            if len(words) + len(p.split()) > 320:
                continue
            parts.append(p)
            words += p.split()
        out.append("\n\n".join(parts))
    return out


def ensure_default_dataset(
    cache_dir: str | Path,
    model_path: str,
    count: int = DEFAULT_COUNT,
    max_new_tokens: int = 128,
    log: Callable[[str], None] = print,
) -> Path:
    """The default cnn_eval.json for ``model_path``, made once."""
    folder = Path(cache_dir) / f"synthetic-v{VERSION}-{count}-{Path(model_path).stem}-{max_new_tokens}"

    def build(tmp: Path) -> None:
        from llama3_1_8b.model import LlamaCppGenerator, load_tokenizer

        log(f"making the embedded default (once): {count} articles, references by {Path(model_path).name}")
        tok = load_tokenizer(model_path)
        gen = LlamaCppGenerator(model_path, n_threads=2)
        samples = []
        for k, article in enumerate(articles(count)):
            prompt = tok.prompt(article)
            ids = tok.tokenize(prompt)
            out = list(gen.stream(ids, max_new_tokens))
            samples.append({"input": prompt, "tok_input": ids, "output": tok.detokenize(out)})
            log(f"  reference {k + 1}/{count}: {len(ids)} prompt tokens, {len(out)} generated")
        (tmp / "cnn_eval.json").write_text(json.dumps(samples, indent=1) + "\n", encoding="utf-8")
        info = {
            "what": "synthetic summarisation set in the MLPerf CNN-DailyMail format: articles from standard-library "
            "docstrings, references = the model's own greedy outputs (ROUGE 100 by construction; a pipeline "
            "check, not a CNN-DailyMail result)",
            "version": VERSION,
            "model": Path(model_path).name,
            "samples": count,
            "max_new_tokens": max_new_tokens,
        }
        (tmp / "dataset.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")

    return build_once(folder, build) / "cnn_eval.json"
