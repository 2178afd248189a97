"""The embedded default: synthetic COCO-layout pictures and a fixed-seed SSD-MobileNet-v1.

Made once per cache folder, in the COCO 2017 layout, so that the whole real
pipeline runs on it (JPEG decoding, the coco-300 (onnxruntime) and coco-300-pt (torch) preprocessing, the on-disk
cache, both backends, pycocotools scoring)::

    <cache>/synthetic-v1-<n>/
        val2017/000000100001.jpg ...          the pictures (the last one plain)
        annotations/instances_val2017.json    the FP32 model's own detections scoring >= 0.5
        calibration/*.jpg                      the calibration pictures
        coco_cal_images_list.txt               their names, in the format of the rules' COCO list
        ssd_mobilenet_seed0.pt                  the FP32 reference model (a state dict)
        ssd_mobilenet_seed0.onnx                the same weights with the MLPerf interface
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

VERSION = 3  # 3: ships coco_cal_images_list.txt (the rules' calibration list format)
SEED = 0
DEFAULT_COUNT = 24
CAL_COUNT = 8
ANNOTATION_THRESHOLD = 0.5
MODEL_STEM = f"ssd_mobilenet_seed{SEED}"


@dataclass(frozen=True)
class DefaultAssets:
    data_dir: Path
    onnx_model: Path
    torch_state_dict: Path


def default_cache_dir() -> Path:
    return _cache_dir("ssd_mobilenet")


def _assets(folder: Path) -> DefaultAssets:
    return DefaultAssets(folder, folder / f"{MODEL_STEM}.onnx", folder / f"{MODEL_STEM}.pt")


def ensure_default_assets(cache_dir: str | Path, n_images: int = DEFAULT_COUNT, log=print) -> DefaultAssets:
    """The default data set and models under ``cache_dir``, made if missing."""
    folder = Path(cache_dir) / f"synthetic-v{VERSION}-{n_images}"
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
        f"SSD-MobileNet-v1 in {folder}"
    )
    profile = coco.PROFILES["coco-300-pt"]  # the torch backend's input

    def build(tmp: Path) -> None:
        cv2 = cv2_module()
        rng = np.random.default_rng(SEED + 2)
        (tmp / "calibration").mkdir()
        cal = []
        for i in range(CAL_COUNT):
            path = tmp / "calibration" / f"calibration_{i:03d}.jpg"
            w, h = 400, 300
            cv2.imwrite(str(path), coco.synthetic_scene(rng, w, h), [cv2.IMWRITE_JPEG_QUALITY, 92])
            cal.append(profile.preprocess(load_image(path)))
        (tmp / "coco_cal_images_list.txt").write_text(
            "".join(f"calibration_{i:03d}.jpg\n" for i in range(CAL_COUNT)), encoding="utf-8"
        )
        net = ssd.make_fixed_seed_model(np.stack(cal), seed=SEED)
        torch.save(net.state_dict(), tmp / f"{MODEL_STEM}.pt")
        ssd.export_onnx(net, tmp / f"{MODEL_STEM}.onnx")
        wrapper = ssd.MLPerfSSDMobileNet(net).eval()

        def detect(paths):
            out = []
            for path in paths:
                x = torch.from_numpy(profile.preprocess(load_image(path))[None])
                with torch.no_grad():
                    outputs = [t.numpy() for t in wrapper(x)]
                (payload,) = respond(outputs, None, np.zeros(1, np.uint64))
                rec = coco.decode_payload(bytes(payload))
                out.append((rec[:, 1:5], rec[:, 5], rec[:, 6].astype(np.int64)))
            return out

        # 300 x 300 pictures: the two profiles (uint8 for onnxruntime, [-1, 1] float for torch)
        # then see the same pixel values, since resizing to 300 changes nothing; a
        # random-weight model is too sensitive to the uint8 truncation of resized values
        # for its own detections to serve as labels for both otherwise.
        info = coco.write_synthetic_coco(
            tmp, n_images, SEED + 1, detect, ANNOTATION_THRESHOLD, sizes=((300, 300), (300, 300))
        )
        info.update(
            {
                "what": "synthetic COCO-layout data set for SSD-MobileNet-v1; annotations are the fixed-seed FP32 "
                "model's own detections (a pipeline and equivalence check, not a COCO result)",
                "version": VERSION,
                "seed": SEED,
                "reference_model": f"{MODEL_STEM}.pt",
                "onnx_model": f"{MODEL_STEM}.onnx",
            }
        )
        if info["images_with_several_classes"] == 0:
            raise RuntimeError(f"the synthetic set has no image with several classes: {info}")
        (tmp / "dataset.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")

    build_once(folder, build)
    return _assets(folder)
