"""The embedded default: synthetic COCO-layout pictures and a fixed-seed SSD-ResNet34.

Made once per cache folder, in the COCO 2017 layout, so that the whole real
pipeline runs on it (JPEG decoding, the coco-1200 preprocessing, the on-disk
cache, both backends, pycocotools scoring)::

    <cache>/synthetic-v1-<n>-<size>-w<div>/
        val2017/000000100001.jpg ...          the pictures (the last one plain)
        annotations/instances_val2017.json    the FP32 model's own detections scoring >= 0.5
        calibration/*.jpg                      the calibration pictures
        coco_cal_images_list.txt               their names, in the format of the rules' COCO list
        ssd_resnet34_seed0.pt                  the FP32 reference model (a state dict)
        ssd_resnet34_seed0.onnx                the same weights with the MLPerf interface
        dataset.json                           what this is, the FP32 mAP; written last

The annotations are the fixed-seed FP32 model's detections (torch, on the
images as the harness feeds them), so that model scores about 100 % mAP by
construction; at least one image has no annotation. This checks the
pipeline and that both backends agree; it is not a COCO result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from loadgen.harness import coco
from loadgen.harness.cache import build_once
from loadgen.harness.cache import default_cache_dir as _cache_dir
from loadgen.harness.image import cv2_module, load_image

VERSION = 2  # 2: ships coco_cal_images_list.txt (the rules' calibration list format)
SEED = 0
DEFAULT_COUNT = 6
CAL_COUNT = 4
ANNOTATION_THRESHOLD = 0.5
MODEL_STEM = f"ssd_resnet34_seed{SEED}"


@dataclass(frozen=True)
class DefaultAssets:
    data_dir: Path
    onnx_model: Path
    torch_state_dict: Path


def default_cache_dir() -> Path:
    return _cache_dir("ssd_resnet34")


def _assets(folder: Path) -> DefaultAssets:
    return DefaultAssets(folder, folder / f"{MODEL_STEM}.onnx", folder / f"{MODEL_STEM}.pt")


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
    if (folder / "dataset.json").is_file():
        return _assets(folder)
    try:
        import torch

        from . import model as ssd
        from .run import respond
    except ImportError as e:
        raise ImportError(
            f"making the embedded default needs torch and onnx ({e}); pip install 'loadgen[benchmarks]', "
            f"or give --dataset-path and --model"
        ) from e
    log(
        f"making the embedded default (once): {n_images} synthetic pictures and a fixed-seed "
        f"SSD-ResNet34 ({size}x{size}) in {folder}"
    )
    profile = coco.profile_with_size("coco-1200", size)
    small = size < 1200

    def build(tmp: Path) -> None:
        cv2 = cv2_module()
        rng = np.random.default_rng(SEED + 2)
        (tmp / "calibration").mkdir()
        cal = []
        for i in range(CAL_COUNT):
            path = tmp / "calibration" / f"calibration_{i:03d}.jpg"
            w, h = (160, 120) if small else (640, 480)
            cv2.imwrite(str(path), coco.synthetic_scene(rng, w, h), [cv2.IMWRITE_JPEG_QUALITY, 92])
            cal.append(profile.preprocess(load_image(path)))
        (tmp / "coco_cal_images_list.txt").write_text(
            "".join(f"calibration_{i:03d}.jpg\n" for i in range(CAL_COUNT)), encoding="utf-8"
        )
        net = ssd.make_fixed_seed_model(np.stack(cal), size=size, width_div=width_div, seed=SEED)
        state = dict(net.state_dict())
        if size != ssd.SIZE:
            state["_config.size"] = torch.tensor(size)
        torch.save(state, tmp / f"{MODEL_STEM}.pt")
        ssd.export_onnx(net, tmp / f"{MODEL_STEM}.onnx")
        wrapper = ssd.MLPerfSSDResNet34(net).eval()
        inv = coco.inverse_label_map(coco.COCO_CATEGORY_IDS)

        def detect(paths):
            out = []
            for path in paths:
                x = torch.from_numpy(profile.preprocess(load_image(path))[None])
                with torch.no_grad():
                    outputs = [t.numpy() for t in wrapper(x)]
                (payload,) = respond(outputs, None, np.zeros(1, np.uint64))
                rec = coco.decode_payload(bytes(payload))
                out.append((rec[:, 1:5], rec[:, 5], np.array([inv[int(c)] for c in rec[:, 6]], np.int64)))
            return out

        sizes = ((120, 200), (90, 150)) if small else ((320, 640), (240, 480))
        info = coco.write_synthetic_coco(tmp, n_images, SEED + 1, detect, ANNOTATION_THRESHOLD, sizes)
        info.update(
            {
                "what": "synthetic COCO-layout data set for SSD-ResNet34; annotations are the fixed-seed FP32 "
                "model's own detections (a pipeline and equivalence check, not a COCO result)",
                "version": VERSION,
                "seed": SEED,
                "input_size": size,
                "width_div": width_div,
                "reference_model": f"{MODEL_STEM}.pt",
                "onnx_model": f"{MODEL_STEM}.onnx",
            }
        )
        if info["images_with_several_classes"] == 0:
            raise RuntimeError(f"the synthetic set has no image with several classes: {info}")
        (tmp / "dataset.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")

    build_once(folder, build)
    return _assets(folder)
