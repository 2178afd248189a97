"""The choice every benchmark's ``prepare`` makes: its embedded default, or the files given.

Without ``--dataset-path`` a benchmark runs on its embedded default: a small
synthetic data set whose labels are a fixed-seed FP32 model's own outputs,
made once into the cache by the benchmark's ``synthetic.py``. This module
does the part that is the same for all of them:

* no ``--dataset-path``: ``make(opts, cache_dir)`` builds (or finds) the
  embedded default and returns an ``Embedded``: its data folder, the model
  file for each backend, the note that says what the data is, and any
  options it settles (e.g. a patch size). Without ``--model`` the run takes
  the embedded model for its backend and that note; with ``--model`` it gets
  the Embedded's ``own_model_note`` instead (the labels come from the
  embedded model, so the score says nothing about the given one);
* ``--dataset-path`` without ``--model``: an error that says what to give
  (``which_model``), unless the backend is ``null`` (it needs no model).

The notes go into ``opts.extra["notes"]``, which the run's report prints;
``data_note`` and ``own_model_note`` word them the same way for every
benchmark. A ``BenchmarkSpec`` declares its default (``embedded``,
``embedded_cache_dir``, ``which_model``) and gets its ``prepare`` from
``prepare_with_default``.
An embedded default's ``dataset.json`` names its own FP32 reference score (its
labels are that model's outputs); ``reference_from`` reads it for the accuracy
scripts, in place of the rules' value.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .settings import RunOptions


def stderr_line(line: str) -> None:
    """Where the embedded default's "making it once" lines go (stdout is the run's)."""
    print(line, file=sys.stderr, flush=True)


def data_note(what: str, result: str) -> str:
    """The note of a run on the embedded default (``what``: the data, e.g. "data set (64 images, labels =
    ...)"), which is a pipeline and equivalence check, not ``result`` (e.g. "an ImageNet result")."""
    return f"data: the embedded synthetic {what}: a pipeline and equivalence check, not {result}"


def own_model_note(labels: str = "labels", score: str = "accuracy", data: str = "data set") -> str:
    """The note of a run of a given --model on the embedded ``data``, whose ``labels`` come from the
    embedded model, so the ``score`` says nothing about the given one."""
    return (
        f"data: the embedded synthetic {data} with your --model: its {labels} come from the embedded "
        f"model, so {score} here says nothing about your model"
    )


@dataclass(frozen=True)
class Embedded:
    """What a benchmark's embedded default made.

    data_dir: the data folder, as ``--dataset-path`` would give it.
    models: backend name -> model path; one string: the same file for every backend.
    note: what the data is (used when the run takes the embedded model; ``data_note``).
    own_model_note: the note when the run takes a given --model instead.
    extra: options the default settles (merged into ``opts.extra``).
    """

    data_dir: str | Path
    models: Mapping[str, str | Path] | str | Path
    note: str
    own_model_note: str = own_model_note()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def model_for(self, backend: str) -> str | None:
        if isinstance(self.models, Mapping):
            path = self.models.get(backend)
            return None if path is None else str(path)
        return str(self.models)


def with_embedded_default(
    opts: RunOptions,
    default_cache_dir: str | Path,
    make: Callable[[RunOptions, str], Embedded],
    which_model: str,
) -> RunOptions:
    """``opts`` with the embedded default filled in where no data set (or model) was given.

    ``default_cache_dir``: where the default lives without ``--cache-dir``;
    ``which_model``: what to give with ``--dataset-path`` (the error's end:
    "give ... to run on it" or the like).
    """
    cache_dir = opts.cache_dir or str(default_cache_dir)
    notes = list(opts.extra.get("notes", []))
    extra = dict(opts.extra)
    dataset_path, model = opts.dataset_path, opts.model
    if dataset_path is None:
        made = make(opts, cache_dir)
        dataset_path = str(made.data_dir)
        extra.update(made.extra)
        if model is None:
            model = made.model_for(opts.backend)
            notes.append(made.note)
        else:
            notes.append(made.own_model_note)
    elif model is None and opts.backend != "null":
        raise ValueError(f"--dataset-path was given without --model: {which_model}")
    extra["notes"] = notes
    return replace(opts, dataset_path=dataset_path, model=model, cache_dir=cache_dir, extra=extra)


def prepare_with_default(
    make: Callable[[RunOptions, str], Embedded],
    default_cache_dir: Callable[[], str | Path],
    which_model: str,
    then: Callable[[RunOptions], RunOptions] | None = None,
) -> Callable[[RunOptions], RunOptions]:
    """A ``prepare``: the embedded default (``with_embedded_default``), then the
    benchmark's own defaults ``then`` (if any) on the options it returns."""

    def prepare(opts: RunOptions) -> RunOptions:
        opts = with_embedded_default(opts, default_cache_dir(), make, which_model)
        return opts if then is None else then(opts)

    return prepare


def add_size_argument(p: Any, flag: str, default: int, help: str) -> None:
    """The flag that sizes the embedded default (read only when no --dataset-path)."""
    p.add_argument(flag, type=int, default=default, help=f"{help} (when no --dataset-path)")


def dataset_json_value(folder: str | Path, key: str) -> Any:
    """``key`` of the ``dataset.json`` in ``folder``, or None (no file, no key).

    An embedded default names its own FP32 reference score there (its labels
    are that model's outputs), which replaces the rules' value."""
    info = Path(folder) / "dataset.json"
    if info.is_file():
        return json.loads(info.read_text(encoding="utf-8")).get(key)
    return None


def reference_from(folder: str | Path, key: str, default: float) -> float:
    """The FP32 reference score ``key`` of ``folder``'s ``dataset.json``, else ``default`` (the rules')."""
    ref = dataset_json_value(folder, key)
    return default if ref is None else float(ref)
