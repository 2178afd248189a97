"""bench.py --against REV: another commit's loadgen, built once into a venv of
its own, so that the same run measures this tree and that one side by side.

The build lives under ``$LOADGEN_CACHE_DIR/bench-against/<commit>/`` (default
``~/.cache/loadgen``): the commit's tree (``git archive``), a venv that sees
this interpreter's packages (NumPy, mlperf_loadgen) through a ``.pth`` file
but holds its own ``loadgen``, and a ``ready`` marker written last. A second
run with the same commit only checks the marker.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import time
from pathlib import Path

from loadgen.harness.cache import default_cache_dir

REPO = Path(__file__).resolve().parents[2]


class AgainstError(RuntimeError):
    """The commit cannot be found or built; the message says which step failed."""


def _run(cmd: list[str], what: str, **kw: object) -> subprocess.CompletedProcess[bytes]:
    proc = subprocess.run(cmd, check=False, capture_output=True, **kw)  # type: ignore[call-overload]
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).decode(errors="replace")[-3000:]
        raise AgainstError(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n{tail}")
    return proc


def resolve(rev: str, repo: Path = REPO) -> str:
    """The full commit id of ``rev`` in ``repo``."""
    if not (repo / ".git").exists():
        raise AgainstError(f"--against needs a git checkout; {repo} is not one")
    proc = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],
        check=False,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0 or not proc.stdout.strip():
        raise AgainstError(f"--against {rev}: no such commit in {repo}")
    return proc.stdout.strip()


def build(rev: str, repo: Path = REPO, cache: Path | None = None) -> tuple[str, str]:
    """Builds (or finds) loadgen at ``rev``; returns (its python, the commit id)."""
    sha = resolve(rev, repo)
    root = (cache or default_cache_dir("bench-against")) / sha
    python = root / "venv" / "bin" / "python"
    ready = root / "ready"
    if ready.is_file() and python.is_file():
        return str(python), sha
    if root.exists():
        shutil.rmtree(root)
    src = root / "src"
    src.mkdir(parents=True)
    t0 = time.monotonic()
    print(f"--against: building loadgen at {sha[:12]} into {root} (once; a minute or two)", file=sys.stderr)
    archive = _run(["git", "-C", str(repo), "archive", "--format=tar", sha], "git archive")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(src, filter="data")
    _run([sys.executable, "-m", "venv", str(root / "venv")], "making the venv")
    site = (
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            "reading the venv",
        )
        .stdout.decode()
        .strip()
    )
    # This interpreter's packages, after the venv's own: its loadgen wins.
    Path(site, "zz_bench_against_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = dict(os.environ, CMAKE_BUILD_PARALLEL_LEVEL=os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", "2"))
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(src)], "building its wheel", env=env)
    where = _run(
        [str(python), "-c", "import loadgen; print(loadgen.__file__)"], "importing it", cwd=str(root)
    ).stdout.decode()
    if not where.strip().startswith(str(root)):
        raise AgainstError(f"the --against venv imports another loadgen: {where.strip()}")
    ready.write_text(sha + "\n")
    print(f"--against: built in {time.monotonic() - t0:.0f} s", file=sys.stderr)
    return str(python), sha
