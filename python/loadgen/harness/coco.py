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
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from .accuracy import AccuracyResult, decode
from .cache import cached_array
from .dataset import ItemDataset
from .image import bgr_to_rgb, cv2_module, load_image, resize_exact

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


# ---------------------------------------------------------------------------
# Preprocessing.


@dataclass(frozen=True)
class Profile:
    """One preprocessing profile of the reference (see the module docstring)."""

    name: str
    size: int
    layout: str  # "NCHW" or "NHWC"
    dtype: str

    def preprocess(self, bgr: np.ndarray) -> np.ndarray:
        rgb = resize_exact(bgr_to_rgb(bgr).astype(np.float32), self.size, self.size)
        if self.name == "coco-300":
            img: np.ndarray = rgb.astype(np.uint8)  # truncation, as the reference's cast
        elif self.name == "coco-300-pt":
            img = (rgb - np.float32(127.5)) / np.float32(127.5)
        else:
            img = (rgb / np.float32(255.0) - IMAGENET_MEAN) / IMAGENET_STD
        if self.layout == "NCHW":
            img = img.transpose(2, 0, 1)
        return np.ascontiguousarray(img, dtype=self.dtype)


IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)

PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile("coco-300", 300, "NHWC", "uint8"),
        Profile("coco-300-pt", 300, "NCHW", "float32"),
        Profile("coco-1200", 1200, "NCHW", "float32"),
    )
}


def profile_with_size(name: str, size: int) -> Profile:
    """A profile's value transform at another square size (tiny test configurations)."""
    base = PROFILES[name]
    return Profile(base.name, size, base.layout, base.dtype)


# ---------------------------------------------------------------------------
# The data set.


def read_annotations(root: str | Path) -> dict[str, Any]:
    """The parsed ``annotations/instances_val2017.json`` under ``root``, checked
    for the fields this module uses."""
    path = Path(root) / ANNOTATION_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no annotation file (a COCO 2017 folder has {ANNOTATION_FILE} and {IMAGE_FOLDER}/)"
        )
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    for key in ("images", "annotations", "categories"):
        if not isinstance(data.get(key), list):
            raise ValueError(f"{path}: no '{key}' array")  # noqa: TRY004 - a bad file, not a bad argument
    for i, img in enumerate(data["images"]):
        for field in ("id", "file_name", "height", "width"):
            if field not in img:
                raise ValueError(f"{path}: images[{i}] has no '{field}'")
    return data


def image_list(data: Mapping[str, Any], remove_empty: bool = False) -> list[dict[str, Any]]:
    """The images in QSL order: the annotation file's order, optionally only
    those with at least one annotation."""
    images = list(data["images"])
    if remove_empty:
        annotated = {a["image_id"] for a in data["annotations"]}
        images = [img for img in images if img["id"] in annotated]
    return images


@dataclass
class CocoDetection(ItemDataset):
    """A COCO 2017 folder, preprocessed with one ``Profile``.

    ``count``: only the first ``count`` present images. ``missing``: how
    many listed images had no file. ``images``: the QSL-ordered image
    records (``id``, ``file_name``, ``height``, ``width``).
    """

    data_path: str
    cache_dir: str
    profile: Profile
    count: int | None = None
    remove_empty: bool = False

    name = "coco"

    def __post_init__(self) -> None:
        root = Path(self.data_path)
        data = read_annotations(root)
        listed = image_list(data, self.remove_empty)
        present = [img for img in listed if (root / IMAGE_FOLDER / img["file_name"]).is_file()]
        self.listed = len(listed)
        self.missing = len(listed) - len(present)
        if self.count is not None:
            present = present[: self.count]
        if not present:
            raise ValueError(
                f"{root}: none of the {len(listed)} images of {ANNOTATION_FILE} is in {IMAGE_FOLDER}/"
            )
        self.images = present
        self.category_ids = sorted(int(c["id"]) for c in data["categories"])
        key = hashlib.sha1(str(root.resolve()).encode()).hexdigest()[:12]
        p = self.profile
        self.preprocessed_dir = (
            Path(self.cache_dir) / "preprocessed" / f"{p.name}-{p.size}" / f"{root.name}-{key}" / p.layout
        )
        super().__init__()

    @property
    def annotation_file(self) -> Path:
        return Path(self.data_path) / ANNOTATION_FILE

    @property
    def total_count(self) -> int:
        return len(self.images)

    def get_item(self, index: int) -> np.ndarray:
        name = self.images[index]["file_name"]
        return cached_array(
            self.preprocessed_dir / IMAGE_FOLDER / (name + ".npy"),
            lambda: self.profile.preprocess(load_image(Path(self.data_path) / IMAGE_FOLDER / name)),
        )

    def notes(self) -> list[str]:
        """What the run should say about the data (missing files, the image set)."""
        out = []
        if self.missing:
            out.append(
                f"data: {self.missing} of the {self.listed} images listed in {ANNOTATION_FILE} have no file "
                f"in {IMAGE_FOLDER}/ and are left out"
            )
        if self.remove_empty:
            out.append("data: images without annotations are left out (the 4952-image set on COCO val2017)")
        return out


