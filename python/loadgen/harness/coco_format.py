"""The COCO 2017 facts the SSD benchmarks share: the folder layout, the 80
categories and the label maps between their ids and 1-based ranks, and the
response payload (float32 records of 7 values; ``loadgen.harness.coco``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .accuracy import decode

ANNOTATION_FILE = "annotations/instances_val2017.json"
IMAGE_FOLDER = "val2017"
RECORD_FLOATS = 7  # qsl_index, ymin, xmin, ymax, xmax, score, class
TARGET_FRACTION = 0.99

# The 80 COCO object categories: (category id, name). Ids run 1..90 with gaps.
COCO_CATEGORIES: tuple[tuple[int, str], ...] = (
    (1, "person"), (2, "bicycle"), (3, "car"), (4, "motorcycle"), (5, "airplane"), (6, "bus"),
    (7, "train"), (8, "truck"), (9, "boat"), (10, "traffic light"), (11, "fire hydrant"),
    (13, "stop sign"), (14, "parking meter"), (15, "bench"), (16, "bird"), (17, "cat"), (18, "dog"),
    (19, "horse"), (20, "sheep"), (21, "cow"), (22, "elephant"), (23, "bear"), (24, "zebra"),
    (25, "giraffe"), (27, "backpack"), (28, "umbrella"), (31, "handbag"), (32, "tie"),
    (33, "suitcase"), (34, "frisbee"), (35, "skis"), (36, "snowboard"), (37, "sports ball"),
    (38, "kite"), (39, "baseball bat"), (40, "baseball glove"), (41, "skateboard"),
    (42, "surfboard"), (43, "tennis racket"), (44, "bottle"), (46, "wine glass"), (47, "cup"),
    (48, "fork"), (49, "knife"), (50, "spoon"), (51, "bowl"), (52, "banana"), (53, "apple"),
    (54, "sandwich"), (55, "orange"), (56, "broccoli"), (57, "carrot"), (58, "hot dog"),
    (59, "pizza"), (60, "donut"), (61, "cake"), (62, "chair"), (63, "couch"), (64, "potted plant"),
    (65, "bed"), (67, "dining table"), (70, "toilet"), (72, "tv"), (73, "laptop"), (74, "mouse"),
    (75, "remote"), (76, "keyboard"), (77, "cell phone"), (78, "microwave"), (79, "oven"),
    (80, "toaster"), (81, "sink"), (82, "refrigerator"), (84, "book"), (85, "clock"), (86, "vase"),
    (87, "scissors"), (88, "teddy bear"), (89, "hair drier"), (90, "toothbrush"),
)  # fmt: skip
COCO_CATEGORY_IDS: tuple[int, ...] = tuple(c for c, _ in COCO_CATEGORIES)


def inverse_label_map(category_ids: Sequence[int]) -> list[int]:
    """80 -> 91: entry ``k`` (1-based rank) is the ``k``-th smallest category id;
    entry 0 (background) is -1."""
    return [-1] + sorted(int(c) for c in category_ids)


def forward_label_map(category_ids: Sequence[int]) -> dict[int, int]:
    """91 -> 80: category id -> its 1-based rank among the sorted ids."""
    return {c: k for k, c in enumerate(sorted(int(c) for c in category_ids), start=1)}


def detection_records(
    qsl_index: int, boxes_yxyx: np.ndarray, scores: np.ndarray, classes: np.ndarray
) -> np.ndarray:
    """The payload rows of one image: float32 ``[k, 7]``."""
    k = len(scores)
    out = np.empty((k, RECORD_FLOATS), dtype=np.float32)
    out[:, 0] = qsl_index
    out[:, 1:5] = boxes_yxyx
    out[:, 5] = scores
    out[:, 6] = classes
    return out


def decode_payload(data: bytes) -> np.ndarray:
    """A response's records as float32 ``[k, 7]`` (an error if not whole records)."""
    values = decode(data, "float32")
    if values.size % RECORD_FLOATS:
        raise ValueError(f"a response of {values.size} floats is not a whole number of 7-float records")
    return values.reshape(-1, RECORD_FLOATS)
