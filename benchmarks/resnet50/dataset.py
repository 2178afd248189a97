"""ImageNet 2012 validation set for ResNet50-v1.5: layout, preprocessing, cache.

Layout (as the reference's): a folder of JPEG files and a ``val_map.txt``
whose lines are ``<file name> <label>``, the file name relative to the folder,
the label an ImageNet class index 0..999.

Preprocessing (as the reference's, for the MLPerf ResNet50 model): decode to
BGR, convert to RGB, resize so that the short side is 256 (= 224 / 0.875)
keeping the aspect ratio with area interpolation, crop the central 224x224,
convert to float32, subtract the per-channel mean (123.68, 116.78, 103.94),
transpose HWC to CHW. Each preprocessed image is cached on disk as a ``.npy``
file, so later runs only read arrays.

``write_synthetic_images`` makes the embedded default's images: seeded,
structured pictures (gradients, shapes, stripes, noise) written as real JPEG
files of varied sizes in the same layout. They come in classes: each class
is one such picture (its prototype), and each image of the class is the
prototype photographed again (a little brighter or darker, another colour
cast, sensor noise: ``class_image``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from loadgen.harness import ItemDataset
from loadgen.harness.cache import cached_array
from loadgen.harness.image import bgr_to_rgb, cv2_module, load_image, resize_short_side_center_crop

MEAN_RGB = np.array([123.68, 116.78, 103.94], dtype=np.float32)
INPUT_SIZE = 224
CROP_PERCENT = 87.5  # the short side is resized to 100 * INPUT_SIZE / CROP_PERCENT = 256


def _cv2():
    return cv2_module()


def preprocess(bgr: np.ndarray) -> np.ndarray:
    """One decoded BGR uint8 image (H, W, 3) -> float32 (3, 224, 224), NCHW order.

    The shared pipeline (``loadgen.harness.image``): RGB, short side to 256
    with area interpolation, central 224 crop; then the mean subtraction.
    """
    img = resize_short_side_center_crop(bgr_to_rgb(bgr), INPUT_SIZE, CROP_PERCENT / 100.0)
    img = np.asarray(img, dtype=np.float32) - MEAN_RGB
    return np.ascontiguousarray(img.transpose(2, 0, 1))


def read_image_list(list_path: str | Path) -> list[tuple[str, int]]:
    """Lines ``<file> <label>`` (label optional: -1) of a val_map.txt-style list."""
    entries = []
    with open(list_path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, start=1):
            words = line.split()
            if not words:
                continue
            if len(words) > 2:
                raise ValueError(f"{list_path}:{line_no}: expected '<file> <label>', got {line.strip()!r}")
            entries.append((words[0], int(words[1]) if len(words) == 2 else -1))
    return entries


@dataclass
class ImageNetVal(ItemDataset):
    """The ImageNet validation set (or any folder in its layout).

    ``data_path``: the folder with the images and ``val_map.txt``;
    ``cache_dir``: where preprocessed arrays go (a subfolder per data folder);
    ``count``: use only the first ``count`` entries of the list.
    Images listed but missing are skipped with a warning, as the reference does.
    """

    data_path: str
    cache_dir: str
    count: int | None = None
    image_list: str | None = None

    name = "imagenet"

    def __post_init__(self) -> None:
        root = Path(self.data_path)
        list_path = Path(self.image_list) if self.image_list else root / "val_map.txt"
        if not list_path.is_file():
            raise FileNotFoundError(f"{list_path}: no image list (expected 'val_map.txt' in {root})")
        entries = read_image_list(list_path)
        present = [(f, lab) for f, lab in entries if (root / f).is_file()]
        self.missing = len(entries) - len(present)
        if self.count is not None:
            present = present[: self.count]
        if not present:
            raise ValueError(f"{root}: none of the {len(entries)} images of {list_path} was found")
        self.files = [f for f, _ in present]
        self.labels = np.array([lab for _, lab in present], dtype=np.int64)
        key = hashlib.sha1(str(root.resolve()).encode()).hexdigest()[:12]
        self.preprocessed_dir = Path(self.cache_dir) / "preprocessed" / f"{root.name}-{key}" / "NCHW"
        super().__init__()

    # --- Dataset interface.

    @property
    def total_count(self) -> int:
        return len(self.files)

    def label(self, index: int) -> int:
        return int(self.labels[index])

    # --- Cache.

    def get_item(self, index: int) -> np.ndarray:
        """The preprocessed image, from the cache or made (and cached) now."""
        return cached_array(
            self.preprocessed_dir / (self.files[index] + ".npy"),
            lambda: preprocess(load_image(Path(self.data_path) / self.files[index])),
        )


# ---------------------------------------------------------------------------
# Synthetic images for the embedded default.


def synthetic_image(rng: np.random.Generator) -> np.ndarray:
    """One structured BGR uint8 picture of random size (shorter side 240-480).

    A colour gradient, a few filled ellipses and rectangles, a patch of
    stripes and some noise: enough structure that a convolutional network's
    features differ from picture to picture.
    """
    cv2 = _cv2()
    h, w = (int(v) for v in rng.integers(240, 481, size=2))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    c0, c1 = rng.uniform(0, 255, size=(2, 3))
    angle = rng.uniform(0, 2 * np.pi)
    t = (np.cos(angle) * xx / w + np.sin(angle) * yy / h + 1.0) / 2.0
    img = (c0[None, None, :] * (1 - t[..., None]) + c1[None, None, :] * t[..., None]).astype(np.float32)
    for _ in range(int(rng.integers(2, 7))):
        colour = tuple(float(c) for c in rng.uniform(0, 255, size=3))
        cx, cy = int(rng.integers(0, w)), int(rng.integers(0, h))
        if rng.random() < 0.5:
            axes = (int(rng.integers(10, w // 2)), int(rng.integers(10, h // 2)))
            cv2.ellipse(img, (cx, cy), axes, float(rng.uniform(0, 180)), 0, 360, colour, -1)
        else:
            x2, y2 = int(rng.integers(0, w)), int(rng.integers(0, h))
            cv2.rectangle(img, (cx, cy), (x2, y2), colour, -1)
    period = rng.uniform(4, 40)
    theta = rng.uniform(0, np.pi)
    stripes = np.sin((np.cos(theta) * xx + np.sin(theta) * yy) * 2 * np.pi / period)
    y0, x0 = int(rng.integers(0, h // 2)), int(rng.integers(0, w // 2))
    patch = np.s_[y0 : y0 + h // 2, x0 : x0 + w // 2]
    img[patch] += stripes[patch][..., None] * rng.uniform(20, 80, size=3)
    img += rng.normal(0, rng.uniform(2, 20), size=img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def class_prototypes(count: int, seed: int) -> list[np.ndarray]:
    """``count`` class prototypes: one ``synthetic_image`` each, from its own seed."""
    return [synthetic_image(np.random.default_rng([seed, c])) for c in range(count)]


def class_image(prototype: np.ndarray, rng: np.random.Generator, exposure: bool = True) -> np.ndarray:
    """Another photo of ``prototype``: brightness x0.95-1.05 and a colour cast
    of up to +-8 per channel (``exposure``), and sensor noise (Gaussian,
    sigma 3). No geometric change: a random-weight network has none of the
    invariance to crops and mirroring that training gives, so such views
    would land between classes."""
    img = prototype.astype(np.float32)
    if exposure:
        img = img * rng.uniform(0.95, 1.05) + rng.uniform(-8, 8, size=3)
    img += rng.normal(0, 3, size=img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def jpeg_round_trip(bgr: np.ndarray, quality: int = 90) -> np.ndarray:
    """``bgr`` as it reads back from a JPEG file of this quality (in memory)."""
    cv2 = _cv2()
    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise OSError("cannot encode a JPEG image")
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def write_synthetic_images(
    folder: str | Path, prefix: str, classes: Sequence[int], prototypes: Sequence[np.ndarray], seed: int
) -> list[str]:
    """Write one JPEG file ``<prefix>_00000001.JPEG``... per entry of ``classes``
    (an index into ``prototypes``): a ``class_image`` of that prototype; returns their names."""
    cv2 = _cv2()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    names = []
    for i, c in enumerate(classes, start=1):
        name = f"{prefix}_{i:08d}.JPEG"
        img = class_image(prototypes[c], rng)
        if not cv2.imwrite(str(folder / name), img, [cv2.IMWRITE_JPEG_QUALITY, 90]):
            raise OSError(f"cannot write {folder / name}")
        names.append(name)
    return names
