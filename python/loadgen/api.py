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

from collections.abc import Sequence


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
