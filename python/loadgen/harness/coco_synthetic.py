"""The embedded default of the SSD benchmarks in the COCO layout: synthetic
pictures, a COCO folder whose annotations are a model's own detections, and
filling a run.py's options with that default where no data set or model was
given (``loadgen.harness.coco``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from .coco_format import ANNOTATION_FILE, COCO_CATEGORIES, IMAGE_FOLDER, detection_records
from .coco_scoring import coco_map, coco_results, reference_map_for
from .image import cv2_module

# detect(paths) -> per image: boxes [k, 4] (ymin, xmin, ymax, xmax; normalised),
# scores [k], COCO category ids [k]: the FP32 model's detections as the
# harness would score them.
Detector = Callable[[Sequence[Path]], Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]]]


def synthetic_scene(rng: np.random.Generator, width: int, height: int, plain: bool = False) -> np.ndarray:
    """A BGR uint8 picture: a colour gradient with a few filled shapes
    (rectangles, ellipses, triangles) and some noise; ``plain``: the gradient only."""
    cv2 = cv2_module()
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    c0, c1 = rng.uniform(0, 255, size=(2, 3))
    t = (xx / width + yy / height)[..., None] / 2.0
    img = (c0 * (1 - t) + c1 * t).astype(np.float32)
    if not plain:
        for _ in range(int(rng.integers(2, 6))):
            colour = tuple(float(v) for v in rng.uniform(0, 255, size=3))
            w, h = (int(v) for v in rng.integers(width // 8, width // 2, size=1).tolist() * 2)
            h = int(h * rng.uniform(0.5, 1.5))
            x, y = int(rng.integers(0, width - w // 2)), int(rng.integers(0, height - h // 2))
            kind = rng.integers(0, 3)
            if kind == 0:
                cv2.rectangle(img, (x, y), (x + w, y + h), colour, -1)
            elif kind == 1:
                cv2.ellipse(img, (x + w // 2, y + h // 2), (w // 2, max(h // 2, 1)), 0, 0, 360, colour, -1)
            else:
                pts = np.array([[x, y + h], [x + w // 2, y], [x + w, y + h]], np.int32)
                cv2.fillPoly(img, [pts], colour)
        img += rng.normal(0, 6, size=img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def write_synthetic_coco(
    folder: str | Path,
    n_images: int,
    seed: int,
    detect: Detector,
    threshold: float,
    sizes: tuple[tuple[int, int], tuple[int, int]] = ((320, 640), (240, 480)),
) -> dict[str, Any]:
    """Write a COCO 2017 folder of ``n_images`` synthetic JPEGs whose annotations
    are ``detect``'s detections scoring >= the annotation threshold.

    The last picture is plain (a gradient). The threshold is ``threshold``,
    raised if needed just above the weakest image's best score, so that at
    least one image has no annotation (as in COCO val2017). Returns the facts
    for ``dataset.json``, including ``reference_map``: the mAP (percent,
    pycocotools) that the detections themselves score on these annotations.
    """
    cv2 = cv2_module()
    if n_images < 2:
        raise ValueError(f"n_images = {n_images}: the synthetic set needs at least 2 images")
    root = Path(folder)
    (root / IMAGE_FOLDER).mkdir(parents=True, exist_ok=True)
    (root / "annotations").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    images: list[dict[str, Any]] = []
    paths = []
    for i in range(n_images):
        w = int(rng.integers(sizes[0][0], sizes[0][1] + 1))
        h = int(rng.integers(sizes[1][0], sizes[1][1] + 1))
        image_id = 100_000 + 7 * i + 1
        name = f"{image_id:012d}.jpg"
        pic = synthetic_scene(rng, w, h, plain=i == n_images - 1)
        if not cv2.imwrite(str(root / IMAGE_FOLDER / name), pic, [cv2.IMWRITE_JPEG_QUALITY, 92]):
            raise OSError(f"cannot write {root / IMAGE_FOLDER / name}")
        images.append({"id": image_id, "file_name": name, "height": h, "width": w})
        paths.append(root / IMAGE_FOLDER / name)
    dets = list(detect(paths))
    best = sorted(float(s.max()) if len(s) else 0.0 for _, s, _ in dets)
    thr = threshold
    if best[0] >= thr:  # every image has a detection above the threshold
        thr = float(np.nextafter(np.float32(best[0]), np.float32(1.0)))
    annotations: list[dict[str, Any]] = []
    for img, (boxes, scores, cats) in zip(images, dets):
        ih, iw = float(img["height"]), float(img["width"])
        for box, score, cat in zip(boxes, scores, cats):
            if score < thr:
                continue
            # Exactly the box the payload describes (float32, scaled as the scorer scales it).
            y0, x0, y1, x1 = (float(np.float32(v)) for v in box)
            bw, bh = (x1 - x0) * iw, (y1 - y0) * ih
            if bw <= 0 or bh <= 0:
                continue
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": img["id"],
                    "category_id": int(cat),
                    "bbox": [x0 * iw, y0 * ih, bw, bh],
                    "area": bw * bh,
                    "iscrowd": 0,
                }
            )
    categories = [{"id": c, "name": n, "supercategory": "object"} for c, n in COCO_CATEGORIES]
    data = {
        "info": {
            "description": "synthetic COCO-layout pipeline check (labels = the FP32 model's detections)"
        },
        "images": images,
        "annotations": annotations,
        "categories": categories,
    }
    ann_path = root / ANNOTATION_FILE
    ann_path.write_text(json.dumps(data), encoding="utf-8")
    per_image: dict[int, set[int]] = {img["id"]: set() for img in images}
    for a in annotations:
        per_image[a["image_id"]].add(a["category_id"])
    responses = {
        i: detection_records(i, boxes, scores, cats).tobytes() for i, (boxes, scores, cats) in enumerate(dets)
    }
    results, seen = coco_results(responses, images)
    m, _ = coco_map(ann_path, results, seen)
    return {
        "images": n_images,
        "annotations": len(annotations),
        "annotation_threshold": thr,
        "images_without_annotations": sum(1 for v in per_image.values() if not v),
        "images_with_several_classes": sum(1 for v in per_image.values() if len(v) > 1),
        "distinct_classes": len(set().union(*per_image.values())),
        "reference_map": 100.0 * m,
    }


def prepare_embedded(opts: Any, synthetic: Any, default_reference_map: float, which_model: str) -> Any:
    """Fill in a detection benchmark's embedded default (``synthetic``: its
    module with ``default_cache_dir``, ``DEFAULT_COUNT`` and
    ``ensure_default_assets``) where no data set or model was given.
    ``which_model`` names the files to give with --dataset-path."""
    cache_dir = opts.cache_dir or str(synthetic.default_cache_dir())
    notes = list(opts.extra.get("notes", []))
    dataset_path, model = opts.dataset_path, opts.model
    if dataset_path is None:
        n = int(opts.extra.get("synthetic_images") or synthetic.DEFAULT_COUNT)
        assets = synthetic.ensure_default_assets(
            cache_dir, n_images=n, log=lambda s: print(s, file=sys.stderr, flush=True)
        )
        dataset_path = str(assets.data_dir)
        ref = reference_map_for(assets.data_dir, default_reference_map)
        if model is None:
            model = {"onnxruntime": str(assets.onnx_model), "torch": str(assets.torch_state_dict)}.get(
                opts.backend
            )
            notes.append(
                f"data: the embedded synthetic COCO-layout set ({n} pictures; annotations = the fixed-seed FP32 "
                f"model's own detections, FP32 mAP on it {ref:.3f}%): a pipeline and equivalence check, "
                f"not a COCO result"
            )
        else:
            notes.append(
                "data: the embedded synthetic set with your --model: its annotations come from the embedded "
                "model, so accuracy here says nothing about your model"
            )
    elif model is None and opts.backend != "null":
        raise ValueError(f"--dataset-path was given without --model: give {which_model} to run on it")
    return replace(
        opts,
        dataset_path=dataset_path,
        model=model,
        cache_dir=cache_dir,
        extra={**opts.extra, "notes": notes},
    )
