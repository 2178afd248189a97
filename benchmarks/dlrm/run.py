"""DLRM on Criteo Terabyte: the MLPerf Inference recommendation benchmark
(v0.7-v2.1) through the shared harness.

    python benchmarks/dlrm/run.py --scenario Offline
    python benchmarks/dlrm/run.py --scenario Offline --accuracy --output out/offline-acc
    python benchmarks/dlrm/run.py --dataset-path /data/criteo --model tb00_40M.onnx \\
        --max-ind-range 40000000 --scenario Offline --official

Without ``--dataset-path`` and ``--model`` it runs on the embedded default
(synthetic.py). One QSL sample is a group of user-item pairs (criteo.py);
``--max-batchsize`` counts pairs, and a batch holds whole groups. Flags:
``--help``; the harness: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from loadgen.harness import BenchmarkSpec, RunOptions, main
from loadgen.harness.calibration import CalibrationSet
from loadgen.harness.embedded import Embedded, add_size_argument, data_note, own_model_note, stderr_line
from loadgen.harness.script import benchmark_folder, imported_when_called

HERE = benchmark_folder(__file__)  # makes `import dlrm` work when run as a script

from dlrm import criteo, synthetic
from dlrm.calibration import calibration_set
from dlrm.criteo import CriteoTerabyte

INPUT_NAMES = ("dense_x", "offsets", "indices")
OUTPUT_NAME = "pred"
EMBEDDING_DIM = 128


def respond(outputs: list[np.ndarray], dataset: CriteoTerabyte, indices: np.ndarray) -> list[np.ndarray]:
    """One response per group: its pairs as float32 ``[prediction, label]``."""
    pred = outputs[0].reshape(-1)
    labels = dataset.batch_labels(indices.tolist())
    if len(pred) != len(labels):
        raise ValueError(f"the model returned {len(pred)} predictions for {len(labels)} pairs")
    pairs = np.empty((len(pred), 2), np.float32)
    pairs[:, 0] = pred
    pairs[:, 1] = labels
    if len(indices) == 1:
        return [pairs]
    ends = np.cumsum(dataset.sizes[indices]).tolist()
    starts = [0, *ends[:-1]]
    return [pairs[s:e] for s, e in zip(starts, ends)]


def group_sizes(dataset: CriteoTerabyte) -> np.ndarray:
    return dataset.sizes


def _max_ind_range(opts: RunOptions) -> int:
    m = opts.extra.get("max_ind_range")
    return int(m) if m is not None else criteo.OFFICIAL_MAX_IND_RANGE


def make_dataset(opts: RunOptions) -> CriteoTerabyte:
    assert opts.dataset_path is not None and opts.cache_dir is not None
    x = opts.extra
    quantiles = criteo.QUANTILE_TABLE
    if x.get("samples_to_aggregate_quantile_file"):
        quantiles = tuple(criteo.read_quantile_file(x["samples_to_aggregate_quantile_file"]).tolist())
    return CriteoTerabyte(
        opts.dataset_path,
        opts.cache_dir,
        _max_ind_range(opts),
        count=opts.count,
        data_format=x.get("data_format") or "auto",
        quantiles=quantiles,
        seed=criteo.DEFAULT_SEED if x.get("numpy_rand_seed") is None else int(x["numpy_rand_seed"]),
        fixed_size=x.get("samples_to_aggregate_fix"),
        trace_in=x.get("aggregation_trace_file"),
        trace_out=x.get("samples_to_aggregate_trace_file"),
        log=lambda s: print(s, file=sys.stderr, flush=True),
    )


def table_note(max_ind_range: int) -> str:
    rows = sum(criteo.table_sizes_for(max_ind_range))
    official = sum(criteo.OFFICIAL_TABLE_SIZES)
    return (
        f"embedding tables: {rows:,} rows = {rows * EMBEDDING_DIM * 4 / 1e9:.3g} GB fp32 at --max-ind-range "
        f"{max_ind_range}; the official model (--max-ind-range {criteo.OFFICIAL_MAX_IND_RANGE}) needs "
        f"{official:,} rows = {official * EMBEDDING_DIM * 4 / 1e9:.1f} GB fp32"
    )


def embedded(opts: RunOptions, cache_dir: str) -> Embedded:
    m = int(opts.extra.get("max_ind_range") or synthetic.DEFAULT_MAX_IND_RANGE)
    rows = int(opts.extra.get("synthetic_rows") or synthetic.DEFAULT_ROWS)
    assets = synthetic.ensure_default_assets(cache_dir, rows=rows, max_ind_range=m, log=stderr_line)
    return Embedded(
        assets.data_dir,
        {"onnxruntime": assets.onnx_model, "torch": assets.torch_state_dict},
        data_note(
            f"day_23 ({rows} rows of raw Criteo text; test-half labels from the fixed-seed FP32 model's "
            f"own scores, see synthetic.py)",
            "a Criteo result",
        ),
        own_model_note(score="AUC"),
        extra={"max_ind_range": m},
    )


def prepare(opts: RunOptions) -> RunOptions:
    """After the embedded default: the note on the embedding tables' size."""
    opts.extra["notes"].append(table_note(_max_ind_range(opts)))
    return opts


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--max-ind-range",
        type=int,
        help=f"categorical ids are taken modulo this (default: {criteo.OFFICIAL_MAX_IND_RANGE} with --dataset-path, "
        f"{synthetic.DEFAULT_MAX_IND_RANGE} for the embedded default, whose tables it also sizes)",
    )
    p.add_argument(
        "--data-format",
        choices=("auto", "raw", "npz"),
        default="auto",
        help=f"read {criteo.NPZ_DAY} (npz) or the raw {criteo.RAW_DAY} (raw); auto: the npz if present",
    )
    p.add_argument(
        "--samples-to-aggregate-quantile-file",
        help="group sizes by quantile, the reference's dist_quantile.txt format (default: its 20 entries)",
    )
    p.add_argument("--samples-to-aggregate-fix", type=int, help="fixed group size instead of drawn ones")
    p.add_argument(
        "--numpy-rand-seed", type=int, default=criteo.DEFAULT_SEED, help="seed of the group-size draw"
    )
    p.add_argument(
        "--samples-to-aggregate-trace-file",
        help="write the groups as 'start, end, count' lines (the reference's dlrm_trace_of_aggregated_samples.txt)",
    )
    p.add_argument(
        "--aggregation-trace-file", help="read the groups from such a trace instead of drawing them"
    )
    add_size_argument(p, "--synthetic-rows", synthetic.DEFAULT_ROWS, "rows of the embedded synthetic day_23")


def calibration(opts: RunOptions) -> CalibrationSet:
    """The rules' calibration rows of day_23 (dlrm/calibration.py): the first 128000 of its second half."""
    return calibration_set(opts, _max_ind_range(opts))


SPEC = BenchmarkSpec.in_folder(
    HERE,
    name="DLRM (Criteo Terabyte)",
    config_model="dlrm",
    make_dataset=make_dataset,
    postprocess=None,
    respond=respond,
    sample_weights=group_sizes,
    prepare=prepare,
    embedded=embedded,
    which_model="give the ONNX file (onnxruntime) or the DLRM checkpoint / state dict (torch) to run on it",
    inputs=INPUT_NAMES,
    outputs=(OUTPUT_NAME,),
    torch_model_factory=imported_when_called("dlrm.model:build_torch_model"),
    null_outputs=(((1,), "float32"),),
    performance_sample_count=204800,
    default_max_batchsize=2048,
    server_bound="60 ms at the 99th percentile, mlperf.conf's dlrm.Server.target_latency, for a group of 100-700 pairs",
    server_demo="--max-latency 0.5 --qps 5 --time 120",
    calibration=calibration,
)


if __name__ == "__main__":
    sys.exit(main(SPEC, add_arguments=add_arguments))
