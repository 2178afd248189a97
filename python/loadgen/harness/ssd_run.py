"""What both SSD benchmarks' ``run.py`` share: the COCO data set, the embedded
default, the rules' COCO calibration list and the flags.

A benchmark's ``run.py`` says only what is its own: the preprocessing profile
for a run (``profile(opts)``), the model files to give, the Server bound.
Each function here returns the hook its ``BenchmarkSpec`` takes.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import coco
from .calibration import CalibrationSet, image_list_calibration
from .embedded import add_size_argument
from .settings import RunOptions

Profile = Callable[[RunOptions], coco.Profile]

# The rules' COCO calibration list (shared/spec/benchmarks.md §0.3): coco_cal_images_list.txt, 500
# COCO 2017 train file names, one per line, relative to the train2017 image folder. The embedded
# default ships its calibration pictures with such a list (names relative to its calibration/).
CALIBRATION_LISTS = ("coco_cal_images_list.txt",)


def dataset(profile: Profile) -> Callable[[RunOptions], coco.CocoDetection]:
    """``make_dataset``: the COCO folder of ``opts.dataset_path``, read with ``profile(opts)``."""

    def make_dataset(opts: RunOptions) -> coco.CocoDetection:
        return coco.make_coco_dataset(opts, profile(opts))

    return make_dataset


def embedded_default(
    synthetic: Any, reference_map: float, which_model: str
) -> Callable[[RunOptions], RunOptions]:
    """``prepare``: the embedded default (``synthetic``: the benchmark's module) where
    no data set or model was given; ``which_model`` names the files to give with --dataset-path."""

    def prepare(opts: RunOptions) -> RunOptions:
        return coco.prepare_embedded(opts, synthetic, reference_map, which_model)

    return prepare


def list_calibration(profile: Profile, input_name: str) -> Callable[[RunOptions], CalibrationSet]:
    """``calibration``: the pictures of --calibration-list (else the data folder's
    coco_cal_images_list.txt), found in train2017/ (or calibration/, or beside the list)
    and preprocessed with ``profile(opts)``, as onnxruntime's inputs are."""

    def calibration(opts: RunOptions) -> CalibrationSet:
        assert opts.dataset_path is not None
        data = Path(opts.dataset_path)
        return image_list_calibration(
            opts,
            CALIBRATION_LISTS,
            [data / "train2017", data / "calibration"],
            profile(opts).preprocess,
            input_name,
            "train2017 images",
        )

    return calibration


def arguments(default_count: int, remove_empty_help: str) -> Callable[[argparse.ArgumentParser], None]:
    """``add_arguments``: the embedded default's size and --remove-empty-images."""

    def add_arguments(p: argparse.ArgumentParser) -> None:
        add_size_argument(p, "--synthetic-images", default_count, "size of the embedded synthetic data set")
        p.add_argument("--remove-empty-images", action="store_true", help=remove_empty_help)

    return add_arguments
