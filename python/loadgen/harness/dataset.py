"""What a sample is: the ``Dataset`` interface the QSL and SUTs work on."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Union

import numpy as np

# A batch as a backend takes it: one array (the model's single input) or one
# array per named input.
Batch = Union[np.ndarray, Mapping[str, np.ndarray]]


class Dataset(abc.ABC):
    """A list of samples that can be loaded into memory and batched.

    Sample indices are LoadGen's QSL indices, ``0 .. total_count - 1``.

    Threads: ``load``/``unload`` are called by LoadGen on the thread that runs
    the test, never while samples are being issued; ``get_batch`` is called by
    SUT workers, possibly from several threads at once, but only for loaded
    samples, so it must only read.
    """

    name: str = "dataset"

    @property
    @abc.abstractmethod
    def total_count(self) -> int:
        """How many samples there are."""

    @abc.abstractmethod
    def load(self, indices: Sequence[int]) -> None:
        """Bring these samples into memory (untimed; may preprocess or read a cache)."""

    @abc.abstractmethod
    def unload(self, indices: Sequence[int]) -> None:
        """Release these samples."""

    @abc.abstractmethod
    def get_batch(self, indices: Sequence[int]) -> Batch:
        """The model input for these loaded samples, stacked along a new first axis."""

    def label(self, index: int) -> Any:
        """The ground truth of one sample (used by accuracy scripts), if known."""
        raise NotImplementedError(f"{type(self).__name__} has no labels")


class ItemDataset(Dataset):
    """A Dataset whose samples are made one at a time by ``get_item(index)``
    (typically read from a cache, see ``loadgen.harness.cache``) and held in
    memory between ``load`` and ``unload``.

    ``get_batch`` stacks the loaded items on a new first axis; items that are
    dicts of arrays (models with several inputs) are stacked per key.
    Subclasses give ``total_count`` and ``get_item``.
    """

    def __init__(self) -> None:
        self._loaded: dict[int, Any] = {}

    @abc.abstractmethod
    def get_item(self, index: int) -> Any:
        """One preprocessed sample: an array, or a dict of arrays."""

    def load(self, indices: Sequence[int]) -> None:
        loaded = self._loaded
        for i in indices:
            if i not in loaded:
                loaded[i] = self.get_item(i)

    def unload(self, indices: Sequence[int]) -> None:
        for i in indices:
            self._loaded.pop(i, None)

    def loaded_item(self, index: int) -> Any:
        """A loaded sample as ``get_item`` made it (KeyError if not loaded)."""
        return self._loaded[index]

    def get_batch(self, indices: Sequence[int]) -> Batch:
        items = [self._loaded[i] for i in indices]
        if items and isinstance(items[0], Mapping):
            return {k: np.stack([it[k] for it in items]) for k in items[0]}
        return np.stack(items)


_DATASETS: dict[str, Callable[..., Dataset]] = {}


def register_dataset(name: str, factory: Callable[..., Dataset]) -> None:
    """Make a dataset constructible by name (benchmarks register theirs on import)."""
    _DATASETS[name] = factory


def create_dataset(name: str, **kwargs: Any) -> Dataset:
    try:
        factory = _DATASETS[name]
    except KeyError:
        raise ValueError(f"unknown dataset {name!r}; registered: {sorted(_DATASETS)}") from None
    return factory(**kwargs)


def registered_datasets() -> list[str]:
    return sorted(_DATASETS)
