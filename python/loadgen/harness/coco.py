"""COCO 2017 detection data for the SSD benchmarks: the folder, the
preprocessing profiles, the response payload, the label maps and the mAP.

Layout (``--dataset-path``)::

    <root>/annotations/instances_val2017.json
    <root>/val2017/<file_name>.jpg

Images are taken in the order of the annotation file's ``images`` array;
that order is the QSL index. An image whose file is missing is left out and
counted (``CocoDetection.missing``); the run reports it. With
``remove_empty`` (the SSD-ResNet34 PyTorch profile), images without any
annotation are left out too, still in annotation-file order: that is this
implementation's explicit order of the 4952-image set.

Preprocessing profiles (all: OpenCV decode, BGR -> RGB, bilinear resize
straight to the square size, no crop):

=============  =====  ============================================  =======  ======
profile        size   values                                        dtype    layout
=============  =====  ============================================  =======  ======
coco-300       300    the resized float image cast to uint8         uint8    NHWC
coco-300-pt    300    (x - 127.5) / 127.5, i.e. [-1, 1]             float32  NCHW
coco-1200      1200   (x / 255 - mean) / std, ImageNet mean/std     float32  NCHW
=============  =====  ============================================  =======  ======

Response payload (one sample): float32 records of 7 values
``[qsl_index, ymin, xmin, ymax, xmax, score, class]``, boxes normalised to
[0, 1]; an image without detections sends an empty response.

Scoring is pycocotools' ``COCOeval`` (bbox); the printed line is
``mAP=<100 * stats[0], 3 decimals>%``. ``class`` is a COCO category id
(SSD-MobileNet, 91-slot space) or, with ``use_inv_map``, a 1-based rank in
the sorted category ids (SSD-ResNet34, 1..80), mapped back through
``inverse_label_map``.

pycocotools and OpenCV are imported on first use.

This module gathers the names; they live in ``coco_format`` (layout,
categories, label maps, payload), ``coco_dataset`` (reading the folder,
preprocessing), ``coco_scoring`` (mAP, the accuracy script) and
``coco_synthetic`` (the embedded default).
"""

from __future__ import annotations

from .coco_dataset import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    PROFILES,
    CocoDetection,
    Profile,
    image_list,
    make_coco_dataset,
    profile_with_size,
    read_annotations,
)
from .coco_format import (
    ANNOTATION_FILE,
    COCO_CATEGORIES,
    COCO_CATEGORY_IDS,
    IMAGE_FOLDER,
    RECORD_FLOATS,
    TARGET_FRACTION,
    decode_payload,
    detection_records,
    forward_label_map,
    inverse_label_map,
)
from .coco_scoring import (
    accuracy_main,
    coco_map,
    coco_results,
    evaluate,
    first_response_per_sample_from,
    reference_map_for,
)
from .coco_synthetic import Detector, prepare_embedded, synthetic_scene, write_synthetic_coco

__all__ = [
    "ANNOTATION_FILE",
    "COCO_CATEGORIES",
    "COCO_CATEGORY_IDS",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "IMAGE_FOLDER",
    "PROFILES",
    "RECORD_FLOATS",
    "TARGET_FRACTION",
    "CocoDetection",
    "Detector",
    "Profile",
    "accuracy_main",
    "coco_map",
    "coco_results",
    "decode_payload",
    "detection_records",
    "evaluate",
    "first_response_per_sample_from",
    "forward_label_map",
    "image_list",
    "inverse_label_map",
    "make_coco_dataset",
    "prepare_embedded",
    "profile_with_size",
    "read_annotations",
    "reference_map_for",
    "synthetic_scene",
    "write_synthetic_coco",
]
