"""On-disk caches that every benchmark needs: where they live, and writing
them so that an interrupted or concurrent run never leaves a half-made file.

* ``default_cache_dir(name)``: ``$LOADGEN_CACHE_DIR/<name>`` or
  ``~/.cache/loadgen/<name>``.
* ``cached_array(path, make)``: a ``.npy`` cache entry, read if present and
  readable, else made, written atomically and returned.
* ``build_once(folder, build, marker)``: a folder of assets (an embedded data
  set, a model) built in a temporary sibling and renamed into place; the
  marker file, written last by ``build``, says it is complete.
* ``AssetFolder``: such a folder and its files by name (a benchmark's
  ``DefaultAssets``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np


def default_cache_dir(name: str) -> Path:
    """The cache folder of one benchmark (or tool) ``name``."""
    env = os.environ.get("LOADGEN_CACHE_DIR")
    base = Path(env) if env else Path.home() / ".cache" / "loadgen"
    return base / name


def _tmp_sibling(path: Path) -> Path:
    return path.with_name(f"{path.name}.{os.getpid()}.tmp")


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_sibling(path)
    with open(tmp, "wb") as f:
        f.write(data)
    tmp.replace(path)


def atomic_save_array(path: str | Path, arr: np.ndarray) -> None:
    """``np.save`` to exactly ``path`` (no ``.npy`` appended), atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_sibling(path)
    with open(tmp, "wb") as f:
        np.save(f, arr, allow_pickle=False)
    tmp.replace(path)


def cached_array(path: str | Path, make: Callable[[], np.ndarray]) -> np.ndarray:
    """The array cached at ``path``; made by ``make()`` and cached if missing or unreadable."""
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        pass
    arr = make()
    atomic_save_array(path, arr)
    return arr


def build_once(
    folder: str | Path,
    build: Callable[[Path], Any],
    marker: str = "dataset.json",
) -> Path:
    """``folder``, built by ``build(tmp)`` in a temporary sibling if its
    ``marker`` file is missing, then renamed into place.

    ``build`` must write ``marker`` last. If it raises (or Ctrl-C), the
    temporary folder is removed and nothing is left half-made. If another
    process finished the same folder first, its copy is kept.
    """
    folder = Path(folder)
    if (folder / marker).is_file():
        return folder
    tmp = folder.with_name(f"{folder.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        build(tmp)
        if not (tmp / marker).is_file():
            raise RuntimeError(f"building {folder} wrote no {marker}: the build is incomplete")
        if folder.exists() and not (folder / marker).is_file():
            shutil.rmtree(folder, ignore_errors=True)  # a stale, incomplete copy
        try:
            tmp.rename(folder)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)  # another process finished first
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


@dataclass(frozen=True)
class AssetFolder:
    """A folder of assets (``build_once``) and its files by name.

    A subclass (a frozen dataclass) adds the parameters the folder was built
    with and names its files in ``FILES``, attribute -> file name; each reads
    as a path: ``assets.onnx_model`` is ``assets.folder / FILES["onnx_model"]``
    (``"."`` names the folder itself).
    """

    folder: Path
    FILES: ClassVar[Mapping[str, str]] = {}

    def __getattr__(self, name: str) -> Path:
        file = type(self).FILES.get(name)
        if file is None:  # checked first: ``folder`` itself may be unset yet (unpickling)
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return self.folder / file
