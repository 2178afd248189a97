"""The NumPy-1 environment that ``serve --engine pytriton`` runs in.

nvidia-pytriton 0.7 bundles a real ``tritonserver`` whose Python-backend stub
is built against NumPy 1.x (under NumPy 2 its outputs come back empty), and it
pins ``numpy<2``; the rest of this project runs on NumPy 2. So the server runs
from a virtual environment of its own, made once under the cache
(``$LOADGEN_CACHE_DIR/network/pytriton-env-pyXY``):

* created from this interpreter's base Python, with a ``.pth`` file that
  appends this environment's site-packages (loadgen, the benchmarks' runtimes);
* ``pip install --ignore-installed "numpy<2" nvidia-pytriton==0.7.0``: pytriton
  *with* every dependency it declares (pyzmq, sh, tritonclient, grpcio, ...),
  into the new environment's own site-packages, so nothing is missing and
  nothing of the parent environment is changed. ``--ignore-installed``
  because pip would otherwise count the parent's packages (seen through the
  ``.pth``) as installed, and because pytriton finds its bundled libraries
  only in its own environment's site-packages;
* checked by importing what the server imports; only then marked ready.

``LOADGEN_PYTRITON_PYTHON`` names another interpreter to use instead.
Building needs PyPI (about 150 MB of wheels, a minute or two); a failure
says which step failed and leaves nothing that looks ready.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import site
import subprocess
import sys
import venv
from pathlib import Path
from typing import Callable

from .cache import default_cache_dir

PYTRITON_VERSION = "0.7.0"
READY = "ready"
# What serve_pytriton imports, checked in the new environment before it is
# marked ready (a missing dependency fails here, not in the server).
CHECK = (
    "import numpy, zmq, sh, pytriton.triton, pytriton.model_config, loadgen.harness.serve; "
    "assert int(numpy.__version__.split('.')[0]) < 2, numpy.__version__"
)


def env_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    base = Path(cache_dir) if cache_dir else default_cache_dir("network")
    return base / f"pytriton-env-py{sys.version_info[0]}{sys.version_info[1]}"


def _run(step: str, cmd: list[str], log: Callable[[str], None]) -> None:
    log(f"pytriton environment: {step}")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=False)
    if proc.returncode != 0:
        raise RuntimeError(
            f"making the pytriton environment failed at '{step}' (exit {proc.returncode}): "
            f"{(proc.stderr or proc.stdout).strip()[-3000:]}"
        )


def pytriton_python(
    cache_dir: str | os.PathLike[str] | None = None,
    log: Callable[[str], None] = lambda s: print(s, file=sys.stderr, flush=True),
) -> str:
    """The path of a Python that can run ``serve --engine pytriton``, making
    its environment first if it is not there yet (once; concurrent callers
    wait for the first)."""
    given = os.environ.get("LOADGEN_PYTRITON_PYTHON")
    if given:
        return given
    folder = env_dir(cache_dir)
    py = folder / "bin" / "python"
    if (folder / READY).is_file() and py.exists():
        return str(py)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f"{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (folder / READY).is_file() and py.exists():
            return str(py)
        shutil.rmtree(folder, ignore_errors=True)
        log(f"pytriton environment: making {folder} (once; needs PyPI)")
        venv.EnvBuilder(system_site_packages=False, clear=True, with_pip=True).create(folder)
        purelib = subprocess.run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        parent = [p for p in site.getsitepackages() if Path(p).is_dir()]
        if site.ENABLE_USER_SITE and Path(site.getusersitepackages()).is_dir():
            parent.append(site.getusersitepackages())
        Path(purelib, "loadgen-parent-env.pth").write_text("\n".join(parent) + "\n", encoding="utf-8")
        pip = [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        _run(
            f'pip install --ignore-installed "numpy<2" nvidia-pytriton=={PYTRITON_VERSION}',
            [*pip, "--ignore-installed", "numpy<2", f"nvidia-pytriton=={PYTRITON_VERSION}"],
            log,
        )
        _run("checking its imports", [str(py), "-c", CHECK], log)
        (folder / READY).write_text("ok\n", encoding="utf-8")
        log("pytriton environment: ready")
    return str(py)


def numpy_is_1() -> bool:
    import numpy as np

    return int(np.__version__.split(".")[0]) < 2
