"""ResNet50-v1.5 on ImageNet: the MLPerf Inference benchmark through the shared harness.

    python benchmarks/resnet50/run.py --scenario Offline
    python benchmarks/resnet50/run.py --scenario SingleStream --accuracy --output out/ss-acc
    python benchmarks/resnet50/run.py --dataset-path /data/imagenet/val \\
        --model resnet50_v1.onnx --scenario Offline --official

Without ``--dataset-path`` and ``--model`` it runs on the embedded default
(synthetic.py). Flags: ``--help``; the harness: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from loadgen.harness import BenchmarkSpec, RunOptions, main
from loadgen.harness.embedded import Embedded, add_size_argument, data_note, stderr_line
from loadgen.harness.precision import CalibrationSet, dataset_feeds, find_calibration_list, list_identity
from loadgen.harness.script import benchmark_folder, imported_when_called

HERE = benchmark_folder(__file__)  # makes `import resnet50` work when run as a script

from resnet50 import synthetic
from resnet50.dataset import ImageNetVal, read_image_list

INPUT_NAME = "input_tensor:0"
ARGMAX_OUTPUT = "ArgMax:0"


def postprocess(outputs: list[np.ndarray]) -> np.ndarray:
    """ArgMax over 1001 classes -> ImageNet label (class 0 is background), as
    one float32 per sample: the reference harness's response."""
    return (outputs[0].reshape(-1, 1) - 1).astype(np.float32)


def make_dataset(opts: RunOptions) -> ImageNetVal:
    assert opts.dataset_path is not None and opts.cache_dir is not None
    return ImageNetVal(opts.dataset_path, opts.cache_dir, count=opts.count)


def embedded(opts: RunOptions, cache_dir: str) -> Embedded:
    n = int(opts.extra.get("synthetic_images") or synthetic.DEFAULT_VAL_COUNT)
    assets = synthetic.ensure_default_assets(cache_dir, n_val=n, log=stderr_line)
    return Embedded(
        assets.data_dir,
        {"onnxruntime": assets.onnx_model, "torch": assets.torch_state_dict},
        data_note(
            f"data set ({n} images, labels = the fixed-seed FP32 reference model's own predictions)",
            "an ImageNet result",
        ),
    )


# The rules' ImageNet calibration lists (shared/spec/benchmarks.md §0.3): one file name per line
# (option 2 adds a label, which calibration ignores); use at most one. The embedded default ships
# its 16 calibration images in the option-1 format as cal_image_list.txt.
CALIBRATION_LISTS = ("cal_image_list_option_1.txt", "cal_image_list_option_2.txt", "cal_image_list.txt")


def calibration(opts: RunOptions) -> CalibrationSet:
    """The calibration images of --calibration-list (else the data folder's list), preprocessed
    exactly as the validation images; names are relative to the data folder (or the list's)."""
    assert opts.dataset_path is not None and opts.cache_dir is not None
    data = Path(opts.dataset_path)
    lst = find_calibration_list(opts, CALIBRATION_LISTS, [data])
    names = [f for f, _ in read_image_list(lst)]
    root = data if all((data / f).is_file() for f in names) else lst.parent
    missing = [f for f in names if not (root / f).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{lst}: {len(missing)} of its {len(names)} calibration images are not in {data} (or {lst.parent}), "
            f"e.g. {missing[0]}"
        )
    cal = ImageNetVal(str(root), opts.cache_dir, image_list=str(lst))
    return CalibrationSet(
        source=f"{lst.name} ({len(names)} images)",
        identity=list_identity(lst, root.resolve(), [(root / f).stat().st_size for f in names]),
        count=len(names),
        feeds=lambda: dataset_feeds(cal, (INPUT_NAME,), batch_size=8),
    )


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_size_argument(
        p, "--synthetic-images", synthetic.DEFAULT_VAL_COUNT, "size of the embedded synthetic data set"
    )


SPEC = BenchmarkSpec.in_folder(
    HERE,
    name="ResNet50-v1.5",
    config_model="resnet50",
    make_dataset=make_dataset,
    postprocess=postprocess,
    embedded=embedded,
    which_model="give the ONNX file (onnxruntime) or the ResNet50 state dict (torch) to run on it",
    inputs=(INPUT_NAME,),
    outputs=(ARGMAX_OUTPUT,),
    torch_model_factory=imported_when_called("resnet50.model:build_torch_model"),
    null_outputs=(((), "int64"),),
    performance_sample_count=1024,
    default_max_batchsize=32,
    server_bound="15 ms at the 99th percentile; one image takes longer on a few cores",
    server_demo="--max-latency 1 --qps 10 --time 60",
    calibration=calibration,
)


if __name__ == "__main__":
    sys.exit(main(SPEC, add_arguments=add_arguments))
