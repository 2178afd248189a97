"""The OpenAI SUT (``--sut openai``) against ``transformers serve``, a second
real OpenAI-compatible server (llama.cpp's is in test_llama3_1_8b.py).

``transformers serve`` (transformers[serving]) runs on 127.0.0.1 with the
SmolLM2 GGUF converted to safetensors by transformers (convert.py). Its
streams end differently from llama.cpp's: the last chunk carries
``finish_reason`` and ``usage``, and no ``data: [DONE]`` follows (the
connection just closes). The SUT must take that as a proper end; the
accuracy run shows it does, and that the server's greedy answers are our
torch backend's (ROUGE 100 against references made by it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

lg = pytest.importorskip("loadgen")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from lg_helpers import free_port, need
from llama3_1_8b import convert, synthetic
from llm_helpers import llm_run

MAX_NEW = 8
N_SAMPLES = 2


@pytest.fixture(scope="module")
def converted() -> dict[str, str]:
    for m in ("gguf", "accelerate", "llama_cpp", "fastapi", "uvicorn", "openai"):
        need(m)
    from llama3_1_8b.model import smollm2_gguf

    gguf = str(smollm2_gguf())
    return {"gguf": gguf, "folder": str(convert.ensure_converted(gguf, log=lambda s: None))}


@pytest.fixture(scope="module")
def transformers_server(converted: dict[str, str]):
    import httpx

    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "transformers.cli.transformers",
        "serve",
        converted["folder"],
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--device",
        "cpu",
    ]
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"transformers serve exited: {proc.stderr.read()[-2000:]}")
            try:
                if httpx.get(url + "/v1/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("transformers serve did not answer /v1/models within 120 s")
            time.sleep(0.5)
        yield url
    finally:
        proc.kill()
        proc.wait(10)


@pytest.fixture(scope="module")
def tiny_set(converted: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> str:
    """Two short summarisation prompts in the real file format; the references
    are our torch backend's greedy answers (decoded by the GGUF's tokenizer)."""
    from llama3_1_8b.backend_torch import TransformersGenerator, load_model
    from llama3_1_8b.model import load_tokenizer
    from tokenizers import Tokenizer

    tok = load_tokenizer(converted["gguf"])
    hf = Tokenizer.from_file(str(Path(converted["folder"]) / "tokenizer.json"))
    gen = TransformersGenerator(load_model(converted["folder"]))
    samples = []
    for article in synthetic.articles(N_SAMPLES):
        prompt = tok.prompt(" ".join(article.split()[:40]))
        ids = hf.encode(prompt, add_special_tokens=False).ids  # as the server tokenises the text
        out = list(gen.stream(ids, MAX_NEW))
        samples.append({"input": prompt, "tok_input": ids, "output": tok.detokenize(out)})
    path = tmp_path_factory.mktemp("llm-servers") / "cnn_eval.json"
    path.write_text(json.dumps(samples))
    return str(path)


def openai_run(converted, data: str, tmp: Path, url: str, scenario: str, **kw):
    extra = {"sut": "openai", "url": url, "model_name": converted["folder"], **kw.pop("extra", {})}
    return llm_run(
        tmp,
        scenario,
        MAX_NEW,
        extra,
        model=converted["gguf"],
        dataset_path=data,
        time_s=kw.pop("time_s", 0.5),
        **kw,
    )


@pytest.mark.slow
def test_transformers_serve_ends_streams_without_done(converted, transformers_server) -> None:
    """The fact the SUT must cope with: finish_reason and usage in the last chunk, no [DONE]."""
    import httpx
    from httpx_sse import connect_sse

    body = {
        "model": converted["folder"],
        "prompt": "The capital of France is",
        "max_tokens": 3,
        "temperature": 0.0,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    with (
        httpx.Client(timeout=60) as client,
        connect_sse(client, "POST", f"{transformers_server}/v1/completions", json=body) as source,
    ):
        events = [e.data for e in source.iter_sse()]
    assert events and all(e.strip() != "[DONE]" for e in events)
    chunks = [json.loads(e) for e in events]
    # transformers 5.25 sends the usage in a chunk of its own, with no choices (as
    # OpenAI does with include_usage); earlier releases put it on the last choice.
    with_choices = [c for c in chunks if c.get("choices")]
    assert with_choices[-1]["choices"][0]["finish_reason"] == "length"
    usage = [c["usage"] for c in chunks if c.get("usage")]
    assert usage and usage[-1]["completion_tokens"] == 3
    text = "".join(c["choices"][0].get("text") or "" for c in with_choices)
    assert text.startswith(" Paris")


@pytest.mark.slow
def test_openai_sut_against_transformers_serve(converted, transformers_server, tiny_set, tmp_path) -> None:
    report = openai_run(converted, tiny_set, tmp_path / "acc", transformers_server, "Offline", accuracy=True)
    assert report.error is None, report.error
    assert report.accuracy is not None and report.accuracy.passed, report.accuracy.line
    assert "'rouge1': 100.0" in report.accuracy.line  # the server's greedy answers are our torch backend's
    # Two queries, however long they take (this server needs seconds per answer on a busy CPU).
    report = openai_run(
        converted, tiny_set, tmp_path / "ss", transformers_server, "SingleStream", count=2, time_s=120
    )
    assert report.error is None, report.error
    perf = json.loads((tmp_path / "ss" / "mlperf_log_summary.json").read_text())["performance"][-1]
    assert perf["first_token_latency"]["count"] == perf["samples_completed"] == 2
    assert 0 < perf["first_token_latency"]["min_ns"] <= perf["sample_latency"]["max_ns"]
    assert perf["token_count"] >= perf["samples_completed"]