# ---------------------------------------------------------------------------
# Payload.


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


# ---------------------------------------------------------------------------
# Scoring.


def coco_results(
    responses: Mapping[int, bytes],
    images: Sequence[Mapping[str, Any]],
    inv_map: Sequence[int] | None = None,
    warn: Callable[[str], None] | None = None,
) -> tuple[list[dict[str, Any]], list[int]]:
    """Responses -> pycocotools result records (``image_id``, ``category_id``,
    ``bbox`` [x, y, w, h] in pixels, ``score``) and the ids of the images seen."""
    results: list[dict[str, Any]] = []
    seen: list[int] = []
    mismatched = 0
    for idx in sorted(responses):
        if idx >= len(images):
            raise ValueError(f"qsl_idx {idx} is beyond the {len(images)} images of the data set")
        img = images[idx]
        seen.append(int(img["id"]))
        recs = decode_payload(responses[idx])
        h, w = float(img["height"]), float(img["width"])
        for rec in recs:
            if int(rec[0]) != idx:
                mismatched += 1
            ymin, xmin, ymax, xmax = (float(v) for v in rec[1:5])
            cls = int(rec[6])
            if inv_map is not None:
                if not 0 < cls < len(inv_map):
                    raise ValueError(f"qsl_idx {idx}: class {cls} is outside 1..{len(inv_map) - 1}")
                cls = inv_map[cls]
            results.append(
                {
                    "image_id": int(img["id"]),
                    "category_id": cls,
                    "bbox": [xmin * w, ymin * h, (xmax - xmin) * w, (ymax - ymin) * h],
                    "score": float(rec[5]),
                }
            )
    if mismatched and warn is not None:
        warn(f"warning: {mismatched} detection records carry a qsl_index other than their log record's")
    return results, seen


def coco_map(
    annotation_file: str | Path,
    results: Sequence[Mapping[str, Any]],
    image_ids: Sequence[int],
    verbose: bool = False,
) -> tuple[float, list[float]]:
    """pycocotools' bbox mAP (0..1) over ``image_ids`` and the 12 summary stats.

    pycocotools' own printing goes to stdout only with ``verbose``.
    """
    try:
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
    except ImportError as e:
        raise ImportError(f"scoring COCO needs pycocotools ({e}); pip install 'loadgen[benchmarks]'") from e
    sink: Any = contextlib.nullcontext() if verbose else contextlib.redirect_stdout(io.StringIO())
    with sink:
        gt = COCO(str(annotation_file))
        if results:
            dt = gt.loadRes([dict(r) for r in results])
        else:
            dt = COCO()  # no detections at all: every image is all-missed
            dt.dataset = {"images": gt.dataset["images"], "categories": gt.dataset["categories"]}
            dt.dataset["annotations"] = []
            dt.createIndex()
        ev = COCOeval(gt, dt, iouType="bbox")
        ev.params.imgIds = list(image_ids)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    stats = [float(s) for s in ev.stats]
    return max(stats[0], 0.0), stats  # -1 (no ground truth at all) counts as 0


def reference_map_for(data_dir: str | Path, default: float) -> float:
    """The FP32 reference mAP (percent) for this data folder: ``dataset.json``'s
    ``reference_map`` (the embedded default), else the rules' value."""
    info = Path(data_dir) / "dataset.json"
    if info.is_file():
        ref = json.loads(info.read_text(encoding="utf-8")).get("reference_map")
        if ref is not None:
            return float(ref)
    return default


