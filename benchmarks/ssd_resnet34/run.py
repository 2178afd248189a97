"""SSD-ResNet34 (COCO 1200x1200): the MLPerf Inference benchmark through the shared harness.

    python benchmarks/ssd_resnet34/run.py --scenario Offline
    python benchmarks/ssd_resnet34/run.py --scenario SingleStream --accuracy --output out/ss-acc
    python benchmarks/ssd_resnet34/run.py --dataset-path /data/coco2017 \\
        --model resnet34-ssd1200.onnx --scenario Offline --official

Without ``--dataset-path`` and ``--model`` it runs on the embedded default
(synthetic.py). Flags: ``--help``; the harness: docs/benchmarks.md.
"""

from __future__ import annotations

import sys

from loadgen.harness import RunOptions, coco, main, ssd_run
from loadgen.harness.script import benchmark_folder, imported_when_called

HERE = benchmark_folder(__file__)  # makes `import ssd_resnet34` work when run as a script

from ssd_resnet34 import accuracy, synthetic
from ssd_resnet34.postprocess import respond

INPUT_NAME = "image"
OUTPUT_NAMES = ("bboxes", "labels", "scores")
MODEL_KEY = "ssd-resnet34"


def profile(opts: RunOptions) -> coco.Profile:
    """coco-1200 at the input size the data folder was made for (the tests' tiny one is smaller)."""
    return coco.profile_with_size("coco-1200", synthetic.input_size_for(opts.dataset_path, 1200))


SPEC = ssd_run.spec(
    folder=HERE,
    synthetic=synthetic,
    accuracy=accuracy,
    profile=profile,
    calibration_profile=profile,
    which_model="resnet34-ssd1200.onnx (onnxruntime) or the SSD-ResNet34 state dict / resnet34-ssd1200.pytorch (torch)",
    input_name=INPUT_NAME,
    overhead="ssd_resnet34.overhead",
    name="SSD-ResNet34",
    config_model=MODEL_KEY,
    respond=respond,
    outputs=OUTPUT_NAMES,
    torch_model_factory=imported_when_called("ssd_resnet34.model:build_torch_model"),
    null_outputs=(((200, 4), "float32"), ((200,), "int64"), ((200,), "float32")),
    performance_sample_count=64,
    default_max_batchsize=1,
    server_bound="100 ms at the 99th percentile",
)

add_arguments = ssd_run.arguments(
    synthetic.DEFAULT_COUNT,
    "leave out images without annotations (the reference PyTorch profile's 4952-image set), in annotation-file order",
)


if __name__ == "__main__":
    sys.exit(main(SPEC, add_arguments=add_arguments))
