"""SSD-MobileNet-v1's post-processing: the model's outputs -> the payloads LoadGen logs.

Its own module so that both ``run.py`` (the BenchmarkSpec) and ``synthetic.py``
(which labels the embedded default with the model's own detections) use it
without importing each other.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from loadgen.harness import coco


def respond(outputs: list[np.ndarray], dataset: Any, indices: np.ndarray) -> list[bytes]:
    """The TF graph's four outputs -> one payload per sample: the first
    ``num_detections`` rows as ``[qsl_index, ymin, xmin, ymax, xmax, score,
    class]`` float32 records (classes are COCO ids), empty when nothing was detected."""
    num, boxes, scores, classes = outputs
    out = []
    for i, qsl_index in enumerate(indices.tolist()):
        k = int(num[i])
        out.append(coco.detection_records(qsl_index, boxes[i, :k], scores[i, :k], classes[i, :k]).tobytes())
    return out
