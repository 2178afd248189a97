"""The image pipeline the vision benchmarks share: decode, colour order, resize, crop.

Every reference vision harness reads images with OpenCV (BGR, HWC, uint8)
and converts to RGB before anything else; they differ in how they resize:

* ``resize_short_side_center_crop``: ImageNet classifiers (ResNet50): scale
  so that the short side is ``size / crop_fraction``, keeping the aspect
  ratio (area interpolation), then cut the central ``size`` x ``size``;
* ``resize_exact``: the SSD detectors: straight to ``width`` x ``height``,
  bilinear, aspect ratio not kept, nothing cut.

The functions take and return uint8 or float32 HWC arrays and do not
normalise; each benchmark applies its own value transform afterwards.
``tests/test_image_pipeline.py`` checks this pipeline with real ImageNet
weights on real photographs.

OpenCV is imported on first use, so importing this module is cheap.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def cv2_module():
    """OpenCV, imported on first use (a clear error when it is missing)."""
    try:
        import cv2
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(f"image decoding needs OpenCV ({e}); pip install 'loadgen[benchmarks]'") from e
    return cv2


def load_image(path: str | Path) -> np.ndarray:
    """Decode an image file (JPEG, PNG, ...) to BGR uint8 ``(H, W, 3)``, always 3 channels."""
    cv2 = cv2_module()
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise OSError(f"cannot decode image {path}")
    return img


def bgr_to_rgb(bgr: np.ndarray) -> np.ndarray:
    """Swap the channel order of an ``(H, W, 3)`` image."""
    if bgr.ndim != 3 or bgr.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) image, got shape {bgr.shape}")
    return np.ascontiguousarray(bgr[:, :, ::-1])


def resize_short_side_center_crop(img: np.ndarray, size: int, crop_fraction: float) -> np.ndarray:
    """Resize so the short side is ``int(size / crop_fraction)`` (aspect kept, area
    interpolation), then take the central ``size`` x ``size`` square.

    ``crop_fraction`` 0.875 is the ImageNet convention (256 -> 224).
    """
    if not 0 < crop_fraction <= 1:
        raise ValueError(f"crop_fraction = {crop_fraction}: must be in (0, 1]")
    cv2 = cv2_module()
    height, width = img.shape[:2]
    short = int(size / crop_fraction)
    if height > width:
        new_w, new_h = short, int(short * height / width)
    else:
        new_h, new_w = short, int(short * width / height)
    img = cv2.resize(img, (new_w, new_h), interpolation=cv2.INTER_AREA)
    top = int((new_h - size) / 2)
    left = int((new_w - size) / 2)
    return img[top : top + size, left : left + size]


def resize_exact(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize straight to ``width`` x ``height`` with bilinear interpolation."""
    cv2 = cv2_module()
    return cv2.resize(img, (width, height), interpolation=cv2.INTER_LINEAR)
