"""The embedded default: a synthetic data set and a fixed-seed model.

Made once per cache folder, in ImageNet's layout, so that the whole real
pipeline runs on it (JPEG decoding, preprocessing, the on-disk cache, both
backends, the accuracy script):

    <cache>/synthetic-v1-<n_val>/
        synthetic_val_00000001.JPEG ...     the validation images
        val_map.txt                          "<file> <label>" lines
        calibration/synthetic_cal_*.JPEG     the calibration images
        cal_image_list.txt                   their paths, relative to the folder
        resnet50_v1.5_seed0.pt               the FP32 reference model (a ResNet50 state dict)
        resnet50_v1.5_seed0.onnx             the same weights with the MLPerf interface
        dataset.json                         what this is; written last (marks it complete)

The images come in ``N_CLASSES`` classes, each a prototype picture taken
again with another exposure, colour cast and sensor noise
(``dataset.class_image``); the calibration images are other views of the
same classes. The model's BatchNorm statistics are calibrated on the
calibration images only, as the rules' calibration set is meant to be used,
and its classifier is fitted in closed form to the class prototypes (the
nearest-prototype rule, each prototype with the images' noise and JPEG coding; ``model.make_fixed_seed_model``), so an image sits
far from the boundary to the next class, as in a trained network, rather
than at the near-tie a random classifier gives.

The labels are the FP32 reference model's own top-1 predictions (torch, FP32),
so that model scores 100 % by construction and the quality target is 99 % of
that: a pipeline and equivalence check, not an ImageNet result.
``dataset.json`` records how many of those predictions are the class an
image was drawn from, and the smallest and median top-1 margins (logits).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import ClassVar

import numpy as np
from loadgen.harness.cache import AssetFolder, build_once
from loadgen.harness.cache import default_cache_dir as _cache_dir

from . import dataset as ds

VERSION = 2  # 2: classes of views of prototypes, a fitted classifier (real margins)
SEED = 0
DEFAULT_VAL_COUNT = 64
DEFAULT_CAL_COUNT = 16
N_CLASSES = 16
MODEL_STEM = f"resnet50_v1.5_seed{SEED}"


@dataclass(frozen=True)
class DefaultAssets(AssetFolder):
    val_count: int
    FILES: ClassVar[dict[str, str]] = {
        "data_dir": ".",
        "onnx_model": f"{MODEL_STEM}.onnx",
        "torch_state_dict": f"{MODEL_STEM}.pt",
        "calibration_list": "cal_image_list.txt",
    }


default_cache_dir = partial(_cache_dir, "resnet50")


def ensure_default_assets(
    cache_dir: str | Path, n_val: int = DEFAULT_VAL_COUNT, n_cal: int = DEFAULT_CAL_COUNT, log=print
) -> DefaultAssets:
    """The default data set and models under ``cache_dir``, made if missing.

    Needs torch, onnx and opencv the first time. Built in a temporary folder
    and renamed into place, so an interrupted build leaves nothing half-made.
    """
    folder = Path(cache_dir) / f"synthetic-v{VERSION}-{n_val}"
    if (folder / "dataset.json").is_file():  # built already: no torch needed
        return DefaultAssets(folder, n_val)
    try:
        import torch

        from . import model as resnet
    except ImportError as e:
        raise ImportError(
            f"making the embedded default data set and model needs torch and onnx ({e}); "
            f"pip install 'loadgen[benchmarks]', or give --dataset-path and --model"
        ) from e

    log(f"making the embedded default (once): {n_val} synthetic images and a fixed-seed ResNet50 in {folder}")

    def build(tmp: Path) -> None:
        rng = np.random.default_rng(SEED)
        class_ids = sorted(int(c) for c in rng.choice(np.arange(1, resnet.NUM_CLASSES), N_CLASSES, False))
        prototypes = ds.class_prototypes(N_CLASSES, seed=SEED + 3)
        val_classes = rng.permutation(np.arange(n_val) % N_CLASSES)
        val_files = ds.write_synthetic_images(tmp, "synthetic_val", val_classes, prototypes, seed=SEED + 1)
        cal_files = ds.write_synthetic_images(
            tmp / "calibration", "synthetic_cal", np.arange(n_cal) % N_CLASSES, prototypes, seed=SEED + 2
        )
        cal_list = [f"calibration/{f}" for f in cal_files]
        (tmp / "cal_image_list.txt").write_text("".join(f + "\n" for f in cal_list), encoding="utf-8")

        def batch(files: list[str]) -> np.ndarray:
            return np.stack([ds.preprocess(ds.load_image(tmp / f)) for f in files])

        # Each class's reference for the classifier: its prototype with the sensor noise and JPEG
        # coding every image of it has, but no change of exposure.
        ref_rng = np.random.default_rng(SEED + 4)
        references = [ds.jpeg_round_trip(ds.class_image(p, ref_rng, exposure=False)) for p in prototypes]
        net = resnet.make_fixed_seed_model(
            batch(cal_list), np.stack([ds.preprocess(r) for r in references]), class_ids, seed=SEED
        )
        torch.save(net.state_dict(), tmp / f"{MODEL_STEM}.pt")
        resnet.export_onnx(net.state_dict(), tmp / f"{MODEL_STEM}.onnx")

        # Labels: the FP32 reference's predictions, on the images as the
        # harness will feed them (decoded from the written JPEGs).
        with torch.no_grad():
            logits = net(torch.from_numpy(batch(val_files)))
        top1 = torch.argmax(logits, dim=1).numpy()
        top2 = torch.topk(logits, 2, dim=1).values.numpy()
        labels = top1 - 1  # class 0 is background
        (tmp / "val_map.txt").write_text(
            "".join(f"{f} {int(lab)}\n" for f, lab in zip(val_files, labels)), encoding="utf-8"
        )
        margin = top2[:, 0] - top2[:, 1]
        info = {
            "what": "synthetic ImageNet-layout data set for ResNet50-v1.5; labels are the FP32 reference "
            "model's own top-1 predictions (a pipeline and equivalence check, not an ImageNet result)",
            "version": VERSION,
            "seed": SEED,
            "val_images": n_val,
            "calibration_images": n_cal,
            "reference_top1": 100.0,
            "reference_model": f"{MODEL_STEM}.pt",
            "onnx_model": f"{MODEL_STEM}.onnx",
            "classes": N_CLASSES,
            "class_ids": class_ids,
            "labels_equal_to_the_drawn_class": int((top1 == np.asarray(class_ids)[val_classes]).sum()),
            "distinct_labels": len(set(labels.tolist())),
            "smallest_top1_margin": float(margin.min()),
            "median_top1_margin": float(np.median(margin)),
            "background_predictions": int((labels < 0).sum()),
        }
        (tmp / "dataset.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")

    build_once(folder, build)
    return DefaultAssets(folder, n_val)
