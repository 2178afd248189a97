"""mAP of an SSD-ResNet34 accuracy log, like the reference's accuracy-coco.py.

Standalone: ``python accuracy.py --mlperf-accuracy-file ... --coco-dir ...``
(the flags and what it prints: ``loadgen.harness.coco_scoring.accuracy_main``).
The quality target on COCO val2017 is 19.8 mAP, 99 % of the FP32 reference
(20.0).

Classes in the payload are 1..80 (the model's), mapped to COCO category ids
through the sorted category list (``--use-inv-map``, on by default here as
the reference always passes it for SSD-ResNet34). The harness calls
``score_for_harness`` after an accuracy run.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from loadgen.harness import ssd_run
from loadgen.harness.coco import accuracy_main

COCO_REFERENCE_MAP = 20.0  # percent, FP32 reference SSD-ResNet34 (rules)

score_for_harness = ssd_run.accuracy_hook(COCO_REFERENCE_MAP, use_inv_map=True)


def main(argv: Sequence[str] | None = None) -> int:
    return accuracy_main(argv, "SSD-ResNet34", COCO_REFERENCE_MAP, use_inv_map_default=True)


if __name__ == "__main__":
    sys.exit(main())
