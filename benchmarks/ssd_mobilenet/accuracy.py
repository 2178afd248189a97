"""mAP of an SSD-MobileNet-v1 accuracy log, like the reference's accuracy-coco.py.

Standalone: ``python accuracy.py --mlperf-accuracy-file ... --coco-dir ...``
(the flags and what it prints: ``loadgen.harness.coco_scoring.accuracy_main``).
The quality target on COCO val2017 is 21.78 mAP, 99 % of the FP32 reference
(22.0).

Classes in the payload are COCO category ids (the model's 91-slot space): no
label map, as the reference never passes ``--use-inv-map`` for SSD-MobileNet.
The harness calls ``score_for_harness`` after an accuracy run.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from loadgen.harness import ssd_run
from loadgen.harness.coco import accuracy_main

COCO_REFERENCE_MAP = 22.0  # percent, FP32 reference SSD-MobileNet-v1 (rules)

score_for_harness = ssd_run.accuracy_hook(COCO_REFERENCE_MAP, use_inv_map=False)


def main(argv: Sequence[str] | None = None) -> int:
    return accuracy_main(argv, "SSD-MobileNet-v1", COCO_REFERENCE_MAP, use_inv_map_default=False)


if __name__ == "__main__":
    sys.exit(main())
