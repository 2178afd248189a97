"""3D-UNet's calibration set for ``--precision int8``: the rules' KiTS ``calibration_cases.txt``.

The list (shared/spec/benchmarks.md §0.3) names 20 KiTS19 training cases
(``case_00050``, ...), none of them an inference case, one name per line
(``meta/calibration_cases.json``, the same names as a JSON array, is read
too). The cases are looked up in the data folder (KiTS19's ``data/`` holds
every training case), preprocessed exactly as the inference cases are (the
``KiTS19`` data set over that list, cached under ``<cache>/calibration/``,
apart from the inference cases' folder) and cut into the sliding window's
patches: each patch is one calibration feed ``[1, 1, P, P, P]``, as the
model sees them in a run. The embedded default ships its calibration cases
and such a list.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
from loadgen.harness.calibration import CalibrationSet, find_calibration_list, list_identity
from loadgen.harness.settings import RunOptions

from .dataset import PATCH, KiTS19
from .sliding import patch_origins

CALIBRATION_LISTS = ("calibration_cases.txt", "calibration_cases.json")
INPUT_NAME = "input"


def calibration_set(opts: RunOptions) -> CalibrationSet:
    """The patches of the listed cases (``--calibration-list``, else the data folder's
    ``calibration_cases.txt``), preprocessed as the run's cases are."""
    assert opts.dataset_path is not None and opts.cache_dir is not None
    data = Path(opts.dataset_path)
    patch = int(opts.extra.get("patch_size") or PATCH)
    lst = find_calibration_list(opts, CALIBRATION_LISTS, [data])
    cases = KiTS19(
        str(data),
        str(Path(opts.cache_dir) / "calibration"),
        case_list=str(lst),
        patch=patch,
        log=lambda s: print(s, file=sys.stderr, flush=True),
    )
    origins = [patch_origins(cases.image_shape(i)[1:], patch) for i in range(cases.total_count)]

    def feeds() -> Iterator[Mapping[str, np.ndarray]]:
        for i, case_origins in enumerate(origins):
            image = cases.get_item(i)
            for z, y, x in case_origins:
                yield {INPUT_NAME: image[np.newaxis, :, z : z + patch, y : y + patch, x : x + patch]}

    return CalibrationSet(
        source=f"{lst.name} ({cases.total_count} KiTS19 cases)",
        identity=list_identity(lst, data.resolve(), patch, [cases.aux[c]["source"] for c in cases.cases]),
        count=sum(len(o) for o in origins),
        feeds=feeds,
    )
