"""What a benchmark's ``run.py`` does before importing its own modules."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any, Callable


def benchmark_folder(script_file: str) -> Path:
    """Make the folder holding ``script_file`` importable as a package.

    ``python benchmarks/<name>/run.py`` runs the file as a script, so its
    siblings are not a package yet. This puts ``benchmarks/`` on ``sys.path``
    (once), so that ``from <name>.dataset import ...`` works the same way for
    the script, for tests and for other benchmarks. Returns the folder.
    """
    here = Path(script_file).resolve().parent
    parent = str(here.parent)
    if parent not in sys.path:
        sys.path.insert(0, parent)
    return here


def imported_when_called(ref: str) -> Callable[..., Any]:
    """The function ``ref`` (``"module:function"``), imported at its first call:
    e.g. ``torch_model_factory`` from a module that imports torch, which a run
    on another backend then never imports."""
    module_name, _, name = ref.partition(":")

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module_name), name)(*args, **kwargs)

    return call
