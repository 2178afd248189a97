"""SSD-ResNet34 (COCO 1200x1200): the MLPerf Inference benchmark through the shared harness.

    python benchmarks/ssd_resnet34/run.py --scenario Offline
    python benchmarks/ssd_resnet34/run.py --scenario SingleStream --accuracy --output out/ss-acc
    python benchmarks/ssd_resnet34/run.py --dataset-path /data/coco2017 \\
        --model resnet34-ssd1200.onnx --scenario Offline --official

Without ``--dataset-path`` and ``--model`` it runs on the embedded default
(synthetic.py). Flags: ``--help``; the harness: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from loadgen.harness import BenchmarkSpec, RunOptions, RunReport, coco, main
from loadgen.harness.calibration import CalibrationSet, image_list_calibration
from loadgen.harness.hints import server_demo_flags, short_run_hints
from loadgen.harness.script import benchmark_folder

HERE = benchmark_folder(__file__)  # makes `import ssd_resnet34` work when run as a script

from ssd_resnet34 import accuracy, synthetic
from ssd_resnet34.postprocess import respond

INPUT_NAME = "image"
OUTPUT_NAMES = ("bboxes", "labels", "scores")
MODEL_KEY = "ssd-resnet34"


def build_torch_model(path: str) -> Any:
    from ssd_resnet34.model import build_torch_model as build

    return build(path)


def make_dataset(opts: RunOptions) -> coco.CocoDetection:
    size = synthetic.input_size_for(opts.dataset_path, 1200)
    return coco.make_coco_dataset(opts, coco.profile_with_size("coco-1200", size))


def prepare(opts: RunOptions) -> RunOptions:
    """Fill in the embedded default data set and model where none was given."""
    return coco.prepare_embedded(
        opts,
        synthetic,
        accuracy.COCO_REFERENCE_MAP,
        "resnet34-ssd1200.onnx (onnxruntime) or the SSD-ResNet34 state dict / resnet34-ssd1200.pytorch (torch)",
    )


# The rules' COCO calibration list (shared/spec/benchmarks.md §0.3): coco_cal_images_list.txt, 500
# COCO 2017 train file names, one per line, relative to the train2017 image folder. The embedded
# default ships its calibration pictures with such a list (names relative to its calibration/).
CALIBRATION_LISTS = ("coco_cal_images_list.txt",)


def calibration(opts: RunOptions) -> CalibrationSet:
    """The pictures of --calibration-list (else the data folder's coco_cal_images_list.txt), found in
    train2017/ (or calibration/, or beside the list) and preprocessed as onnxruntime's inputs are."""
    assert opts.dataset_path is not None
    data = Path(opts.dataset_path)
    profile = coco.profile_with_size("coco-1200", synthetic.input_size_for(opts.dataset_path, 1200))
    return image_list_calibration(
        opts,
        CALIBRATION_LISTS,
        [data / "train2017", data / "calibration"],
        profile.preprocess,
        INPUT_NAME,
        "train2017 images",
    )


def hint(report: RunReport, opts: RunOptions) -> list[str]:
    """Why a short run on a small machine may be INVALID, and the flags for a VALID
    demonstration: the shared advice, with Server flags sized from the measured latency."""
    demo = server_demo_flags(report, "--max-latency 30 --qps 0.05 --time 10000")
    return short_run_hints(report, opts, MODEL_KEY, "100 ms at the 99th percentile", demo)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--synthetic-images",
        type=int,
        default=synthetic.DEFAULT_COUNT,
        help="size of the embedded synthetic data set (when no --dataset-path)",
    )
    p.add_argument(
        "--remove-empty-images",
        action="store_true",
        help="leave out images without annotations (the reference PyTorch profile's 4952-image set), "
        "in annotation-file order",
    )


SPEC = BenchmarkSpec(
    overhead="ssd_resnet34.overhead",
    name="SSD-ResNet34",
    config_model=MODEL_KEY,
    user_conf=str(HERE / "user.conf"),
    make_dataset=make_dataset,
    postprocess=None,
    respond=respond,
    accuracy=accuracy.score_for_harness,
    prepare=prepare,
    inputs=(INPUT_NAME,),
    outputs=OUTPUT_NAMES,
    torch_model_factory=build_torch_model,
    null_outputs=(((200, 4), "float32"), ((200,), "int64"), ((200,), "float32")),
    performance_sample_count=64,
    default_max_batchsize=1,
    hint=hint,
    calibration=calibration,
)


if __name__ == "__main__":
    sys.exit(main(SPEC, add_arguments=add_arguments))
