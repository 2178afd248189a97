"""SSD-MobileNet-v1 (COCO 300x300): the MLPerf Inference benchmark through the shared harness.

    python benchmarks/ssd_mobilenet/run.py --scenario Offline
    python benchmarks/ssd_mobilenet/run.py --scenario SingleStream --accuracy --output out/ss-acc
    python benchmarks/ssd_mobilenet/run.py --dataset-path /data/coco2017 \\
        --model ssd_mobilenet_v1_coco_2018_01_28.onnx --scenario Offline --official

Without ``--dataset-path`` and ``--model`` it runs on the embedded default
(synthetic.py). Flags: ``--help``; the harness: docs/benchmarks.md.
"""

from __future__ import annotations

import sys

from loadgen.harness import RunOptions, coco, main, ssd_run
from loadgen.harness.script import benchmark_folder, imported_when_called

HERE = benchmark_folder(__file__)  # makes `import ssd_mobilenet` work when run as a script

from ssd_mobilenet import accuracy, synthetic
from ssd_mobilenet.postprocess import respond

INPUT_NAME = "image_tensor:0"
OUTPUT_NAMES = ("num_detections:0", "detection_boxes:0", "detection_scores:0", "detection_classes:0")
MODEL_KEY = "ssd-mobilenet"
# The input each backend's model takes: the TF/ONNX graph uint8 NHWC, the PyTorch model [-1, 1] NCHW.
PROFILE_FOR_BACKEND = {"onnxruntime": "coco-300", "torch": "coco-300-pt", "null": "coco-300"}


def profile(opts: RunOptions) -> coco.Profile:
    """The preprocessing of the run's backend's model."""
    return coco.PROFILES[PROFILE_FOR_BACKEND.get(opts.backend, "coco-300")]


SPEC = ssd_run.spec(
    folder=HERE,
    synthetic=synthetic,
    accuracy=accuracy,
    profile=profile,
    calibration_profile=lambda opts: coco.PROFILES["coco-300"],
    which_model="ssd_mobilenet_v1_coco_2018_01_28.onnx (onnxruntime) or the state dict of ssd_mobilenet_v1.pytorch (torch)",
    input_name=INPUT_NAME,
    overhead="ssd_mobilenet.overhead",
    name="SSD-MobileNet-v1",
    config_model=MODEL_KEY,
    respond=respond,
    outputs=OUTPUT_NAMES,
    torch_model_factory=imported_when_called("ssd_mobilenet.model:build_torch_model"),
    null_outputs=(((), "float32"), ((100, 4), "float32"), ((100,), "float32"), ((100,), "float32")),
    performance_sample_count=256,
    default_max_batchsize=8,
    server_bound="10 ms at the 99th percentile in the v0.5 rules; SSD-MobileNet is edge-only, without Server, from v0.7",
)

add_arguments = ssd_run.arguments(
    synthetic.DEFAULT_COUNT, "leave out images without annotations (annotation-file order)"
)


if __name__ == "__main__":
    sys.exit(main(SPEC, add_arguments=add_arguments))
