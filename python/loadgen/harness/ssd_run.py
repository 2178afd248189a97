"""What both SSD benchmarks' ``run.py`` and ``accuracy.py`` share: the COCO data
set, the embedded default, the rules' COCO calibration list, the flags, the
accuracy hook, the ``BenchmarkSpec`` made of them (``spec``) and the
harness-overhead comparison (``overhead_comparison``).

A benchmark says only what is its own: the preprocessing profile for a run
(``profile(opts)``), the model files to give, its tensors, the Server bound.
Each function but ``spec`` returns the hook a ``BenchmarkSpec`` takes.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import coco, overhead
from .accuracy import AccuracyResult, first_response_per_sample, read_accuracy_log
from .benchmark import BenchmarkSpec
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


def accuracy_hook(reference_map: float, use_inv_map: bool) -> Callable[[str, Any, Any], AccuracyResult]:
    """``accuracy.score_for_harness``: the mAP of a run's accuracy log over the
    images of the Dataset the run used (so ``--count`` and missing files line up
    with the QSL indices); ``reference_map``: the rules' FP32 value, replaced by
    the embedded default's own."""

    def score_for_harness(accuracy_log: str, dataset: Any, opts: Any) -> AccuracyResult:
        responses = first_response_per_sample(read_accuracy_log(accuracy_log))
        return coco.evaluate(
            responses,
            dataset.images,
            dataset.annotation_file,
            use_inv_map=use_inv_map,
            reference_map=coco.reference_map_for(dataset.data_path, reference_map),
        )

    return score_for_harness


def spec(
    *,
    folder: Path,
    synthetic: Any,
    accuracy: Any,
    profile: Profile,
    calibration_profile: Profile,
    which_model: str,
    input_name: str,
    **fields: Any,
) -> BenchmarkSpec:
    """An SSD's ``BenchmarkSpec``: its ``folder``'s user.conf, the hooks above
    (``accuracy``: its module, with ``score_for_harness`` and
    ``COCO_REFERENCE_MAP``), responses by ``fields["respond"]``, the shared
    short-run advice with Server flags sized from the measured latency, and
    the rest of ``fields`` as given."""
    return BenchmarkSpec(
        user_conf=str(folder / "user.conf"),
        make_dataset=dataset(profile),
        postprocess=None,
        accuracy=accuracy.score_for_harness,
        prepare=embedded_default(synthetic, accuracy.COCO_REFERENCE_MAP, which_model),
        inputs=(input_name,),
        calibration=list_calibration(calibration_profile, input_name),
        server_demo="--max-latency 30 --qps 0.05 --time 10000",
        server_demo_sized=True,
        **fields,
    )


def overhead_comparison(
    args: argparse.Namespace, synthetic: Any, title: str, profile: str, input_name: str, outputs: Any
) -> overhead.Comparison:
    """An SSD's ``overhead.comparison``: its embedded default's ONNX file (its NMS
    inside the graph) on random batches of its pictures read with
    ``coco.PROFILES[profile]``, with the same session settings, worker threads,
    intra-op threads and batches on both sides; on the harness side the payload
    records are built and completed inside the timed part
    (``overhead.random_batch_comparison``)."""
    assets = synthetic.ensure_default_assets(args.cache_dir, log=overhead.stderr_log)
    return overhead.random_batch_comparison(
        args,
        title,
        assets.onnx_model,
        assets.data_dir,
        coco.CocoDetection(str(assets.data_dir), args.cache_dir, coco.PROFILES[profile]),
        overhead.session_predict(assets.onnx_model, args, outputs, input_name),
    )
