"""The embedded default of the SSD benchmarks: synthetic COCO-layout pictures
labelled by a fixed-seed model's own detections, so that the whole real
pipeline runs on it (JPEG decoding, the benchmark's preprocessing, the
on-disk cache, both backends, pycocotools scoring). It checks the pipeline
and that both backends agree; it is not a COCO result.

Both SSDs (MobileNet-v1 at 300x300, ResNet34 at 1200x1200) make their
embedded default the same way; a benchmark's ``synthetic.py`` says only what
is particular to its model (see ``SsdDefault``) and calls
``ensure_ssd_default``. Steps, inside one ``build_once`` folder:

1. ``cal_count`` calibration pictures (``calibration/calibration_NNN.jpg``,
   seed + 2), preprocessed with the torch profile;
2. ``make_model(calibration, folder)`` (from the benchmark's ``load()``,
   which imports torch and the model only when the default is missing)
   builds the fixed-seed model, saves its state dict and ONNX file, returns
   the MLPerf-interface torch module;
3. that module's detections (through the benchmark's ``respond``, so exactly
   what the harness would report) on each picture become the annotations
   (``coco.write_synthetic_coco``, seed + 1, kept above the threshold);
4. ``dataset.json`` (what this is, the FP32 mAP) is written last.

The folder, in the COCO 2017 layout::

    val2017/000000100001.jpg ...          the pictures (the last one plain)
    annotations/instances_val2017.json    the FP32 model's own detections above the threshold
    calibration/*.jpg                      the calibration pictures
    coco_cal_images_list.txt               their names, in the format of the rules' COCO list
    <model_stem>.pt                        the FP32 reference model (a state dict)
    <model_stem>.onnx                      the same weights with the MLPerf interface
    dataset.json                           what this is, the FP32 mAP; written last

The annotations are the FP32 model's detections (torch, on the images as the
harness feeds them), so that model scores about 100 % mAP by construction; at
least one image has no annotation.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import coco
from .cache import build_once
from .image import cv2_module, load_image


@dataclass(frozen=True)
class DefaultAssets:
    data_dir: Path
    onnx_model: Path
    torch_state_dict: Path


@dataclass(frozen=True)
class SsdDefault:
    """What one SSD's embedded default is made of.

    name: shown in the log line and ``dataset.json``'s "what".
    model_stem: file stem of the ``.pt``/``.onnx`` files.
    version, seed: of the recipe (in ``dataset.json``).
    cal_count, cal_picture: number and (width, height) of calibration pictures.
    picture_sizes: the ``sizes`` of ``coco.write_synthetic_coco``.
    threshold: detections scoring at least this become annotations.
    """

    name: str
    model_stem: str
    version: int
    seed: int
    cal_count: int
    cal_picture: tuple[int, int]
    picture_sizes: tuple[tuple[int, int], tuple[int, int]]
    threshold: float = 0.5
    info: Mapping[str, Any] = field(default_factory=dict)


ModelMaker = Callable[[np.ndarray, Path], Any]
Responder = Callable[[list[np.ndarray], Any, np.ndarray], list[bytes]]


def assets_in(folder: Path, model_stem: str) -> DefaultAssets:
    return DefaultAssets(folder, folder / f"{model_stem}.onnx", folder / f"{model_stem}.pt")


def torch_needed(e: ImportError) -> ImportError:
    """The error when torch/onnx are missing for making the embedded default."""
    return ImportError(
        f"making the embedded default needs torch and onnx ({e}); pip install 'loadgen[benchmarks]', "
        f"or give --dataset-path and --model"
    )


def ensure_ssd_default(
    folder: Path,
    recipe: SsdDefault,
    n_images: int,
    profile: coco.Profile,
    load: Callable[[], tuple[ModelMaker, Responder]],
    category_ids: Callable[[np.ndarray], np.ndarray],
    log_what: str,
    log: Callable[[str], None] = print,
) -> DefaultAssets:
    """The embedded default in ``folder``, made if missing (see the module doc).

    ``load()`` imports what making it needs and returns ``(make_model,
    respond)``: the model maker of step 2 and the benchmark's response
    function; an ImportError from it says to install torch and onnx.
    ``category_ids(classes)`` maps the payload's class column to COCO ids;
    ``log_what`` ends the log line (e.g. "SSD-ResNet34 (1200x1200) in <folder>").
    """
    if (folder / "dataset.json").is_file():
        return assets_in(folder, recipe.model_stem)
    try:
        import torch

        make_model, respond = load()
    except ImportError as e:
        raise torch_needed(e) from e

    log(f"making the embedded default (once): {n_images} synthetic pictures and a fixed-seed {log_what}")

    def build(tmp: Path) -> None:
        cv2 = cv2_module()
        rng = np.random.default_rng(recipe.seed + 2)
        (tmp / "calibration").mkdir()
        cal = []
        w, h = recipe.cal_picture
        for i in range(recipe.cal_count):
            path = tmp / "calibration" / f"calibration_{i:03d}.jpg"
            cv2.imwrite(str(path), coco.synthetic_scene(rng, w, h), [cv2.IMWRITE_JPEG_QUALITY, 92])
            cal.append(profile.preprocess(load_image(path)))
        # Their names in the format of the rules' COCO list (int8 calibration reads it).
        (tmp / "coco_cal_images_list.txt").write_text(
            "".join(f"calibration_{i:03d}.jpg\n" for i in range(recipe.cal_count)), encoding="utf-8"
        )
        wrapper = make_model(np.stack(cal), tmp)

        def detect(paths):
            out = []
            for path in paths:
                x = torch.from_numpy(profile.preprocess(load_image(path))[None])
                with torch.no_grad():
                    outputs = [t.numpy() for t in wrapper(x)]
                (payload,) = respond(outputs, None, np.zeros(1, np.uint64))
                rec = coco.decode_payload(bytes(payload))
                out.append((rec[:, 1:5], rec[:, 5], category_ids(rec[:, 6])))
            return out

        info = coco.write_synthetic_coco(
            tmp, n_images, recipe.seed + 1, detect, recipe.threshold, recipe.picture_sizes
        )
        info.update(
            {
                "what": f"synthetic COCO-layout data set for {recipe.name}; annotations are the fixed-seed FP32 "
                "model's own detections (a pipeline and equivalence check, not a COCO result)",
                "version": recipe.version,
                "seed": recipe.seed,
                **recipe.info,
                "reference_model": f"{recipe.model_stem}.pt",
                "onnx_model": f"{recipe.model_stem}.onnx",
            }
        )
        if info["images_with_several_classes"] == 0:
            raise RuntimeError(f"the synthetic set has no image with several classes: {info}")
        (tmp / "dataset.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")

    build_once(folder, build)
    return assets_in(folder, recipe.model_stem)
