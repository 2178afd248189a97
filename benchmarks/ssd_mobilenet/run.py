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
from dataclasses import replace
from typing import Any

import numpy as np
from loadgen.harness import BenchmarkSpec, RunOptions, RunReport, coco, main
from loadgen.harness.script import benchmark_folder

HERE = benchmark_folder(__file__)  # makes `import ssd_mobilenet` work when run as a script

from ssd_mobilenet import accuracy, synthetic

INPUT_NAME = "image_tensor:0"
OUTPUT_NAMES = ("num_detections:0", "detection_boxes:0", "detection_scores:0", "detection_classes:0")
MODEL_KEY = "ssd-mobilenet"
# The input each backend's model takes: the TF/ONNX graph uint8 NHWC, the PyTorch model [-1, 1] NCHW.
PROFILE_FOR_BACKEND = {"onnxruntime": "coco-300", "torch": "coco-300-pt", "null": "coco-300"}


def respond(outputs: list[np.ndarray], dataset: Any, indices: np.ndarray) -> list[bytes]:
    """The TF graph's four outputs -> one payload per sample: the first
    ``num_detections`` rows as ``[qsl_index, ymin, xmin, ymax, xmax, score,
    class]`` float32 records (classes are COCO ids), empty when nothing was detected."""
    num, boxes, scores, classes = outputs
    out = []
    for i, qsl_index in enumerate(indices.tolist()):
        k = int(num[i])
        out.append(coco.detection_records(qsl_index, boxes[i, :k], scores[i, :k], classes[i, :k]).tobytes())
    return out


def build_torch_model(path: str) -> Any:
    from ssd_mobilenet.model import build_torch_model as build

    return build(path)


def make_dataset(opts: RunOptions) -> coco.CocoDetection:
    assert opts.dataset_path is not None and opts.cache_dir is not None
    ds = coco.CocoDetection(
        opts.dataset_path,
        opts.cache_dir,
        coco.PROFILES[PROFILE_FOR_BACKEND.get(opts.backend, "coco-300")],
        count=opts.count,
        remove_empty=bool(opts.extra.get("remove_empty_images")),
    )
    for note in ds.notes():
        print(note, file=sys.stderr, flush=True)
        opts.extra.setdefault("notes", []).append(note)
    return ds


def prepare(opts: RunOptions) -> RunOptions:
    """Fill in the embedded default data set and model where none was given."""
    cache_dir = opts.cache_dir or str(synthetic.default_cache_dir())
    notes = list(opts.extra.get("notes", []))
    dataset_path, model = opts.dataset_path, opts.model
    if dataset_path is None:
        n = int(opts.extra.get("synthetic_images") or synthetic.DEFAULT_COUNT)
        assets = synthetic.ensure_default_assets(
            cache_dir, n_images=n, log=lambda s: print(s, file=sys.stderr, flush=True)
        )
        dataset_path = str(assets.data_dir)
        ref = coco.reference_map_for(assets.data_dir, accuracy.COCO_REFERENCE_MAP)
        if model is None:
            model = {"onnxruntime": str(assets.onnx_model), "torch": str(assets.torch_state_dict)}.get(
                opts.backend
            )
            notes.append(
                f"data: the embedded synthetic COCO-layout set ({n} pictures; annotations = the fixed-seed FP32 "
                f"model's own detections, FP32 mAP on it {ref:.3f}%): a pipeline and equivalence check, "
                f"not a COCO result"
            )
        else:
            notes.append(
                "data: the embedded synthetic set with your --model: its annotations come from the embedded "
                "model, so accuracy here says nothing about your model"
            )
    elif model is None and opts.backend != "null":
        raise ValueError(
            "--dataset-path was given without --model: give ssd_mobilenet_v1_coco_2018_01_28.onnx (onnxruntime) "
            "or the state dict of ssd_mobilenet_v1.pytorch (torch) to run on it"
        )
    return replace(
        opts,
        dataset_path=dataset_path,
        model=model,
        cache_dir=cache_dir,
        extra={**opts.extra, "notes": notes},
    )


def hint(report: RunReport, opts: RunOptions) -> list[str]:
    """Why a short run on a small machine may be INVALID, and the flags for a VALID demonstration."""
    p = report.performance
    if p is None or p.valid or opts.official:
        return []
    per_query_s = max(p.latency_ms.get("mean", 0.0) / 1000.0, 1e-3)
    if p.scenario == "SingleStream":
        n = 64
        return [
            (
                f"SingleStream's 90th-percentile early-stopping estimate needs about {n} queries; at {per_query_s:.1f} s "
                f"per image that is about {n * per_query_s / 60:.0f} min. For a VALID run: "
                f"--time {int(n * per_query_s * 1.2) + 1}"
            )
        ]
    if p.scenario == "MultiStream":
        spq = opts.samples_per_query or 8
        n = 662
        return [
            (
                f"MultiStream needs at least {n} queries of {spq} images for its 99th-percentile estimate; at "
                f"{per_query_s:.1f} s per query that is about {n * per_query_s / 3600:.1f} h here. For a VALID "
                f"run: --time {int(n * per_query_s * 1.1) + 1} (or fewer images per query, e.g. --samples-per-query 1 "
                f"--time {int(n * per_query_s / spq * 1.1) + 1}, which is not the rules' 8)"
            )
        ]
    if p.scenario == "Server":
        lat = max(2.0 * per_query_s, 1.0)
        qps = 0.5 / max(per_query_s, 1e-3)
        n = 460
        return [
            (
                f"Server is VALID only if 99% of queries meet the bound (10 ms in the v0.5 rules; SSD-MobileNet is edge-only, without Server, from v0.7) and about {n} "
                f"queries ran; one image takes {per_query_s:.1f} s here. For a demonstration (not an "
                f"official result): --max-latency {lat:.0f} --qps {qps:.2f} --time {int(n / qps * 1.1) + 1}"
            )
        ]
    if p.scenario == "Offline" and any("expected QPS" in r for r in p.invalid_reasons):
        return [
            (
                f"The Offline query ran out before min_duration: this machine is faster than "
                f"{MODEL_KEY}.Offline.target_qps in user.conf; set it (or --qps) near {p.metric:.2f}."
            )
        ]
    return []


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
)


if __name__ == "__main__":
    sys.exit(main(SPEC, add_arguments=add_arguments))
