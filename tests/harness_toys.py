"""The toy benchmark that tests of the harness share: a data set whose sample i
is the value i, an "echo" backend returning 2 x its input (registered as "echo",
with a "failing" one), its accuracy hook, spec and options.

One module, imported by every test that needs them: a test module imported
from another would load twice (as ``test_x`` and ``tests.test_x``) and register
a second EchoBackend class under "echo", which then fails isinstance checks.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from loadgen.harness import (
    AccuracyResult,
    Backend,
    BackendOptions,
    BenchmarkSpec,
    Dataset,
    RunOptions,
    decode,
    first_response_per_sample,
    read_accuracy_log,
    register_backend,
)


class ToyDataset(Dataset):
    """Sample i is the float32 value i; only loaded samples may be batched."""

    name = "toy"

    def __init__(self, n: int = 16) -> None:
        self.n = n
        self.loaded: set[int] = set()
        self.labels = np.arange(n)

    @property
    def total_count(self) -> int:
        return self.n

    def load(self, indices: Sequence[int]) -> None:
        self.loaded.update(indices)

    def unload(self, indices: Sequence[int]) -> None:
        self.loaded.difference_update(indices)

    def get_batch(self, indices: Sequence[int]) -> np.ndarray:
        missing = [i for i in indices if i not in self.loaded]
        if missing:
            raise RuntimeError(f"samples {missing} were not loaded")
        return np.array(indices, dtype=np.float32).reshape(-1, 1)


class EchoBackend(Backend):
    """Returns 2 x input; records the batch sizes it saw."""

    name = "echo"

    def __init__(self) -> None:
        self.batch_sizes: list[int] = []

    def load(self, options: BackendOptions) -> None:
        pass

    def predict(self, batch):
        self.batch_sizes.append(len(batch))
        return [batch * 2]


class FailingBackend(EchoBackend):
    def predict(self, batch):
        raise RuntimeError("the accelerator caught fire")


register_backend("echo", EchoBackend)
register_backend("failing", FailingBackend)


def echo_accuracy(path: str, dataset: Dataset, opts: RunOptions) -> AccuracyResult:
    responses = first_response_per_sample(read_accuracy_log(path))
    good = sum(1 for i, data in responses.items() if decode(data, "float32")[0] == 2 * i)
    total = len(responses)
    value = 100.0 * good / total if total else 0.0
    return AccuracyResult(
        "echo",
        value,
        f"accuracy={value:.3f}%, good={good}, total={total}",
        reference=100.0,
        target=100.0,
        target_fraction=1.0,
        details={"good": good, "total": total},
    )


def toy_spec(n: int = 16) -> BenchmarkSpec:
    return BenchmarkSpec(
        name="Toy",
        config_model="toy",
        user_conf=None,
        make_dataset=lambda opts: ToyDataset(n),
        postprocess=lambda outputs: outputs[0].astype(np.float32),
        accuracy=echo_accuracy,
        null_outputs=(((1,), "float32"),),
        performance_sample_count=n,
    )


def unexpected_errors(report) -> list[str]:
    """LoadGen's error messages, less the routine ones: max_query_count (--count) or max_duration (--time) reached."""
    return [e for e in report.loadgen_errors if "Ending early: Max" not in e]


def toy_options(tmp_path, **kw) -> RunOptions:
    base = {
        "backend": "echo",
        "output": str(tmp_path / "out"),
        "progress": False,
        "warmup_batches": 1,
        "time_s": 0.05,
        "qps": 200.0,
        "samples_per_query": 4,
        "max_batchsize": 3,
        "threads": 2,
    }
    base.update(kw)
    return RunOptions(**base)
