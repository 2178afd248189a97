"""A QuerySampleLibrary over a Dataset."""

from __future__ import annotations

from collections.abc import Sequence

from .. import api
from .dataset import Dataset


class DatasetQSL(api.QuerySampleLibrary):
    """LoadGen's view of a ``Dataset``: counts, and load/unload by index.

    ``performance_sample_count`` is how many samples LoadGen may keep loaded
    at once during a performance run (a ``performance_sample_count_override``
    in the settings takes precedence inside LoadGen).
    """

    def __init__(self, dataset: Dataset, performance_sample_count: int) -> None:
        total = dataset.total_count
        if not 0 < performance_sample_count <= total:
            raise ValueError(
                f"performance_sample_count = {performance_sample_count}: must be in 1..{total} "
                f"(the dataset's size)"
            )
        self.dataset = dataset
        self.name = f"{dataset.name}-qsl"
        self.total_sample_count = total
        self.performance_sample_count = performance_sample_count

    def load_samples(self, indices: Sequence[int]) -> None:
        self.dataset.load(indices)

    def unload_samples(self, indices: Sequence[int]) -> None:
        self.dataset.unload(indices)
