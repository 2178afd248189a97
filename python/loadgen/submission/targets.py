"""Whether an accuracy run reaches the accuracy target of the benchmark it is
packed as (``submission pack --target 99|99.9``).

The target is a fraction of the FP32 reference's score (the rules' table in
``loadgen.rules``: 99 %, and 99.9 % for bert, dlrm, 3d-unet). The score and
that reference are read from the harness's results.json (``accuracy.value``
and ``accuracy.reference``: the FP32 reference on the data that ran, e.g. the
embedded default's own), else from accuracy.txt with the rules' pattern
against the rules' reference. A run of a reduced-precision model
(``precision.fp32_accuracy`` in results.json) must also reach the fraction of
its own FP32 model's score on the same samples.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..rules import Benchmark


def accuracy_target_failure(folder: Path, bench: Benchmark) -> str | None:
    """Why the accuracy run in ``folder`` misses the round's benchmark ``bench``'s
    target, or None when it reaches it (or when neither file says its score)."""
    rules = bench.model
    benchmark = bench.name
    frac = bench.fraction
    pct = f"{frac * 100:g} %"
    value = reference = fp32 = None
    results = folder / "results.json"
    if results.is_file():
        try:
            data = json.loads(results.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            data = {}
        acc = data.get("accuracy") if isinstance(data, dict) else None
        if isinstance(acc, dict) and isinstance(acc.get("value"), (int, float)):
            value = float(acc["value"])
            if isinstance(acc.get("reference"), (int, float)):
                reference = float(acc["reference"])
        prec = data.get("precision") if isinstance(data, dict) else None
        if isinstance(prec, dict) and isinstance(prec.get("fp32_accuracy"), (int, float)):
            fp32 = float(prec["fp32_accuracy"])
    where = results
    if value is None:
        txt = folder / "accuracy.txt"
        if not txt.is_file():
            return None
        value = rules.metric.find(txt.read_text(encoding="utf-8"))
        where = txt
        if value is None:
            return None
    if reference is None:
        reference = rules.metric.reference
    target = reference * frac if rules.metric.higher_is_better else reference / frac
    if (value < target) if rules.metric.higher_is_better else (value > target):
        return (
            f"{where}: {rules.metric.name} {value:.3f} misses {benchmark}'s target {target:.3f} "
            f"({pct} of the FP32 reference {reference:.3f})"
        )
    if fp32 is not None and value < frac * fp32:
        return (
            f"{where}: {rules.metric.name} {value:.3f} is below {pct} of the same model's FP32 score {fp32:.3f} "
            f"on the same samples ({benchmark})"
        )
    return None
