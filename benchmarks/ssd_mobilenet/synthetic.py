"""The embedded default: synthetic COCO-layout pictures and a fixed-seed SSD-MobileNet-v1.

Made once, as ``<cache>/synthetic-v<VERSION>-<n>/`` (the COCO 2017 layout, what is in it and
why: ``loadgen.harness.ssd_synthetic``; the model files ``ssd_mobilenet_seed0.pt`` / ``.onnx``),
preprocessed as coco-300 (onnxruntime) and coco-300-pt (torch).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
from loadgen.harness import coco
from loadgen.harness.cache import default_cache_dir as _cache_dir
from loadgen.harness.ssd_synthetic import DefaultAssets, SsdDefault, ensure_ssd_default

VERSION = 3  # 3: ships coco_cal_images_list.txt (the rules' calibration list format)
SEED = 0
DEFAULT_COUNT = 24
CAL_COUNT = 8
MODEL_STEM = f"ssd_mobilenet_seed{SEED}"
# 300 x 300 pictures: the two profiles (uint8 for onnxruntime, [-1, 1] float for torch)
# then see the same pixel values, since resizing to 300 changes nothing; a
# random-weight model is too sensitive to the uint8 truncation of resized values
# for its own detections to serve as labels for both otherwise.
RECIPE = SsdDefault(
    "SSD-MobileNet-v1",
    MODEL_STEM,
    VERSION,
    SEED,
    CAL_COUNT,
    (400, 300),
    ((300, 300), (300, 300)),
)

__all__ = ["DefaultAssets", "default_cache_dir", "ensure_default_assets"]


default_cache_dir = partial(_cache_dir, "ssd_mobilenet")


def ensure_default_assets(cache_dir: str | Path, n_images: int = DEFAULT_COUNT, log=print) -> DefaultAssets:
    """The default data set and models under ``cache_dir``, made if missing."""
    folder = Path(cache_dir) / f"synthetic-v{VERSION}-{n_images}"

    def load():
        import torch

        from . import model as ssd
        from .postprocess import respond

        def make_model(cal, tmp: Path):
            net = ssd.make_fixed_seed_model(cal, seed=SEED)
            torch.save(net.state_dict(), tmp / f"{MODEL_STEM}.pt")
            ssd.export_onnx(net, tmp / f"{MODEL_STEM}.onnx")
            return ssd.MLPerfSSDMobileNet(net).eval()

        return make_model, respond

    return ensure_ssd_default(
        folder,
        RECIPE,
        n_images,
        coco.PROFILES["coco-300-pt"],  # the torch backend's input
        load,
        lambda classes: classes.astype(np.int64),
        f"SSD-MobileNet-v1 in {folder}",
        log,
    )
