"""Keep llama.cpp off its AMX kernels, which crash in the builds pip makes on a CPU with AMX.

pip compiles llama-cpp-python (0.3.x) with ``GGML_NATIVE=ON``: on a CPU with AMX (Intel Xeon from the 4th
generation on) the build includes ggml's AMX matrix kernels and reports ``AMX_INT8 = 1``. Those kernels run
``ldtilecfg`` in threads the kernel has not given AMX permission, and with a tile configuration the compiler may
drop: the process dies with SIGILL (or, once permission is given, SIGSEGV) at the first prompt of more than one
token, in ``ggml_backend_amx_mul_mat``. It is llama.cpp's bug (ggml-org/llama.cpp pull request 26954), seen here
with llama-cpp-python 0.3.36 on a 2-core Xeon VM.

The AMX kernels are one of llama.cpp's "extra buffer types": weights repacked at load time for a faster kernel.
Loading a model with ``use_extra_bufts = False`` keeps them out, and the same model runs on the AVX-512 kernels
(its greedy outputs still match the embedded default's references in the tests). ``avoid_amx()`` does that, for every ``llama_cpp.Llama`` made afterwards in this
process, only where the build reports AMX. ``LOADGEN_LLAMA_EXTRA_BUFTS=1`` keeps the extra buffer types (for a
llama.cpp whose AMX path is fixed). A build made with ``CMAKE_ARGS="-DGGML_NATIVE=OFF"`` has no AMX kernels.

Run as a script, it starts llama-cpp-python's OpenAI-compatible server with the same guard, taking the server's
own arguments: ``python benchmarks/llama3_1_8b/llamacpp_amx.py --model M.gguf --port 8000 ...``.
"""

from __future__ import annotations

import os
import runpy
import sys
from typing import Any

ENV_KEEP = "LOADGEN_LLAMA_EXTRA_BUFTS"
_state: dict[str, bool] = {}


def build_has_amx(llama_cpp_module: Any) -> bool:
    """Whether this llama.cpp build has the AMX kernels (its system info says ``AMX_INT8 = 1``)."""
    info = llama_cpp_module.llama_print_system_info()
    text = info.decode("utf-8", "replace") if isinstance(info, bytes) else str(info)
    return "AMX_INT8 = 1" in text


def avoid_amx() -> bool:
    """Make later ``llama_cpp.Llama`` loads skip the extra buffer types where the build has AMX kernels.

    Returns whether it did. Idempotent; a no-op when ``LOADGEN_LLAMA_EXTRA_BUFTS=1``."""
    if "applied" in _state:
        return _state["applied"]
    import llama_cpp.llama_cpp as lib

    applied = os.environ.get(ENV_KEEP, "") != "1" and build_has_amx(lib)
    if applied:
        defaults = lib.llama_model_default_params

        def without_extra_bufts() -> Any:
            params = defaults()
            params.use_extra_bufts = False
            return params

        lib.llama_model_default_params = without_extra_bufts
    _state["applied"] = applied
    return applied


def main(argv: list[str]) -> None:
    if avoid_amx():
        print(
            "llamacpp_amx: this llama.cpp build has AMX kernels; they are kept out (see its docstring)",
            file=sys.stderr,
        )
    sys.argv = ["llama_cpp.server", *argv]
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
