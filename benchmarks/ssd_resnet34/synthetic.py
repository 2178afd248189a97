"""The embedded default: synthetic COCO-layout pictures and a fixed-seed SSD-ResNet34.

Made once, as ``<cache>/synthetic-v<VERSION>-<n>-<size>-w<div>/`` (the COCO 2017 layout, what is
in it and why: ``loadgen.harness.ssd_synthetic``; the model files ``ssd_resnet34_seed0.pt`` /
``.onnx``), preprocessed as coco-1200.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import numpy as np
from loadgen.harness import coco
from loadgen.harness.cache import default_cache_dir as _cache_dir
from loadgen.harness.ssd_synthetic import DefaultAssets, SsdDefault, ensure_ssd_default

VERSION = 2  # 2: ships coco_cal_images_list.txt (the rules' calibration list format)
SEED = 0
DEFAULT_COUNT = 6
CAL_COUNT = 4
MODEL_STEM = f"ssd_resnet34_seed{SEED}"

__all__ = ["DefaultAssets", "default_cache_dir", "ensure_default_assets", "input_size_for"]


default_cache_dir = partial(_cache_dir, "ssd_resnet34")


def input_size_for(data_dir: str | Path, default: int) -> int:
    """The network input size a data folder was made for (``dataset.json``), else ``default``."""
    info = Path(data_dir) / "dataset.json"
    if info.is_file():
        return int(json.loads(info.read_text(encoding="utf-8")).get("input_size", default))
    return default


def ensure_default_assets(
    cache_dir: str | Path, n_images: int = DEFAULT_COUNT, size: int = 1200, width_div: int = 1, log=print
) -> DefaultAssets:
    """The default data set and models under ``cache_dir``, made if missing.

    ``size``/``width_div`` other than 1200/1 make the tests' tiny configuration.
    """
    folder = Path(cache_dir) / f"synthetic-v{VERSION}-{n_images}-{size}-w{width_div}"
    small = size < 1200
    recipe = SsdDefault(
        "SSD-ResNet34",
        MODEL_STEM,
        VERSION,
        SEED,
        CAL_COUNT,
        (160, 120) if small else (640, 480),
        ((120, 200), (90, 150)) if small else ((320, 640), (240, 480)),
        info={"input_size": size, "width_div": width_div},
    )

    def load():
        import torch

        from . import model as ssd
        from .postprocess import respond

        def make_model(cal, tmp: Path):
            net = ssd.make_fixed_seed_model(cal, size=size, width_div=width_div, seed=SEED)
            state = dict(net.state_dict())
            if size != ssd.SIZE:
                state["_config.size"] = torch.tensor(size)
            torch.save(state, tmp / f"{MODEL_STEM}.pt")
            ssd.export_onnx(net, tmp / f"{MODEL_STEM}.onnx")
            return ssd.MLPerfSSDResNet34(net).eval()

        return make_model, respond

    inv = coco.inverse_label_map(coco.COCO_CATEGORY_IDS)
    return ensure_ssd_default(
        folder,
        recipe,
        n_images,
        coco.profile_with_size("coco-1200", size),
        load,
        lambda labels: np.array([inv[int(c)] for c in labels], np.int64),
        f"SSD-ResNet34 ({size}x{size}) in {folder}",
        log,
    )