def evaluate(
    responses: Mapping[int, bytes],
    images: Sequence[Mapping[str, Any]],
    annotation_file: str | Path,
    use_inv_map: bool,
    reference_map: float | None,
    verbose: bool = False,
    warn: Callable[[str], None] | None = None,
) -> AccuracyResult:
    """mAP of the logged responses, as an ``AccuracyResult`` with the reference line."""
    inv = None
    if use_inv_map:
        with open(annotation_file, encoding="utf-8") as f:
            inv = inverse_label_map([c["id"] for c in json.load(f)["categories"]])
    results, seen = coco_results(responses, images, inv, warn)
    m, stats = coco_map(annotation_file, results, seen, verbose)
    value = 100.0 * m
    return AccuracyResult(
        metric="mAP (%)",
        value=value,
        line=f"mAP={value:.3f}%",
        reference=reference_map,
        target=None if reference_map is None else reference_map * TARGET_FRACTION,
        target_fraction=TARGET_FRACTION,
        details={"images": len(seen), "detections": len(results), "stats": stats},
    )


# ---------------------------------------------------------------------------
# The embedded default: synthetic pictures in the COCO layout.

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


# ---------------------------------------------------------------------------
# The standalone accuracy script both SSD benchmarks ship.


def accuracy_main(
    argv: Sequence[str] | None, model_name: str, reference_map: float, use_inv_map_default: bool
) -> int:
    """``accuracy.py``'s command line (the reference's accuracy-coco.py flags)."""
    import argparse
    import sys

    p = argparse.ArgumentParser(description=f"COCO mAP of an MLPerf {model_name} accuracy log (pycocotools)")
    p.add_argument("--mlperf-accuracy-file", required=True, help="mlperf_log_accuracy.json")
    p.add_argument("--coco-dir", required=True, help=f"folder with {ANNOTATION_FILE} and {IMAGE_FOLDER}/")
    p.add_argument(
        "--use-inv-map",
        action=argparse.BooleanOptionalAction,
        default=use_inv_map_default,
        help="classes in the payload are 1..80 ranks, mapped to COCO category ids",
    )
    p.add_argument(
        "--remove-48-empty-images",
        action="store_true",
        help="the QSL held only images with annotations (annotation-file order)",
    )
    p.add_argument("--output-file", default="coco-results.json", help="detections in COCO result format")
    p.add_argument(
        "--reference-map",
        type=float,
        help=f"FP32 reference mAP in percent (default: dataset.json in --coco-dir, else {reference_map})",
    )
    p.add_argument("--verbose", action="store_true", help="pycocotools' loading messages too")
    args = p.parse_args(argv)
    images = image_list(read_annotations(args.coco_dir), args.remove_48_empty_images)
    present = [img for img in images if (Path(args.coco_dir) / IMAGE_FOLDER / img["file_name"]).is_file()]
    if len(present) != len(images):
        print(
            f"warning: {len(images) - len(present)} listed images have no file; QSL indices follow the "
            f"{len(present)} present ones, as the benchmark's data set does",
            file=sys.stderr,
        )
    responses = first_response_per_sample_from(args.mlperf_accuracy_file)
    ref = (
        args.reference_map
        if args.reference_map is not None
        else reference_map_for(args.coco_dir, reference_map)
    )
    ann = Path(args.coco_dir) / ANNOTATION_FILE
    inv = None
    if args.use_inv_map:
        inv = inverse_label_map([c["id"] for c in read_annotations(args.coco_dir)["categories"]])
    results, seen = coco_results(responses, present, inv, warn=lambda s: print(s, file=sys.stderr))
    Path(args.output_file).write_text(json.dumps(results), encoding="utf-8")
    m, _stats = coco_map(ann, results, seen, verbose=True)
    value = 100.0 * m
    result = AccuracyResult(
        metric="mAP (%)",
        value=value,
        line=f"mAP={value:.3f}%",
        reference=ref,
        target=ref * TARGET_FRACTION,
        target_fraction=TARGET_FRACTION,
        details={"images": len(seen), "detections": len(results)},
    )
    print(result.line)
    print(result.target_line())
    return 0


def first_response_per_sample_from(path: str | Path) -> dict[int, bytes]:
    from .accuracy import first_response_per_sample, read_accuracy_log

    return first_response_per_sample(read_accuracy_log(path))


# --- What both SSD benchmarks' run.py need (dataset with notes, the embedded default).


def make_coco_dataset(opts: Any, profile: Profile) -> CocoDetection:
    """The COCO folder of ``opts.dataset_path`` with ``profile``; its notes
    (missing files, left-out images) go to stderr and into the run's notes."""
    assert opts.dataset_path is not None and opts.cache_dir is not None
    ds = CocoDetection(
        opts.dataset_path,
        opts.cache_dir,
        profile,
        count=opts.count,
        remove_empty=bool(opts.extra.get("remove_empty_images")),
    )
    for note in ds.notes():
        print(note, file=sys.stderr, flush=True)
        opts.extra.setdefault("notes", []).append(note)
    return ds


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
