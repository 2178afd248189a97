"""Classes a Python user can subclass instead of passing callbacks.

Example::

    import loadgen as lg

    class EchoSUT(lg.SystemUnderTest):
        def issue_queries(self, samples):
            lg.complete_samples([s.id for s in samples])

    class TinyQSL(lg.QuerySampleLibrary):
        total_sample_count = 100
        performance_sample_count = 100

    result = lg.run_test(EchoSUT(), TinyQSL(), lg.TestSettings())
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, SupportsIndex

from . import _core

if TYPE_CHECKING:
    from typing_extensions import Self


class SystemUnderTest:
    """Base class for a Python SUT.

    LoadGen calls ``issue_queries`` and ``flush_queries`` on the thread that
    started the test. Answer each sample exactly once, from any thread, with
    ``loadgen.QuerySamplesComplete`` or ``loadgen.complete_samples``.

    ``issue_style`` chooses what ``issue_queries`` receives: ``"objects"`` (a
    list of ``QuerySample``), ``"lists"`` (two lists: ids, indices) or
    ``"numpy"`` (two uint64 arrays: ids, indices; the fastest).
    """

    name: str = "PySUT"
    issue_style: str = "objects"

    def issue_queries(self, samples: Sequence) -> None:  # pragma: no cover - abstract
        raise NotImplementedError("SystemUnderTest.issue_queries must be overridden")

    def flush_queries(self) -> None:
        """Called once the last query of a test mode was issued."""


class QuerySampleLibrary:
    """Base class for a Python QSL.

    ``total_sample_count`` and ``performance_sample_count`` are attributes or
    properties; ``load_samples``/``unload_samples`` receive lists of indices.
    """

    name: str = "PyQSL"
    total_sample_count: int = 0
    performance_sample_count: int = 0

    def load_samples(self, indices: list[int]) -> None:
        """Load these samples into memory (called before they are issued)."""

    def unload_samples(self, indices: list[int]) -> None:
        """Release samples loaded earlier."""


class _CheckedList(list):
    """A list that accepts only items of one type, like the reference's
    pybind11 vector classes; it passes wherever a list is accepted."""

    _item_type: type = object

    def __init__(self, items: Iterable[Any] = ()) -> None:
        super().__init__()
        self.extend(items)

    def _checked(self, item: Any) -> Any:
        if not isinstance(item, self._item_type):
            raise TypeError(
                f"{type(self).__name__} holds {self._item_type.__name__} objects, not {type(item).__name__}"
            )
        return item

    def append(self, item: Any) -> None:
        super().append(self._checked(item))

    def insert(self, index: SupportsIndex, item: Any) -> None:
        super().insert(index, self._checked(item))

    def extend(self, items: Iterable[Any]) -> None:
        super().extend([self._checked(i) for i in items])

    def __iadd__(self, items: Iterable[Any]) -> Self:  # type: ignore[misc]
        self.extend(items)
        return self

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, slice):
            super().__setitem__(index, [self._checked(v) for v in value])
        else:
            super().__setitem__(index, self._checked(value))


class VectorQuerySample(_CheckedList):
    """A list of QuerySample (the reference's name for ``std::vector<QuerySample>``)."""

    _item_type = _core.QuerySample


class VectorQuerySampleResponse(_CheckedList):
    """A list of QuerySampleResponse; QuerySamplesComplete accepts it."""

    _item_type = _core.QuerySampleResponse
