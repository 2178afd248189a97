"""SSD-ResNet34's post-processing: the model's outputs -> the payloads LoadGen logs.

Its own module so that both ``run.py`` (the BenchmarkSpec) and ``synthetic.py``
(which labels the embedded default with the model's own detections) use it
without importing each other.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from loadgen.harness import coco


def respond(outputs: list[np.ndarray], dataset: Any, indices: np.ndarray) -> list[bytes]:
    """``bboxes`` (left, top, right, bottom), ``labels`` (1..80; 0 = padding),
    ``scores`` -> one payload per sample: ``[qsl_index, ymin, xmin, ymax, xmax,
    score, label]`` float32 records, empty when nothing was detected."""
    bboxes, labels, scores = outputs
    out = []
    for i, qsl_index in enumerate(indices.tolist()):
        keep = (labels[i] > 0) & (scores[i] > 0)
        b = bboxes[i][keep]
        out.append(
            coco.detection_records(qsl_index, b[:, [1, 0, 3, 2]], scores[i][keep], labels[i][keep]).tobytes()
        )
    return out
