"""Reading a COCO 2017 folder: the annotation file, the images in QSL order,
the preprocessing profiles, and the folder as a Dataset (``CocoDetection``,
and ``make_coco_dataset`` for a run.py's options; ``loadgen.harness.coco``)."""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .cache import cached_array
from .coco_format import ANNOTATION_FILE, IMAGE_FOLDER
from .dataset import ItemDataset
from .image import bgr_to_rgb, load_image, resize_exact


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
