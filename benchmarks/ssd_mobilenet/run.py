"""SSD-MobileNet-v1 (COCO 300x300): the MLPerf Inference benchmark through the shared harness.

    python benchmarks/ssd_mobilenet/run.py --scenario Offline
    python benchmarks/ssd_mobilenet/run.py --scenario SingleStream --accuracy --output out/ss-acc
    python benchmarks/ssd_mobilenet/run.py --dataset-path /data/coco2017 \\
        --model ssd_mobilenet_v1_coco_2018_01_28.onnx --scenario Offline --official

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

HERE = benchmark_folder(__file__)  # makes `import ssd_mobilenet` work when run as a script

from ssd_mobilenet import accuracy, synthetic
from ssd_mobilenet.postprocess import respond

INPUT_NAME = "image_tensor:0"
OUTPUT_NAMES = ("num_detections:0", "detection_boxes:0", "detection_scores:0", "detection_classes:0")
MODEL_KEY = "ssd-mobilenet"
# The input each backend's model takes: the TF/ONNX graph uint8 NHWC, the PyTorch model [-1, 1] NCHW.
PROFILE_FOR_BACKEND = {"onnxruntime": "coco-300", "torch": "coco-300-pt", "null": "coco-300"}


def build_torch_model(path: str) -> Any:
    from ssd_mobilenet.model import build_torch_model as build

    return build(path)


def make_dataset(opts: RunOptions) -> coco.CocoDetection:
    return coco.make_coco_dataset(opts, coco.PROFILES[PROFILE_FOR_BACKEND.get(opts.backend, "coco-300")])


def prepare(opts: RunOptions) -> RunOptions:
    """Fill in the embedded default data set and model where none was given."""
    return coco.prepare_embedded(
        opts,
        synthetic,
        accuracy.COCO_REFERENCE_MAP,
        "ssd_mobilenet_v1_coco_2018_01_28.onnx (onnxruntime) or the state dict of ssd_mobilenet_v1.pytorch (torch)",
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
    profile = coco.PROFILES["coco-300"]
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
    return short_run_hints(
        report,
        opts,
        MODEL_KEY,
        "10 ms at the 99th percentile in the v0.5 rules; SSD-MobileNet is edge-only, without Server, from v0.7",
        demo,
    )


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
        help="leave out images without annotations (annotation-file order)",
    )


SPEC = BenchmarkSpec(
    overhead="ssd_mobilenet.overhead",
    name="SSD-MobileNet-v1",
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
    null_outputs=(((), "float32"), ((100, 4), "float32"), ((100,), "float32"), ((100,), "float32")),
    performance_sample_count=256,
    default_max_batchsize=8,
    hint=hint,
    calibration=calibration,
)


if __name__ == "__main__":
    sys.exit(main(SPEC, add_arguments=add_arguments))
