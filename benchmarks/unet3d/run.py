"""3D-UNet on KiTS19: the MLPerf Inference benchmark through the shared harness.

    python benchmarks/unet3d/run.py --scenario Offline
    python benchmarks/unet3d/run.py --scenario SingleStream --accuracy --output out/ss-acc
    python benchmarks/unet3d/run.py --dataset-path /data/kits19/data \\
        --model 3dunet_kits19_128x128x128_dynbatch.onnx --scenario Offline --official

Without ``--dataset-path`` and ``--model`` it runs on the embedded default
(synthetic.py; ``--embedded tiny`` for a seconds-long run of a tiny network).
A sample is one preprocessed case; the backend runs the model on 128^3
patches in a sliding window (sliding.py), batching patches of one or several
cases up to ``--max-batchsize``. Flags: ``--help``; the harness:
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

import numpy as np
from loadgen.harness import Backend, BenchmarkSpec, RunOptions, RunReport, main
from loadgen.harness.embedded import Embedded, data_note, own_model_note, stderr_line
from loadgen.harness.script import benchmark_folder, imported_when_called

HERE = benchmark_folder(__file__)  # makes `import unet3d` work when run as a script

from unet3d import synthetic
from unet3d.calibration import calibration_set
from unet3d.dataset import PATCH, KiTS19, case_list_for, read_case_list
from unet3d.sliding import SlidingWindowBackend, patch_origins

INPUT_NAME = "input"
OUTPUT_NAME = "output"
MULTISTREAM_SAMPLES = 8


def postprocess(outputs: list[np.ndarray]) -> list[np.ndarray]:
    """The sliding window's class maps, one uint8 (D, H, W) array per sample:
    the response is its D*H*W bytes (the reference's (1, 1, D, H, W) uint8)."""
    return [np.ascontiguousarray(m, dtype=np.uint8) for m in outputs[0]]


def wrap_backend(backend: Backend, opts: RunOptions) -> Backend:
    assert opts.max_batchsize is not None
    return SlidingWindowBackend(backend, int(opts.extra["patch_size"]), opts.max_batchsize)


def patches_per_case(dataset: KiTS19) -> np.ndarray:
    """Each case's patch count: the SUT's batches then hold whole cases whose
    patches add up to at most --max-batchsize (a bigger case is a batch alone)."""
    return np.array(
        [len(patch_origins(dataset.image_shape(i)[1:], dataset.patch)) for i in range(dataset.total_count)],
        dtype=np.int64,
    )


def make_dataset(opts: RunOptions) -> KiTS19:
    assert opts.dataset_path is not None and opts.cache_dir is not None
    ds = KiTS19(
        opts.dataset_path,
        opts.cache_dir,
        count=opts.count,
        case_list=opts.extra.get("case_list"),
        patch=int(opts.extra["patch_size"]),
        log=lambda s: print(s, file=sys.stderr, flush=True),
    )
    opts.extra.setdefault("notes", []).append(
        f"preprocessed cases and ground-truth NIfTI files: {ds.preprocessed_dir} "
        f"(accuracy.py --preprocessed_data_dir)"
    )
    return ds


def embedded(opts: RunOptions, cache_dir: str) -> Embedded:
    profile = synthetic.PROFILES[opts.extra.get("embedded") or "default"]
    assets = synthetic.ensure_default_assets(cache_dir, profile, log=stderr_line)
    return Embedded(
        assets.data_dir,
        {"onnxruntime": assets.onnx_model, "torch": assets.checkpoint},
        data_note(
            f"data set ({len(profile.cases)} CT-like volumes; ground truth = the fixed-seed FP32 reference "
            f"model's own prediction, so FP32 scores DICE 1.0 by construction)",
            "a KiTS19 result",
        ),
        own_model_note("ground-truth masks"),
        extra={"patch_size": profile.patch},
    )


def prepare(opts: RunOptions) -> RunOptions:
    """After the embedded default: the patch size, MultiStream's samples per query, no warm-up."""
    assert opts.dataset_path is not None
    dataset_path, notes = opts.dataset_path, opts.extra["notes"]
    extra = {**opts.extra, "patch_size": int(opts.extra.get("patch_size") or PATCH)}
    samples_per_query = opts.samples_per_query
    if opts.scenario == "MultiStream" and samples_per_query is None:
        cases = read_case_list(case_list_for(dataset_path, opts.extra.get("case_list")))
        n = min(len(cases), opts.count or len(cases))
        if n < MULTISTREAM_SAMPLES:
            samples_per_query = n
            notes.append(f"MultiStream: {n} samples per query (the data set has only {n} cases)")
    return replace(
        opts,
        samples_per_query=samples_per_query,
        # The sliding-window backend warms up with one patch when it loads; a
        # warm-up on whole cases would cost minutes.
        warmup_batches=0,
        extra=extra,
    )


def hint(report: RunReport, opts: RunOptions) -> list[str]:
    """Why a short run on a small machine may be INVALID, and what would fix it."""
    p = report.performance
    if p is None or p.valid or opts.official:
        return []
    if p.scenario in ("SingleStream", "MultiStream"):
        text = (
            f"{p.scenario}'s early-stopping estimate of the latency percentile needs more queries than a "
            f"short run of cases that take seconds each can issue; 3D-UNet's rules require SingleStream "
            f"and Offline, and an official SingleStream run (--official) lasts at least 600 s."
        )
        return [text]
    if p.scenario == "Server":
        return ["3D-UNet has no Server scenario in the rules; this run only shows that it works."]
    if p.scenario == "Offline" and any("expected QPS" in r for r in p.invalid_reasons):
        text = (
            "The Offline query (every case once) finished before min_duration: with --embedded tiny "
            "that takes well under a second; add --time 0.1 (or more passes over the cases via --qps)."
        )
        return [text]
    return []


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--embedded",
        choices=sorted(synthetic.PROFILES),
        default="default",
        help="which embedded data set and model (when no --dataset-path): 'default' (full 3D-UNet, "
        "about 3 minutes per short run on 2 cores) or 'tiny' (4-16 channels, 32^3 patches: seconds)",
    )
    p.add_argument(
        "--patch-size",
        type=int,
        default=None,
        help=f"sliding-window patch side for --dataset-path data (default {PATCH}; the stride is half)",
    )
    p.add_argument(
        "--case-list",
        help="JSON list of case names (default: inference_cases.json in the data folder, "
        "else the reference's 43 inference cases)",
    )


SPEC = BenchmarkSpec.in_folder(
    HERE,
    calibration=calibration_set,  # the rules' KiTS calibration_cases.txt (unet3d/calibration.py)
    name="3D-UNet-KiTS19",
    config_model="3d-unet",
    make_dataset=make_dataset,
    postprocess=postprocess,
    prepare=prepare,
    embedded=embedded,
    which_model="give the ONNX file (onnxruntime) or the 3D-UNet checkpoint / state dict (torch) to run on it",
    inputs=(INPUT_NAME,),
    outputs=(OUTPUT_NAME,),
    torch_model_factory=imported_when_called("unet3d.model:build_torch_model"),
    null_outputs=(((3, PATCH, PATCH, PATCH), "float32"),),  # per patch; the sliding window sets its size
    performance_sample_count=43,
    default_max_batchsize=1,
    default_threads=1,
    hint=hint,
    wrap_backend=wrap_backend,
    sample_weights=patches_per_case,
    # A real KiTS19 case is tens of 128^3 patches, minutes on a few CPU cores.
    watchdog_timeout_ms=3_600_000,
)


if __name__ == "__main__":
    sys.exit(main(SPEC, add_arguments=add_arguments))
